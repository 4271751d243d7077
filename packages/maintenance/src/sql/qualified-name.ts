import { InputError } from '@pgcluster/core';

/** A relation name split into its parts, exactly as stored in the catalog (unquoted, case kept). */
export interface QualifiedName {
  /** The schema, when the name was qualified. */
  schema?: string;
  name: string;
}

// One part: a double-quoted identifier ("" for a quote inside) or a plain lower-case one.
const PART = /^(?:"((?:[^"\0]|"")+)"|([a-z_][a-z0-9_$]*))/;

/**
 * Parses `name`, `schema.name` or their double-quoted forms (`"Sales"."Q1"`, as
 * `format('%I.%I', …)` writes them) into exact catalog names. Each part is checked: 1 to 63
 * characters; an unquoted part is lower-case letters, digits, `_` and `$`.
 *
 * Security: identifiers cannot be bound, so only names that pass here reach a statement, and
 * then always through {@link quoteIdent}.
 * @throws InputError naming `field` and what it allows.
 * @example
 * ```ts
 * parseQualifiedName('public.items', 'table')  // { schema: 'public', name: 'items' }
 * parseQualifiedName('"Sales".q1', 'table')    // { schema: 'Sales', name: 'q1' }
 * ```
 */
export function parseQualifiedName(value: string, field: string): QualifiedName {
  const parts: string[] = [];
  let rest = value;
  for (;;) {
    const m = PART.exec(rest);
    const part = m ? (m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!) : undefined;
    if (!m || !part || Buffer.byteLength(part) > 63) {
      throw new InputError(field, 'must be [schema.]name: each part a lower-case identifier (a-z, 0-9, _, $) or a double-quoted one, at most 63 bytes');
    }
    parts.push(part);
    rest = rest.slice(m[0].length);
    if (rest === '') break;
    if (rest[0] !== '.') throw new InputError(field, `must be [schema.]name: "${rest[0]}" is allowed only inside double quotes`);
    if (parts.length === 2) throw new InputError(field, 'must be [schema.]name: at most one dot outside double quotes');
    rest = rest.slice(1);
  }
  return parts.length === 2 ? { schema: parts[0]!, name: parts[1]! } : { name: parts[0]! };
}

/**
 * Double-quotes an identifier (doubling any quote inside), for names read from the catalog or
 * parsed by {@link parseQualifiedName}.
 * @example quoteIdent('Sales') // '"Sales"'
 */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) throw new InputError('identifier', 'must be a non-empty name without NUL characters');
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The quoted `schema.name` of a relation.
 * @example qualified('public', 'items') // '"public"."items"'
 */
export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * A SQL string literal, for the few statements that take no bound parameter (ROLLBACK PREPARED).
 * Security: standard_conforming_strings is on since PostgreSQL 9.1, so doubling quotes is enough;
 * NUL is refused.
 * @example quoteLiteral("it's") // "'it''s'"
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new InputError('value', 'must not contain NUL characters');
  return `'${value.replace(/'/g, "''")}'`;
}

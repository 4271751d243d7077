import { InputError } from '@pgcluster/core';

/**
 * What a collection name may look like: a lower-case letter or `_`, then up to 47 lower-case
 * letters, digits or `_`. 48 characters leave room for derived names (`<name>_embedding_hnsw`)
 * inside PostgreSQL's 63-byte identifier limit.
 */
export const COLLECTION_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,47}$/;

/** What a schema or index name may look like: a lower-case PostgreSQL identifier of at most 63 bytes. */
export const IDENTIFIER_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** Names PostgreSQL reserves for itself; never used for a collection's schema. */
const RESERVED_SCHEMAS = new Set(['pg_catalog', 'information_schema', 'pg_toast']);

/**
 * Checks a collection name and returns it.
 *
 * @param field the input field named in the error, e.g. `collection`.
 * @throws InputError naming the field and the allowed pattern.
 * @example
 * ```ts
 * validateCollectionName('docs', 'collection')              // 'docs'
 * validateCollectionName('x"; drop table t;--', 'collection') // throws InputError
 * ```
 */
export function validateCollectionName(value: unknown, field = 'collection'): string {
  // Security: a collection name becomes part of DDL and queries; only a strict pattern is
  // accepted (no quotes, spaces, dots, upper case or non-ASCII), so it can never inject SQL.
  if (typeof value !== 'string' || !COLLECTION_NAME_PATTERN.test(value)) {
    throw new InputError(field, 'must start with a lower-case letter or _ and contain only a-z, 0-9 and _ (at most 48 characters)');
  }
  if (value.startsWith('pg_')) throw new InputError(field, 'must not start with pg_ (reserved by PostgreSQL)');
  return value;
}

/**
 * Checks a schema, index or other identifier and returns it.
 *
 * @throws InputError naming the field.
 * @example
 * ```ts
 * validateIdentifier('public', 'schema') // 'public'
 * ```
 */
export function validateIdentifier(value: unknown, field: string): string {
  // Security: identifiers are interpolated into DDL (they cannot be bound), so only a strict
  // lower-case pattern passes, and they are double-quoted as well.
  if (typeof value !== 'string' || !IDENTIFIER_PATTERN.test(value)) {
    throw new InputError(field, 'must start with a lower-case letter or _ and contain only a-z, 0-9 and _ (at most 63 characters)');
  }
  if (RESERVED_SCHEMAS.has(value) || value.startsWith('pg_')) {
    throw new InputError(field, 'must not be a PostgreSQL system name (pg_*, information_schema)');
  }
  return value;
}

/**
 * Double-quotes an identifier that already passed {@link validateIdentifier} or
 * {@link validateCollectionName}; refuses anything else.
 *
 * @example
 * ```ts
 * quoteIdent('docs') // '"docs"'
 * ```
 */
export function quoteIdent(name: string): string {
  // Security: belt and braces — even a validated name is re-checked before it is quoted.
  if (!IDENTIFIER_PATTERN.test(name)) throw new InputError('identifier', 'must be a validated lower-case identifier');
  return `"${name}"`;
}

/**
 * The quoted, schema-qualified name of a collection's table.
 * @example qualifiedName('public', 'docs') // '"public"."docs"'
 */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

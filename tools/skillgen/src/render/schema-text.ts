import type { JsonSchema } from '../schema/load-schemas';

const MAX_DEPTH = 12;

/**
 * A short type label for a parameter table: `integer (1 to 1000)`, `"a" | "b"`, `string[]`.
 *
 * @example
 * ```ts
 * typeLabel({ type: 'integer', minimum: 1, maximum: 1000 }) // 'integer (1 to 1000)'
 * ```
 */
export function typeLabel(schema: JsonSchema): string {
  return label(schema, 0);
}

function label(schema: JsonSchema, depth: number): string {
  if (depth > MAX_DEPTH) return 'any';
  const ref = schema['$ref'];
  if (typeof ref === 'string') return ref.split('/').pop() ?? 'object';
  const values = schema['enum'];
  if (Array.isArray(values)) return values.map((v) => JSON.stringify(v)).join(' | ');
  if (schema['const'] !== undefined) return JSON.stringify(schema['const']);
  const union = (schema['anyOf'] ?? schema['oneOf']) as JsonSchema[] | undefined;
  if (Array.isArray(union)) return union.map((s) => label(s, depth + 1)).join(' | ');
  const type = schema['type'];
  if (Array.isArray(type)) return type.join(' | ');
  switch (type) {
    case 'string': {
      const format = schema['format'];
      const extra = [typeof format === 'string' ? format : '', bounds(schema, 'minLength', 'maxLength', 'characters')].filter(Boolean);
      return extra.length ? `string (${extra.join(', ')})` : 'string';
    }
    case 'integer':
    case 'number': {
      const range = bounds(schema, 'minimum', 'maximum', '') || bounds(schema, 'exclusiveMinimum', 'exclusiveMaximum', '(exclusive)');
      return range ? `${type} (${range})` : type;
    }
    case 'array': {
      const items = (schema['items'] ?? {}) as JsonSchema;
      const inner = label(items, depth + 1);
      return /[ |]/.test(inner) ? `Array<${inner}>` : `${inner}[]`;
    }
    case 'object':
      return 'object';
    case 'boolean':
    case 'null':
      return type;
    default:
      return 'any';
  }
}

function bounds(schema: JsonSchema, lo: string, hi: string, unit: string): string {
  // zod's .int() states the safe-integer range; that says nothing a reader needs.
  const meaningful = (v: unknown) => (typeof v === 'number' && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : undefined);
  const min = meaningful(schema[lo]);
  const max = meaningful(schema[hi]);
  const suffix = unit ? ` ${unit}` : '';
  if (typeof min === 'number' && typeof max === 'number') return `${min} to ${max}${suffix}`;
  if (typeof min === 'number') return `at least ${min}${suffix}`;
  if (typeof max === 'number') return `at most ${max}${suffix}`;
  return '';
}

/**
 * The shape of a JSON value described by a schema, as TypeScript-like lines with each
 * field's description as a comment: what an agent needs to read `data`.
 *
 * @example
 * ```ts
 * shapeLines({ type: 'object', properties: { ok: { type: 'boolean', description: 'All good.' } }, required: ['ok'] })
 * // ['{', '  ok: boolean  // All good.', '}']
 * ```
 */
export function shapeLines(schema: JsonSchema): string[] {
  return shape(schema, 0);
}

function shape(schema: JsonSchema, depth: number): string[] {
  const type = schema['type'];
  if (type === 'object' && depth < MAX_DEPTH) {
    const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
    const required = new Set((schema['required'] ?? []) as string[]);
    const extra = schema['additionalProperties'];
    const entries = Object.entries(properties);
    if (entries.length === 0) {
      return [typeof extra === 'object' && extra !== null ? `Record<string, ${label(extra as JsonSchema, depth + 1)}>` : 'object'];
    }
    const lines = ['{'];
    for (const [key, value] of entries) {
      const inner = shape(value, depth + 1);
      const name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
      const optional = required.has(key) ? '' : '?';
      const description = typeof value['description'] === 'string' ? `  // ${oneLine(value['description'])}` : '';
      lines.push(`  ${name}${optional}: ${inner[0]}${inner.length === 1 ? description : ''}`);
      for (const [i, line] of inner.slice(1).entries()) {
        lines.push(`  ${line}${i === inner.length - 2 ? description : ''}`);
      }
    }
    lines.push('}');
    return lines;
  }
  if (type === 'array' && depth < MAX_DEPTH) {
    const inner = shape((schema['items'] ?? {}) as JsonSchema, depth + 1);
    if (inner.length === 1) return [/[ |]/.test(inner[0]!) ? `Array<${inner[0]}>` : `${inner[0]}[]`];
    return [`Array<${inner[0]}`, ...inner.slice(1, -1), `${inner[inner.length - 1]}>`];
  }
  const union = (schema['anyOf'] ?? schema['oneOf']) as JsonSchema[] | undefined;
  if (Array.isArray(union) && depth < MAX_DEPTH) {
    const parts = union.map((s) => shape(s, depth));
    const nonNull = union.filter((s) => s['type'] !== 'null');
    if (nonNull.length === 1 && union.length === 2) {
      // `X | null`: X's shape with `| null` after its last line.
      const inner = shape(nonNull[0]!, depth);
      return [...inner.slice(0, -1), `${inner[inner.length - 1]} | null`];
    }
    if (parts.every((p) => p.length === 1)) return [parts.map((p) => p[0]).join(' | ')];
    const lines: string[] = [];
    for (const [i, part] of parts.entries()) {
      lines.push(...part.slice(0, -1), `${part[part.length - 1]}${i < parts.length - 1 ? ' |' : ''}`);
    }
    return lines;
  }
  return [label(schema, depth)];
}

/** Collapses whitespace so a text fits on one line of a table or a comment. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The first sentence of a text (up to the first `. ` followed by a capital, or the end).
 *
 * @example
 * ```ts
 * firstSentence('Reports health. Use when unsure.') // 'Reports health.'
 * ```
 */
export function firstSentence(text: string): string {
  const flat = oneLine(text);
  const match = /^(.+?[.!?])(\s+[A-Z(`"]|$)/.exec(flat);
  return match ? match[1]! : flat;
}

/**
 * A one-line summary for command lists and tables: the first sentence, cut at its first
 * colon or semicolon, or at a word, when it is longer than `max` characters.
 *
 * @example
 * ```ts
 * summary('Checks every node: role, lag, … Use when unsure.', 20) // 'Checks every node.'
 * ```
 */
export function summary(text: string, max = 110): string {
  const sentence = firstSentence(text);
  if (sentence.length <= max) return sentence;
  const clause = sentence.search(/[:;] /);
  if (clause > 0 && clause < max) return `${sentence.slice(0, clause)}.`;
  const space = sentence.lastIndexOf(' ', max - 3);
  return `${sentence.slice(0, space > 0 ? space : max - 3).replace(/[,;:(]$/, '')}...`;
}

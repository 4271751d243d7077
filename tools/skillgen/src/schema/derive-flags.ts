import { CLI_GLOBAL_FLAGS, flagName } from '@pgcluster/skill-kit';
import type { SkillProblem } from '../errors/skillgen-error';
import type { ScannedSkill } from '../scan/scan-skills';
import type { JsonSchema } from './load-schemas';

/** The CLI's global flags; no input field may take one of these names. */
export const RESERVED_FLAGS = CLI_GLOBAL_FLAGS;

/** How a flag's value is parsed: scalars, arrays of scalars, or a JSON value for anything nested. */
export const FLAG_TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'json'] as const;
/** One of {@link FLAG_TYPES}. */
export type FlagType = (typeof FLAG_TYPES)[number];

/** One CLI flag, derived from a top-level property of a skill's input JSON Schema. */
export interface SkillFlag {
  /** kebab-case flag name without dashes: `ef-search`. */
  name: string;
  /** The input JSON field it sets: `efSearch`. */
  property: string;
  type: FlagType;
  /** For `array`: the type of each item. */
  items?: 'string' | 'number' | 'integer' | 'boolean';
  /** Allowed values (from an enum), for the flag or, for arrays, each item. */
  choices?: readonly (string | number)[];
  /** From the field's `.describe()`. */
  description: string;
  /** The schema's default, when it declares one (applied by the skill's schema, not the CLI). */
  default?: unknown;
  required: boolean;
}

/**
 * `efSearch` → `ef-search`, `ef_search` → `ef-search`, `HNSWProfile` → `hnsw-profile`.
 *
 * @example
 * ```ts
 * kebabCase('efSearch') // 'ef-search'
 * ```
 */
export function kebabCase(name: string): string {
  return flagName(name);
}

/**
 * Derives the flags of a skill command from its input JSON Schema's top-level properties:
 * kebab-case names, types, choices from enums, descriptions, defaults and required fields.
 * Two fields that would become one flag are a problem; a field named like a global flag
 * (`format`, `timeout`, …) gets no flag, stays settable through `--input`, and is warned about.
 *
 * @example
 * ```ts
 * deriveFlags(skill, { type: 'object', properties: { efSearch: { type: 'integer' } } }).flags
 * // [{ name: 'ef-search', property: 'efSearch', type: 'integer', description: '', required: false }]
 * ```
 */
export function deriveFlags(skill: ScannedSkill, input: JsonSchema): { flags: SkillFlag[]; inputOnly: string[]; warnings: string[]; problems: SkillProblem[] } {
  const properties = (input['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((input['required'] ?? []) as string[]);
  const flags: SkillFlag[] = [];
  const problems: SkillProblem[] = [];
  const inputOnly: string[] = [];
  const warnings: string[] = [];
  const line = skill.fieldLines['input'] ?? skill.line;
  const seen = new Map<string, string>();
  for (const [property, raw] of Object.entries(properties)) {
    const name = kebabCase(property);
    if ((RESERVED_FLAGS as readonly string[]).includes(name)) {
      // Not fatal: the field stays settable through --input; the warning asks for a rename.
      inputOnly.push(property);
      warnings.push(`${skill.file}:${line}: [reserved-flag] input field \`${property}\` of ${skill.name} would become --${name}, a global flag of the CLI; it is settable only through --input until it is renamed`);
      continue;
    }
    const other = seen.get(name);
    if (other !== undefined) {
      problems.push({ file: skill.file, line, rule: 'flag-collision', message: `input fields \`${other}\` and \`${property}\` both become --${name}; rename one` });
      continue;
    }
    seen.set(name, property);
    const schema = unwrapNullable(raw);
    const flag: SkillFlag = { name, property, ...typeOf(schema), description: describeOf(raw, schema), required: required.has(property) };
    const fallback = raw['default'] ?? schema['default'];
    if (fallback !== undefined) flag.default = fallback;
    flags.push(flag);
  }
  return { flags, inputOnly, warnings, problems };
}

function typeOf(schema: JsonSchema): Pick<SkillFlag, 'type' | 'items' | 'choices'> {
  const choices = choicesOf(schema);
  if (choices) return { type: choices.every((c) => typeof c === 'number') ? 'number' : 'string', choices };
  const type = schema['type'];
  if (type === 'string' || type === 'number' || type === 'integer' || type === 'boolean') return { type };
  if (type === 'array') {
    const items = unwrapNullable((schema['items'] ?? {}) as JsonSchema);
    const itemChoices = choicesOf(items);
    if (itemChoices) return { type: 'array', items: itemChoices.every((c) => typeof c === 'number') ? 'number' : 'string', choices: itemChoices };
    const itemType = items['type'];
    if (itemType === 'string' || itemType === 'number' || itemType === 'integer' || itemType === 'boolean') return { type: 'array', items: itemType };
  }
  return { type: 'json' };
}

function choicesOf(schema: JsonSchema): (string | number)[] | undefined {
  const scalar = (v: unknown): v is string | number => typeof v === 'string' || typeof v === 'number';
  const values = schema['enum'];
  if (Array.isArray(values) && values.every(scalar)) return values;
  if (scalar(schema['const'])) return [schema['const']];
  const union = (schema['anyOf'] ?? schema['oneOf']) as JsonSchema[] | undefined;
  if (Array.isArray(union) && union.length > 0) {
    const parts = union.map(choicesOf);
    if (parts.every((p) => p !== undefined)) return parts.flat() as (string | number)[];
  }
  return undefined;
}

/** `anyOf: [X, { type: 'null' }]` → X (a nullable field is a flag of X's type). */
export function unwrapNullable(schema: JsonSchema): JsonSchema {
  const union = (schema['anyOf'] ?? schema['oneOf']) as JsonSchema[] | undefined;
  if (Array.isArray(union)) {
    const rest = union.filter((s) => s['type'] !== 'null');
    if (rest.length === 1 && rest.length < union.length) return { ...rest[0], ...(schema['description'] ? { description: schema['description'] } : {}) };
  }
  return schema;
}

function describeOf(raw: JsonSchema, schema: JsonSchema): string {
  const text = raw['description'] ?? schema['description'];
  return typeof text === 'string' ? text : '';
}

import type { MetricSpec } from '@pgcluster/skill-kit';
import type { SkillProblem, SkillRule } from '../errors/skillgen-error';
import type { ScannedSkill } from '../scan/scan-skills';
import type { JsonSchema } from './load-schemas';

/** Families every run renders (skill-kit's renderPrometheus); a skill may not declare these. */
const RUN_FAMILIES = /^pgcluster_skill_/;
const METRIC_NAME = /^pgcluster_[a-z][a-z0-9_]*[a-z0-9]$/;
const LABEL_NAME = /^[a-z][a-z0-9_]*$/;
/**
 * Words a metric name must not hold (promtool's lint and the Prometheus naming guide): unit
 * abbreviations and non-base units. Durations are `_seconds`, sizes `_bytes`, shares `_ratio`.
 */
const NOT_BASE_UNITS: Readonly<Record<string, string>> = {
  ms: 'seconds', s: 'seconds', sec: 'seconds', secs: 'seconds', us: 'seconds', ns: 'seconds', min: 'seconds', mins: 'seconds', h: 'seconds', d: 'seconds',
  milliseconds: 'seconds', microseconds: 'seconds', nanoseconds: 'seconds', minutes: 'seconds', hours: 'seconds', days: 'seconds',
  b: 'bytes', kb: 'bytes', mb: 'bytes', gb: 'bytes', tb: 'bytes', pb: 'bytes', kilobytes: 'bytes', megabytes: 'bytes', gigabytes: 'bytes',
  pct: 'ratio', percent: 'ratio', percentage: 'ratio', m: 'a spelled-out word',
};
const TYPE_WORDS = ['gauge', 'counter', 'histogram', 'summary'];
/** Labels that name a state: the state changes, so it must be its own gauge (`states`). */
const STATE_LABELS = ['status', 'state', 'role', 'phase', 'health', 'up'];

/**
 * Checks a skill's `metrics` declarations against the Prometheus conventions and its output
 * JSON Schema: names in base units with their suffix, `_total` only (and always) on counters, no
 * `_count`/`_sum`/`_bucket` on a gauge, no type in a name; a value path reaching a number or a
 * boolean (a string enum with `states`, listing exactly its values); label paths within the same
 * array elements as the value, and no state as a label; `equals` naming a value of its string. Every problem names the `metrics` line.
 *
 * @example
 * ```ts
 * problems.push(...checkMetrics(skill, schemas.output))
 * ```
 */
export function checkMetrics(skill: Pick<ScannedSkill, 'metrics' | 'file' | 'line' | 'fieldLines'>, output: JsonSchema): SkillProblem[] {
  const problems: SkillProblem[] = [];
  const line = skill.fieldLines['metrics'] ?? skill.line;
  const fail = (rule: SkillRule, spec: MetricSpec, message: string) => problems.push({ file: skill.file, line, rule, message: `metric ${spec.name}: ${message}` });
  const seen = new Set<string>();
  for (const spec of skill.metrics) {
    const type = spec.type ?? 'gauge';
    const words = spec.name.split('_');
    if (!METRIC_NAME.test(spec.name)) fail('metric-name', spec, 'a name is `pgcluster_` then lower-case words joined by single underscores');
    if (RUN_FAMILIES.test(spec.name)) fail('metric-name', spec, '`pgcluster_skill_*` families are rendered for every run; choose another name');
    if (seen.has(spec.name)) fail('metric-name', spec, 'declared twice');
    seen.add(spec.name);
    if (!spec.help.trim()) fail('metric-name', spec, 'HELP text is empty');
    for (const word of words) {
      if (NOT_BASE_UNITS[word]) fail('metric-name', spec, `"${word}" is not a base unit: use ${NOT_BASE_UNITS[word]} (scale the value, e.g. scale: 0.001 for milliseconds)`);
      if (TYPE_WORDS.includes(word)) fail('metric-name', spec, `the name must not hold the type ("${word}")`);
    }
    if (type === 'counter' && !spec.name.endsWith('_total')) fail('metric-name', spec, 'a counter ends in `_total`');
    if (type === 'gauge' && /_(total|count|sum|bucket)$/.test(spec.name)) {
      fail('metric-name', spec, '`_total` is for counters, `_count`/`_sum`/`_bucket` for histograms and summaries: name what the gauge measures (e.g. `_indexes`, `_rows`)');
    }
    const last = spec.value.split('.').pop()!.replace(/\[\]$/, '');
    if (/(_ms|Ms)$/.test(last) && !(spec.name.endsWith('_seconds') && spec.scale === 0.001)) {
      fail('metric-name', spec, `${spec.value} is in milliseconds: name it \`…_seconds\` and set scale: 0.001`);
    }
    if (spec.scale !== undefined && !(spec.scale > 0)) fail('metric-value', spec, 'scale must be a positive number');
    checkValue(spec, output, (message) => fail('metric-value', spec, message));
    checkLabels(spec, output, (message) => fail('metric-label', spec, message));
  }
  return problems;
}

function checkValue(spec: MetricSpec, output: JsonSchema, fail: (message: string) => void): void {
  const schema = schemaAt(output, spec.value);
  if (!schema) return fail(`value path "${spec.value}" is not in the output schema`);
  const types = typesOf(schema);
  if (spec.states && spec.equals !== undefined) return fail('give `states` or `equals`, not both');
  if (spec.equals !== undefined) {
    const values = enumOf(schema);
    if (values ? !values.includes(spec.equals) : !types.includes('string')) fail(`equals "${spec.equals}" must be a value of the string "${spec.value}"${values ? ` (${values.join(', ')})` : ''}`);
  } else if (spec.states) {
    const values = enumOf(schema);
    if (!values) return fail(`value "${spec.value}" with states must be a string enum in the output schema`);
    const missing = values.filter((v) => !spec.states!.includes(v));
    const extra = spec.states.filter((v) => !values.includes(v));
    if (missing.length || extra.length) fail(`states must be exactly the enum of "${spec.value}": ${values.join(', ')}`);
  } else if (!types.some((t) => t === 'number' || t === 'integer' || t === 'boolean')) {
    fail(`value "${spec.value}" must be a number or a boolean in the output schema (it is ${types.join(' | ') || 'untyped'}); a string state needs \`states\``);
  }
}

function checkLabels(spec: MetricSpec, output: JsonSchema, fail: (message: string) => void): void {
  const names = Object.keys(spec.labels ?? {});
  if (spec.states) names.push(spec.value.split('.').pop()!.replace(/\[\]$/, ''));
  for (const [label, path] of Object.entries(spec.labels ?? {})) {
    if (!LABEL_NAME.test(label)) fail(`label "${label}" must be lower-case letters, digits and underscores`);
    if (STATE_LABELS.includes(label)) fail(`label "${label}" names a state, which changes the series' identity when it changes: declare it as its own gauge with \`states\``);
    const schema = schemaAt(output, path);
    if (!schema) {
      fail(`label path "${path}" is not in the output schema`);
      continue;
    }
    if (!typesOf(schema).some((t) => ['string', 'number', 'integer', 'boolean'].includes(t))) fail(`label "${label}" must come from a string or a number ("${path}")`);
    const cut = path.lastIndexOf('[]');
    if (cut >= 0 && !spec.value.startsWith(path.slice(0, cut + 2))) {
      fail(`label path "${path}" walks an array the value "${spec.value}" does not: a label comes from the value's own elements or from outside every array`);
    }
  }
  if (new Set(names).size !== names.length) fail(`label names repeat: ${names.join(', ')}`);
}

/** The schema at a metric path (`a.b[].c`), through nullable/optional wrappers. */
function schemaAt(root: JsonSchema, path: string): JsonSchema | undefined {
  let schema: JsonSchema | undefined = root;
  for (const part of path.split('.')) {
    const each = part.endsWith('[]');
    const key = each ? part.slice(0, -2) : part;
    schema = branch(schema, (s) => (s['properties'] as Record<string, JsonSchema> | undefined)?.[key]);
    if (each) schema = branch(schema, (s) => (s['type'] === 'array' ? (s['items'] as JsonSchema | undefined) : undefined));
    if (!schema) return undefined;
  }
  return schema;
}

/** Applies `step` to the schema or to the first of its anyOf/oneOf branches where it gives something. */
function branch(schema: JsonSchema | undefined, step: (s: JsonSchema) => JsonSchema | undefined): JsonSchema | undefined {
  if (!schema) return undefined;
  const direct = step(schema);
  if (direct) return direct;
  for (const s of [...((schema['anyOf'] as JsonSchema[] | undefined) ?? []), ...((schema['oneOf'] as JsonSchema[] | undefined) ?? [])]) {
    const found = step(s);
    if (found) return found;
  }
  return undefined;
}

function typesOf(schema: JsonSchema): string[] {
  const own = schema['type'];
  const types = Array.isArray(own) ? (own as string[]) : typeof own === 'string' ? [own] : [];
  for (const s of [...((schema['anyOf'] as JsonSchema[] | undefined) ?? []), ...((schema['oneOf'] as JsonSchema[] | undefined) ?? [])]) types.push(...typesOf(s));
  return types;
}

function enumOf(schema: JsonSchema): string[] | undefined {
  if (Array.isArray(schema['enum'])) return (schema['enum'] as unknown[]).filter((v): v is string => typeof v === 'string');
  for (const s of (schema['anyOf'] as JsonSchema[] | undefined) ?? []) {
    const found = enumOf(s);
    if (found) return found;
  }
  return undefined;
}

import { STATUSES, type Envelope, type SkillMeta } from '../skill/skill-meta';

/**
 * String fields of array elements that become labels of the element's metrics, so that
 * `nodes: [{ name: 'node1', lagBytes: 0 }]` gives `…_nodes_lag_bytes{name="node1"} 0`.
 */
export const PROMETHEUS_LABEL_FIELDS = [
  'name', 'node', 'role', 'host', 'database', 'schema', 'table', 'index', 'collection',
  'pool', 'user', 'member', 'check', 'metric', 'state', 'status', 'kind', 'type', 'id',
] as const;

/** The label that numbers array elements with no (or no unique) identifying field. */
const POSITION = 'position';
const MAX_LABEL = 128;

interface Sample {
  labels: Record<string, string>;
  value: number;
}
interface Family {
  help: string;
  samples: Sample[];
}
type Schema = { description?: string; def?: Record<string, unknown> } | undefined;

/**
 * The envelope as Prometheus exposition text, through prom-client with a fresh Registry:
 * `pgcluster_skill_status{skill,status}` (1 for the run's status, 0 for the others),
 * `pgcluster_skill_duration_seconds{skill}`, `pgcluster_skill_alerts{skill}`, and every
 * numeric or boolean leaf of `data` as a gauge `pgcluster_<skill>_<path>` (snake_case;
 * array elements labelled by their {@link PROMETHEUS_LABEL_FIELDS}). With `meta`, HELP
 * texts come from the output schema's `.describe()`.
 *
 * @example
 * ```ts
 * process.stdout.write(await renderPrometheus(envelope, getSkillMeta(ClusterStatusSkill)))
 * // pgcluster_cluster_status_nodes_lag_bytes{name="node2",role="replica"} 1024
 * ```
 */
export async function renderPrometheus(envelope: Envelope, meta?: SkillMeta): Promise<string> {
  // Loaded on first use: only --format prometheus needs it (it weighs ~90 modules).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Gauge, Registry } = require('prom-client') as typeof import('prom-client');
  const registry = new Registry();
  const skill = envelope.skill;
  const status = new Gauge({ name: 'pgcluster_skill_status', help: 'Status of the last run of a skill: 1 for its status, 0 for the others.', labelNames: ['skill', 'status'], registers: [registry] });
  for (const s of STATUSES) status.set({ skill, status: s }, s === envelope.status ? 1 : 0);
  new Gauge({ name: 'pgcluster_skill_duration_seconds', help: 'How long the last run of a skill took.', labelNames: ['skill'], registers: [registry] }).set({ skill }, envelope.durationMs / 1000);
  new Gauge({ name: 'pgcluster_skill_alerts', help: 'How many alerts the last run of a skill raised.', labelNames: ['skill'], registers: [registry] }).set({ skill }, envelope.alerts.length);

  const families = new Map<string, Family>();
  collect(envelope.data, [], {}, meta?.output as Schema, { prefix: `pgcluster_${snake(skill)}`, skill, families });
  for (const [name, family] of families) {
    const labelNames = [...new Set(family.samples.flatMap((s) => Object.keys(s.labels)))];
    const gauge = new Gauge({ name, help: family.help, labelNames, registers: [registry] });
    for (const sample of family.samples) gauge.set(sample.labels, sample.value);
  }
  return registry.metrics();
}

interface Walk {
  prefix: string;
  skill: string;
  families: Map<string, Family>;
}

function collect(value: unknown, path: string[], labels: Record<string, string>, schema: Schema, walk: Walk): void {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    const name = [walk.prefix, ...path.map(snake)].join('_') + (path.length ? '' : '_value');
    const family = walk.families.get(name) ?? { help: helpFor(walk.skill, path, schema), samples: [] };
    family.samples.push({ labels, value: Number(value) });
    walk.families.set(name, family);
  } else if (Array.isArray(value)) {
    const element = inner(schema, 'element');
    const own = value.map((item) => identify(item, labels, path[path.length - 1] ?? 'item'));
    const keys = own.map((l) => JSON.stringify(l));
    const unique = own.every((l) => Object.keys(l).length > 0) && new Set(keys).size === keys.length;
    value.forEach((item, i) => collect(item, path, { ...labels, ...own[i], ...(unique ? {} : { [POSITION]: String(i) }) }, element, walk));
  } else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [key, v] of Object.entries(value)) collect(v, [...path, key], labels, shapeOf(schema)?.[key] as Schema, walk);
  }
}

/** The identifying string fields of an array element, renamed when an outer label has the name. */
function identify(item: unknown, outer: Record<string, string>, arrayKey: string): Record<string, string> {
  if (item === null || typeof item !== 'object') return {};
  const labels: Record<string, string> = {};
  for (const field of PROMETHEUS_LABEL_FIELDS) {
    const v = (item as Record<string, unknown>)[field];
    if (typeof v !== 'string') continue;
    labels[field in outer ? `${snake(arrayKey)}_${field}` : field] = v.slice(0, MAX_LABEL);
  }
  return labels;
}

function helpFor(skill: string, path: string[], schema: Schema): string {
  return described(schema) ?? `${skill}: data${path.length ? `.${path.join('.')}` : ''}`;
}

function described(schema: Schema): string | undefined {
  for (let s = schema; s; s = s.def?.['innerType'] as Schema) if (s.description) return s.description;
  return undefined;
}

function unwrap(schema: Schema): Schema {
  let s = schema;
  while (s?.def?.['innerType']) s = s.def['innerType'] as Schema;
  return s;
}

function inner(schema: Schema, key: 'element'): Schema {
  return unwrap(schema)?.def?.[key] as Schema;
}

function shapeOf(schema: Schema): Record<string, unknown> | undefined {
  const s = unwrap(schema);
  return s?.def?.['type'] === 'object' ? (s.def['shape'] as Record<string, unknown>) : undefined;
}

/** `lagBytes` → `lag_bytes`, `cluster-status` → `cluster_status`: a valid metric or label name part. */
function snake(text: string): string {
  const s = text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  return /^[0-9]/.test(s) ? `_${s}` : s || '_';
}

import { STATUSES, type Envelope, type MetricSpec, type SkillMeta } from '../skill/skill-meta';

/** One sample of a declared family: its labels and value. */
export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

const MAX_LABEL = 128;

/**
 * The envelope as Prometheus exposition text, through prom-client with a fresh Registry:
 * `pgcluster_skill_status{skill,status}` (1 for the run's status, 0 for the others),
 * `pgcluster_skill_duration_seconds{skill}`, `pgcluster_skill_alerts{skill}`, and every family
 * the skill declares in `metrics` (see {@link MetricSpec}), read from `data`, with its HELP and
 * TYPE. A declared family with no sample (e.g. `data` is null after an error) is left out.
 *
 * @example
 * ```ts
 * process.stdout.write(await renderPrometheus(envelope, getSkillMeta(ClusterStatusSkill)))
 * // pgcluster_node_replication_lag_bytes{node="node2"} 1024
 * ```
 */
export async function renderPrometheus(envelope: Envelope, meta?: Pick<SkillMeta, 'metrics'>): Promise<string> {
  // Loaded on first use: only --format prometheus needs it (it weighs ~90 modules).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Counter, Gauge, Registry } = require('prom-client') as typeof import('prom-client');
  const registry = new Registry();
  const skill = envelope.skill;
  const status = new Gauge({ name: 'pgcluster_skill_status', help: 'Status of the last run of a skill: 1 for its status, 0 for the others.', labelNames: ['skill', 'status'], registers: [registry] });
  for (const s of STATUSES) status.set({ skill, status: s }, s === envelope.status ? 1 : 0);
  new Gauge({ name: 'pgcluster_skill_duration_seconds', help: 'How long the last run of a skill took.', labelNames: ['skill'], registers: [registry] }).set({ skill }, envelope.durationMs / 1000);
  new Gauge({ name: 'pgcluster_skill_alerts', help: 'How many alerts the last run of a skill raised.', labelNames: ['skill'], registers: [registry] }).set({ skill }, envelope.alerts.length);

  for (const spec of meta?.metrics ?? []) {
    const samples = metricSamples(envelope.data, spec);
    if (samples.length === 0) continue;
    const labelNames = metricLabelNames(spec);
    if (spec.type === 'counter') {
      const counter = new Counter({ name: spec.name, help: spec.help, labelNames, registers: [registry] });
      for (const sample of samples) counter.inc(sample.labels, sample.value);
    } else {
      const gauge = new Gauge({ name: spec.name, help: spec.help, labelNames, registers: [registry] });
      for (const sample of samples) gauge.set(sample.labels, sample.value);
    }
  }
  return registry.metrics();
}

/**
 * The label names of a declared family: its `labels`, then, for a state, the state label
 * (the value's field name in snake_case: `nodes[].role` → `role`).
 *
 * @example
 * ```ts
 * metricLabelNames({ name: 'pgcluster_node_role', help: '…', value: 'nodes[].role', states: ['primary', 'replica'], labels: { node: 'nodes[].name' } })
 * // ['node', 'role']
 * ```
 */
export function metricLabelNames(spec: MetricSpec): string[] {
  const names = Object.keys(spec.labels ?? {});
  if (spec.states) names.push(stateLabel(spec.value));
  return names;
}

/**
 * The samples of one declared family in `data`: one per value the path reaches (per element of
 * each `[]` array), null and missing values left out; booleans are 1 or 0, numbers multiplied by
 * `scale`; with `equals`, 1 when the value equals it; a state gives one sample per state, 1 for
 * the current one.
 *
 * @example
 * ```ts
 * metricSamples({ nodes: [{ name: 'n1', latency_ms: 5 }] }, { name: 'pgcluster_node_latency_seconds', help: '…', value: 'nodes[].latency_ms', scale: 0.001, labels: { node: 'nodes[].name' } })
 * // [{ labels: { node: 'n1' }, value: 0.005 }]
 * ```
 */
export function metricSamples(data: unknown, spec: MetricSpec): MetricSample[] {
  const samples: MetricSample[] = [];
  walk(data, segments(spec.value), 0, '', new Map(), (leaf, bound) => {
    const labels: Record<string, string> = {};
    for (const [label, path] of Object.entries(spec.labels ?? {})) labels[label] = labelValue(resolve(data, path, bound));
    if (spec.states) {
      const name = stateLabel(spec.value);
      for (const state of spec.states) samples.push({ labels: { ...labels, [name]: state }, value: leaf === state ? 1 : 0 });
      return;
    }
    if (spec.equals !== undefined) {
      samples.push({ labels, value: leaf === spec.equals ? 1 : 0 });
      return;
    }
    const value = typeof leaf === 'boolean' ? Number(leaf) : typeof leaf === 'number' || typeof leaf === 'bigint' ? Number(leaf) : undefined;
    if (value === undefined || Number.isNaN(value)) return;
    samples.push({ labels, value: spec.scale === undefined ? value : Number((value * spec.scale).toPrecision(12)) });
  });
  return samples;
}

interface Segment {
  key: string;
  each: boolean;
}

function segments(path: string): Segment[] {
  return path.split('.').map((part) => (part.endsWith('[]') ? { key: part.slice(0, -2), each: true } : { key: part, each: false }));
}

/** Walks `path` through `value`, binding each `[]` prefix (`nodes[]`) to the element being visited. */
function walk(value: unknown, path: Segment[], i: number, prefix: string, bound: Map<string, unknown>, visit: (leaf: unknown, bound: Map<string, unknown>) => void): void {
  if (i === path.length) {
    if (value !== null && value !== undefined) visit(value, bound);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const { key, each } = path[i]!;
  const next = (value as Record<string, unknown>)[key];
  const here = `${prefix}${prefix ? '.' : ''}${key}`;
  if (!each) return walk(next, path, i + 1, here, bound, visit);
  if (!Array.isArray(next)) return;
  for (const element of next) walk(element, path, i + 1, `${here}[]`, new Map(bound).set(`${here}[]`, element), visit);
}

/** A label's value: from the element bound to the longest `[]` prefix of its path, else from `data`. */
function resolve(data: unknown, path: string, bound: Map<string, unknown>): unknown {
  const cut = path.lastIndexOf('[]');
  let value: unknown = data;
  let rest = path;
  if (cut >= 0 && bound.has(path.slice(0, cut + 2))) {
    value = bound.get(path.slice(0, cut + 2));
    rest = path.slice(cut + 3);
  }
  for (const key of rest ? rest.split('.') : []) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

function labelValue(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value).slice(0, MAX_LABEL) : '';
}

/** `nodes[].role` → `role`, `stateName` → `state_name`. */
function stateLabel(path: string): string {
  const last = path.split('.').pop()!.replace(/\[\]$/, '');
  return last.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

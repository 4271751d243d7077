import { ConfigError, PgClusterError, readPgbouncer, type ClusterConfig } from '@pgcluster/core';
import { nearestName, type SkillReference } from '@pgcluster/skill-kit';
import { CHECK_CATALOGUE, CHECK_IDS, severityOf, type CheckDefinition, type CheckId, type Thresholds } from './check-catalogue';
import { serverReason } from '../connection/read-only-session';
import { pgbouncerSaturation } from './checks/pgbouncer-checks';
import { collectNodeHealth, type NodeCheckOutcome, type NodeHealth } from './collect-node-health';
import type { CheckCategory, Finding } from './finding';
import type { CheckResult, HealthReport } from './health-schema';
import type { Candidate, NodeFacts } from './node-check';
import { NODE_CHECKS } from './node-checks';

/**
 * Options of {@link checkHealth}.
 * @example const options: CheckHealthOptions = { category: ['locks'], thresholds: { lock_waits: { warning: 5 } } }
 */
export interface CheckHealthOptions {
  /** Only these checks; default all. */
  checks?: readonly CheckId[];
  /** Only the checks of these categories; default all. */
  category?: readonly CheckCategory[];
  /** Per-check overrides, in the check's unit; they win over the config's `monitoring.thresholds`. */
  thresholds?: Partial<Record<CheckId, { warning?: number; critical?: number | null }>>;
  /** A database name or a name from the config's `databases`; default `databases.project`, else the URL's. */
  database?: string;
  /** Default 2,000 ms. */
  connectTimeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * The checks a run selects, in catalogue order.
 * @example selectChecks({ category: ['locks'] }) // ['lock_waits', 'deadlocks']
 */
export function selectChecks(options: Pick<CheckHealthOptions, 'checks' | 'category'>): CheckId[] {
  return CHECK_IDS.filter((id) => (!options.checks?.length || options.checks.includes(id)) && (!options.category?.length || options.category.includes(CHECK_CATALOGUE[id].category)));
}

/**
 * The thresholds a run uses for one check: the catalogue's defaults with the run's overrides.
 * @example thresholdsFor('idle_in_transaction', { idle_in_transaction: { warning: 60 } }) // { warning: 60, critical: 900 }
 */
export function thresholdsFor(id: CheckId, overrides: CheckHealthOptions['thresholds'] = {}): Thresholds {
  const def = CHECK_CATALOGUE[id];
  const o = overrides[id] ?? {};
  return { warning: o.warning ?? def.warning, critical: o.critical === undefined ? def.critical : o.critical };
}

/** Per-check threshold overrides, in each check's unit. */
export type ThresholdOverrides = NonNullable<CheckHealthOptions['thresholds']>;

/**
 * The cluster's own threshold overrides (`monitoring.thresholds` of the config), checked against
 * the catalogue.
 * @throws ConfigError naming `monitoring.thresholds.<key>` and the nearest check id when a key is not a check.
 * @example configuredThresholds(loadConfig().config) // { idle_in_transaction: { warning: 60 } }
 */
export function configuredThresholds(config: ClusterConfig): ThresholdOverrides {
  const configured = config.monitoring?.thresholds ?? {};
  const known: readonly string[] = CHECK_IDS;
  for (const key of Object.keys(configured)) {
    if (known.includes(key)) continue;
    const nearest = nearestName(key, CHECK_IDS);
    throw new ConfigError(`monitoring.thresholds.${key}: "${key}" is not a check id${nearest ? `; did you mean "${nearest}"?` : ''}`, {
      hint: `Use an id of monitoring-health's catalogue: ${CHECK_IDS.join(', ')}.`,
    });
  }
  return configured as ThresholdOverrides;
}

/**
 * The overrides a run uses: the cluster's (config) under the run's own, field by field (the run wins).
 * @example mergeThresholds({ lock_waits: { warning: 5, critical: 60 } }, { lock_waits: { warning: 10 } }) // { lock_waits: { warning: 10, critical: 60 } }
 */
export function mergeThresholds(configured: ThresholdOverrides, run: ThresholdOverrides = {}): ThresholdOverrides {
  const merged: ThresholdOverrides = { ...configured };
  for (const [id, o] of Object.entries(run) as Array<[CheckId, { warning?: number; critical?: number | null }]>) {
    const base = merged[id] ?? {};
    merged[id] = { ...base, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) };
  }
  return merged;
}

/**
 * Runs the health check catalogue on every node of the cluster at once — one connection per
 * node, read-only statements of at most 1 s — and returns every finding (with the skill that
 * fixes it) and every check's status. A node that is down is a finding (node_down), not an
 * error; only when no node answers does it throw.
 *
 * @throws PgClusterError `UNREACHABLE` when no node answers, `NOT_SUPPORTED` without static nodes, `ABORTED` when cancelled.
 * @example
 * ```ts
 * import { loadConfig } from '@pgcluster/core'
 * import { checkHealth } from '@pgcluster/monitoring'
 *
 * const report = await checkHealth(loadConfig().config, { category: ['locks', 'connections'] })
 * for (const f of report.findings) console.log(f.severity, f.check, f.object, f.recommendation.skill)
 * ```
 */
export async function checkHealth(config: ClusterConfig, options: CheckHealthOptions = {}): Promise<HealthReport> {
  const nodes = config.nodes;
  if (!nodes?.length) {
    throw new PgClusterError('NOT_SUPPORTED', `cluster ${config.name} has no static "nodes" list: monitoring-health needs one`, {
      hint: 'List the nodes in pgcluster.config.json ("nodes": [{ "name", "url" }]).',
    });
  }
  if (options.signal?.aborted) throw new PgClusterError('ABORTED', 'health check was cancelled before it started');
  const thresholds = mergeThresholds(configuredThresholds(config), options.thresholds);
  const selected = selectChecks(options);
  const wanted = new Set<CheckId>(selected);
  const database = options.database ? (config.databases[options.database] ?? options.database) : config.databases['project'];
  const checksFor = (facts: NodeFacts) => NODE_CHECKS.filter((c) => wanted.has(c.id) && appliesTo(CHECK_CATALOGUE[c.id], facts));
  const connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
  const adminUrl = config.pgbouncer?.adminUrl;
  const wantsBouncer = selected.some((id) => CHECK_CATALOGUE[id].scope === 'pgbouncer');
  const [healths, bouncer] = await Promise.all([
    Promise.all(nodes.map((node) => collectNodeHealth(node, { database, connectTimeoutMs, checksFor, signal: options.signal }))),
    wantsBouncer && adminUrl
      ? readPgbouncer(adminUrl, connectTimeoutMs).then(
          (state) => ({ state }),
          (error: unknown) => ({ error: serverReason(error, "PgBouncer's admin console") }),
        )
      : undefined,
  ]);
  if (options.signal?.aborted) throw new PgClusterError('ABORTED', 'health check was cancelled');
  if (healths.every((h) => !h.up)) {
    throw new PgClusterError('UNREACHABLE', `no node of cluster ${config.name} answered: ${healths.map((h) => `${h.name}: ${h.error}`).join('; ')}`, {
      hint: 'Check that the servers run and that this host can reach them (`pgcluster dev up` starts a local cluster).',
    });
  }
  const primary = healths.find((h) => h.facts?.role === 'primary')?.facts;
  const pgbouncer: NodeCheckOutcome = !adminUrl
    ? { ran: false, reason: 'no PgBouncer in the config (pgbouncer.adminUrl)' }
    : !bouncer || 'error' in bouncer
      ? { ran: false, reason: `PgBouncer's admin console did not answer: ${bouncer?.error ?? 'not read'}` }
      : { ran: true, candidates: pgbouncerSaturation(bouncer.state, primary) };
  return assessHealth(config.name, healths, selected, thresholds, pgbouncer);
}

/** The `node` of findings about PgBouncer's pools. */
const PGBOUNCER_NODE = 'pgbouncer';

function appliesTo(def: CheckDefinition, facts: NodeFacts): boolean {
  return def.scope === 'every' || def.scope === facts.role;
}

/**
 * Judges what the nodes (and PgBouncer's admin console) reported against the thresholds:
 * findings, each check's status, the overall status.
 * @param pgbouncer what the PgBouncer checks found (their findings' node is `pgbouncer`); default skipped.
 * @example assessHealth('dev', healths, ['node_down'], {})
 */
export function assessHealth(
  cluster: string,
  healths: readonly NodeHealth[],
  selected: readonly CheckId[],
  overrides: CheckHealthOptions['thresholds'] = {},
  pgbouncer: NodeCheckOutcome = { ran: false, reason: 'PgBouncer was not checked' },
): HealthReport {
  const findings: Finding[] = [];
  const checks: CheckResult[] = [];
  const clusterCandidates = clusterWide(cluster, healths);
  for (const id of selected) {
    const def = CHECK_CATALOGUE[id];
    const t = thresholdsFor(id, overrides);
    const ran: string[] = [];
    const skipped: string[] = [];
    const own: Finding[] = [];
    const judge = (node: string, c: Candidate) => {
      const s = severityOf(def, c.value, c.maxSeverity ? { ...t, critical: null } : t);
      if (s) own.push({ check: id, category: def.category, severity: s.severity, node, object: c.object, value: c.value, threshold: s.threshold, unit: def.unit, message: c.message, recommendation: c.recommendation });
    };
    if (def.scope === 'cluster') {
      ran.push(cluster);
      for (const c of clusterCandidates.get(id) ?? []) judge(cluster, c);
    } else if (def.scope === 'pgbouncer') {
      if (pgbouncer.ran) {
        ran.push(PGBOUNCER_NODE);
        for (const c of pgbouncer.candidates) judge(PGBOUNCER_NODE, c);
      } else {
        skipped.push(pgbouncer.reason);
      }
    } else {
      for (const h of healths) {
        const outcome = h.outcomes.get(id);
        if (!h.up || !outcome) continue;
        if (!outcome.ran) {
          skipped.push(`${h.name}: ${outcome.reason}`);
          continue;
        }
        ran.push(h.name);
        for (const c of outcome.candidates) judge(h.name, c);
      }
    }
    const status = own.some((f) => f.severity === 'critical') ? 'critical' : own.length > 0 ? 'warning' : ran.length > 0 ? 'ok' : 'skipped';
    const reason = skipped.length > 0 ? skipped.join('; ') : ran.length === 0 ? notRunReason(def, healths) : undefined;
    checks.push({ check: id, category: def.category, status, findings: own.length, unit: def.unit, warning: t.warning, critical: t.critical, nodes: ran, ...(reason ? { reason } : {}) });
    findings.push(...own);
  }
  findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1));
  const count = (s: CheckResult['status']) => checks.filter((c) => c.status === s).length;
  return {
    status: findings.some((f) => f.severity === 'critical') ? 'critical' : findings.length > 0 ? 'degraded' : 'healthy',
    cluster,
    nodes: healths.map((h) => ({
      name: h.name,
      up: h.up,
      role: h.facts?.role ?? 'unknown',
      database: h.facts?.database ?? null,
      queries: h.queries,
      ...(h.error ? { error: h.error } : {}),
    })),
    counts: { checks: checks.length, ok: count('ok'), warning: count('warning'), critical: count('critical'), skipped: count('skipped'), findings: findings.length },
    findings,
    checks,
  };
}

function notRunReason(def: CheckDefinition, healths: readonly NodeHealth[]): string {
  if (healths.every((h) => !h.up)) return 'no node answered';
  if (def.scope === 'primary') return 'no primary answered';
  if (def.scope === 'replica') return 'no replica answered';
  return 'no node answered';
}

// node_down, no_primary and split_brain: judged over every node's answer.
function clusterWide(cluster: string, healths: readonly NodeHealth[]): Map<CheckId, Candidate[]> {
  const up = healths.filter((h) => h.up);
  const primaries = up.filter((h) => h.facts?.role === 'primary').map((h) => h.name);
  const failover: SkillReference = { skill: 'cluster-failover', input: { action: 'failover' }, why: 'promote the most advanced healthy replica' };
  const status: SkillReference = { skill: 'cluster-status', input: {}, why: 'see which node is affected and whether it comes back' };
  return new Map<CheckId, Candidate[]>([
    [
      'node_down',
      healths
        .filter((h) => !h.up)
        .map((h) => ({ object: h.name, value: 1, message: `node ${h.name} does not answer: ${h.error ?? 'unknown reason'}`, recommendation: primaries.length === 0 ? failover : status })),
    ],
    [
      'no_primary',
      up.length > 0 && primaries.length === 0
        ? [{ object: cluster, value: 0, message: `none of the ${up.length} node(s) that answer is a primary: writes fail`, recommendation: failover }]
        : [],
    ],
    [
      'split_brain',
      primaries.length > 1
        ? [
            {
              object: primaries.join(', '),
              value: primaries.length,
              message: `${primaries.length} nodes accept writes (${primaries.join(', ')}): their data diverges`,
              recommendation: { skill: 'cluster-status', input: {}, why: 'fence every primary but one, then rejoin the others with cluster-failover --rewind' },
            },
          ]
        : [],
    ],
  ]);
}

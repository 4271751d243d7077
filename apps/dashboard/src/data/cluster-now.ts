import { redactSecrets, redactUrl, type ClusterConfig } from '@pgcluster/core';
import { checkHealth, type Finding } from '@pgcluster/monitoring';
import { checkClusterStatus } from '@pgcluster/operations';
import { referenceCommand } from '@pgcluster/skill-kit';

/** One node as the "Cluster now" panel shows it. */
export interface NodeNow {
  name: string;
  /** host:port/database, never with credentials. */
  address: string;
  role: 'primary' | 'replica' | 'unknown';
  state: 'up' | 'down';
  lagBytes: number | null;
  lagSeconds: number | null;
  /** Client connections open on the node, its max_connections and their ratio in percent. */
  connections: number | null;
  maxConnections: number | null;
  utilization: number | null;
  latencyMs: number | null;
  version: string | null;
  /** Why it is down (no secrets). */
  error: string | null;
}

/** A finding of monitoring-health, with the command that fixes it. */
export interface FindingNow extends Omit<Finding, 'recommendation'> {
  /** The skill that fixes it, and the command line that runs it. */
  fix: { skill: string; command: string; why: string | null };
}

/**
 * The cluster right now: cluster-status's verdict and nodes, monitoring-health's findings (critical
 * first) and their counts by severity. `error` says why nothing could be read.
 */
export interface ClusterNow {
  at: string;
  cluster: string;
  status: 'healthy' | 'degraded' | 'critical' | 'unreachable';
  nodes: NodeNow[];
  alerts: string[];
  health: { status: string | null; findings: FindingNow[]; bySeverity: { critical: number; warning: number }; checks: number; error: string | null };
  error: string | null;
}

/** Options of {@link readClusterNow}. */
export interface ReadClusterNowOptions {
  /** cluster-status's sampling window, ms; default 100. */
  sampleMs?: number;
  signal?: AbortSignal;
}

/**
 * Reads the cluster's state with the library functions behind `cluster-status` and
 * `monitoring-health` (`checkClusterStatus`, `checkHealth`), both at once. Never throws for an
 * unreachable cluster: the answer then says so in `error` and `status`.
 *
 * @example
 * ```ts
 * const now = await readClusterNow(loadConfig().config)
 * now.nodes.map((n) => `${n.name} ${n.role} ${n.state}`)
 * ```
 */
export async function readClusterNow(config: ClusterConfig, options: ReadClusterNowOptions = {}): Promise<ClusterNow> {
  const at = new Date().toISOString();
  const [status, health] = await Promise.allSettled([
    checkClusterStatus(config, { sampleMs: options.sampleMs ?? 100, ...(options.signal ? { signal: options.signal } : {}) }),
    checkHealth(config, options.signal ? { signal: options.signal } : {}),
  ]);
  const findings: FindingNow[] =
    health.status === 'fulfilled'
      ? health.value.findings.map(({ recommendation, ...finding }) => ({
          ...finding,
          fix: { skill: recommendation.skill, command: referenceCommand(recommendation), why: recommendation.why ?? null },
        }))
      : [];
  const healthPart: ClusterNow['health'] = {
    status: health.status === 'fulfilled' ? health.value.status : null,
    findings,
    bySeverity: { critical: findings.filter((f) => f.severity === 'critical').length, warning: findings.filter((f) => f.severity === 'warning').length },
    checks: health.status === 'fulfilled' ? health.value.counts.checks : 0,
    error: health.status === 'rejected' ? messageOf(health.reason) : null,
  };
  if (status.status === 'rejected') {
    return redactSecrets({ at, cluster: config.name, status: 'unreachable', nodes: [], alerts: [], health: healthPart, error: messageOf(status.reason) });
  }
  const report = status.value;
  const pools = new Map(report.components.pools.nodes.map((p) => [p.node, p]));
  const nodes = report.components.database.map((n): NodeNow => {
    const pool = pools.get(n.name);
    return {
      name: n.name,
      address: redactUrl(n.address),
      role: n.role,
      state: n.status,
      lagBytes: n.lag_bytes,
      lagSeconds: n.lag_seconds,
      connections: pool?.active ?? null,
      maxConnections: pool?.max ?? null,
      utilization: pool?.utilization ?? null,
      latencyMs: n.latency_ms,
      version: n.version,
      error: n.error === null ? null : redactUrl(n.error),
    };
  });
  // Security: whatever a library put in a message, no password leaves the server.
  return redactSecrets({ at, cluster: report.cluster.name, status: report.status, nodes, alerts: report.alerts.map(redactUrl), health: healthPart, error: null });
}

function messageOf(error: unknown): string {
  return redactUrl(error instanceof Error ? error.message : String(error));
}

import { createTopologyProvider, PgClusterError, type ClusterConfig, type NodeConfig, type Topology } from '@pgcluster/core';
import { assessClusterStatus } from './assess-cluster-status';
import { CLUSTER_STATUS_DEFAULTS, type ClusterStatusReport } from './cluster-status-schema';
import { collectNodeFacts } from './collect-node-facts';
import { collectPgbouncerStatus, patroniStatusOf, withHaStatus } from './collect-ha-status';
import type { NodeFacts } from './node-facts';

/**
 * Options of {@link checkClusterStatus}; every field has a default (see `CLUSTER_STATUS_DEFAULTS`).
 * @example
 * ```ts
 * const options: CheckClusterStatusOptions = { sampleMs: 500, lagSecondsThreshold: 5, signal: AbortSignal.timeout(10_000) }
 * ```
 */
export interface CheckClusterStatusOptions {
  /** Performance sampling window on the primary, ms (default 300; 0: averages since reset). */
  sampleMs?: number;
  /** Connect timeout per node, ms (default 2,000): an unreachable node cannot stall the report. */
  connectTimeoutMs?: number;
  /** A replica further behind than this many bytes is lagging (default 64 MiB). */
  lagBytesThreshold?: number;
  /** A replica further behind than this many seconds is lagging (default 30). */
  lagSecondsThreshold?: number;
  /** Average statement time above this is slow, ms (default 100). */
  slowQueryMs?: number;
  /** Server connections above this percent of max_connections are too many (default 80). */
  poolUtilizationPct?: number;
  /** Database to connect to and inspect for HNSW indexes (default: `databases.project`, else the URL's). */
  database?: string;
  /** Cancels the check; it then rejects with an `ABORTED` PgClusterError. */
  signal?: AbortSignal;
}

/**
 * Checks every node of the cluster at once, each over one short-lived connection, and reports
 * the overall status (healthy | degraded | critical), per-node state (role, latency, version,
 * replication lag in bytes and seconds), server connections against max_connections, pgvector
 * and HNSW index health, statement rate and time sampled over `sampleMs`, alerts naming the
 * node concerned, and recommendations naming the skill that helps. With `pgbouncer.adminUrl` /
 * `patroni.url` configured it adds PgBouncer's pools (SHOW POOLS) and Patroni's members, leader
 * and timeline (GET /cluster, from any configured or known member's API). With Patroni and no
 * static `nodes`, the nodes checked are Patroni's members (credentials from `patroni.memberUrl`).
 *
 * It takes about `max(slowest node, connectTimeoutMs for a dead one) + sampleMs`. A node that
 * is down is part of the report, not an error; only when no node answers at all does it throw.
 *
 * @throws PgClusterError `UNREACHABLE` when no node answers (or, Patroni-only, no Patroni API),
 *   `INVALID_CONFIG` for Patroni without member credentials, `ABORTED` when `signal` fires.
 *
 * @example
 * ```ts
 * import { loadConfig } from '@pgcluster/core'
 * import { checkClusterStatus } from '@pgcluster/operations'
 *
 * const report = await checkClusterStatus(loadConfig().config, { sampleMs: 500 })
 * if (report.status !== 'healthy') console.error(report.alerts.join('\n'))
 * ```
 */
export async function checkClusterStatus(config: ClusterConfig, options: CheckClusterStatusOptions = {}): Promise<ClusterStatusReport> {
  const signal = options.signal;
  if (signal?.aborted) throw new PgClusterError('ABORTED', 'status check was cancelled before it started');
  const collect = {
    database: options.database ?? config.databases['project'],
    connectTimeoutMs: options.connectTimeoutMs ?? CLUSTER_STATUS_DEFAULTS.connectTimeoutMs,
    sampleMs: options.sampleMs ?? CLUSTER_STATUS_DEFAULTS.sampleMs,
    signal,
  };
  const pgbouncer = config.pgbouncer ? collectPgbouncerStatus(config.pgbouncer.adminUrl, collect.connectTimeoutMs) : undefined;
  // One Patroni resolution gives both its part of the report and, without static nodes, the nodes.
  const haTopology = config.patroni ? createTopologyProvider(config).resolve(signal) : undefined;
  const nodes = config.nodes?.length ? config.nodes : await nodesFromPatroni(config.name, (await haTopology)!);
  const facts = await Promise.all(nodes.map((node) => (node.url ? collectNodeFacts(node, collect) : patroniOnlyFacts(node.name))));
  if (signal?.aborted) throw new PgClusterError('ABORTED', 'status check was cancelled');
  if (facts.every((f) => !f.up)) {
    throw new PgClusterError(
      'UNREACHABLE',
      `no node of cluster ${config.name} answered: ${facts.map((f) => `${f.name} (${f.address.split('/')[0]}): ${f.error}`).join('; ')}`,
      { hint: 'Check that the servers run and that this host can reach them (`pgcluster dev up` starts a local cluster).' },
    );
  }
  const report = assessClusterStatus({ name: config.name, nodes: facts }, {
    lagBytesThreshold: options.lagBytesThreshold ?? CLUSTER_STATUS_DEFAULTS.lagBytesThreshold,
    lagSecondsThreshold: options.lagSecondsThreshold ?? CLUSTER_STATUS_DEFAULTS.lagSecondsThreshold,
    slowQueryMs: options.slowQueryMs ?? CLUSTER_STATUS_DEFAULTS.slowQueryMs,
    poolUtilizationPct: options.poolUtilizationPct ?? CLUSTER_STATUS_DEFAULTS.poolUtilizationPct,
  });
  const [bouncer, patroni] = [await pgbouncer, haTopology ? patroniStatusOf(await haTopology) : undefined];
  return bouncer || patroni ? withHaStatus(report, bouncer, patroni) : report;
}

/** Patroni's members as nodes; a member Patroni gives no address for gets an empty URL (reported down). */
function nodesFromPatroni(cluster: string, topology: Topology): NodeConfig[] {
  if (topology.members.length === 0) {
    throw new PgClusterError('UNREACHABLE', `cluster ${cluster} has no static "nodes" and Patroni gave no members: ${topology.problems.join('; ')}`, {
      hint: 'Check that Patroni runs, or list more members\' REST APIs in "patroni": { "url": [ … ] }.',
    });
  }
  return topology.members.map((m) => ({ name: m.name, url: m.url }));
}

function patroniOnlyFacts(name: string): NodeFacts {
  return { name, address: '(no address from Patroni)', up: false, error: 'Patroni reports no host and port for it' };
}

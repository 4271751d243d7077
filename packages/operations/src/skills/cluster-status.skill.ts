import { nodeAddress } from '@pgcluster/core';
import { Skill, type PlanStep, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { checkClusterStatus } from '../status/check-cluster-status';
import { ClusterStatusInput, ClusterStatusReport } from '../status/cluster-status-schema';
import {
  EXTENSIONS_SQL,
  HNSW_INDEXES_SQL,
  NODE_SQL,
  PING_SQL,
  REPLICA_SQL,
  SENDERS_SQL,
  UNINDEXED_VECTORS_SQL,
  performanceSampleSql,
} from '../status/status-queries';

/**
 * `cluster-status`, the reference skill: every node's role, latency, version and replication
 * lag, server connections, pgvector/HNSW health and statement performance, judged healthy |
 * degraded | critical, with alerts and recommendations. Read-only; the agent may run it unattended.
 *
 * @example
 * ```ts
 * import { executeSkill, exitCodeFor } from '@pgcluster/skill-kit'
 * import { ClusterStatusSkill } from '@pgcluster/operations'
 *
 * const envelope = await executeSkill(ClusterStatusSkill, { sampleMs: 500 }, { actor: 'cli' })
 * process.exitCode = exitCodeFor(envelope) // 0 healthy, 1 degraded/critical, 2 unreachable
 * ```
 */
export class ClusterStatusSkill {
  @Skill({
    name: 'cluster-status',
    category: 'operations',
    description:
      'Checks every node of the PostgreSQL + pgvector cluster: up or down, role, replication lag, connections, HNSW validity, query speed. ' +
      'Use when asked how the database is doing or before risky changes.',
    details:
      'Checks the health of every node of the PostgreSQL + pgvector cluster at once and reports healthy, degraded or ' +
      'critical: each node up or down with its role, latency, server version and replication lag (bytes and seconds); server ' +
      'connections against max_connections; whether pgvector is loaded and which HNSW indexes are invalid; statement rate and ' +
      'average time sampled from pg_stat_statements; plus alerts naming the node concerned and recommended next skills. ' +
      'Read-only and quick (under a second on a healthy cluster).',
    version: '1.0.0',
    risk: 'read',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: true,
    whenToUse: [
      'the user asks "how is the database?" or whether the cluster is healthy',
      'before major operations: backup, scale, failover, migration',
      'after errors or failures, to see which node is affected',
      'periodic health checks (every 5 minutes)',
    ],
    interpret:
      'status is healthy (exit 0), degraded (exit 1: a replica down, not streaming or lagging beyond the thresholds, server ' +
      'connections above 80% of max_connections on a node, an invalid HNSW index, or statements slower than slowQueryMs over ' +
      'the sampling window) or critical (exit 1: the primary is down, no primary was found, or more than one node is primary — ' +
      'split brain). Exit 2 means no node answered or the check failed. components.database lists every node; ' +
      'components.pools shows the primary\'s active/max/utilization (percent) and every node\'s; components.hnsw shows the ' +
      'pgvector version, index_count and invalid_indexes; components.performance shows avg_query_ms and qps, and its source ' +
      'says whether they were measured over the window (window), are averages since the last statistics reset (since_reset), ' +
      'or come from pg_stat_database because pg_stat_statements is missing. Each alert names the node or index; each ' +
      'recommendation names the skill to run next.',
    decisionTree: [
      { when: 'status is critical because the primary is down or no primary was found', skill: 'cluster-failover', input: { action: 'failover', to: '<replica>' }, why: 'the replica the recommendation names is the most advanced one' },
      { when: 'PgBouncer pools are saturated (components.pgbouncer)', skill: 'cluster-scale', input: { target: 'pgbouncer', direction: 'up' }, why: 'without PgBouncer there is no pool to scale: server connections near max_connections call for fewer clients, shorter transactions or a higher max_connections' },
      { when: 'an HNSW index is invalid (components.hnsw.invalid_indexes)', skill: 'vector-index', input: { action: 'rebuild', index: '<schema.index>', database: '<database>' } },
      { when: 'performance degraded: avg_query_ms above the slow-query threshold', skill: 'maintenance-optimize', input: {} },
      { when: 'status is degraded for another reason (a replica down or lagging): investigate the alerts', skill: 'monitoring-health', input: {} },
    ],
    examples: [
      { title: 'Check the cluster and read the result as JSON', skill: 'cluster-status', input: {}, options: { format: 'json' } },
      { title: 'Human-readable summary', skill: 'cluster-status', input: {}, options: { format: 'human' } },
      { title: 'Sample performance for a full second', skill: 'cluster-status', input: { sampleMs: 1000 }, options: { format: 'json' } },
      { title: 'Stricter replication lag thresholds', skill: 'cluster-status', input: { lagBytesThreshold: 16777216, lagSecondsThreshold: 5 } },
      { title: 'Metrics for Prometheus', skill: 'cluster-status', input: {}, options: { format: 'prometheus' } },
      { title: 'Show the read-only queries it would run', skill: 'cluster-status', input: {}, options: { dryRun: true } },
    ],
    metrics: [
      { name: 'pgcluster_cluster_state', help: 'Verdict of the check: 1 for the current state, 0 for the others.', value: 'status', states: ['healthy', 'degraded', 'critical'] },
      { name: 'pgcluster_cluster_nodes', help: 'Nodes configured in the cluster.', value: 'cluster.nodes' },
      { name: 'pgcluster_cluster_nodes_up', help: 'Nodes that answered a query.', value: 'cluster.up' },
      { name: 'pgcluster_node_up', help: 'Whether the node answered a query (1) or not (0).', value: 'components.database[].status', equals: 'up', labels: { node: 'components.database[].name' } },
      { name: 'pgcluster_node_role', help: 'Role of the node: 1 for its current role, 0 for the others (unknown when down).', value: 'components.database[].role', states: ['primary', 'replica', 'unknown'], labels: { node: 'components.database[].name' } },
      { name: 'pgcluster_node_latency_seconds', help: 'Round trip of a trivial query.', value: 'components.database[].latency_ms', scale: 0.001, labels: { node: 'components.database[].name' } },
      { name: 'pgcluster_node_connect_seconds', help: 'Time to open a connection to the node.', value: 'components.database[].connect_ms', scale: 0.001, labels: { node: 'components.database[].name' } },
      { name: 'pgcluster_node_server_version_number', help: 'server_version_num of the node, e.g. 150014.', value: 'components.database[].version_num', labels: { node: 'components.database[].name' } },
      { name: 'pgcluster_node_replication_lag_bytes', help: 'Replica: WAL bytes not yet replayed.', value: 'components.database[].lag_bytes', labels: { node: 'components.database[].name' } },
      { name: 'pgcluster_node_replication_lag_seconds', help: 'Replica: how far its replay is behind, 0 when caught up.', value: 'components.database[].lag_seconds', labels: { node: 'components.database[].name' } },
      { name: 'pgcluster_node_replication_streaming', help: "Replica: whether its WAL receiver is streaming (1) or not (0).", value: 'components.database[].replication.streaming', labels: { node: 'components.database[].name' } },
      { name: 'pgcluster_node_replication_write_lag_seconds', help: 'Replica: pg_stat_replication.write_lag on the primary.', value: 'components.database[].replication.write_lag_s', labels: { node: 'components.database[].name' } },
      { name: 'pgcluster_node_replication_flush_lag_seconds', help: 'Replica: pg_stat_replication.flush_lag on the primary.', value: 'components.database[].replication.flush_lag_s', labels: { node: 'components.database[].name' } },
      { name: 'pgcluster_node_replication_replay_lag_seconds', help: 'Replica: pg_stat_replication.replay_lag on the primary.', value: 'components.database[].replication.replay_lag_s', labels: { node: 'components.database[].name' } },
      { name: 'pgcluster_node_connections', help: 'Client connections open on the node.', value: 'components.pools.nodes[].active', labels: { node: 'components.pools.nodes[].node' } },
      { name: 'pgcluster_node_max_connections', help: 'max_connections of the node.', value: 'components.pools.nodes[].max', labels: { node: 'components.pools.nodes[].node' } },
      { name: 'pgcluster_node_connections_utilization_ratio', help: 'Client connections as a share of max_connections (0 to 1).', value: 'components.pools.nodes[].utilization', scale: 0.01, labels: { node: 'components.pools.nodes[].node' } },
      { name: 'pgcluster_node_connections_executing', help: 'Client connections running a statement right now.', value: 'components.pools.nodes[].executing', labels: { node: 'components.pools.nodes[].node' } },
      { name: 'pgcluster_node_connections_idle_in_transaction', help: 'Client connections idle inside an open transaction.', value: 'components.pools.nodes[].idle_in_transaction', labels: { node: 'components.pools.nodes[].node' } },
      { name: 'pgcluster_vector_extension_loaded', help: 'Whether the vector extension is installed in the inspected database (1) or not (0).', value: 'components.hnsw.loaded' },
      { name: 'pgcluster_hnsw_indexes', help: 'HNSW indexes in the inspected database.', value: 'components.hnsw.index_count' },
      { name: 'pgcluster_statement_mean_duration_seconds', help: 'Mean statement execution time on the primary (pg_stat_statements).', value: 'components.performance.avg_query_ms', scale: 0.001 },
      { name: 'pgcluster_statements_per_second', help: 'Statements per second on the primary over the sampling window.', value: 'components.performance.qps' },
      { name: 'pgcluster_transactions_per_second', help: 'Transactions per second on the primary over the sampling window.', value: 'components.performance.tps' },
      { name: 'pgcluster_performance_window_seconds', help: 'Length of the sampling window measured.', value: 'components.performance.sample_ms', scale: 0.001 },
      { name: 'pgcluster_pgbouncer_reachable', help: "Whether PgBouncer's admin console answered (1) or not (0).", value: 'components.pgbouncer.reachable' },
      { name: 'pgcluster_pgbouncer_clients_waiting', help: 'Clients waiting for a server connection, over every pool.', value: 'components.pgbouncer.clients_waiting' },
      { name: 'pgcluster_pgbouncer_pool_clients_active', help: 'Clients linked to a server connection.', value: 'components.pgbouncer.pools[].cl_active', labels: { database: 'components.pgbouncer.pools[].database', user: 'components.pgbouncer.pools[].user' } },
      { name: 'pgcluster_pgbouncer_pool_clients_waiting', help: 'Clients waiting for a server connection.', value: 'components.pgbouncer.pools[].cl_waiting', labels: { database: 'components.pgbouncer.pools[].database', user: 'components.pgbouncer.pools[].user' } },
      { name: 'pgcluster_pgbouncer_pool_servers_active', help: 'Server connections in use.', value: 'components.pgbouncer.pools[].sv_active', labels: { database: 'components.pgbouncer.pools[].database', user: 'components.pgbouncer.pools[].user' } },
      { name: 'pgcluster_pgbouncer_pool_servers_idle', help: 'Server connections idle and ready.', value: 'components.pgbouncer.pools[].sv_idle', labels: { database: 'components.pgbouncer.pools[].database', user: 'components.pgbouncer.pools[].user' } },
      { name: 'pgcluster_pgbouncer_pool_max_wait_seconds', help: 'How long the oldest waiting client has waited.', value: 'components.pgbouncer.pools[].maxwait_s', labels: { database: 'components.pgbouncer.pools[].database', user: 'components.pgbouncer.pools[].user' } },
      { name: 'pgcluster_patroni_reachable', help: "Whether Patroni's REST API answered (1) or not (0).", value: 'components.patroni.reachable' },
      { name: 'pgcluster_patroni_paused', help: 'Whether Patroni is in maintenance mode and will not fail over (1) or not (0).', value: 'components.patroni.paused' },
      { name: 'pgcluster_patroni_timeline', help: "The leader's timeline.", value: 'components.patroni.timeline' },
      { name: 'pgcluster_patroni_member_lag_bytes', help: 'Bytes a member is behind the leader.', value: 'components.patroni.members[].lag_bytes', labels: { member: 'components.patroni.members[].name' } },
    ],
    input: ClusterStatusInput,
    output: ClusterStatusReport,
  })
  static async run(ctx: SkillContext, input: ClusterStatusInput): Promise<SkillResult<ClusterStatusReport>> {
    const report = await checkClusterStatus(ctx.loaded.config, {
      sampleMs: input.sampleMs,
      connectTimeoutMs: input.connectTimeoutMs,
      lagBytesThreshold: input.lagBytesThreshold,
      lagSecondsThreshold: input.lagSecondsThreshold,
      slowQueryMs: input.slowQueryMs,
      poolUtilizationPct: input.poolUtilizationPct,
      database: input.database,
      signal: ctx.signal,
    });
    ctx.log.debug(`cluster-status: ${report.status}, ${report.cluster.up}/${report.cluster.nodes} nodes up`);
    return { data: report, status: report.status, alerts: report.alerts, recommendations: report.recommendations };
  }

  /** The read-only statements a run sends to each node (role-specific ones are marked). */
  static plan(ctx: SkillContext, input: ClusterStatusInput): PlanStep[] {
    const nodes = ctx.loaded.config.nodes ?? [];
    const database = input.database ?? ctx.loaded.config.databases['project'];
    const steps: PlanStep[] = [];
    const { pgbouncer, patroni } = ctx.loaded.config;
    // Patroni-only: the nodes are the members GET /cluster lists, known only when it runs.
    const targets = nodes.length
      ? nodes.map((node) => `${node.name} (${nodeAddress(node.url).split('/')[0]}${database ? `/${database}` : ''})`)
      : patroni
        ? [`each member Patroni lists${database ? ` (/${database})` : ''}`]
        : [];
    if (patroni) steps.push({ kind: 'http', target: `Patroni ${new URL(patroni.url).host}`, text: 'GET /cluster' });
    for (const target of targets) {
      const sql = (text: string) => steps.push({ kind: 'sql', target, text });
      sql(PING_SQL);
      sql(NODE_SQL);
      sql(EXTENSIONS_SQL);
      sql(`-- on a replica only\n${REPLICA_SQL}`);
      sql(`-- on the primary only\n${SENDERS_SQL}`);
      sql(`-- on the primary only, twice, ${input.sampleMs} ms apart\n${performanceSampleSql('public')}`);
      sql(`-- when the vector extension is installed\n${HNSW_INDEXES_SQL}`);
      sql(`-- when the vector extension is installed\n${UNINDEXED_VECTORS_SQL}`);
    }
    if (pgbouncer) steps.push({ kind: 'sql', target: `PgBouncer admin console (${nodeAddress(pgbouncer.adminUrl)})`, text: 'SHOW CONFIG; SHOW POOLS' });
    return steps;
  }
}

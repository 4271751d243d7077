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
      'Checks the health of every node of the PostgreSQL + pgvector cluster at once and reports healthy, degraded or critical: ' +
      'each node up or down with its role, latency, server version and replication lag (bytes and seconds); server connections ' +
      'against max_connections; whether pgvector is loaded and which HNSW indexes are invalid; statement rate and average time ' +
      'sampled from pg_stat_statements; plus alerts naming the node concerned and recommended next skills. Read-only and quick ' +
      '(under a second on a healthy cluster). Use when the user asks how the database is doing, before a backup, scale, ' +
      'failover or migration, after an error or a failure, and for periodic health checks.',
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
      { when: 'performance degraded: avg_query_ms above the slow-query threshold', skill: 'maintenance-optimize', input: {}, planned: true },
      { when: 'status is degraded for another reason (a replica down or lagging): investigate the alerts', skill: 'monitoring-health', input: {}, planned: true },
    ],
    examples: [
      { title: 'Check the cluster and read the result as JSON', skill: 'cluster-status', input: {}, options: { format: 'json' } },
      { title: 'Human-readable summary', skill: 'cluster-status', input: {}, options: { format: 'human' } },
      { title: 'Sample performance for a full second', skill: 'cluster-status', input: { sampleMs: 1000 }, options: { format: 'json' } },
      { title: 'Stricter replication lag thresholds', skill: 'cluster-status', input: { lagBytesThreshold: 16777216, lagSecondsThreshold: 5 } },
      { title: 'Metrics for Prometheus', skill: 'cluster-status', input: {}, options: { format: 'prometheus' } },
      { title: 'Show the read-only queries it would run', skill: 'cluster-status', input: {}, options: { dryRun: true } },
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
    for (const node of nodes) {
      const target = `${node.name} (${nodeAddress(node.url).split('/')[0]}${database ? `/${database}` : ''})`;
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
    const { pgbouncer, patroni } = ctx.loaded.config;
    if (pgbouncer) steps.push({ kind: 'sql', target: `PgBouncer admin console (${nodeAddress(pgbouncer.adminUrl)})`, text: 'SHOW CONFIG; SHOW POOLS' });
    if (patroni) steps.push({ kind: 'http', target: `Patroni ${new URL(patroni.url).host}`, text: 'GET /cluster' });
    return steps;
  }
}

import { nodeAddress } from '@pgcluster/core';
import { Skill, type PlanStep, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { READ_ONLY_SESSION_SQL } from '../connection/read-only-session';
import { PERFORMANCE_SQL } from '../performance/collect-node-performance';
import { checkPerformance } from '../performance/check-performance';
import { PerformanceInput, PerformanceReport } from '../performance/performance-schema';

/**
 * `monitoring-performance`: top statements (normalised), wait events, cache, WAL and checkpoint
 * rates on every node, with snapshots to compare against. Read-only on the cluster; writes
 * only its snapshot file in the state dir.
 *
 * @example
 * ```ts
 * const envelope = await executeSkill(MonitoringPerformanceSkill, { top: 5 }, { actor: 'cli' })
 * envelope.data?.optimize // statements worth maintenance-optimize
 * ```
 */
export class MonitoringPerformanceSkill {
  @Skill({
    name: 'monitoring-performance',
    category: 'monitoring',
    description:
      'Shows top SQL statements, wait events, cache hit, WAL and checkpoint rates on every node, and what changed since a snapshot. ' +
      'Use when the database is slow.',
    version: '1.0.0',
    risk: 'read',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: false,
    whenToUse: [
      'the user says the database or the application is slow',
      'monitoring-health reports cache_hit_ratio, temp_files or requested_checkpoints',
      'before and after a change, to compare (run once, change, run with --compare <snapshot>)',
    ],
    interpret:
      'statements[] are the union of the top statements by every ordering (rankings.totalTime, meanTime, calls, rows, blocksRead, ' +
      'tempBlocks list their keys, best first), with times in ms since pg_stat_statements was reset and normalised text (every ' +
      'literal replaced: never a value). optimize[] lists statements worth an index or a rewrite, each with a reference to ' +
      'maintenance-optimize. nodes[].activity shows the sampled active sessions and their wait events (CPU/running when not ' +
      'waiting); nodes[].rates the transactions and WAL bytes per second over the window; nodes[].checkpoints a high ' +
      'requestedShare means max_wal_size is too small. data.snapshot names the snapshot this run kept; --compare <name> adds ' +
      'comparison (deltas since then; reset true when statistics were reset in between). Exit 0; 2 when no node answered.',
    decisionTree: [
      { when: 'optimize[] is not empty', skill: 'maintenance-optimize', input: { queryId: '<query_id>' }, why: 'the queryId and database are in optimize[].recommendation.input' },
      { when: 'the top waits are Lock or LWLock', skill: 'monitoring-health', input: { category: ['locks'] } },
      { when: 'cache hitRatio below 90%', skill: 'monitoring-health', input: { checks: ['cache_hit_ratio'] } },
    ],
    examples: [
      { title: 'Top 10 statements and waits, as JSON', skill: 'monitoring-performance', input: {}, options: { format: 'json' } },
      { title: 'Sample sessions for 5 s', skill: 'monitoring-performance', input: { sampleMs: 5000 } },
      { title: 'What changed since an earlier run', skill: 'monitoring-performance', input: { compare: '2026-11-30T08-50-00-123Z' } },
    ],
    metrics: [
      { name: 'pgcluster_node_up', help: 'Whether the node answered (1) or not (0).', value: 'nodes[].up', labels: { node: 'nodes[].name' } },
      { name: 'pgcluster_node_active_sessions', help: 'Active client sessions on the node, averaged over the sampling window.', value: 'nodes[].activity.activeAvg', labels: { node: 'nodes[].name' } },
      { name: 'pgcluster_node_cache_hit_ratio', help: 'Share of block reads served from shared buffers since the statistics reset.', value: 'nodes[].cache.hitRatio', scale: 0.01, labels: { node: 'nodes[].name' } },
      { name: 'pgcluster_node_transactions_per_second', help: 'Commits and rollbacks per second over the sampling window.', value: 'nodes[].rates.transactionsPerSecond', labels: { node: 'nodes[].name' } },
      { name: 'pgcluster_node_wal_bytes_per_second', help: 'WAL written per second over the sampling window.', value: 'nodes[].rates.walBytesPerSecond', labels: { node: 'nodes[].name' } },
      { name: 'pgcluster_node_checkpoints_requested_total', help: 'Requested checkpoints since the statistics reset.', type: 'counter', value: 'nodes[].checkpoints.requested', labels: { node: 'nodes[].name' } },
      { name: 'pgcluster_node_checkpoints_timed_total', help: 'Timed checkpoints since the statistics reset.', type: 'counter', value: 'nodes[].checkpoints.timed', labels: { node: 'nodes[].name' } },
      { name: 'pgcluster_statement_calls_total', help: 'Executions of a top statement (pg_stat_statements).', type: 'counter', value: 'statements[].calls', labels: { node: 'statements[].node', query_id: 'statements[].queryId', database: 'statements[].database' } },
      { name: 'pgcluster_statement_execution_seconds_total', help: 'Total execution time of a top statement (pg_stat_statements).', type: 'counter', value: 'statements[].totalSeconds', labels: { node: 'statements[].node', query_id: 'statements[].queryId', database: 'statements[].database' } },
    ],
    input: PerformanceInput,
    output: PerformanceReport,
  })
  static async run(ctx: SkillContext, input: PerformanceInput): Promise<SkillResult<PerformanceReport>> {
    const report = await checkPerformance(ctx.loaded.config, {
      top: input.top,
      sampleMs: input.sampleMs,
      slowMs: input.slowMs,
      compare: input.compare,
      stateDir: input.snapshot || input.compare ? ctx.loaded.stateDir : undefined,
      database: input.database,
      connectTimeoutMs: input.connectTimeoutMs,
      signal: ctx.signal,
    });
    const down = report.nodes.filter((n) => !n.up);
    return {
      data: report,
      status: 'ok',
      alerts: down.map((n) => `node ${n.name} did not answer: ${n.error}`),
      recommendations: report.optimize.map((o) => ({ ...o.recommendation, why: `${o.key}: ${o.why}` })),
    };
  }

  /** The read-only statements a run sends to each node. */
  static plan(ctx: SkillContext, input: PerformanceInput): PlanStep[] {
    return (ctx.loaded.config.nodes ?? []).flatMap((node) => {
      const target = `${node.name} (${nodeAddress(node.url).split('/')[0]})`;
      const sql = (text: string): PlanStep => ({ kind: 'sql', target, text: text.trim() });
      return [
        sql(READ_ONLY_SESSION_SQL),
        sql(PERFORMANCE_SQL.facts),
        sql(`-- before and after the ${input.sampleMs} ms window\n${PERFORMANCE_SQL.counters}`),
        sql(`-- up to 10 times over the window\n${PERFORMANCE_SQL.activity}`),
        sql(PERFORMANCE_SQL.cache),
        sql(`-- on the primary\n${PERFORMANCE_SQL.checkpoints}`),
        sql(PERFORMANCE_SQL.statements('<pg_stat_statements schema>')),
      ];
    });
  }
}

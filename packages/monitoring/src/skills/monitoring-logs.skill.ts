import { nodeAddress } from '@pgcluster/core';
import { Skill, type PlanStep, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { analyseLogs } from '../logs/analyse-logs';
import { LogsInput, LogsReport } from '../logs/logs-schema';
import { LOG_SQL } from '../logs/read-node-log';

/** Categories that make a run degraded: the server was hurt, not just a client. */
const SERIOUS = new Set(['out_of_memory', 'crashes', 'checksum_failures', 'wraparound_warnings', 'archive_failures']);

/**
 * `monitoring-logs`: classifies the server logs of every node (jsonlog, or stderr as a fallback)
 * into categories with counts per period and the top distinct errors, values taken out.
 *
 * @example
 * ```ts
 * const envelope = await executeSkill(MonitoringLogsSkill, { since: '6h' }, { actor: 'cli' })
 * envelope.data?.categories
 * ```
 */
export class MonitoringLogsSkill {
  @Skill({
    name: 'monitoring-logs',
    category: 'monitoring',
    description:
      'Classifies the server logs of every node: failed logins, deadlocks, timeouts, crashes, OOM, slow statements; counts and top errors. ' +
      'Use after errors or incidents.',
    version: '1.0.0',
    risk: 'read',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: true,
    whenToUse: [
      'an application reports errors, timeouts or failed logins',
      'after a crash, a restart or a failover, to see what happened',
      'monitoring-health reports deadlocks or a recent restart',
    ],
    interpret:
      'categories[] (most frequent first) counts entries per category in the window (since), byNode per node, with the ' +
      'monitoring-health check that watches the same thing and a reference to the skill to run next. periods[] gives counts per ' +
      'period. topErrors[] are the most frequent distinct WARNING/ERROR/FATAL/PANIC messages with first/last seen; ' +
      'slowStatements[] the statements logged by log_min_duration_statement. Messages and statements are normalised (values ' +
      'replaced by ?): never a password, a bound value or a row. nodes[] says how each log was read (jsonlog or stderr, through ' +
      'pg_read_file or a local file) or why it could not be. Status degraded (exit 1) when crashes, OOM, checksum failures, ' +
      'wraparound warnings or archive failures were logged; ok (exit 0) otherwise.',
    decisionTree: [
      { when: 'authentication_failures is high', skill: 'security-audit', input: {} },
      { when: 'deadlocks or lock_timeouts', skill: 'monitoring-health', input: { category: ['locks'] } },
      { when: 'statement_timeouts or slow_statements', skill: 'monitoring-performance', input: {} },
      { when: 'crashes or restarts', skill: 'cluster-status', input: {} },
    ],
    examples: [
      { title: 'The last 24 hours, by hour', skill: 'monitoring-logs', input: {}, options: { format: 'json' } },
      { title: 'The last 30 minutes, per 5 minutes', skill: 'monitoring-logs', input: { since: '30m', period: '5m' } },
      { title: 'Only deadlocks and lock timeouts', skill: 'monitoring-logs', input: { category: ['deadlocks', 'lock_timeouts'] } },
    ],
    metrics: [
      { name: 'pgcluster_log_entries', help: 'Server log entries of each category in the window.', value: 'categories[].entries', labels: { category: 'categories[].category' } },
    ],
    input: LogsInput,
    output: LogsReport,
  })
  static async run(ctx: SkillContext, input: LogsInput): Promise<SkillResult<LogsReport>> {
    const report = await analyseLogs(ctx.loaded.config, input);
    const serious = report.categories.filter((c) => SERIOUS.has(c.category));
    return {
      data: report,
      status: serious.length > 0 ? 'degraded' : 'ok',
      alerts: [
        ...serious.map((c) => `${c.entries} ${c.category.replace(/_/g, ' ')} entries since ${report.since}`),
        ...report.nodes.filter((n) => n.skipped).map((n) => `${n.name}: ${n.skipped}`),
      ],
      recommendations: report.categories.map((c) => ({ ...c.recommendation, why: `${c.entries} ${c.category.replace(/_/g, ' ')}${c.recommendation.why ? `: ${c.recommendation.why}` : ''}` })),
    };
  }

  /** What a run reads on each node. */
  static plan(ctx: SkillContext): PlanStep[] {
    return (ctx.loaded.config.nodes ?? []).flatMap((node) => {
      const target = `${node.name} (${nodeAddress(node.url).split('/')[0]})`;
      return [
        { kind: 'sql' as const, target, text: LOG_SQL.files },
        { kind: 'sql' as const, target, text: `${LOG_SQL.size}; ${LOG_SQL.read}  -- the tail of the current log` },
        { kind: 'file' as const, target, text: "or, when the server cannot be asked: the collector's current file in the configured dataDir's log folder, else server.log beside it (local nodes)" },
      ];
    });
  }
}

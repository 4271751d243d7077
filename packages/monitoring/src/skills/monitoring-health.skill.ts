import { nodeAddress } from '@pgcluster/core';
import { Skill, type PlanStep, type Recommendation, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { CHECK_CATALOGUE } from '../health/check-catalogue';
import { checkHealth, selectChecks } from '../health/check-health';
import { READ_ONLY_SESSION_SQL } from '../connection/read-only-session';
import { NODE_FACTS_SQL } from '../health/collect-node-health';
import type { Finding } from '../health/finding';
import { HealthInput, HealthReport } from '../health/health-schema';

/** Alerts listed in the envelope; every finding stays in data.findings. */
const MAX_ALERTS = 20;

/**
 * `monitoring-health`: the check catalogue on every node (availability, connections, locks,
 * wraparound, vacuum, bloat, indexes, cache, replication, capacity, pgvector) as findings, each
 * with the skill that fixes it. Read-only; the agent may run it unattended.
 *
 * @example
 * ```ts
 * import { executeSkill, exitCodeFor } from '@pgcluster/skill-kit'
 * import { MonitoringHealthSkill } from '@pgcluster/monitoring'
 *
 * const envelope = await executeSkill(MonitoringHealthSkill, { category: ['locks'] }, { actor: 'cli' })
 * process.exitCode = exitCodeFor(envelope) // 0 healthy, 1 findings, 2 unreachable
 * ```
 */
export class MonitoringHealthSkill {
  @Skill({
    name: 'monitoring-health',
    category: 'monitoring',
    description:
      'Runs 40 health checks on every node (locks, wraparound, vacuum, bloat, indexes, replication, capacity, pgvector). ' +
      'Use when the database is slow or unhealthy, or before maintenance.',
    version: '1.0.0',
    risk: 'read',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: true,
    whenToUse: [
      'the user asks why the database is slow, what is wrong with it, or whether it needs maintenance',
      'cluster-status is degraded and the cause is not obvious',
      'before vacuum, reindex, a failover or a large load, to see what is already wrong',
      'periodic checks by the agent (every 5 to 15 minutes)',
    ],
    interpret:
      'status is healthy (exit 0: no finding), degraded (exit 1: warnings) or critical (exit 1: at least one critical finding). ' +
      'Thresholds: the catalogue\'s defaults, under the config\'s monitoring.thresholds, under the run\'s thresholds input. ' +
      'data.findings[] = { check, category, severity, node, object, value, threshold, unit, message, recommendation }: object names ' +
      'the table, index, sequence, slot, database, setting or pid; value and threshold are in unit; recommendation is a typed ' +
      'reference { skill, input, why } to the skill that fixes it (run it with that input). data.checks[] lists every selected ' +
      'check with its status (ok, warning, critical, skipped with reason: e.g. pgvector not installed, no local data directory, no pgbouncer.adminUrl, ' +
      'a query that hit the 1 s statement timeout), the thresholds used and the nodes it ran on. Bloat findings say in the ' +
      'message whether the estimate is reliable (an unreliable one is never critical). Exit 2: no node answered or bad input.',
    decisionTree: [
      { when: 'lock_waits, idle_in_transaction or long_running_query findings', skill: 'maintenance-sessions', input: { pid: '<pid>' }, why: 'the pid and action are in the finding\'s recommendation.input' },
      { when: 'dead_tuples, autovacuum_overdue or xid_wraparound findings', skill: 'maintenance-vacuum', input: { table: '<table>' }, why: 'the table is the finding\'s object' },
      { when: 'stale_statistics findings', skill: 'maintenance-analyze', input: { table: '<table>' }, why: 'the table is the finding\'s object' },
      { when: 'invalid_indexes or index_bloat findings', skill: 'maintenance-reindex', input: { index: '<index>' }, why: 'the index is the finding\'s object' },
      { when: 'vector_index_invalid findings', skill: 'vector-index', input: { action: 'rebuild', index: '<schema.index>' }, why: 'the finding\'s recommendation.input has the values' },
      { when: 'vector_column_unindexed findings on a collection', skill: 'vector-index', input: { action: 'create', collection: '<collection>' }, why: 'the finding\'s recommendation.input has the values; on other tables its why gives the index to create by hand' },
      { when: 'ivfflat_lists_mismatch findings', skill: 'vector-index', input: { action: 'rebuild', index: '<schema.ivfflat_index>', lists: 100 }, why: 'the finding\'s recommendation.input has the values' },
      { when: 'node_down or no_primary findings', skill: 'cluster-failover', input: { action: 'failover' } },
      { when: 'pgbouncer_pool_saturated findings (PgBouncer clients wait; needs pgbouncer.adminUrl)', skill: 'cluster-scale', input: { target: 'pgbouncer', size: '<size>' }, why: 'the size is in the finding\'s recommendation.input, capped by the primary\'s max_connections' },
      { when: 'cache_hit_ratio, temp_files or requested_checkpoints findings', skill: 'monitoring-performance', input: {} },
    ],
    examples: [
      { title: 'Every check on every node, as JSON', skill: 'monitoring-health', input: {}, options: { format: 'json' } },
      { title: 'Only lock and connection checks', skill: 'monitoring-health', input: { category: ['locks', 'connections'] } },
      { title: 'Two checks by id', skill: 'monitoring-health', input: { checks: ['lock_waits', 'idle_in_transaction'] } },
      { title: 'Stricter idle-in-transaction thresholds', skill: 'monitoring-health', input: { thresholds: { idle_in_transaction: { warning: 60, critical: 300 } } } },
      { title: 'Show the statements it would run', skill: 'monitoring-health', input: {}, options: { dryRun: true } },
    ],
    metrics: [
      { name: 'pgcluster_health_status', help: 'Overall verdict of the run: 1 for the current status.', value: 'status', states: ['healthy', 'degraded', 'critical'] },
      { name: 'pgcluster_health_node_up', help: 'Whether the node answered (1) or not (0).', value: 'nodes[].up', labels: { node: 'nodes[].name' } },
      { name: 'pgcluster_health_check_state', help: 'Outcome of each check: 1 for its current status.', value: 'checks[].status', states: ['ok', 'warning', 'critical', 'skipped'], labels: { check: 'checks[].check', category: 'checks[].category' } },
      { name: 'pgcluster_health_check_findings', help: 'Findings each check reported in this run.', value: 'checks[].findings', labels: { check: 'checks[].check', category: 'checks[].category' } },
      { name: 'pgcluster_health_findings', help: 'Findings of the run, every check and node.', value: 'counts.findings' },
    ],
    input: HealthInput,
    output: HealthReport,
  })
  static async run(ctx: SkillContext, input: HealthInput): Promise<SkillResult<HealthReport>> {
    const report = await checkHealth(ctx.loaded.config, {
      checks: input.checks,
      category: input.category,
      thresholds: input.thresholds,
      database: input.database,
      connectTimeoutMs: input.connectTimeoutMs,
      signal: ctx.signal,
    });
    ctx.log.debug(`monitoring-health: ${report.status}, ${report.counts.findings} finding(s) from ${report.counts.checks} check(s)`);
    return {
      data: report,
      status: report.status,
      alerts: report.findings.slice(0, MAX_ALERTS).map((f) => `${f.severity}: ${f.check} on ${f.node}: ${f.message}`),
      recommendations: recommendations(report.findings),
    };
  }

  /** The read-only statements a run sends to each node (checks run one by one on one connection). */
  static plan(ctx: SkillContext, input: HealthInput): PlanStep[] {
    const selected = selectChecks(input);
    const steps: PlanStep[] = [];
    for (const node of ctx.loaded.config.nodes ?? []) {
      const target = `${node.name} (${nodeAddress(node.url).split('/')[0]})`;
      steps.push({ kind: 'sql', target, text: READ_ONLY_SESSION_SQL }, { kind: 'sql', target, text: NODE_FACTS_SQL.trim() });
      const scoped = selected.filter((id) => CHECK_CATALOGUE[id].scope !== 'cluster' && CHECK_CATALOGUE[id].scope !== 'pgbouncer');
      steps.push({ kind: 'note', target, text: `then one read-only statement per check that applies to the node's role: ${scoped.join(', ')}` });
    }
    const adminUrl = ctx.loaded.config.pgbouncer?.adminUrl;
    if (adminUrl && selected.some((id) => CHECK_CATALOGUE[id].scope === 'pgbouncer')) {
      steps.push({ kind: 'sql', target: `PgBouncer ${nodeAddress(adminUrl)}`, text: 'SHOW CONFIG; SHOW DATABASES; SHOW POOLS' });
    }
    return steps;
  }
}

/** One envelope recommendation per distinct skill + input, most severe first. */
function recommendations(findings: readonly Finding[]): Recommendation[] {
  const seen = new Set<string>();
  const out: Recommendation[] = [];
  for (const f of findings) {
    const key = JSON.stringify([f.recommendation.skill, f.recommendation.input]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...f.recommendation, why: `${f.check} (${f.object}): ${f.recommendation.why ?? f.message}` });
  }
  return out;
}

import { Skill, type PlanStep, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { resolveTarget } from '../connection/maintenance-target';
import { adviseIndexes } from '../optimize/advise-indexes';
import { OptimizeInput, OptimizeReport } from '../optimize/optimize-schema';

/**
 * `maintenance-optimize`: the read-only index advisor — hypothetical B-tree indexes (hypopg)
 * costed against the workload's generic plans, picked greedily under a time budget.
 *
 * @example
 * ```ts
 * import { executeSkill } from '@pgcluster/skill-kit'
 * import { MaintenanceOptimizeSkill } from '@pgcluster/maintenance'
 *
 * const envelope = await executeSkill(MaintenanceOptimizeSkill, { top: 20 }, { actor: 'cli' })
 * ```
 */
export class MaintenanceOptimizeSkill {
  @Skill({
    name: 'maintenance-optimize',
    category: 'maintenance',
    description: 'Recommends missing indexes for the slowest statements, costed with hypothetical indexes (hypopg); changes nothing. Use when statements are slow or scan whole tables.',
    details:
      'Read-only. Takes the top statements of pg_stat_statements by total time in the database (--top, default 20), one by ' +
      '--query-id, or given --query texts; plans each with its generic plan (PREPARE, then EXPLAIN EXECUTE under plan_cache_mode = ' +
      'force_generic_plan: never run); builds B-tree candidates from the columns the plans filter, join and sort on (one column, ' +
      'or an equality column followed by another); costs each as a hypothetical index with hypopg and picks greedily: the ' +
      'candidate that lowers the calls-weighted workload cost most, kept only when some statement\'s cost drops by at least ' +
      '--min-improvement (default 0.5, as Dexter), until nothing helps or --budget-seconds (default 30) is spent. Each ' +
      'recommendation gives the CREATE INDEX CONCURRENTLY statement, its estimated size, and the statements it makes cheaper or ' +
      'dearer with their costs before and after. Everything runs in one READ ONLY transaction and the hypothetical indexes end ' +
      'with it. Needs hypopg (and pg_stat_statements for the workload) in the database. It does not create, verify or revert ' +
      'indexes, drop unused ones or widen sequences yet.',
    version: '0.1.0',
    risk: 'read',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: true,
    whenToUse: [
      'monitoring-performance lists statements worth maintenance-optimize (slow, spilling, reading many blocks)',
      'a statement does a sequential scan of a large table',
      'before adding an index by hand, to see whether the planner would use it',
    ],
    interpret:
      'data.recommendations[] = { table, columns, statement, estimatedSizeBytes, improved[], slower[] } with each statement\'s ' +
      'planner cost before and after (costs are the planner\'s units, not milliseconds); data.workloadCostBefore/After sum ' +
      'calls × cost. An empty list means no index would help enough. data.skipped names statements that could not be planned. ' +
      'Exit 2 without hypopg or on bad input.',
    decisionTree: [
      { when: 'a recommended index was created and its CONCURRENTLY build failed', skill: 'maintenance-reindex', input: { invalid: true } },
      { when: 'no index helps and the statement is still slow', skill: 'monitoring-performance', input: {} },
    ],
    examples: [
      { title: 'Advise on the top 20 statements', skill: 'maintenance-optimize', input: {} },
      { title: 'One statement from monitoring-performance', skill: 'maintenance-optimize', input: { queryId: '-6215423384924356917' } },
      { title: 'A statement of your own', skill: 'maintenance-optimize', input: { query: ['select * from orders where customer_id = $1'] } },
    ],
    metrics: [
      { name: 'pgcluster_maintenance_optimize_recommended_indexes', help: 'Indexes the advisor recommends.', value: 'recommended' },
    ],
    input: OptimizeInput,
    output: OptimizeReport,
  })
  static async run(ctx: SkillContext, input: OptimizeInput): Promise<SkillResult<OptimizeReport>> {
    const report = await adviseIndexes(ctx.loaded.config, input, ctx.signal);
    return {
      data: report,
      status: report.recommendations.length > 0 ? 'degraded' : 'ok',
      alerts: report.budgetExhausted ? [`the search stopped at its ${input.budgetSeconds} s budget after ${report.candidates} candidates`] : [],
      recommendations: report.recommendations.map((r) => ({
        why: `${r.statement} (about ${r.estimatedSizeBytes} bytes) lowers the cost of ${r.improved.length} statement(s)${r.slower.length ? ` and raises ${r.slower.length}` : ''}`,
      })),
    };
  }

  /** What it reads and plans; it changes nothing. */
  static async plan(ctx: SkillContext, input: OptimizeInput): Promise<PlanStep[]> {
    const target = await resolveTarget(ctx.loaded.config, input, 'index advice', ctx.signal);
    return [
      { kind: 'sql', target: target.label, text: 'BEGIN READ ONLY; SET LOCAL plan_cache_mode = force_generic_plan' },
      { kind: 'sql', target: target.label, text: input.query ? `plan ${input.query.length} given statement(s)` : `read the top ${input.top} statements of pg_stat_statements by total time` },
      { kind: 'sql', target: target.label, text: 'per statement and candidate: PREPARE, EXPLAIN EXECUTE (never run), DEALLOCATE; hypopg_create_index / hypopg_drop_index (backend-local, no lock)' },
      { kind: 'sql', target: target.label, text: 'ROLLBACK -- nothing is created' },
    ];
  }
}

import { Skill, type PlanStep, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { resolveTarget } from '../connection/maintenance-target';
import { MAX_REGRESSION, MIN_REAL_GAIN, optimizeIndexes } from '../optimize/apply-indexes';
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
    description: 'Recommends missing indexes (hypopg-costed) and duplicate or unused ones to drop; --apply creates them, measures, keeps or reverts. Use when statements are slow or scan whole tables.',
    details:
      'Read-only. Takes the top statements of pg_stat_statements by total time in the database (--top, default 20), one by ' +
      '--query-id, or given --query texts; plans each with its generic plan (PREPARE, then EXPLAIN EXECUTE under plan_cache_mode = ' +
      'force_generic_plan: never run); builds B-tree candidates from the columns the plans filter, join and sort on (one column; ' +
      'an equality column and another; two equality columns and another), each also with INCLUDE of the columns the scan ' +
      'outputs (up to 3, for index-only scans), and partial indexes WHERE column = constant when a statement compares a column ' +
      'with a constant that keeps at most 20% of the rows; adds the columns of pg_qualstats\' predicates when it is installed and ' +
      'preloaded; vector columns searched by distance get a vector-index (HNSW) reference instead of a B-tree; costs each as a hypothetical index with hypopg and picks greedily: the ' +
      'candidate that lowers the calls-weighted workload cost most, kept only when some statement costing at least 100 drops by ' +
      'at least --min-improvement (default 0.5; both as Dexter); within 1% of the best gain the smaller index wins; until nothing helps or --budget-seconds (default 30) is spent. Each ' +
      'recommendation gives the CREATE INDEX CONCURRENTLY statement, its estimated size, and the statements it makes cheaper or ' +
      'dearer with their costs before and after. Everything runs in one READ ONLY transaction and the hypothetical indexes end ' +
      'with it. Needs hypopg (and pg_stat_statements for the workload) in the database. data.drops lists indexes worth dropping: ' +
      'exact duplicates and B-tree prefixes of another index, and indexes never scanned since the statistics were reset at least ' +
      '--unused-days (30) ago; never a primary key, unique, constraint or replica-identity index. --index "table(col, …)" forces ' +
      'candidates instead of searching. --apply then, under an advisory lock (one optimizer at a time) and a 5 s lock_timeout, ' +
      'creates each recommended index with CREATE INDEX CONCURRENTLY and verifies it: it measures the workload\'s SELECTs (server ' +
      'time from EXPLAIN ANALYZE, parameter values drawn from the column statistics, the fastest of --measure-runs runs) before ' +
      'and after, keeps the index when its statements got at least 20% faster and none other got more than 10% slower, and ' +
      'drops it again otherwise; data.applied[] records each outcome with the times, and the rollback (audit undo) drops the ' +
      'kept ones. --drop-index drops named indexes (with --yes).',
    version: '0.1.0',
    risk: 'write',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: false,
    whenToUse: [
      'monitoring-performance lists statements worth maintenance-optimize (slow, spilling, reading many blocks)',
      'a statement does a sequential scan of a large table',
      'before adding an index by hand, to see whether the planner would use it',
    ],
    interpret:
      'data.applied[] (with --apply) = { index, outcome: kept|reverted|failed, reason, improved[], others[] } with measured ' +
      'beforeMs/afterMs. data.drops[] = { index, reason: duplicate|redundant|unused, of?, statement }. ' +
      'data.recommendations[] = { table, columns, statement, estimatedSizeBytes, improved[], slower[] } with each statement\'s ' +
      'planner cost before and after (costs are the planner\'s units, not milliseconds); data.workloadCostBefore/After sum ' +
      'calls × cost. An empty list means no index would help enough. data.skipped names statements that could not be planned. ' +
      'Exit 2 without hypopg or on bad input.',
    decisionTree: [
      { when: 'a recommended index was created and its CONCURRENTLY build failed', skill: 'maintenance-reindex', input: { invalid: true } },
      { when: 'no index helps and the statement is still slow', skill: 'monitoring-performance', input: {} },
      { when: 'data.drops lists a duplicate or unused index', skill: 'maintenance-optimize', input: { dropIndex: ['<index>'] }, why: 'with --yes' },
      { when: 'the recommendations look right', skill: 'maintenance-optimize', input: { apply: true }, why: 'creates, verifies, and reverts what does not help' },
    ],
    examples: [
      { title: 'Advise on the top 20 statements', skill: 'maintenance-optimize', input: {} },
      { title: 'One statement from monitoring-performance', skill: 'maintenance-optimize', input: { queryId: '-6215423384924356917' } },
      { title: 'A statement of your own', skill: 'maintenance-optimize', input: { query: ['select * from orders where customer_id = $1'] } },
      { title: 'Create the recommended indexes, verify, keep or revert', skill: 'maintenance-optimize', input: { apply: true } },
      { title: 'Try a given index against the workload', skill: 'maintenance-optimize', input: { index: ['public.orders(status, created_at)'], apply: true } },
      { title: 'Drop a duplicate index', skill: 'maintenance-optimize', input: { dropIndex: ['public.orders_customer_id_idx1'] }, options: { yes: true } },
    ],
    metrics: [
      { name: 'pgcluster_maintenance_optimize_recommended_indexes', help: 'Indexes the advisor recommends.', value: 'recommended' },
    ],
    input: OptimizeInput,
    output: OptimizeReport,
  })
  static async run(ctx: SkillContext, input: OptimizeInput): Promise<SkillResult<OptimizeReport>> {
    const report = await optimizeIndexes(ctx.loaded.config, input, { confirmed: ctx.confirmed === true, signal: ctx.signal, progress: (line) => ctx.log.info(line) });
    const db = input.database ? { database: input.database } : {};
    if (report.dropped) return { data: report };
    const drops = [
      ...report.drops.map((d) => ({ skill: 'maintenance-optimize', input: { dropIndex: [d.index], ...db }, why: `${d.index} is ${d.reason}${d.of ? ` (${d.of})` : ''}, ${d.sizeBytes} bytes; needs --yes` })),
      // pgvector columns: the vector skills' advice (HNSW; halfvec halves its size) instead of a B-tree.
      ...report.vectors.map((v) => ({
        skill: 'vector-index',
        input: { action: 'create', collection: v.collection, method: 'hnsw', ...db },
        why: `${v.table}.${v.column} (about ${Math.round(v.rows)} rows) is searched by distance: an HNSW index (vector-index picks m and ef_construction; halfvec halves it), not a B-tree`,
      })),
    ];
    if (report.applied) {
      const kept = report.applied.filter((a) => a.outcome === 'kept');
      const notKept = report.applied.filter((a) => a.outcome !== 'kept');
      const outcome = report.applied.map((a) => `${a.index} ${a.outcome}: ${a.reason}`).join('; ');
      const named = (which: string) => report.applied!.filter((a) => a.outcome === which).map((a) => a.index).join(', ');
      return {
        data: report,
        status: notKept.length > 0 ? 'degraded' : 'ok',
        // What the agent learns from the audit record: how many indexes helped, and which.
        outcome: {
          kept: kept.length,
          reverted: report.applied.filter((a) => a.outcome === 'reverted').length,
          failed: report.applied.filter((a) => a.outcome === 'failed').length,
          keptIndexes: named('kept'),
          revertedIndexes: named('reverted'),
        },
        alerts: notKept.map((a) => `${a.index} ${a.outcome}: ${a.reason}`),
        recommendations: drops,
        // The audit record keeps the outcome (kept/reverted with the times) in the rollback's why.
        ...(kept.length > 0 ? { rollback: { skill: 'maintenance-optimize', input: { dropIndex: kept.map((a) => a.index), ...db }, why: `drop the index(es) this run kept (needs --yes). Outcome: ${outcome}` } } : {}),
      };
    }
    return {
      data: report,
      status: report.recommendations.length > 0 || drops.length > 0 ? 'degraded' : 'ok',
      alerts: report.budgetExhausted ? [`the search stopped at its ${input.budgetSeconds} s budget after ${report.candidates} candidates`] : [],
      recommendations: [
        ...report.recommendations.map((r) => ({
          why: `${r.statement} (about ${r.estimatedSizeBytes} bytes) lowers the cost of ${r.improved.length} statement(s)${r.slower.length ? ` and raises ${r.slower.length}` : ''}`,
        })),
        ...(report.recommendations.length > 0 ? [{ skill: 'maintenance-optimize', input: { ...input, apply: true }, why: 'create them, verify each against the workload, revert what does not help' }] : []),
        ...drops,
      ],
    };
  }

  /** What it reads and plans, and with apply or dropIndex what it would create or drop. */
  static async plan(ctx: SkillContext, input: OptimizeInput): Promise<PlanStep[]> {
    const target = await resolveTarget(ctx.loaded.config, input, 'index advice', ctx.signal);
    if (input.dropIndex) {
      return [
        { kind: 'sql', target: target.label, text: "SET lock_timeout = '5s'" },
        ...input.dropIndex.map((i): PlanStep => ({ kind: 'sql', target: target.label, text: `DROP INDEX CONCURRENTLY IF EXISTS ${i} -- lock: SHARE UPDATE EXCLUSIVE; refused for a primary key, unique or constraint index; needs --yes` })),
      ];
    }
    const apply: PlanStep[] = input.apply
      ? [
          { kind: 'sql', target: target.label, text: "SELECT pg_try_advisory_lock(…) -- one optimizer at a time; SET lock_timeout = '5s'" },
          { kind: 'sql', target: target.label, text: `measure the workload's SELECTs: EXPLAIN (ANALYZE, TIMING OFF) EXECUTE with parameter values from pg_stats, ${input.measureRuns} run(s) each, READ ONLY` },
          { kind: 'sql', target: target.label, text: `per recommendation: CREATE INDEX CONCURRENTLY … (lock: SHARE UPDATE EXCLUSIVE; reads and writes go on), measure again; keep when its statements are ≥ ${MIN_REAL_GAIN * 100}% faster and none other > ${MAX_REGRESSION * 100}% slower, else DROP INDEX CONCURRENTLY` },
        ]
      : [];
    return [
      { kind: 'sql', target: target.label, text: 'BEGIN READ ONLY; SET LOCAL plan_cache_mode = force_generic_plan' },
      { kind: 'sql', target: target.label, text: input.query ? `plan ${input.query.length} given statement(s)` : `read the top ${input.top} statements of pg_stat_statements by total time` },
      { kind: 'sql', target: target.label, text: 'per statement and candidate: PREPARE, EXPLAIN EXECUTE (never run), DEALLOCATE; hypopg_create_index / hypopg_drop_index (backend-local, no lock)' },
      { kind: 'sql', target: target.label, text: 'ROLLBACK -- nothing is created' },
      ...apply,
    ];
  }
}

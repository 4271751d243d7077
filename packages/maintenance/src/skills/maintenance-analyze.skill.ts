import { Skill, type PlanStep, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { AnalyzeInput, AnalyzeReport } from '../analyze/analyze-schema';
import { ANALYZE_LOCK, planAnalyze, runAnalyze } from '../analyze/run-analyze';

/**
 * `maintenance-analyze`: ANALYZE a table, or the stale and never-analyzed tables of a database;
 * optionally a column's statistics target, with its undo.
 *
 * @example
 * ```ts
 * import { executeSkill } from '@pgcluster/skill-kit'
 * import { MaintenanceAnalyzeSkill } from '@pgcluster/maintenance'
 *
 * const envelope = await executeSkill(MaintenanceAnalyzeSkill, { database: 'app' }, { actor: 'cli' })
 * ```
 */
export class MaintenanceAnalyzeSkill {
  @Skill({
    name: 'maintenance-analyze',
    category: 'maintenance',
    description: 'Analyzes a table, or the stale and never-analyzed tables of a database; sets column statistics targets with undo. Use when row estimates are wrong or statistics are old.',
    details:
      'On the primary. With --table ([schema.]name) it analyzes that table. Without, it analyzes the tables of the database whose ' +
      'rows changed since their last analyze (n_mod_since_analyze) reach their autoanalyze threshold (autovacuum_analyze_threshold + ' +
      'autovacuum_analyze_scale_factor × rows, per-table settings applied; or 50 + --scale-factor × rows), and those never analyzed; ' +
      '--all analyzes every table. --column with --statistics-target (1 to 10000, -1 = default_statistics_target) runs ALTER TABLE … ' +
      'ALTER COLUMN … SET STATISTICS before the ANALYZE and records the previous target as the rollback (pgcluster audit undo). ' +
      'ANALYZE and SET STATISTICS take a SHARE UPDATE EXCLUSIVE lock: reads and writes go on.',
    version: '1.0.0',
    risk: 'write',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: true,
    whenToUse: [
      'monitoring-health reports stale_statistics findings',
      'EXPLAIN shows row estimates far from the actual rows',
      'after a bulk load or a large delete',
    ],
    interpret:
      'data.tables[] = { table, rowsChanged, threshold, neverAnalyzed, analyzed }: every table considered and whether this run ' +
      'analyzed it; data.statements what ran; data.statisticsTarget the column target changed (before is what undo restores). ' +
      'Exit 2 on bad input (the field is named; nothing ran).',
    decisionTree: [
      { when: 'estimates stay wrong for one skewed column after ANALYZE', skill: 'maintenance-analyze', input: { table: '<table>', column: '<column>', statisticsTarget: 1000 } },
      { when: 'the table also has many dead rows', skill: 'maintenance-vacuum', input: { table: '<table>', analyze: true } },
    ],
    examples: [
      { title: 'Analyze one table', skill: 'maintenance-analyze', input: { table: 'public.items' } },
      { title: 'Analyze the stale tables of a database', skill: 'maintenance-analyze', input: { database: 'app' } },
      { title: 'Raise a skewed column\'s statistics target (undo restores it)', skill: 'maintenance-analyze', input: { table: 'public.items', column: 'sku', statisticsTarget: 1000 } },
    ],
    metrics: [
      { name: 'pgcluster_maintenance_analyze_rows_changed', help: 'Rows changed since the last analyze, per table considered (before this run).', value: 'tables[].rowsChanged', labels: { table: 'tables[].table' } },
      { name: 'pgcluster_maintenance_analyze_duration_seconds', help: 'How long the run\'s statements took.', value: 'durationMs', scale: 0.001 },
    ],
    input: AnalyzeInput,
    output: AnalyzeReport,
  })
  static async run(ctx: SkillContext, input: AnalyzeInput): Promise<SkillResult<AnalyzeReport>> {
    const report = await runAnalyze(ctx.loaded.config, input, { signal: ctx.signal, progress: (line) => ctx.log.info(line) });
    const st = report.statisticsTarget;
    return {
      data: report,
      ...(st && st.before !== st.after
        ? {
            rollback: {
              skill: 'maintenance-analyze',
              input: { table: st.table, column: st.column, statisticsTarget: st.before, ...(input.database ? { database: input.database } : {}) },
              why: `restore the statistics target of ${st.table}.${st.column} to ${st.before} and analyze it again`,
            },
          }
        : {}),
    };
  }

  /** The statements, in order, with their lock (read-only: one look at the statistics). */
  static async plan(ctx: SkillContext, input: AnalyzeInput): Promise<PlanStep[]> {
    const plan = await planAnalyze(ctx.loaded.config, input, ctx.signal);
    const target = `${plan.target.label} database ${plan.database}`;
    if (plan.statements.length === 0) return [{ kind: 'note', target, text: 'no table is stale; nothing would be analyzed' }];
    return plan.statements.map((text): PlanStep => ({ kind: 'sql', target, text: `${text} -- lock: ${ANALYZE_LOCK}` }));
  }
}

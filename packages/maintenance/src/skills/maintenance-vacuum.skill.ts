import { Skill, type PlanStep, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { undoSettings } from '../vacuum/autovacuum-settings';
import { planVacuum, runVacuum } from '../vacuum/run-vacuum';
import { VacuumInput, VacuumReport } from '../vacuum/vacuum-schema';

/**
 * `maintenance-vacuum`: VACUUM a table or a database on the primary (FREEZE, ANALYZE,
 * INDEX_CLEANUP), with progress on stderr; VACUUM FULL only with `full` and `--yes`.
 *
 * @example
 * ```ts
 * import { executeSkill } from '@pgcluster/skill-kit'
 * import { MaintenanceVacuumSkill } from '@pgcluster/maintenance'
 *
 * const envelope = await executeSkill(MaintenanceVacuumSkill, { table: 'public.items' }, { actor: 'cli' })
 * ```
 */
export class MaintenanceVacuumSkill {
  @Skill({
    name: 'maintenance-vacuum',
    category: 'maintenance',
    description: 'Vacuums a table or a database (FREEZE, ANALYZE, INDEX_CLEANUP; FULL with --yes). Use when tables have many dead rows, autovacuum is behind, or wraparound nears.',
    details:
      'Runs VACUUM on the primary: --table ([schema.]name, parts may be double-quoted; looked up in the catalog and quoted) or, ' +
      'without it, the whole --database. Options: --freeze (VACUUM (FREEZE), against transaction ID wraparound), --analyze, ' +
      '--index-cleanup auto|on|off. A plain VACUUM takes a SHARE UPDATE EXCLUSIVE lock: reads and writes go on, DDL and other ' +
      'vacuums of the table wait. Progress (phase, heap blocks scanned of total) is read from pg_stat_progress_vacuum once a ' +
      'second and logged to stderr (PGCLUSTER_LOG=info). --full runs VACUUM FULL, which rewrites the table and returns the space ' +
      'to the OS but takes an ACCESS EXCLUSIVE lock (every read and write waits) and needs free disk up to the table\'s size with ' +
      'its indexes: it needs --yes (refused with exit 3 otherwise), waits at most 5 s for its lock, and is refused when the data ' +
      'directory (when local) has less free space. --repack removes bloat online with pg_repack instead (exclusive lock only for a moment ' +
      'at the start and the swap): it needs a primary key or a unique index on NOT NULL columns and about twice the table\'s size ' +
      'free (both checked first, refused with exit 3 otherwise), creates the pg_repack extension when needed, and logs pg_repack\'s ' +
      'lines as progress. Vacuum has no undo and needs none: it removes only dead rows. The run\'s ' +
      'timeout (--timeout) bounds it; a cancelled VACUUM leaves the table as it was. Instead of vacuuming, --autovacuum suggest ' +
      'reads the table\'s autovacuum parameters and suggests some from its size and churn (smaller scale factors for tables over ' +
      '100k rows, autovacuum back on, a higher cost limit over 1 GiB, an insert scale factor for tables that mostly grow); ' +
      '--autovacuum apply sets the suggestion and --autovacuum-settings sets given ones (ALTER TABLE … SET/RESET, null resets): ' +
      'both record the previous values as the rollback (pgcluster audit undo).',
    version: '1.0.0',
    risk: 'write',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: true,
    whenToUse: [
      'monitoring-health reports dead_tuples, autovacuum_overdue, table_bloat, disk_usage or xid_wraparound findings',
      'after a large DELETE or UPDATE, before autovacuum gets to it',
      'a database nears transaction ID wraparound (use --freeze)',
    ],
    interpret:
      'data.tables[] = { table, deadRowsBefore, deadRowsAfter, liveRows, sizeBytesBefore, sizeBytesAfter }: dead rows after a plain ' +
      'VACUUM are near 0 unless an old transaction or a replication slot still needs them (then see maintenance-sessions); the size ' +
      'shrinks only with --full. data.statement is what ran and data.lock the lock it took. data.autovacuum (with --autovacuum) ' +
      '= { table, current, suggested, reasons, applied }. Exit 2 on bad input (the field is ' +
      'named; nothing ran), 3 when --full was not confirmed.',
    decisionTree: [
      { when: 'deadRowsAfter stays high: an old transaction holds the xmin horizon', skill: 'maintenance-sessions', input: {} },
      { when: 'the table is bloated and a plain VACUUM did not shrink it (it has a primary key)', skill: 'maintenance-vacuum', input: { table: '<table>', repack: true }, why: 'online: no long lock' },
      { when: 'the table is bloated and a plain VACUUM did not shrink it (in a quiet window)', skill: 'maintenance-vacuum', input: { table: '<table>', full: true }, why: 'with --yes: it takes an exclusive lock' },
      { when: 'the statistics are stale too', skill: 'maintenance-analyze', input: { table: '<table>' } },
    ],
    examples: [
      { title: 'Vacuum one table', skill: 'maintenance-vacuum', input: { table: 'public.items' } },
      { title: 'Freeze a whole database against wraparound', skill: 'maintenance-vacuum', input: { database: 'app', freeze: true } },
      { title: 'See what VACUUM FULL would lock and need', skill: 'maintenance-vacuum', input: { table: 'public.items', full: true }, options: { dryRun: true } },
      { title: 'Rewrite a bloated table (exclusive lock)', skill: 'maintenance-vacuum', input: { table: 'public.items', full: true }, options: { yes: true } },
      { title: 'Remove bloat online with pg_repack', skill: 'maintenance-vacuum', input: { table: 'public.items', repack: true } },
      { title: 'Suggest autovacuum settings for a table', skill: 'maintenance-vacuum', input: { table: 'public.items', autovacuum: 'suggest' } },
      { title: 'Apply them (undo restores the previous ones)', skill: 'maintenance-vacuum', input: { table: 'public.items', autovacuum: 'apply' } },
    ],
    metrics: [
      { name: 'pgcluster_maintenance_vacuum_dead_rows', help: 'Dead rows of the vacuumed table after the run.', value: 'tables[].deadRowsAfter', labels: { table: 'tables[].table' } },
      { name: 'pgcluster_maintenance_vacuum_table_size_bytes', help: 'Size of the vacuumed table with its indexes and TOAST after the run.', value: 'tables[].sizeBytesAfter', labels: { table: 'tables[].table' } },
      { name: 'pgcluster_maintenance_vacuum_duration_seconds', help: 'How long the VACUUM took.', value: 'durationMs', scale: 0.001 },
    ],
    input: VacuumInput,
    output: VacuumReport,
  })
  static async run(ctx: SkillContext, input: VacuumInput): Promise<SkillResult<VacuumReport>> {
    const report = await runVacuum(ctx.loaded.config, input, { confirmed: ctx.confirmed === true, signal: ctx.signal, progress: (line) => ctx.log.info(line) });
    const tuned = report.autovacuum;
    if (tuned) {
      return {
        data: report,
        ...(tuned.applied
          ? {
              rollback: {
                skill: 'maintenance-vacuum',
                input: { table: tuned.table, autovacuumSettings: undoSettings(tuned.current, tuned.applied), ...(input.database ? { database: input.database } : {}) },
                why: `restore the autovacuum parameters of ${tuned.table}`,
              },
            }
          : {}),
      };
    }
    const stuck = report.tables.filter((t) => t.deadRowsAfter > 1000 && t.deadRowsAfter > t.deadRowsBefore / 2);
    return {
      data: report,
      alerts: stuck.map((t) => `${t.table} still has ${t.deadRowsAfter} dead rows: an old transaction, a prepared transaction or a replication slot (a replica's hot_standby_feedback) still needs them`),
      recommendations: stuck.map((t) => ({
        skill: 'maintenance-sessions',
        input: { state: 'idle-in-transaction', node: report.node },
        why: `find what holds the dead rows of ${t.table} (also check replication slots)`,
      })),
    };
  }

  /** The statement, the lock it takes and, for FULL, the disk it needs (read-only: one catalog look-up). */
  static async plan(ctx: SkillContext, input: VacuumInput): Promise<PlanStep[]> {
    const plan = await planVacuum(ctx.loaded.config, input, ctx.signal);
    const target = `${plan.target.label} database ${plan.database}`;
    if (plan.tuning) {
      if (plan.tuning.statements.length === 0) return [{ kind: 'note', target, text: `reads the autovacuum parameters of ${plan.table!.display}; changes nothing` }];
      return plan.tuning.statements.map((text): PlanStep => ({ kind: 'sql', target, text: `${text} -- lock: ${plan.lock}` }));
    }
    if (plan.repack) {
      const pre = plan.repack.preconditions;
      const free = pre.diskFreeBytes === undefined ? 'free space unknown (the data directory is not on this machine)' : `${pre.diskFreeBytes} bytes free`;
      return [
        ...(pre.extensionInstalled ? [] : [{ kind: 'sql' as const, target, text: 'CREATE EXTENSION IF NOT EXISTS pg_repack' }]),
        { kind: 'command', target, text: `${plan.statement} -- lock: ${plan.lock}` },
        { kind: 'note', target, text: `key index: ${pre.keyIndex ?? 'none (refused: needs a primary key or a NOT NULL unique index)'}; needs about ${pre.diskNeededBytes} bytes of disk (${free})` },
      ];
    }
    const steps: PlanStep[] = [{ kind: 'sql', target, text: `${plan.statement} -- lock: ${plan.lock}` }];
    if (input.full) {
      steps.unshift({ kind: 'sql', target, text: "SELECT set_config('lock_timeout', '5s', false) -- give up rather than queue every session behind the exclusive lock" });
      const free = plan.diskFreeBytes === undefined ? 'free space unknown (the data directory is not on this machine)' : `${plan.diskFreeBytes} bytes free`;
      steps.push({ kind: 'note', target, text: `VACUUM FULL writes a new copy: needs up to ${plan.diskNeededBytes} bytes of disk (${free}); its time grows with the table's size; needs --yes` });
    }
    return steps;
  }
}

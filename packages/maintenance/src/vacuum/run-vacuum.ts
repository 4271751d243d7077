import { InputError, PgClusterError, RefusedError, type ClusterConfig } from '@pgcluster/core';
import type pg from 'pg';
import { currentDatabase, freeBytes, resolveTarget, withProgress, withTarget, type MaintenanceTarget } from '../connection/maintenance-target';
import { resolveRelation, type ResolvedRelation } from '../sql/resolve-relation';
import { checkRepack, REPACK_LOCK, repackArgs, repackPreconditions, runRepack, type RepackPreconditions } from './repack';
import { adviseAutovacuum, autovacuumStatements, type AutovacuumAdvice, type AutovacuumSettings } from './autovacuum-settings';
import type { VacuumedTable, VacuumInput, VacuumReport } from './vacuum-schema';

/** The lock VACUUM and VACUUM FULL take on each table. */
export const VACUUM_LOCKS = {
  plain: 'SHARE UPDATE EXCLUSIVE (reads and writes go on; DDL and other vacuums of the table wait)',
  full: 'ACCESS EXCLUSIVE (every read and write of the table waits until it finishes)',
  settings: 'SHARE UPDATE EXCLUSIVE for the ALTER TABLE (reads and writes go on; a moment)',
} as const;

/** How long VACUUM FULL waits for its lock before giving up (so it never queues every other session behind it). */
const FULL_LOCK_TIMEOUT = '5s';

const TABLE_STATS_SQL = `
select coalesce(s.n_dead_tup, 0)::float8 as dead, coalesce(s.n_live_tup, 0)::float8 as live, pg_total_relation_size($1::oid)::float8 as bytes
  from (select $1::oid as relid) r left join pg_stat_all_tables s on s.relid = r.relid`;

// Progress of this run's backend: VACUUM in pg_stat_progress_vacuum, VACUUM FULL in pg_stat_progress_cluster.
const PROGRESS_SQL = `
select phase, heap_blks_scanned::float8 as done, heap_blks_total::float8 as total from pg_stat_progress_vacuum where pid = $1
union all
select phase, heap_blks_scanned::float8, heap_blks_total::float8 from pg_stat_progress_cluster where pid = $1`;

/** What a vacuum would do: the statement, its lock, and for VACUUM FULL the disk it needs. */
export interface VacuumPlan {
  target: MaintenanceTarget;
  database: string;
  table?: ResolvedRelation;
  statement: string;
  lock: string;
  /** VACUUM FULL: bytes of the new copy (at most the table's current size with indexes and TOAST). */
  diskNeededBytes?: number;
  /** Free bytes where the data directory is, when it is on this machine. */
  diskFreeBytes?: number;
  /** With `autovacuum` or `autovacuumSettings`: the advice and the settings to apply (none for a suggestion). */
  /** With `repack`: pg_repack's arguments and preconditions. */
  repack?: { args: string[]; preconditions: RepackPreconditions };
  tuning?: { advice: AutovacuumAdvice; change?: AutovacuumSettings; statements: string[] };
}

/**
 * Checks the input and builds the statement: the table resolved in the catalog (quoted), the
 * options in VACUUM's parenthesised form; for FULL the disk it needs and the free space.
 * @throws InputError naming the field (nothing done).
 * @example
 * ```ts
 * const plan = await planVacuum(config, { table: 'public.items', freeze: true })
 * plan.statement // 'VACUUM (FREEZE) "public"."items"'
 * ```
 */
export async function planVacuum(config: ClusterConfig, input: VacuumInput, signal?: AbortSignal): Promise<VacuumPlan> {
  if (!input.table && !input.database) throw new InputError('table', 'give a table ([schema.]name), or a database to vacuum whole');
  if (input.full && !input.table) throw new InputError('full', 'VACUUM FULL needs a table: it locks it exclusively while it rewrites it');
  if (input.repack && !input.table) throw new InputError('repack', 'pg_repack needs a table: give --table');
  if (input.repack && (input.full || input.freeze || input.indexCleanup)) throw new InputError('repack', 'rewrites the table online; do not combine it with full, freeze or indexCleanup');
  if (input.full && input.indexCleanup) throw new InputError('indexCleanup', 'does not apply to VACUUM FULL (it rebuilds every index)');
  const tuning = input.autovacuum !== undefined || input.autovacuumSettings !== undefined;
  if (tuning && !input.table) throw new InputError('table', 'autovacuum settings are per table: give the table');
  if (input.autovacuum && input.autovacuumSettings) throw new InputError('autovacuumSettings', 'give either autovacuum (suggest or apply) or autovacuumSettings, not both');
  if (tuning && (input.repack || input.full || input.freeze || input.analyze || input.indexCleanup)) {
    throw new InputError(input.autovacuum ? 'autovacuum' : 'autovacuumSettings', 'changes settings only; run the VACUUM (full, freeze, analyze, indexCleanup) separately');
  }
  const target = await resolveTarget(config, input, 'VACUUM', signal);
  return withTarget(target, 'planning VACUUM', async (c) => {
    const database = await currentDatabase(c);
    const table = input.table ? await resolveRelation(c, input.table, 'table', ['r', 'm', 'p'], `database ${database}`) : undefined;
    if (tuning && table) {
      const advice = await adviseAutovacuum(c, table);
      const change = input.autovacuumSettings ?? (input.autovacuum === 'apply' ? advice.suggested : undefined);
      // Given settings must name at least one parameter; an empty suggestion simply changes nothing.
      const statements = change && (input.autovacuumSettings || Object.keys(change).length > 0) ? autovacuumStatements(table, change) : [];
      return { target, database, table, statement: statements.join('; '), lock: VACUUM_LOCKS.settings, tuning: { advice, ...(change ? { change } : {}), statements } };
    }
    if (input.repack && table) {
      const preconditions = await repackPreconditions(c, table, await freeBytes(target));
      const args = repackArgs(table, database);
      return { target, database, table, statement: ['pg_repack', ...args].join(' '), lock: REPACK_LOCK, repack: { args, preconditions } };
    }
    const options = [
      input.full ? 'FULL' : undefined,
      input.freeze ? 'FREEZE' : undefined,
      input.analyze ? 'ANALYZE' : undefined,
      input.indexCleanup ? `INDEX_CLEANUP ${input.indexCleanup.toUpperCase()}` : undefined,
    ].filter((o): o is string => o !== undefined);
    const statement = ['VACUUM', options.length ? `(${options.join(', ')})` : undefined, table?.quoted].filter(Boolean).join(' ');
    const plan: VacuumPlan = { target, database, statement, lock: input.full ? VACUUM_LOCKS.full : VACUUM_LOCKS.plain, ...(table ? { table } : {}) };
    if (input.full && table) {
      plan.diskNeededBytes = (await tableStats(c, table)).bytes;
      const free = await freeBytes(target);
      if (free !== undefined) plan.diskFreeBytes = free;
    }
    return plan;
  });
}

async function tableStats(c: pg.Client, table: ResolvedRelation): Promise<{ dead: number; live: number; bytes: number }> {
  return (await c.query<{ dead: number; live: number; bytes: number }>(TABLE_STATS_SQL, [table.oid])).rows[0]!;
}

/**
 * Runs VACUUM on a table or a database on the primary, logging its progress (from
 * pg_stat_progress_vacuum, or pg_stat_progress_cluster for FULL) through `progress`; reports
 * the table's dead rows and size before and after. VACUUM FULL needs `confirmed`, waits at most
 * 5 s for its lock and is refused when the data directory has less free space than the table.
 *
 * @throws InputError (nothing done); RefusedError for FULL without confirmation; PgClusterError
 * (`REFUSED`) for FULL without the disk space.
 * @example
 * ```ts
 * const report = await runVacuum(config, { table: 'public.items' }, { progress: (l) => console.error(l) })
 * report.tables[0].deadRowsAfter // 0
 * ```
 */
export async function runVacuum(
  config: ClusterConfig,
  input: VacuumInput,
  options: { confirmed?: boolean; signal?: AbortSignal; progress?: (line: string) => void } = {},
): Promise<VacuumReport> {
  const plan = await planVacuum(config, input, options.signal);
  if (plan.tuning) return applyTuning(plan, plan.tuning);
  if (plan.repack) return repack(plan, plan.repack, options);
  if (input.full) {
    if (!options.confirmed) {
      throw new RefusedError(`VACUUM FULL takes an ACCESS EXCLUSIVE lock on ${plan.table!.display}: every read and write of it waits until it finishes; nothing was done`, {
        hint: 'Run it in a quiet window and pass --yes; a plain VACUUM (no lock on reads and writes) makes the space reusable instead.',
      });
    }
    if (plan.diskFreeBytes !== undefined && plan.diskFreeBytes < plan.diskNeededBytes!) {
      throw new PgClusterError('REFUSED', `VACUUM FULL of ${plan.table!.display} needs up to ${plan.diskNeededBytes} bytes free for the new copy; only ${plan.diskFreeBytes} are; nothing was done`, {
        hint: 'Free disk space first, or run a plain VACUUM.',
      });
    }
  }
  const started = performance.now();
  const tables: VacuumedTable[] = [];
  await withTarget(plan.target, `running ${plan.statement}`, async (c) => {
    const before = plan.table ? await tableStats(c, plan.table) : undefined;
    const pid = (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    if (input.full) await c.query("select set_config('lock_timeout', $1, false)", [FULL_LOCK_TIMEOUT]);
    await withProgress(
      plan.target,
      () => c.query(plan.statement),
      async (p) => {
        const r = (await p.query<{ phase: string; done: number; total: number }>(PROGRESS_SQL, [pid])).rows[0];
        return r && `${plan.statement}: ${r.phase}, ${r.done} of ${r.total} heap blocks`;
      },
      (line) => options.progress?.(line),
    );
    if (plan.table && before) {
      const after = await tableStats(c, plan.table);
      tables.push({ table: plan.table.display, deadRowsBefore: before.dead, deadRowsAfter: after.dead, liveRows: after.live, sizeBytesBefore: before.bytes, sizeBytesAfter: after.bytes });
    }
  });
  return { node: plan.target.node, database: plan.database, statement: plan.statement, lock: plan.lock, tables, durationMs: Math.round(performance.now() - started) };
}

async function repack(plan: VacuumPlan, r: NonNullable<VacuumPlan['repack']>, options: { signal?: AbortSignal; progress?: (line: string) => void }): Promise<VacuumReport> {
  const table = plan.table!;
  checkRepack(table, r.preconditions);
  const started = performance.now();
  const before = await withTarget(plan.target, `preparing pg_repack of ${table.display}`, async (c) => {
    if (!r.preconditions.extensionInstalled) await c.query('CREATE EXTENSION IF NOT EXISTS pg_repack');
    return tableStats(c, table);
  });
  await runRepack(plan.target, plan.database, r.args, (line) => options.progress?.(line), options.signal);
  const after = await withTarget(plan.target, `reading ${table.display} after pg_repack`, (c) => tableStats(c, table));
  const { keyIndex, diskNeededBytes, diskFreeBytes } = r.preconditions;
  return {
    node: plan.target.node,
    database: plan.database,
    statement: plan.statement,
    lock: plan.lock,
    repack: { keyIndex: keyIndex!, diskNeededBytes, ...(diskFreeBytes !== undefined ? { diskFreeBytes } : {}), extensionCreated: !r.preconditions.extensionInstalled },
    tables: [{ table: table.display, deadRowsBefore: before.dead, deadRowsAfter: after.dead, liveRows: after.live, sizeBytesBefore: before.bytes, sizeBytesAfter: after.bytes }],
    durationMs: Math.round(performance.now() - started),
  };
}

async function applyTuning(plan: VacuumPlan, tuning: NonNullable<VacuumPlan['tuning']>): Promise<VacuumReport> {
  const started = performance.now();
  if (tuning.statements.length > 0) {
    await withTarget(plan.target, `setting the autovacuum parameters of ${plan.table!.display}`, async (c) => {
      await c.query('begin');
      for (const s of tuning.statements) await c.query(s);
      await c.query('commit');
    });
  }
  const applied = tuning.statements.length > 0 ? tuning.change! : null;
  return {
    node: plan.target.node,
    database: plan.database,
    statement: plan.statement,
    lock: plan.lock,
    tables: [],
    autovacuum: { table: plan.table!.display, current: tuning.advice.current, suggested: tuning.advice.suggested, reasons: tuning.advice.reasons, applied },
    durationMs: Math.round(performance.now() - started),
  };
}

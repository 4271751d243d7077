import { InputError, PgClusterError, QueryError, RefusedError, type ClusterConfig, type TopologyProvider } from '@pgcluster/core';
import { checkHealth } from '@pgcluster/monitoring';
import type pg from 'pg';
import { currentDatabase, freeBytes, resolveTarget, withProgress, withTarget, type MaintenanceTarget } from '../connection/maintenance-target';
import { qualified } from '../sql/qualified-name';
import { resolveRelation } from '../sql/resolve-relation';
import type { ReindexedIndex, ReindexReport, ReindexRequest } from './reindex-schema';

/** The locks each way of rebuilding or dropping takes. */
export const REINDEX_LOCKS = {
  concurrent: 'SHARE UPDATE EXCLUSIVE on the table and the index (reads and writes go on; each phase waits for the transactions that could use the index)',
  blocking: 'SHARE on the table (writes wait) and ACCESS EXCLUSIVE on the index (queries using it wait), for the whole rebuild',
  drop: 'SHARE UPDATE EXCLUSIVE on the table (reads and writes go on; waits for the transactions using the table)',
} as const;

/** pgvector's index methods: rebuilt with enough maintenance_work_mem for the graph or lists to fit. */
const VECTOR_METHODS = ['hnsw', 'ivfflat'];
const MIB = 1024 * 1024;

// Every index the input selects, with what decides how it is rebuilt. Oids and the flag are bound.
const INDEXES_SQL = `
select i.oid::int as oid, n.nspname as schema, i.relname as name, format('%I.%I', n.nspname, i.relname) as display,
       x.indrelid::int as "tableOid", format('%I.%I', tn.nspname, t.relname) as "table", am.amname as method,
       x.indisvalid as valid, pg_relation_size(i.oid)::float8 as bytes, pg_relation_size(t.oid)::float8 as "tableBytes",
       (not x.indisvalid and i.relname ~ '_cc(new|old)[0-9]*$') as leftover,
       exists (select 1 from pg_constraint c where c.conindid = i.oid and c.contype = 'x') as exclusion,
       (n.nspname in ('pg_catalog', 'information_schema') or n.nspname ~ '^pg_toast') as system
  from pg_index x
  join pg_class i on i.oid = x.indexrelid join pg_namespace n on n.oid = i.relnamespace
  join pg_class t on t.oid = x.indrelid join pg_namespace tn on tn.oid = t.relnamespace
  join pg_am am on am.oid = i.relam
 where x.indexrelid = any($1::oid[]) or x.indrelid = $2::oid
    or ($3::bool and not x.indisvalid and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_')
 order by 4`;

const PROGRESS_SQL = `
select phase, blocks_done::float8 as blocks, blocks_total::float8 as "blocksTotal", tuples_done::float8 as tuples, tuples_total::float8 as "tuplesTotal"
  from pg_stat_progress_create_index where pid = $1`;

// Invalid indexes a concurrent build on this table left behind (named <index>_ccnew, _ccnew1, …).
const LEFTOVERS_SQL = `
select n.nspname as schema, i.relname as name from pg_index x join pg_class i on i.oid = x.indexrelid join pg_namespace n on n.oid = i.relnamespace
 where x.indrelid = $1 and not x.indisvalid and i.relname ~ '_ccnew[0-9]*$'`;

interface IndexRow {
  oid: number;
  schema: string;
  name: string;
  display: string;
  tableOid: number;
  table: string;
  method: string;
  valid: boolean;
  bytes: number;
  tableBytes: number;
  leftover: boolean;
  exclusion: boolean;
  system: boolean;
}

/** One statement: the text shown (values inline) and what is sent (values bound). */
export interface ReindexStatement {
  shown: string;
  text: string;
  values?: unknown[];
}

/** How one index is handled. */
export interface IndexStep {
  index: IndexRow;
  kind: 'reindex' | 'reindex-blocking' | 'drop';
  statements: ReindexStatement[];
  lock: string;
  /** Disk the new copy needs, in bytes (0 for a drop). */
  diskBytes: number;
}

/** What a reindex run would do. */
export interface ReindexPlan {
  target: MaintenanceTarget;
  database: string;
  steps: IndexStep[];
  diskNeededBytes: number;
  diskFreeBytes?: number;
}

/**
 * Checks the input, finds the indexes and decides for each: `REINDEX INDEX CONCURRENTLY` (HNSW
 * and IVFFlat with maintenance_work_mem and parallel workers set first), a blocking `REINDEX
 * INDEX` for an exclusion constraint's index (it cannot be rebuilt concurrently; needs
 * confirmation), or `DROP INDEX CONCURRENTLY` of an invalid _ccnew/_ccold leftover.
 * @param topology where roles come from instead of the config's own provider (a skill passes its run's).
 * @throws InputError naming the field (nothing done).
 * @example
 * ```ts
 * const plan = await planReindex(config, { index: 'public.items_sku_key' })
 * plan.steps[0].statements.map((s) => s.shown) // ['REINDEX INDEX CONCURRENTLY "public"."items_sku_key"']
 * ```
 */
export async function planReindex(config: ClusterConfig, input: ReindexRequest, signal?: AbortSignal, topology?: TopologyProvider): Promise<ReindexPlan> {
  const modes = (['index', 'table', 'invalid', 'bloated'] as const).filter((k) => input[k] !== undefined && input[k] !== false);
  if (modes.length !== 1) throw new InputError(modes[1] ?? 'index', 'give exactly one of index, table, invalid or bloated');
  if (input.action === 'drop-leftover' && !input.index) throw new InputError('action', 'drop-leftover takes one index (--index)');
  if (input.minBloatBytes !== undefined && !input.bloated) throw new InputError('minBloatBytes', 'applies with bloated');
  const target = await resolveTarget(config, input, 'REINDEX', signal, topology);
  const bloated = input.bloated ? await bloatedIndexes(config, target, input, signal) : [];
  const plan = await withTarget(target, 'planning REINDEX', async (c) => {
    const database = await currentDatabase(c);
    const where = `database ${database}`;
    const named = input.index ? [await resolveRelation(c, input.index, 'index', ['i', 'I'], where)] : [];
    for (const b of bloated) named.push(await resolveRelation(c, b, 'index', ['i', 'I'], where));
    const table = input.table ? await resolveRelation(c, input.table, 'table', ['r', 'm', 'p'], where) : undefined;
    const rows = (await c.query<IndexRow>(INDEXES_SQL, [named.map((n) => n.oid), table?.oid ?? null, input.invalid === true])).rows;
    return { database, steps: rows.flatMap((r) => stepFor(r, input)) };
  });
  const diskNeededBytes = plan.steps.reduce((sum, s) => sum + s.diskBytes, 0);
  const free = await freeBytes(target);
  return { target, ...plan, diskNeededBytes, ...(free !== undefined ? { diskFreeBytes: free } : {}) };
}

function stepFor(r: IndexRow, input: ReindexRequest): IndexStep[] {
  const quoted = qualified(r.schema, r.name);
  const drop = (): IndexStep[] => [{ index: r, kind: 'drop', statements: [{ shown: `DROP INDEX CONCURRENTLY ${quoted}`, text: `DROP INDEX CONCURRENTLY ${quoted}` }], lock: REINDEX_LOCKS.drop, diskBytes: 0 }];
  if (input.action === 'drop-leftover') {
    if (!r.leftover) throw new InputError('action', `drop-leftover drops only an invalid _ccnew/_ccold leftover of a failed REINDEX CONCURRENTLY; ${r.display} is not one`);
    return drop();
  }
  if (r.leftover) {
    if (input.index) throw new InputError('action', `${r.display} is the leftover of a failed REINDEX CONCURRENTLY: drop it with action drop-leftover (the original index is still in place)`);
    return drop();
  }
  if (r.system) {
    if (input.index) throw new InputError('index', `${r.display} is a system catalog index; REINDEX CONCURRENTLY cannot rebuild it`);
    return [];
  }
  const statements: ReindexStatement[] = [];
  // A failed build leaves the index nearly empty: its table's size bounds the new copy instead.
  const diskBytes = r.valid ? r.bytes : Math.max(r.bytes, r.tableBytes);
  if (VECTOR_METHODS.includes(r.method)) {
    // An HNSW graph (or IVFFlat lists) builds fast only when it fits in maintenance_work_mem.
    const mwm = input.maintenanceWorkMem ?? `${Math.min(1024, Math.max(64, Math.ceil((diskBytes * 1.2) / MIB)))}MB`;
    const workers = String(input.parallelWorkers ?? 2);
    statements.push(
      { shown: `SELECT set_config('maintenance_work_mem', '${mwm}', false)`, text: "select set_config('maintenance_work_mem', $1, false)", values: [mwm] },
      { shown: `SELECT set_config('max_parallel_maintenance_workers', '${workers}', false)`, text: "select set_config('max_parallel_maintenance_workers', $1, false)", values: [workers] },
    );
  }
  const blocking = r.exclusion;
  const reindex = `REINDEX INDEX ${blocking ? '' : 'CONCURRENTLY '}${quoted}`;
  statements.push({ shown: reindex, text: reindex });
  return [{ index: r, kind: blocking ? 'reindex-blocking' : 'reindex', statements, lock: blocking ? REINDEX_LOCKS.blocking : REINDEX_LOCKS.concurrent, diskBytes }];
}

async function bloatedIndexes(config: ClusterConfig, target: MaintenanceTarget, input: ReindexRequest, signal?: AbortSignal): Promise<string[]> {
  const report = await checkHealth(config, {
    checks: ['index_bloat'],
    ...(input.database ? { database: input.database } : {}),
    thresholds: { index_bloat: { warning: input.minBloatBytes ?? 1024 * MIB, critical: null } },
    ...(signal ? { signal } : {}),
  });
  return report.findings.filter((f) => f.node === target.node).map((f) => f.object);
}

/**
 * Rebuilds (or drops leftovers of) the indexes the input selects, one by one on the primary,
 * logging progress from pg_stat_progress_create_index. Checks the disk first (when the data
 * directory is local). A concurrent rebuild that fails or is cancelled leaves an invalid
 * `_ccnew` index: it is dropped again and the index reported as failed; the others go on.
 *
 * @throws InputError (nothing done); RefusedError for a blocking rebuild without confirmation;
 * PgClusterError `REFUSED` without the disk space, `ACTION_FAILED` when the only index failed.
 * @example
 * ```ts
 * const report = await runReindex(config, { invalid: true }, { progress: (l) => console.error(l) })
 * report.counts // { reindexed: 1, dropped: 1, failed: 0 }
 * ```
 */
export async function runReindex(
  config: ClusterConfig,
  input: ReindexRequest,
  options: { confirmed?: boolean; signal?: AbortSignal; progress?: (line: string) => void; topology?: TopologyProvider } = {},
): Promise<ReindexReport> {
  const plan = await planReindex(config, input, options.signal, options.topology);
  const blocking = plan.steps.filter((s) => s.kind === 'reindex-blocking');
  if (blocking.length > 0 && !options.confirmed) {
    throw new RefusedError(`${blocking.map((s) => s.index.display).join(', ')} back an exclusion constraint and cannot be rebuilt concurrently: REINDEX takes ${REINDEX_LOCKS.blocking}; nothing was done`, {
      hint: 'Run it in a quiet window with --yes.',
    });
  }
  if (plan.diskFreeBytes !== undefined && plan.diskFreeBytes < plan.diskNeededBytes) {
    throw new PgClusterError('REFUSED', `the rebuilds need up to ${plan.diskNeededBytes} bytes of disk; only ${plan.diskFreeBytes} are free; nothing was done`, { hint: 'Free disk space, or rebuild fewer indexes at a time.' });
  }
  const indexes: ReindexedIndex[] = [];
  for (const step of plan.steps) indexes.push(await runStep(plan.target, step, options.progress));
  const count = (a: ReindexedIndex['action']) => indexes.filter((i) => i.action === a).length;
  const failed = indexes.filter((i) => i.action === 'failed');
  if (indexes.length === 1 && failed.length === 1) {
    const f = failed[0]!;
    throw new PgClusterError('ACTION_FAILED', `${f.error}${f.leftoversDropped.length ? `; the leftover ${f.leftoversDropped.join(', ')} was dropped again` : ''}; ${f.index} is as it was`, {
      hint: f.validBefore ? 'Retry later.' : 'A unique index fails while duplicate rows remain: remove them, then retry.',
    });
  }
  return { node: plan.target.node, database: plan.database, indexes, counts: { reindexed: count('reindexed'), dropped: count('dropped'), failed: failed.length } };
}

async function runStep(target: MaintenanceTarget, step: IndexStep, progress?: (line: string) => void): Promise<ReindexedIndex> {
  const r = step.index;
  const started = performance.now();
  const base = { index: r.display, table: r.table, method: r.method, validBefore: r.valid, sizeBytesBefore: r.bytes, statements: step.statements.map((s) => s.shown) };
  const before = await leftovers(target, r.tableOid);
  try {
    await withTarget(target, `${step.kind === 'drop' ? 'dropping' : 'rebuilding'} ${r.display}`, async (c) => {
      const pid = (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      for (const s of step.statements.slice(0, -1)) await c.query(s.text, s.values);
      const last = step.statements.at(-1)!;
      await withProgress(target, () => c.query(last.text, last.values), (p) => readProgress(p, pid, r.display), (line) => progress?.(line));
    });
  } catch (error) {
    const message = QueryError.from(error, `${step.statements.at(-1)!.shown}`).message;
    const dropped: string[] = [];
    // A failed or cancelled concurrent build leaves an invalid <index>_ccnew: drop it again (the original is intact).
    for (const l of (await leftovers(target, r.tableOid).catch(() => [])).filter((x) => !before.some((b) => b.name === x.name && b.schema === x.schema))) {
      await withTarget(target, `dropping the leftover ${l.name}`, (c) => c.query(`DROP INDEX CONCURRENTLY ${qualified(l.schema, l.name)}`))
        .then(() => dropped.push(`${l.schema}.${l.name}`))
        .catch((e: unknown) => progress?.(`could not drop the leftover ${l.name}: ${(e as Error).message}`));
    }
    return { ...base, action: 'failed', validAfter: r.valid, sizeBytesAfter: r.bytes, leftoversDropped: dropped, error: message, durationMs: Math.round(performance.now() - started) };
  }
  const after = step.kind === 'drop' ? undefined : await indexState(target, r.schema, r.name);
  return {
    ...base,
    action: step.kind === 'drop' ? 'dropped' : 'reindexed',
    validAfter: after?.valid ?? null,
    sizeBytesAfter: after?.bytes ?? null,
    leftoversDropped: [],
    durationMs: Math.round(performance.now() - started),
  };
}

async function readProgress(c: pg.Client, pid: number, index: string): Promise<string | undefined> {
  const p = (await c.query<{ phase: string; blocks: number; blocksTotal: number; tuples: number; tuplesTotal: number }>(PROGRESS_SQL, [pid])).rows[0];
  if (!p) return undefined;
  const blocks = p.blocksTotal > 0 ? `, ${p.blocks} of ${p.blocksTotal} blocks` : '';
  const tuples = p.tuplesTotal > 0 ? `, ${p.tuples} of ${p.tuplesTotal} tuples` : '';
  return `${index}: ${p.phase}${blocks}${tuples}`;
}

async function leftovers(target: MaintenanceTarget, tableOid: number): Promise<{ schema: string; name: string }[]> {
  return withTarget(target, 'looking for _ccnew leftovers', async (c) => (await c.query<{ schema: string; name: string }>(LEFTOVERS_SQL, [tableOid])).rows);
}

async function indexState(target: MaintenanceTarget, schema: string, name: string): Promise<{ valid: boolean; bytes: number } | undefined> {
  return withTarget(target, `checking ${name}`, async (c) =>
    (await c.query<{ valid: boolean; bytes: number }>(
      'select x.indisvalid as valid, pg_relation_size(i.oid)::float8 as bytes from pg_class i join pg_namespace n on n.oid = i.relnamespace join pg_index x on x.indexrelid = i.oid where n.nspname = $1 and i.relname = $2',
      [schema, name],
    )).rows[0],
  );
}

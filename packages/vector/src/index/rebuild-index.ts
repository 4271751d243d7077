import { InputError, PgClusterError, QueryError, withClient } from '@pgcluster/core';
import { nearestName } from '@pgcluster/skill-kit';
import { qualifiedName, validateCollectionName, validateIdentifier } from '../collection/identifier';
import type { SqlStatement } from '../collection/sql-statement';
import type { VectorDb } from '../connection/vector-db';
import { resolveIndex } from './drop-index';
import { indexStatus } from './index-status';

/**
 * The statements of a rebuild: memory and workers for this session, the IVFFlat `lists` when
 * given (a storage parameter the rebuild then applies), then `REINDEX CONCURRENTLY`.
 * @example rebuildIndexStatements('public', 'docs_embedding_hnsw', '512MB', 2)
 */
export function rebuildIndexStatements(schema: string, index: string, maintenanceWorkMem: string, parallelWorkers: number, lists?: number): SqlStatement[] {
  // Security: lists is checked to be an integer; DDL cannot take bound parameters.
  if (lists !== undefined && (!Number.isInteger(lists) || lists < 1 || lists > 32768)) throw new InputError('lists', 'must be an integer from 1 to 32768');
  return [
    { text: "SELECT set_config('maintenance_work_mem', $1, false)", values: [maintenanceWorkMem] },
    { text: "SELECT set_config('max_parallel_maintenance_workers', $1, false)", values: [String(parallelWorkers)] },
    ...(lists === undefined ? [] : [{ text: `ALTER INDEX ${qualifiedName(schema, index)} SET (lists = ${lists})` }]),
    { text: `REINDEX INDEX CONCURRENTLY ${qualifiedName(schema, index)}` },
  ];
}

/**
 * Refuses `lists` for an index that is not IVFFlat (only IVFFlat has lists).
 * @throws InputError (`lists`).
 */
export function checkRebuildLists(index: { name: string; method: string }, lists: number | undefined): void {
  if (lists !== undefined && index.method !== 'ivfflat') throw new InputError('lists', `applies to IVFFlat indexes only; ${index.name} is ${index.method}`);
}

/** What the rebuild kept and changed. */
function rebuildNote(lists: number | undefined): string {
  return lists === undefined
    ? 'REINDEX keeps the index parameters (m, ef_construction, lists); pass lists to change an IVFFlat index\'s, or drop and create the index to change the others.'
    : `lists set to ${lists} and the index rebuilt with it; REINDEX keeps the other parameters.`;
}

/**
 * Runs a rebuild on its own connection. A failed or cancelled `REINDEX CONCURRENTLY` leaves an
 * invalid `<index>_ccnew` copy behind (the original stays valid); it is dropped before the error
 * is returned, and the error says so — or, when it could not be dropped, how to drop it.
 */
async function reindexConcurrently(db: VectorDb, schema: string, index: string, maintenanceWorkMem: string, parallelWorkers: number, lists: number | undefined): Promise<void> {
  const statements = rebuildIndexStatements(schema, index, maintenanceWorkMem, parallelWorkers, lists);
  try {
    await withClient({ ...db.primaryConnection, applicationName: 'pgcluster-vector-index' }, `rebuilding index ${schema}.${index}`, async (c) => {
      for (const s of statements) await c.query(s.text, s.values as unknown[] | undefined);
    });
  } catch (error) {
    const failure = QueryError.from(error, `rebuilding index ${schema}.${index}`);
    const left = await dropRebuildLeftovers(db, schema, index);
    throw new PgClusterError(failure.code, `${failure.message}; ${left.text}`, { cause: error, ...(left.hint ? { hint: left.hint } : failure.hint ? { hint: failure.hint } : {}) });
  }
}

/** Drops the invalid `<index>_ccnew[N]` copies a failed concurrent rebuild left, and says what it did. */
async function dropRebuildLeftovers(db: VectorDb, schema: string, index: string): Promise<{ text: string; hint?: string }> {
  try {
    const dropped = await withClient(db.primaryConnection, `dropping what the failed rebuild of ${index} left`, async (c) => {
      const { rows } = await c.query<{ name: string }>(
        `select ic.relname as name
           from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_namespace n on n.oid = ic.relnamespace
          where n.nspname = $1 and not i.indisvalid and left(ic.relname, length($2)) = $2
            and substr(ic.relname, length($2) + 1) ~ '^_ccnew[0-9]*$'`,
        [schema, index],
      );
      for (const r of rows) await c.query(`DROP INDEX CONCURRENTLY IF EXISTS ${qualifiedName(schema, r.name)}`);
      return rows.map((r) => r.name);
    });
    return { text: dropped.length > 0 ? `the invalid copy ${dropped.join(', ')} it left was dropped; ${index} itself is unchanged` : `it left no copy behind; ${index} itself is unchanged` };
  } catch (error) {
    return {
      text: `an invalid copy ${index}_ccnew it may have left could not be dropped (${(error as Error).message})`,
      hint: `Drop it with \`pgcluster maintenance-reindex --index ${schema}.${index}_ccnew --action drop-leftover --yes\`.`,
    };
  }
}

/** What {@link rebuildIndex} did. */
export interface RebuildIndexResult {
  collection: string;
  index: string;
  durationMs: number;
  sizeBytesBefore: number;
  sizeBytesAfter: number;
  maintenanceWorkMem: string;
  parallelWorkers: number;
  note: string;
}

/**
 * Rebuilds a vector index with `REINDEX CONCURRENTLY` (reads and writes go on), for example
 * after a failed build left it invalid or after many updates. Keeps its parameters, except an
 * IVFFlat index's `lists` when given (set first; a failed rebuild leaves the setting for the next
 * one). A failed or cancelled rebuild drops the invalid copy it left and says so.
 *
 * @example
 * ```ts
 * await rebuildIndex(db, { collection: 'docs' })
 * ```
 */
export async function rebuildIndex(
  db: VectorDb,
  input: { collection: string; index?: string; maintenanceWorkMem?: string; parallelWorkers?: number; lists?: number },
): Promise<RebuildIndexResult> {
  const collection = validateCollectionName(input.collection, 'collection');
  const mwm = input.maintenanceWorkMem ?? '512MB';
  if (!/^[1-9][0-9]{0,6}(kB|MB|GB)$/.test(mwm)) throw new InputError('maintenanceWorkMem', 'must be a size such as 256MB or 2GB');
  const workers = input.parallelWorkers ?? 2;
  if (!Number.isInteger(workers) || workers < 0 || workers > 64) throw new InputError('parallelWorkers', 'must be an integer from 0 to 64');
  const before = await indexStatus(db, { collection });
  const target = resolveIndex(before.indexes, input.index, collection);
  if (!target) throw new InputError('index', `${collection} has no vector index to rebuild; create one first`);
  checkRebuildLists(target, input.lists);
  const started = performance.now();
  await reindexConcurrently(db, db.schema, target.name, mwm, workers, input.lists);
  const after = await indexStatus(db, { collection });
  return {
    collection,
    index: target.name,
    durationMs: Math.round(performance.now() - started),
    sizeBytesBefore: target.sizeBytes,
    sizeBytesAfter: after.indexes.find((i) => i.name === target.name)?.sizeBytes ?? 0,
    maintenanceWorkMem: mwm,
    parallelWorkers: workers,
    note: rebuildNote(input.lists),
  };
}

/** A vector index named `schema.name`, as cluster-status reports it, and the table it is on. */
export interface QualifiedVectorIndex {
  schema: string;
  name: string;
  table: string;
  method: string;
  valid: boolean;
  sizeBytes: number;
}

/**
 * Finds an HNSW or IVFFlat index by its schema-qualified name (`public.items_embedding_idx`), on
 * any table — catalogued collection or not. Each part must be a lower-case identifier.
 *
 * @throws InputError (`index`) when the name is malformed or no such vector index exists
 *   (suggesting the nearest vector index name).
 * @example
 * ```ts
 * const ix = await findQualifiedIndex(db, 'public.items_embedding_idx')
 * ```
 */
export async function findQualifiedIndex(db: VectorDb, qualified: string): Promise<QualifiedVectorIndex> {
  const dot = qualified.indexOf('.');
  if (dot < 0) throw new InputError('index', 'must be schema-qualified (schema.index) when no collection is given');
  const schema = validateIdentifier(qualified.slice(0, dot), 'index');
  const name = validateIdentifier(qualified.slice(dot + 1), 'index');
  return withClient({ ...db.primaryConnection, applicationName: 'pgcluster-vector-index' }, `finding index ${schema}.${name}`, async (c) => {
    const found = await c.query<{ schema: string; name: string; table: string; method: string; valid: boolean; size_bytes: string }>(
      `select n.nspname as schema, ic.relname as name, t.relname as "table", am.amname as method, i.indisvalid as valid,
              pg_relation_size(ic.oid)::text as size_bytes
         from pg_index i
         join pg_class ic on ic.oid = i.indexrelid
         join pg_am am on am.oid = ic.relam
         join pg_class t on t.oid = i.indrelid
         join pg_namespace n on n.oid = ic.relnamespace
        where am.amname in ('hnsw', 'ivfflat')`,
    );
    const match = found.rows.find((r) => r.schema === schema && r.name === name);
    if (!match) {
      const nearest = nearestName(`${schema}.${name}`, found.rows.map((r) => `${r.schema}.${r.name}`));
      throw new InputError('index', `no HNSW or IVFFlat index ${schema}.${name} in this database${nearest ? `; did you mean ${nearest}?` : ''}`);
    }
    return { schema: match.schema, name: match.name, table: match.table, method: match.method, valid: match.valid, sizeBytes: Number(match.size_bytes) };
  });
}

/**
 * Rebuilds a vector index named `schema.index` with `REINDEX CONCURRENTLY`, whatever table it is on
 * (cluster-status reports invalid HNSW indexes this way). Keeps its parameters, except an IVFFlat
 * index's `lists` when given.
 *
 * @example
 * ```ts
 * await rebuildQualifiedIndex(db, { index: 'public.items_embedding_idx' })
 * ```
 */
export async function rebuildQualifiedIndex(
  db: VectorDb,
  input: { index: string; maintenanceWorkMem?: string; parallelWorkers?: number; lists?: number },
): Promise<Omit<RebuildIndexResult, 'collection'> & { before: QualifiedVectorIndex }> {
  const target = await findQualifiedIndex(db, input.index);
  checkRebuildLists(target, input.lists);
  const mwm = input.maintenanceWorkMem ?? '512MB';
  const workers = input.parallelWorkers ?? 2;
  const started = performance.now();
  await reindexConcurrently(db, target.schema, target.name, mwm, workers, input.lists);
  const after = await findQualifiedIndex(db, input.index);
  return {
    index: `${target.schema}.${target.name}`,
    before: target,
    durationMs: Math.round(performance.now() - started),
    sizeBytesBefore: target.sizeBytes,
    sizeBytesAfter: after.sizeBytes,
    maintenanceWorkMem: mwm,
    parallelWorkers: workers,
    note: rebuildNote(input.lists),
  };
}


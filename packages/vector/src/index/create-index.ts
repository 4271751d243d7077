import { InputError, PgClusterError, QueryError, withClient } from '@pgcluster/core';
import { CATALOG_TABLE } from '../collection/catalog';
import type { CollectionInfo } from '../collection/collection-info';
import { getCollection } from '../collection/get-collection';
import { qualifiedName, quoteIdent, validateIdentifier } from '../collection/identifier';
import { DIMENSION_LIMITS, operatorClass } from '../collection/metric';
import type { SqlStatement } from '../collection/sql-statement';
import type { VectorDb } from '../connection/vector-db';
import { BUILD_TIME_NOTE, INDEX_METHODS, INDEX_PROFILE_NAMES, INDEX_PROFILES, type IndexMethod, type IndexProfileName } from './index-profiles';

/** What {@link createIndex} is asked for. */
export interface CreateIndexInput {
  collection: string;
  /** Default `hnsw`. */
  method?: IndexMethod;
  /** HNSW profile; default `balanced` unless m/efConstruction are given. Sets the collection's default ef_search. */
  profile?: IndexProfileName;
  /** HNSW links per node (2–100); overrides the profile. */
  m?: number;
  /** HNSW build candidate list (4–1000, ≥ 2·m); overrides the profile. */
  efConstruction?: number;
  /** IVFFlat lists; default rows/1,000 up to 1M rows, √rows above. */
  lists?: number;
  /** Index name; default `<collection>_embedding_<method>`. */
  name?: string;
  /** `maintenance_work_mem` for the build, e.g. `1GB`; default sized from the table (64MB–2GB). */
  maintenanceWorkMem?: string;
  /** `max_parallel_maintenance_workers` for the build; default min(2, the server's max_parallel_workers). */
  parallelWorkers?: number;
  /** Build without blocking writes (default true); false builds faster but locks writes. */
  concurrently?: boolean;
}

/** A checked index build: what will run and with which settings. */
export interface IndexBuildPlan {
  collection: string;
  index: string;
  method: IndexMethod;
  profile: IndexProfileName | null;
  params: Record<string, number>;
  /** The profile's ef_search, stored as the collection's default after the build. */
  defaultEfSearch: number | null;
  maintenanceWorkMem: string;
  parallelWorkers: number;
  concurrently: boolean;
  statements: SqlStatement[];
  notes: string[];
}

const MEMORY = /^[1-9][0-9]{0,6}(kB|MB|GB)$/;

/**
 * The default index name of a collection and method.
 * @example defaultIndexName('docs', 'hnsw') // 'docs_embedding_hnsw'
 */
export function defaultIndexName(collection: string, method: IndexMethod): string {
  return `${collection}_embedding_${method}`;
}

/**
 * Checks an index request and builds its statements. `rows`/`tableBytes` size the defaults.
 *
 * @throws InputError naming the bad field.
 * @example
 * ```ts
 * planIndexBuild(info, { collection: 'docs', profile: 'accuracy' }, { rows: 1e5, tableBytes: 2e8, maxParallelWorkers: 8 })
 * ```
 */
export function planIndexBuild(
  info: CollectionInfo,
  input: CreateIndexInput,
  facts: { rows: number; tableBytes: number; maxParallelWorkers: number },
): IndexBuildPlan {
  const method = input.method ?? 'hnsw';
  if (!INDEX_METHODS.includes(method)) throw new InputError('method', `must be one of ${INDEX_METHODS.join(', ')}`);
  if (info.dimension > DIMENSION_LIMITS[info.type].indexed) {
    throw new InputError('collection', `${info.type}(${info.dimension}) is above pgvector's index limit of ${DIMENSION_LIMITS[info.type].indexed} dimensions`);
  }
  const index = validateIdentifier(input.name ?? defaultIndexName(info.name, method), 'name');
  const notes: string[] = [];
  let params: Record<string, number>;
  let profile: IndexProfileName | null = null;
  let defaultEfSearch: number | null = null;
  if (method === 'hnsw') {
    if (input.profile !== undefined && !INDEX_PROFILE_NAMES.includes(input.profile)) {
      throw new InputError('profile', `must be one of ${INDEX_PROFILE_NAMES.join(', ')}`);
    }
    if (input.lists !== undefined) throw new InputError('lists', 'applies to ivfflat only');
    profile = input.profile ?? (input.m === undefined && input.efConstruction === undefined ? 'balanced' : null);
    const base = profile ? INDEX_PROFILES[profile] : { m: 16, efConstruction: 64, efSearch: 0 };
    const m = input.m ?? base.m;
    const efConstruction = input.efConstruction ?? base.efConstruction;
    if (!Number.isInteger(m) || m < 2 || m > 100) throw new InputError('m', 'must be an integer from 2 to 100');
    if (!Number.isInteger(efConstruction) || efConstruction < 4 || efConstruction > 1000 || efConstruction < 2 * m) {
      throw new InputError('efConstruction', 'must be an integer from 4 to 1000 and at least 2 × m');
    }
    params = { m, ef_construction: efConstruction };
    defaultEfSearch = profile ? base.efSearch : null;
    notes.push(BUILD_TIME_NOTE);
  } else {
    if (input.profile !== undefined || input.m !== undefined || input.efConstruction !== undefined) {
      throw new InputError('profile', 'profiles, m and efConstruction apply to hnsw only');
    }
    const lists = input.lists ?? Math.max(1, Math.round(facts.rows <= 1_000_000 ? facts.rows / 1000 : Math.sqrt(facts.rows)));
    if (!Number.isInteger(lists) || lists < 1 || lists > 32768) throw new InputError('lists', 'must be an integer from 1 to 32768');
    params = { lists };
    if (facts.rows === 0) notes.push('the table is empty: IVFFlat learns its lists from the rows present at build time; build it after loading data');
    notes.push(`search with probes ≈ √lists (${Math.max(1, Math.round(Math.sqrt(lists)))}) for good recall`);
  }
  let maintenanceWorkMem = input.maintenanceWorkMem;
  if (maintenanceWorkMem === undefined) {
    const mb = Math.min(2048, Math.max(64, Math.ceil((facts.tableBytes * 2) / 1048576 / 64) * 64));
    maintenanceWorkMem = `${mb}MB`;
    notes.push(`maintenance_work_mem ${maintenanceWorkMem}: about twice the table's size (64MB–2GB), so the graph fits in memory while building`);
  } else if (!MEMORY.test(maintenanceWorkMem)) {
    // Security: the value is bound through set_config, and must look like a size anyway.
    throw new InputError('maintenanceWorkMem', 'must be a size such as 256MB or 2GB');
  }
  const parallelWorkers = input.parallelWorkers ?? Math.max(0, Math.min(2, facts.maxParallelWorkers));
  if (!Number.isInteger(parallelWorkers) || parallelWorkers < 0 || parallelWorkers > 64) throw new InputError('parallelWorkers', 'must be an integer from 0 to 64');
  if (input.parallelWorkers === undefined) notes.push(`max_parallel_maintenance_workers ${parallelWorkers}: min(2, the server's max_parallel_workers)`);
  const concurrently = input.concurrently ?? true;
  const withList = Object.entries(params).map(([k, v]) => `${k} = ${v}`).join(', ');
  // Security: the index name and table are validated identifiers, the opclass comes from fixed
  // tuples, and the WITH values are integers checked above (DDL cannot take bound parameters).
  const create = `CREATE INDEX${concurrently ? ' CONCURRENTLY' : ''} IF NOT EXISTS ${quoteIdent(index)} ON ${qualifiedName(info.schema, info.name)} USING ${method} (embedding ${operatorClass(info.metric, info.type)}) WITH (${withList})`;
  const statements: SqlStatement[] = [
    { text: "SELECT set_config('maintenance_work_mem', $1, false)", values: [maintenanceWorkMem] },
    { text: "SELECT set_config('max_parallel_maintenance_workers', $1, false)", values: [String(parallelWorkers)] },
    { text: create },
  ];
  if (defaultEfSearch !== null) {
    statements.push({
      text: `UPDATE ${CATALOG_TABLE} SET default_ef_search = $3, tuned_recall = NULL, tuned_k = NULL, tuned_at = NULL WHERE schema_name = $1 AND name = $2`,
      values: [info.schema, info.name, defaultEfSearch],
    });
  }
  return { collection: info.name, index, method, profile, params, defaultEfSearch, maintenanceWorkMem, parallelWorkers, concurrently, statements, notes };
}

/**
 * Reads what sizes an index build: the row estimate, the table's size and the server's
 * `max_parallel_workers`.
 */
export async function indexBuildFacts(db: VectorDb, info: CollectionInfo): Promise<{ rows: number; tableBytes: number; maxParallelWorkers: number }> {
  try {
    const r = await db.primary.query<{ rows: string; bytes: string; workers: string }>(
      `SELECT greatest(c.reltuples, 0)::bigint::text AS rows, pg_table_size(c.oid)::text AS bytes, current_setting('max_parallel_workers') AS workers
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
      [info.schema, info.name],
    );
    const row = r.rows[0];
    let rows = Number(row?.rows ?? 0);
    if (rows === 0 && Number(row?.bytes ?? 0) > 0) {
      // Never analysed: count (bounded) so IVFFlat lists and memory are sized sensibly.
      const c = await db.primary.query<{ n: string }>(`SELECT count(*)::text AS n FROM (SELECT 1 FROM ${qualifiedName(info.schema, info.name)} LIMIT 10000000) s`);
      rows = Number(c.rows[0]?.n ?? 0);
    }
    return { rows, tableBytes: Number(row?.bytes ?? 0), maxParallelWorkers: Number(row?.workers ?? 2) };
  } catch (error) {
    throw QueryError.from(error, `sizing ${info.name} for an index build`);
  }
}

/** What {@link createIndex} did. */
export interface CreateIndexResult extends Omit<IndexBuildPlan, 'statements'> {
  created: boolean;
  durationMs: number;
  sizeBytes: number;
}

/**
 * Builds an HNSW (default, `balanced` profile) or IVFFlat index, `CONCURRENTLY` by default
 * so writes go on, on a dedicated connection whose `maintenance_work_mem` and parallel
 * workers are set for the build (and reported). A failed or cancelled concurrent build (a
 * timeout, an abort) leaves an invalid index behind; it is dropped before the error is
 * returned, and the error says so — or, when it could not be dropped, how to drop it.
 *
 * @throws InputError on bad parameters, PgClusterError (`QUERY_FAILED`) when the build fails or is cancelled.
 * @example
 * ```ts
 * const r = await createIndex(db, { collection: 'docs', profile: 'accuracy' })
 * console.log(r.index, r.durationMs, r.maintenanceWorkMem)
 * ```
 */
export async function createIndex(db: VectorDb, input: CreateIndexInput): Promise<CreateIndexResult> {
  const info = await getCollection(db, input.collection, { fresh: true });
  const plan = planIndexBuild(info, input, await indexBuildFacts(db, info));
  const started = performance.now();
  const existed = await indexExists(db, info.schema, plan.index);
  try {
    await withClient({ ...db.primaryConnection, applicationName: 'pgcluster-vector-index' }, `building index ${plan.index}`, async (c) => {
      for (const s of plan.statements) await c.query(s.text, s.values as unknown[] | undefined);
    });
  } catch (error) {
    if (existed) throw error;
    const failure = QueryError.from(error, `building index ${plan.index}`);
    const left = await dropFailedBuild(db, info, plan.index);
    throw new PgClusterError(failure.code, `${failure.message}; ${left.text}`, { cause: error, ...(left.hint ? { hint: left.hint } : failure.hint ? { hint: failure.hint } : {}) });
  }
  db.cache.delete(info.name);
  const size = await db.primary.query<{ s: string | null }>('SELECT pg_relation_size(to_regclass($1))::text AS s', [`${info.schema}.${plan.index}`]);
  const { statements: _s, ...rest } = plan;
  return { ...rest, created: !existed, durationMs: Math.round(performance.now() - started), sizeBytes: Number(size.rows[0]?.s ?? 0) };
}

/** Drops what a failed build left (an invalid index), and says what it did or how to do it by hand. */
async function dropFailedBuild(db: VectorDb, info: CollectionInfo, index: string): Promise<{ text: string; hint?: string }> {
  try {
    const dropped = await withClient(db.primaryConnection, `dropping the invalid index ${index} of the failed build`, async (c) => {
      const found = await c.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`${info.schema}.${index}`]);
      if (found.rows[0]?.t == null) return false;
      await c.query(`DROP INDEX CONCURRENTLY IF EXISTS ${qualifiedName(info.schema, index)}`);
      return true;
    });
    return { text: dropped ? `the invalid index ${index} it left was dropped` : 'it left no index behind' };
  } catch (error) {
    return {
      text: `the invalid index ${index} it may have left could not be dropped (${(error as Error).message})`,
      hint: `Drop it with \`pgcluster vector-drop --target index --collection ${info.name} --index ${index} --yes\`.`,
    };
  }
}

async function indexExists(db: VectorDb, schema: string, index: string): Promise<boolean> {
  const r = await db.primary.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`${schema}.${index}`]);
  return r.rows[0]?.t != null;
}

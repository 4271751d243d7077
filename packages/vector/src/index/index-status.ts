import { QueryError } from '@pgcluster/core';
import type pg from 'pg';
import { validateCollectionName } from '../collection/identifier';
import type { VectorDb } from '../connection/vector-db';

/** One vector index of a collection. */
export interface IndexStatus {
  name: string;
  method: string;
  /** False while a concurrent build runs, or after one failed (then drop or rebuild it). */
  valid: boolean;
  sizeBytes: number;
  /** `CREATE INDEX …` as PostgreSQL prints it: enough to create it again. */
  definition: string;
  /** Build parameters from the index's storage options (m, ef_construction, lists). */
  params: Record<string, number>;
}

/** A running index build, from `pg_stat_progress_create_index`. */
export interface IndexBuildProgress {
  pid: number;
  index: string | null;
  command: string;
  phase: string;
  blocksDone: number;
  blocksTotal: number;
  tuplesDone: number;
  tuplesTotal: number;
  /** tuples (or blocks) done ÷ total, 0–1; null when unknown. */
  fraction: number | null;
}

/** What {@link indexStatus} reports. */
export interface IndexStatusResult {
  collection: string;
  indexes: IndexStatus[];
  builds: IndexBuildProgress[];
}

const INDEXES_SQL = `SELECT i.relname AS name, am.amname AS method, x.indisvalid AS valid,
       pg_relation_size(i.oid)::text AS size, pg_get_indexdef(i.oid) AS definition, coalesce(i.reloptions, '{}') AS options
  FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  JOIN pg_am am ON am.oid = i.relam
 WHERE n.nspname = $1 AND t.relname = $2 AND am.amname IN ('hnsw', 'ivfflat')
 ORDER BY i.relname`;

const PROGRESS_SQL = `SELECT p.pid, p.index_relid::regclass::text AS index, p.command, p.phase,
       p.blocks_done::text AS blocks_done, p.blocks_total::text AS blocks_total,
       p.tuples_done::text AS tuples_done, p.tuples_total::text AS tuples_total
  FROM pg_stat_progress_create_index p
  JOIN pg_class t ON t.oid = p.relid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE n.nspname = $1 AND t.relname = $2`;

/**
 * Lists the vector (HNSW / IVFFlat) indexes of a table with their definitions.
 * @example await vectorIndexDefinitions(client, 'public', 'docs') // [{ name, definition }]
 */
export async function vectorIndexDefinitions(client: pg.ClientBase | pg.Pool, schema: string, table: string): Promise<{ name: string; definition: string }[]> {
  const r = await client.query<{ name: string; definition: string }>(INDEXES_SQL, [schema, table]);
  return r.rows.map((x) => ({ name: x.name, definition: x.definition }));
}

/**
 * Reports a collection's vector indexes (size, validity, parameters) and any running build's
 * progress from `pg_stat_progress_create_index`.
 *
 * @example
 * ```ts
 * const { indexes, builds } = await indexStatus(db, { collection: 'docs' })
 * ```
 */
export async function indexStatus(db: VectorDb, input: { collection: string }): Promise<IndexStatusResult> {
  const name = validateCollectionName(input.collection, 'collection');
  try {
    const [idx, prog] = await Promise.all([
      db.primary.query<{ name: string; method: string; valid: boolean; size: string; definition: string; options: string[] }>(INDEXES_SQL, [db.schema, name]),
      db.primary.query(PROGRESS_SQL, [db.schema, name]),
    ]);
    return {
      collection: name,
      indexes: idx.rows.map((r) => ({
        name: r.name,
        method: r.method,
        valid: r.valid,
        sizeBytes: Number(r.size),
        definition: r.definition,
        params: parseOptions(r.options),
      })),
      builds: prog.rows.map((r) => {
        const tuplesTotal = Number(r.tuples_total);
        const blocksTotal = Number(r.blocks_total);
        const fraction = tuplesTotal > 0 ? Number(r.tuples_done) / tuplesTotal : blocksTotal > 0 ? Number(r.blocks_done) / blocksTotal : null;
        return {
          pid: r.pid,
          index: r.index,
          command: r.command,
          phase: r.phase,
          blocksDone: Number(r.blocks_done),
          blocksTotal,
          tuplesDone: Number(r.tuples_done),
          tuplesTotal,
          fraction,
        };
      }),
    };
  } catch (error) {
    throw QueryError.from(error, `reading the indexes of ${name}`);
  }
}

function parseOptions(options: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of options) {
    const [k, v] = o.split('=');
    if (k && v !== undefined && Number.isFinite(Number(v))) out[k] = Number(v);
  }
  return out;
}

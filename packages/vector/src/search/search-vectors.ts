import { InputError, QueryError } from '@pgcluster/core';
import type pg from 'pg';
import { getCollection } from '../collection/get-collection';
import { similarityFromDistance } from '../collection/metric';
import type { VectorDb, VectorPool } from '../connection/vector-db';
import { pipelinedQuery } from './pipelined-query';
import { type SearchQuery, searchStatements } from './search-query';

/** Where a search reads; one tuple yields type and choices. */
export const READ_FROM = ['replica', 'primary'] as const;
/** One of {@link READ_FROM}. */
export type ReadFrom = (typeof READ_FROM)[number];

/** What {@link searchVectors} is asked for. */
export interface SearchInput extends SearchQuery {
  collection: string;
  /** `replica` (default; the primary when there is none) or `primary` for read-your-writes. */
  readFrom?: ReadFrom;
}

/** One match of a search. */
export interface SearchMatch {
  key: string;
  namespace: string;
  /** pgvector's distance for the collection's metric (inner product: its negative). */
  distance: number;
  /** Higher is closer: cosine `1 − d`, inner product, L2 `1/(1+d)`. */
  similarity: number;
  metadata: Record<string, unknown>;
  embedding?: number[];
}

/** What {@link searchVectors} found. */
export interface SearchResult {
  collection: string;
  k: number;
  efSearch: number;
  iterativeScan: 'off' | 'relaxed_order';
  /** The node that answered (`host:port/db`). */
  node: string;
  durationMs: number;
  matches: SearchMatch[];
}

/**
 * Finds the k nearest neighbours of a vector by the collection's metric. Settings
 * (`hnsw.ef_search`, `hnsw.iterative_scan` for filtered queries, `ivfflat.probes`) are set with
 * `set_config(…, true)` — `SET LOCAL` — inside the query's own transaction, never left on a
 * pooled connection. Reads go to a replica when the handle has one, unless `readFrom: 'primary'`.
 *
 * @throws InputError on a bad vector or option, QueryError when the database refuses.
 * @example
 * ```ts
 * const { matches } = await searchVectors(db, {
 *   collection: 'docs', vector: q, k: 5, filter: { lang: 'en' }, minSimilarity: 0.5,
 * })
 * ```
 */
export async function searchVectors(db: VectorDb, input: SearchInput): Promise<SearchResult> {
  const readFrom = input.readFrom ?? 'replica';
  if (!READ_FROM.includes(readFrom)) throw new InputError('readFrom', `must be one of ${READ_FROM.join(', ')}`);
  const target = readFrom === 'primary' ? { pool: db.primary, label: db.primaryLabel } : db.readPool();
  const info = await getCollection(db, input.collection, { pool: target.pool });
  const s = searchStatements(info, input);
  const started = performance.now();
  const rows = await runInTransaction(target.pool, `searching ${input.collection} on ${target.label}`, s.settings, s.query);
  return {
    collection: input.collection,
    k: input.k ?? 10,
    efSearch: s.efSearch,
    iterativeScan: s.iterativeScan,
    node: target.label,
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    matches: rows.map((r) => ({
      key: r.key,
      namespace: r.namespace,
      distance: r.distance,
      similarity: similarityFromDistance(info.metric, r.distance),
      metadata: r.metadata,
      ...(r.embedding !== undefined ? { embedding: JSON.parse(r.embedding) as number[] } : {}),
    })),
  };
}

interface Row {
  key: string;
  namespace: string;
  metadata: Record<string, unknown>;
  distance: number;
  embedding?: string;
}

/**
 * Runs settings + query in one transaction on one pooled client, so the settings are
 * `SET LOCAL` to this query and never stay on the pooled connection. Parameterless settings
 * with a named query go in one round trip (see {@link pipelinedQuery}: one implicit
 * transaction, the query a prepared statement parsed once per connection); otherwise
 * BEGIN; settings; query; COMMIT. Exported for `tune` and the benchmark.
 */
export async function runInTransaction(
  pool: VectorPool,
  context: string,
  settings: { text: string; values?: readonly unknown[] },
  query: { text: string; values?: readonly unknown[]; name?: string },
): Promise<Row[]> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw QueryError.from(error, context);
  }
  if (query.name !== undefined && !(settings.values && settings.values.length > 0)) {
    let failed = false;
    try {
      return await pipelinedQuery<Row>(client, settings.text, { name: query.name, text: query.text, values: query.values ?? [] });
    } catch (error) {
      failed = true;
      throw QueryError.from(error, context);
    } finally {
      // After an error the connection's record of prepared statements may be wrong: discard it.
      client.release(failed);
    }
  }
  let broken = false;
  try {
    await client.query('BEGIN');
    await client.query(settings.text, settings.values as unknown[] | undefined);
    const r = await client.query<Row>(query.text, query.values as unknown[] | undefined);
    await client.query('COMMIT');
    return r.rows;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw QueryError.from(error, context);
  } finally {
    client.release(broken);
  }
}

import { QueryError } from '@pgcluster/core';
import { qualifiedName } from '../collection/identifier';
import type { VectorDb } from '../connection/vector-db';

/** A query vector sampled from a collection, with the `namespace\0key` of its own row. */
export interface SampledQuery {
  vector: number[];
  self: string;
}

/**
 * Samples `n` stored vectors as queries, reproducibly for a seed (`setseed` + `random()`).
 * Callers leave each query's own row out of the answers they compare.
 *
 * @example
 * ```ts
 * const qs = await sampleQueries(db, 'public', 'docs', 50, 1)
 * ```
 */
export async function sampleQueries(db: VectorDb, schema: string, name: string, n: number, seed: number): Promise<SampledQuery[]> {
  const client = await db.primary.connect().catch((e: unknown) => {
    throw QueryError.from(e, `sampling queries from ${name}`);
  });
  try {
    await client.query('BEGIN');
    await client.query('SELECT setseed($1)', [((Math.abs(seed) % 1000) / 1000) * 2 - 1]);
    const r = await client.query<{ key: string; namespace: string; e: string }>(
      `SELECT key, namespace, embedding::text AS e FROM ${qualifiedName(schema, name)} ORDER BY random() LIMIT $1`,
      [n],
    );
    await client.query('COMMIT');
    return r.rows.map((row) => ({ vector: JSON.parse(row.e) as number[], self: `${row.namespace}\u0000${row.key}` }));
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw QueryError.from(error, `sampling queries from ${name}`);
  } finally {
    client.release();
  }
}

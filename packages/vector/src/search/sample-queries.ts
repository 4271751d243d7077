import { QueryError } from '@pgcluster/core';
import { qualifiedName } from '../collection/identifier';
import { seededRandom } from '../data/seeded-random';
import type { VectorDb } from '../connection/vector-db';

/** A query vector sampled from a collection, with the `namespace\0key` of its own row (undefined for perturbed queries). */
export interface SampledQuery {
  vector: number[];
  self: string | undefined;
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
export async function sampleQueries(db: VectorDb, schema: string, name: string, n: number, seed: number, options: { perturb?: boolean } = {}): Promise<SampledQuery[]> {
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
    if (!options.perturb) {
      await client.query('COMMIT');
      return r.rows.map((row) => ({ vector: JSON.parse(row.e) as number[], self: `${row.namespace}\u0000${row.key}` }));
    }
    // A stored row is an easy query: it sits in the index's graph. A held-out-like query is the
    // row moved in a random direction by the distance to its nearest other row, so it is about as
    // far from the data as a new embedding of the same kind would be.
    const rng = seededRandom(seed ^ 0x5bd1e995);
    const out: SampledQuery[] = [];
    for (const row of r.rows) {
      const t = qualifiedName(schema, name);
      const nn = await client.query<{ d: number | null }>(
        `WITH s AS (SELECT embedding AS q FROM ${t} WHERE namespace = $1 AND key = $2)
         SELECT x.embedding <-> s.q AS d FROM ${t} x, s WHERE NOT (x.namespace = $1 AND x.key = $2) ORDER BY x.embedding <-> s.q LIMIT 1`,
        [row.namespace, row.key],
      );
      const v = JSON.parse(row.e) as number[];
      const d = nn.rows[0]?.d ?? 0;
      const g = v.map(() => rng.gaussian());
      const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0)) || 1;
      out.push({ vector: v.map((x, i) => x + (g[i]! * d) / norm), self: undefined });
    }
    await client.query('COMMIT');
    return out;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw QueryError.from(error, `sampling queries from ${name}`);
  } finally {
    client.release();
  }
}

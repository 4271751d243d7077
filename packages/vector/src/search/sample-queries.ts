import { QueryError } from '@pgcluster/core';
import { qualifiedName } from '../collection/identifier';
import { seededRandom, type SeededRandom } from '../data/seeded-random';
import type { VectorDb } from '../connection/vector-db';

/**
 * Rows around a sampled row that a held-out-like query is drawn from. Measured on 30,000 × 128-d
 * anisotropic Gaussians: with 200 the draws' contrast (distance to the 10th over the 1st nearest
 * row) is 1.175 vs 1.177 for real new queries; with 10 it was 1.475, and 1.507 for a row moved by
 * its nearest-neighbour distance in a uniform direction — easier queries, which flattered recall
 * (tune claimed 0.975 at ef_search 10 where new queries got 0.946).
 */
const NEIGHBOURHOOD = 200;

/**
 * How much wider than the neighbourhood's own spread a draw is. The 200 nearest rows are a tight
 * sample of the distribution around a row, so draws at their covariance land nearer the data than
 * new queries do (distance to the nearest row 0.355 vs 0.431) and flatter recall; at 1.5 they are a
 * little farther (0.469, contrast 1.144): they err on the harder side. Measured with tune (target
 * 0.95, 95% bound) on 30,000 × 128-d anisotropic Gaussians, scale falling as i^-1 and i^-0.25, then
 * 200 new queries at the chosen ef_search: at 1.0, 3 of 8 choices missed (0.947); at 1.25, 1 of 8;
 * at 1.5 none of 12 (0.964–0.985).
 */
const DRAW_SCALE = 1.5;

/** A query vector sampled from a collection, with the `namespace\0key` of its own row (undefined for queries drawn from a neighbourhood). */
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
    // A stored row is an easy query: it sits in the index's graph, and so does a row moved off
    // itself (it still ranks the other rows as the row does). A held-out-like query is a fresh
    // draw from the row's neighbourhood: its mean plus a random combination of its members'
    // offsets, which has the neighbourhood's own covariance — as far from every stored row, and
    // as hard to rank, as a new embedding of the same kind (see NEIGHBOURHOOD).
    const rng = seededRandom(seed ^ 0x5bd1e995);
    const t = qualifiedName(schema, name);
    const out: SampledQuery[] = [];
    for (const row of r.rows) {
      const nn = await client.query<{ e: string }>(
        `WITH s AS (SELECT embedding AS q FROM ${t} WHERE namespace = $1 AND key = $2)
         SELECT x.embedding::text AS e FROM ${t} x, s WHERE NOT (x.namespace = $1 AND x.key = $2) ORDER BY x.embedding <-> s.q LIMIT $3`,
        [row.namespace, row.key, NEIGHBOURHOOD],
      );
      const v = JSON.parse(row.e) as number[];
      out.push({ vector: drawFromNeighbourhood([v, ...nn.rows.map((n) => JSON.parse(n.e) as number[])], rng, DRAW_SCALE), self: undefined });
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

/**
 * A random point with the mean and `scale²` times the covariance of `points` (a row and its
 * neighbours): their mean plus `Σ wᵢ (pᵢ − mean)` with `wᵢ ~ N(0, scale²/(n−1))`. One point: itself.
 */
export function drawFromNeighbourhood(points: readonly (readonly number[])[], rng: SeededRandom, scale = 1): number[] {
  const n = points.length;
  const dim = points[0]?.length ?? 0;
  const mean = new Array<number>(dim).fill(0);
  for (const p of points) for (let i = 0; i < dim; i++) mean[i]! += p[i]! / n;
  if (n < 2) return mean;
  const out = [...mean];
  const w0 = scale / Math.sqrt(n - 1);
  for (const p of points) {
    const w = rng.gaussian() * w0;
    for (let i = 0; i < dim; i++) out[i]! += w * (p[i]! - mean[i]!);
  }
  return out;
}

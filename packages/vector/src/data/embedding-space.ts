import type { VectorRow } from '../insert/vector-row';
import { seededRandom } from './seeded-random';

/** The shape of a synthetic embedding space. */
export interface EmbeddingSpaceOptions {
  dimension: number;
  /** Number of clusters (topics); default 100. */
  clusters?: number;
  /** How far points stray from their cluster's centre (noise norm relative to the unit centre); default 0.6. */
  spread?: number;
  /** Seed of the cluster centres; default 1. */
  seed?: number;
}

/** A generated row: an L2-normalised Float32Array embedding with `{ cluster, bucket }` metadata. */
export interface GeneratedRow extends VectorRow {
  key: string;
  embedding: Float32Array;
  metadata: { cluster: number; bucket: number };
}

/** A seeded space of clustered, normalised embeddings. */
export interface EmbeddingSpace {
  readonly dimension: number;
  readonly clusters: number;
  /**
   * Yields `count` rows lazily (memory does not grow with count). Keys are `${keyPrefix}${i}`;
   * `metadata.bucket` is `i % 100`, so `{ bucket: 7 }` matches 1% of the rows.
   */
  rows(count: number, options?: { seed?: number; keyPrefix?: string; start?: number; namespace?: string }): Generator<GeneratedRow>;
  /** `count` query vectors drawn from the same clusters with another seed (held out: not stored rows). */
  queries(count: number, seed?: number): Float32Array[];
}

/**
 * A seeded generator of clustered, L2-normalised embeddings: points scattered around random
 * unit centres, so nearest neighbours and recall behave like real embeddings (topics), unlike
 * uniform noise, where every point is almost equally far from every other.
 *
 * @example
 * ```ts
 * const space = embeddingSpace({ dimension: 384, clusters: 50, seed: 7 })
 * await insertVectors(db, 'docs', space.rows(100_000))
 * const queries = space.queries(100, 99)
 * ```
 */
export function embeddingSpace(options: EmbeddingSpaceOptions): EmbeddingSpace {
  const dimension = options.dimension;
  const clusters = options.clusters ?? 100;
  const spread = options.spread ?? 0.6;
  if (!Number.isInteger(dimension) || dimension < 1) throw new RangeError('dimension must be a positive integer');
  if (!Number.isInteger(clusters) || clusters < 1) throw new RangeError('clusters must be a positive integer');
  const centreRng = seededRandom(options.seed ?? 1);
  const centres = Array.from({ length: clusters }, () => {
    const v = new Float64Array(dimension);
    for (let i = 0; i < dimension; i++) v[i] = centreRng.gaussian();
    return normalise(v);
  });
  const sigma = spread / Math.sqrt(dimension);
  const point = (rng: ReturnType<typeof seededRandom>): { v: Float32Array; cluster: number } => {
    const cluster = Math.floor(rng.next() * clusters);
    const c = centres[cluster]!;
    const v = new Float64Array(dimension);
    for (let i = 0; i < dimension; i++) v[i] = c[i]! + sigma * rng.gaussian();
    return { v: Float32Array.from(normalise(v)), cluster };
  };
  return {
    dimension,
    clusters,
    *rows(count, o = {}) {
      const rng = seededRandom(o.seed ?? 2);
      const start = o.start ?? 0;
      const prefix = o.keyPrefix ?? '';
      for (let i = start; i < start + count; i++) {
        const { v, cluster } = point(rng);
        yield {
          key: `${prefix}${i}`,
          embedding: v,
          metadata: { cluster, bucket: i % 100 },
          ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
        };
      }
    },
    queries(count, seed = 3) {
      const rng = seededRandom(seed);
      return Array.from({ length: count }, () => point(rng).v);
    },
  };
}

function normalise(v: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

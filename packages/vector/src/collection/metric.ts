/** Distance metrics a collection can use; fixed at creation. */
export const METRICS = ['cosine', 'l2', 'inner_product'] as const;
/** One of {@link METRICS}. */
export type Metric = (typeof METRICS)[number];

/** The pgvector column types a collection can store. */
export const VECTOR_TYPES = ['vector', 'halfvec'] as const;
/** One of {@link VECTOR_TYPES}. */
export type VectorType = (typeof VECTOR_TYPES)[number];

/** pgvector's hard limit on dimensions of a column, and the limit for an HNSW/IVFFlat index. */
export const DIMENSION_LIMITS: Readonly<Record<VectorType, { column: number; indexed: number }>> = {
  vector: { column: 16_000, indexed: 2_000 },
  halfvec: { column: 16_000, indexed: 4_000 },
};

const OPERATORS: Readonly<Record<Metric, string>> = { cosine: '<=>', l2: '<->', inner_product: '<#>' };
const OPCLASS_SUFFIX: Readonly<Record<Metric, string>> = { cosine: 'cosine_ops', l2: 'l2_ops', inner_product: 'ip_ops' };

/**
 * The pgvector distance operator of a metric.
 * @example distanceOperator('cosine') // '<=>'
 */
export function distanceOperator(metric: Metric): string {
  return OPERATORS[metric];
}

/**
 * The operator class an index needs for a metric and type.
 * @example operatorClass('cosine', 'halfvec') // 'halfvec_cosine_ops'
 */
export function operatorClass(metric: Metric, type: VectorType): string {
  return `${type}_${OPCLASS_SUFFIX[metric]}`;
}

/**
 * Turns a pgvector distance into a similarity where higher is closer:
 * cosine `1 − d`, inner product `−d` (pgvector returns the negative inner product),
 * L2 `1 / (1 + d)`.
 * @example similarityFromDistance('cosine', 0.25) // 0.75
 */
export function similarityFromDistance(metric: Metric, distance: number): number {
  if (metric === 'cosine') return 1 - distance;
  if (metric === 'inner_product') return -distance;
  return 1 / (1 + distance);
}

/**
 * The largest distance that still has at least `similarity` (inverse of {@link similarityFromDistance}).
 * @example maxDistanceForSimilarity('cosine', 0.8) // 0.2 (approximately)
 */
export function maxDistanceForSimilarity(metric: Metric, similarity: number): number {
  if (metric === 'cosine') return 1 - similarity;
  if (metric === 'inner_product') return -similarity;
  return similarity <= 0 ? Number.POSITIVE_INFINITY : 1 / similarity - 1;
}

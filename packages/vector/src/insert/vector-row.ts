/**
 * One row to insert. `embedding` may be a plain array or a typed array; `key` is unique per
 * namespace (a number is stored as its decimal text).
 *
 * @example
 * ```ts
 * const row: VectorRow = { key: 'doc-1', embedding: [0.1, 0.2, 0.3], metadata: { lang: 'en' } }
 * ```
 */
export interface VectorRow {
  key: string | number;
  embedding: ArrayLike<number>;
  /** Default `''` (the default namespace). */
  namespace?: string;
  /** A JSON object; default `{}`. */
  metadata?: Record<string, unknown> | null;
}

import type { Metric, VectorType } from './metric';

/** What the catalogue knows about one collection. */
export interface CollectionInfo {
  schema: string;
  name: string;
  dimension: number;
  type: VectorType;
  metric: Metric;
  /** The `hnsw.ef_search` searches use when they do not pass one (set by an index profile or `tune`). */
  defaultEfSearch: number | null;
  /** The recall@k that `tune` measured for {@link defaultEfSearch}, and its k. */
  tunedRecall: number | null;
  tunedK: number | null;
  tunedAt: string | null;
  createdAt: string;
}

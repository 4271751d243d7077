/**
 * @pgcluster/vector — pgvector collections, binary COPY insert, filtered search, HNSW/IVFFlat
 * index management with tuned profiles, and a recall/QPS benchmark.
 *
 * @example
 * ```ts
 * const db = await openVectorDb({ cluster: loadConfig().config })
 * await createCollection(db, { name: 'docs', dimension: 384 })
 * await insertVectors(db, 'docs', readVectorFile('docs.ndjson'))
 * await createIndex(db, { collection: 'docs', profile: 'balanced' })
 * await tuneEfSearch(db, { collection: 'docs', targetRecall: 0.95 })
 * const { matches } = await searchVectors(db, { collection: 'docs', vector: q, k: 10 })
 * await db.close()
 * ```
 * @packageDocumentation
 */
export { openVectorDb, type VectorDbConfig, type VectorDb } from './connection/vector-db';
export { validateCollectionName, COLLECTION_NAME_PATTERN } from './collection/identifier';
export { METRICS, type Metric, VECTOR_TYPES, type VectorType, DIMENSION_LIMITS } from './collection/metric';
export { type CollectionInfo } from './collection/collection-info';
export { getCollection } from './collection/get-collection';
export {
  createCollection,
  type CreateCollectionInput,
  type CollectionSpec,
  type CreateCollectionResult,
} from './collection/create-collection';
export {
  describeCollection,
  listCollections,
  type CollectionDescription,
  type CollectionSummary,
} from './collection/describe-collection';
export { dropCollection, type DropCollectionResult } from './collection/drop-collection';
export { type VectorRow } from './insert/vector-row';
export { validateRow, MAX_KEY_LENGTH, VectorRowError } from './insert/validate-row';
export {
  insertVectors,
  ON_CONFLICT,
  type OnConflict,
  type InsertProgress,
  type InsertOptions,
  type InsertResult,
} from './insert/insert-vectors';
export { readNdjson } from './loaders/read-ndjson';
export { readCsv } from './loaders/read-csv';
export { readFvecs } from './loaders/read-fvecs';
export { readNpy } from './loaders/read-npy';
export { readVectorFile, FILE_FORMATS, type FileFormat } from './loaders/read-vector-file';
export {
  searchStatements,
  PGVECTOR_DEFAULT_EF_SEARCH,
  MAX_EF_SEARCH,
  type SearchQuery,
  type SearchStatements,
} from './search/search-query';
export {
  searchVectors,
  runInTransaction,
  READ_FROM,
  type ReadFrom,
  type SearchInput,
  type SearchMatch,
  type SearchResult,
} from './search/search-vectors';
export { pipelinedQuery } from './search/pipelined-query';
export { exactNeighbours } from './search/exact-neighbours';
export {
  INDEX_METHODS,
  type IndexMethod,
  INDEX_PROFILE_NAMES,
  type IndexProfileName,
  type IndexProfile,
  INDEX_PROFILES,
  BUILD_TIME_NOTE,
} from './index/index-profiles';
export {
  indexStatus,
  type IndexStatus,
  type IndexBuildProgress,
  type IndexStatusResult,
} from './index/index-status';
export { createIndex, type CreateIndexInput, type CreateIndexResult } from './index/create-index';
export { dropIndex, type DropIndexResult } from './index/drop-index';
export { rebuildIndex, type RebuildIndexResult } from './index/rebuild-index';
export {
  tuneEfSearch,
  DEFAULT_EF_CANDIDATES,
  DEFAULT_TUNE_SAMPLE_SIZE,
  DEFAULT_TUNE_CONFIDENCE,
  type TuneInput,
  type TunePoint,
  type TuneResult,
} from './index/tune-ef-search';
export {
  embeddingSpace,
  type EmbeddingSpaceOptions,
  type GeneratedRow,
  type EmbeddingSpace,
} from './data/embedding-space';
export { recallAtK } from './bench/recall-at-k';
export { recallLowerBound } from './bench/recall-bound';
export { measureConcurrent, type LoadMeasurement } from './bench/measure-concurrent';
export { sampleQueries, type SampledQuery } from './search/sample-queries';
export {
  runVectorBenchmark,
  type VectorBenchmarkOptions,
  type BenchmarkPoint,
  type VectorBenchmarkResult,
} from './bench/run-vector-benchmark';
export { VectorInsertInput, VectorInsertOutput, VectorInsertSkill } from './skills/vector-insert.skill';
export { VectorSearchInput, VectorSearchOutput, VectorSearchSkill } from './skills/vector-search.skill';
export {
  VECTOR_INDEX_ACTIONS,
  VectorIndexInput,
  VectorIndexOutput,
  VectorIndexSkill,
} from './skills/vector-index.skill';
export { DROP_TARGETS, VectorDropInput, VectorDropOutput, VectorDropSkill } from './skills/vector-drop.skill';
export {
  VectorBenchmarkInput,
  VectorBenchmarkOutput,
  VectorBenchmarkSkill,
} from './skills/vector-benchmark.skill';

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
export * from './connection/vector-db';
export * from './collection/identifier';
export * from './collection/metric';
export * from './collection/collection-info';
export * from './collection/sql-statement';
export * from './collection/catalog';
export * from './collection/get-collection';
export * from './collection/create-collection';
export * from './collection/describe-collection';
export * from './collection/drop-collection';
export * from './copy/vector-binary';
export * from './copy/copy-binary-writer';
export * from './insert/vector-row';
export * from './insert/validate-row';
export * from './insert/insert-vectors';
export * from './loaders/read-ndjson';
export * from './loaders/read-csv';
export * from './loaders/read-fvecs';
export * from './loaders/read-npy';
export * from './loaders/read-vector-file';
export * from './search/search-query';
export * from './search/search-vectors';
export * from './search/pipelined-query';
export * from './search/exact-neighbours';
export * from './index/index-profiles';
export * from './index/index-status';
export * from './index/create-index';
export * from './index/drop-index';
export * from './index/rebuild-index';
export * from './index/tune-ef-search';
export * from './data/seeded-random';
export * from './data/embedding-space';
export * from './bench/recall-at-k';
export * from './bench/measure-concurrent';
export * from './search/sample-queries';
export * from './bench/run-vector-benchmark';
export * from './skills/vector-insert.skill';
export * from './skills/vector-search.skill';
export * from './skills/vector-index.skill';
export * from './skills/vector-drop.skill';
export * from './skills/vector-benchmark.skill';

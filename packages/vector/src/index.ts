/**
 * pgvector collections, binary COPY insert, search, HNSW/IVFFlat index management, benchmarks.
 *
 * Nothing is exported yet: the issues that fill this package add its public API here.
 * @packageDocumentation
 */
export {};

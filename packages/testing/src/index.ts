/**
 * Real PostgreSQL + pgvector clusters for tests, benchmarks and pgcluster dev.
 *
 * Nothing is exported yet: the issues that fill this package add its public API here.
 * @packageDocumentation
 */
export {};

import { InputError } from '@pgcluster/core';
import { getCollection } from '../collection/get-collection';
import type { VectorDb } from '../connection/vector-db';
import { dropSelf } from '../index/tune-ef-search';
import { indexStatus } from '../index/index-status';
import { approximateNeighbours, exactNeighbours } from '../search/exact-neighbours';
import { sampleQueries } from '../search/sample-queries';
import { PGVECTOR_DEFAULT_EF_SEARCH, searchStatements } from '../search/search-query';
import { runInTransaction } from '../search/search-vectors';
import { type LoadMeasurement, measureConcurrent } from './measure-concurrent';
import { recallAtK } from './recall-at-k';

/** What {@link runVectorBenchmark} measures. */
export interface VectorBenchmarkOptions {
  collection: string;
  /** Called after each step (each exact answer, then each ef_search measured), for a progress bar. */
  onProgress?: (done: number, total: number) => void;

  /** Default 10. */
  k?: number;
  /** Concurrent clients; default 8. */
  concurrency?: number;
  /** ef_search values to measure; default [40, the collection's default]. */
  efSearch?: number[];
  /** Sample queries drawn from the collection (each drawn from a stored row's neighbourhood, like a held-out query); default 50. */
  sampleSize?: number;
  /** Your own query vectors instead of a sample. */
  queries?: ArrayLike<number>[];
  /** Searches per measured point; default 1,000. */
  operations?: number;
  /** `replica` (default) or `primary`. */
  readFrom?: 'replica' | 'primary';
  seed?: number;
  /** Stops the benchmark between searches (the executor's signal); rejects with its reason. */
  signal?: AbortSignal;
}

/** One measured ef_search. */
export interface BenchmarkPoint extends LoadMeasurement {
  efSearch: number;
  /** Mean recall@k against exact answers. */
  recall: number;
}

/** What {@link runVectorBenchmark} found. */
export interface VectorBenchmarkResult {
  collection: string;
  k: number;
  sampleSize: number;
  index: { name: string; method: string; sizeBytes: number; params: Record<string, number> } | null;
  points: BenchmarkPoint[];
}

/**
 * Measures recall@k (against exact answers, index scans disabled) and QPS with p50/p95/p99
 * latency at a concurrency, for each ef_search, on a collection's existing index. Reads only.
 *
 * @example
 * ```ts
 * const r = await runVectorBenchmark(db, { collection: 'docs', efSearch: [40, 100, 200], concurrency: 8 })
 * console.table(r.points)
 * ```
 */
export async function runVectorBenchmark(db: VectorDb, input: VectorBenchmarkOptions): Promise<VectorBenchmarkResult> {
  const info = await getCollection(db, input.collection, { fresh: true });
  const k = input.k ?? 10;
  const concurrency = input.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new InputError('concurrency', 'must be an integer from 1 to 256');
  const operations = input.operations ?? 1000;
  if (!Number.isInteger(operations) || operations < 1 || operations > 1_000_000) throw new InputError('operations', 'must be an integer from 1 to 1000000');
  const efs = [...new Set(input.efSearch ?? [PGVECTOR_DEFAULT_EF_SEARCH, info.defaultEfSearch ?? PGVECTOR_DEFAULT_EF_SEARCH])].sort((a, b) => a - b);
  const sampled = input.queries === undefined;
  const queries = sampled
    ? await sampleQueries(db, info.schema, info.name, input.sampleSize ?? 50, input.seed ?? 7, { perturb: true })
    : input.queries!.map((v) => ({ vector: v, self: undefined as string | undefined }));
  if (queries.length === 0) throw new InputError('collection', `${info.name} is empty`);
  const extra = 0;
  const truth: string[][] = [];
  const signal = input.signal;
  const steps = queries.length + efs.length;
  for (const q of queries) {
    signal?.throwIfAborted();
    truth.push(dropSelf(await exactNeighbours(db, info, { vector: q.vector, k: k + extra }), q.self, k));
    input.onProgress?.(truth.length, steps);
  }
  const { indexes } = await indexStatus(db, { collection: info.name });
  const idx = indexes.find((i) => i.valid) ?? null;
  const points: BenchmarkPoint[] = [];
  for (const ef of efs) {
    let sum = 0;
    for (const [i, q] of queries.entries()) {
      signal?.throwIfAborted();
      sum += recallAtK(truth[i]!, dropSelf(await approximateNeighbours(db, info, { vector: q.vector, k: k + extra, efSearch: ef }), q.self, k), k);
    }
    const statements = queries.map((q) => searchStatements(info, { vector: q.vector, k, efSearch: ef }));
    const pick = () => (input.readFrom === 'primary' ? { pool: db.primary, label: db.primaryLabel } : db.readPool());
    const m = await measureConcurrent(operations, concurrency, async (i) => {
      const s = statements[i % statements.length]!;
      const t = pick();
      await runInTransaction(t.pool, `benchmark search on ${t.label}`, s.settings, s.query);
    }, signal);
    points.push({ efSearch: ef, recall: Math.round((sum / queries.length) * 1000) / 1000, ...m });
    input.onProgress?.(queries.length + points.length, steps);
  }
  return {
    collection: info.name,
    k,
    sampleSize: queries.length,
    index: idx ? { name: idx.name, method: idx.method, sizeBytes: idx.sizeBytes, params: idx.params } : null,
    points,
  };
}

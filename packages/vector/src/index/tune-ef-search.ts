import { InputError, QueryError } from '@pgcluster/core';
import { sampleQueries } from '../search/sample-queries';
import { CATALOG_TABLE } from '../collection/catalog';
import { getCollection } from '../collection/get-collection';
import type { VectorDb } from '../connection/vector-db';
import { recallAtK } from '../bench/recall-at-k';
import { recallLowerBound } from '../bench/recall-bound';
import { approximateNeighbours, exactNeighbours } from '../search/exact-neighbours';
import { MAX_EF_SEARCH } from '../search/search-query';
import { indexStatus } from './index-status';

/** Sample queries `tune` draws by default: enough for a lower bound within about 0.01–0.02 of the mean near recall 0.95. */
export const DEFAULT_TUNE_SAMPLE_SIZE = 100;

/** The confidence of the lower bound `tune` holds to the target by default. */
export const DEFAULT_TUNE_CONFIDENCE = 0.95;

/** The ef_search values `tune` tries, in order, by default. */
export const DEFAULT_EF_CANDIDATES: readonly number[] = [10, 20, 40, 60, 80, 100, 120, 160, 200, 250, 300, 400, 500, 600, 800, 1000];

/** What {@link tuneEfSearch} is asked for. */
export interface TuneInput {
  collection: string;
  /** Called after each step (each exact answer, then each ef_search tried; it may stop early), for a progress bar. */
  onProgress?: (done: number, total: number) => void;

  /** The recall@k to reach, 0–1 (e.g. 0.95). */
  targetRecall: number;
  /** Default 10. */
  k?: number;
  /** Sample queries drawn from the collection when `queries` is not given; default {@link DEFAULT_TUNE_SAMPLE_SIZE}. */
  sampleSize?: number;
  /** Your own query vectors (best: real queries, not stored rows). */
  queries?: ArrayLike<number>[];
  /** Seed of the sample; default 1 (the same sample every run). */
  seed?: number;
  /** Store the result as the collection's default ef_search (default true). */
  store?: boolean;
  /** ef_search values to try, ascending; default {@link DEFAULT_EF_CANDIDATES}. */
  candidates?: number[];
  /**
   * Confidence of the lower bound that must reach the target (default {@link DEFAULT_TUNE_CONFIDENCE}):
   * the chosen ef_search is the smallest whose one-sided lower confidence bound on mean recall@k
   * over the sample, not just the sample's mean, is at least `targetRecall`.
   */
  confidence?: number;
}

/** One measured point of the recall curve. */
export interface TunePoint {
  efSearch: number;
  /** Mean recall@k over the sample. */
  recall: number;
  /** One-sided lower confidence bound on that mean (see {@link TuneInput.confidence}). */
  recallLowerBound: number;
  meanLatencyMs: number;
}

/** What {@link tuneEfSearch} found. */
export interface TuneResult {
  collection: string;
  k: number;
  targetRecall: number;
  /** The smallest ef_search that reached the target (or the largest tried, when none did). */
  efSearch: number;
  recall: number;
  /** The lower confidence bound on `recall`: what the choice promises for new queries like the sample. */
  recallLowerBound: number;
  /** The confidence of that bound. */
  confidence: number;
  reached: boolean;
  stored: boolean;
  sampleSize: number;
  /** Whether the sample came from the collection (each query drawn from a stored row's neighbourhood, so it behaves like a held-out query). */
  sampledFromCollection: boolean;
  curve: TunePoint[];
}

/**
 * Finds the smallest `hnsw.ef_search` whose recall@k on sample queries reaches a target with
 * confidence — the one-sided lower confidence bound on the sample's mean recall, not the mean
 * itself, must reach it — against exact answers (a scan with index scans disabled), and stores it
 * as the collection's default. Without `queries`, stored rows are sampled and a query is drawn from
 * each one's neighbourhood (its mean and covariance): a stored row itself is in the graph and would
 * flatter recall (measured: 0.96 on stored rows vs 0.70 on held-out queries at ef_search 10).
 *
 * @throws InputError on a bad target or when the collection has no HNSW index.
 * @example
 * ```ts
 * const t = await tuneEfSearch(db, { collection: 'docs', targetRecall: 0.95 })
 * console.log(`ef_search ${t.efSearch} gives recall@10 ${t.recall}`)
 * ```
 */
export async function tuneEfSearch(db: VectorDb, input: TuneInput): Promise<TuneResult> {
  const info = await getCollection(db, input.collection, { fresh: true });
  const k = input.k ?? 10;
  if (typeof input.targetRecall !== 'number' || !(input.targetRecall > 0 && input.targetRecall <= 1)) {
    throw new InputError('targetRecall', 'must be a number above 0 and at most 1, e.g. 0.95');
  }
  if (!Number.isInteger(k) || k < 1 || k > 1000) throw new InputError('k', 'must be an integer from 1 to 1000');
  const sampleSize = input.sampleSize ?? DEFAULT_TUNE_SAMPLE_SIZE;
  const confidence = input.confidence ?? DEFAULT_TUNE_CONFIDENCE;
  if (typeof confidence !== 'number' || !(confidence >= 0.5 && confidence < 1)) throw new InputError('confidence', 'must be a number from 0.5 to below 1, e.g. 0.95');
  if (!Number.isInteger(sampleSize) || sampleSize < 1 || sampleSize > 10_000) throw new InputError('sampleSize', 'must be an integer from 1 to 10000');
  const candidates = (input.candidates ?? [...DEFAULT_EF_CANDIDATES]).filter((c) => c >= k && c <= MAX_EF_SEARCH).sort((a, b) => a - b);
  if (candidates.length === 0 || candidates.some((c) => !Number.isInteger(c))) throw new InputError('candidates', `must hold integers from k to ${MAX_EF_SEARCH}`);
  const { indexes } = await indexStatus(db, { collection: info.name });
  if (!indexes.some((i) => i.method === 'hnsw' && i.valid)) {
    throw new InputError('collection', `${info.name} has no valid HNSW index; create one first (vector-index create)`);
  }
  const sampled = input.queries === undefined;
  const queries: { vector: ArrayLike<number>; self?: string }[] = sampled ? await sampleQueries(db, info.schema, info.name, sampleSize, input.seed ?? 1, { perturb: true }) : input.queries!.map((v) => ({ vector: v }));
  if (queries.length === 0) throw new InputError('collection', `${info.name} is empty; load data before tuning`);
  const truth: string[][] = [];
  const steps = queries.length + candidates.length;
  for (const q of queries) {
    truth.push(dropSelf(await exactNeighbours(db, info, { vector: q.vector, k }), q.self, k));
    input.onProgress?.(truth.length, steps);
  }
  const curve: TunePoint[] = [];
  let chosen: TunePoint | undefined;
  for (const ef of candidates) {
    const recalls: number[] = [];
    const t = performance.now();
    for (const [i, q] of queries.entries()) {
      const approx = dropSelf(await approximateNeighbours(db, info, { vector: q.vector, k, efSearch: Math.max(ef, k) }), q.self, k);
      recalls.push(recallAtK(truth[i]!, approx, k));
    }
    const point: TunePoint = {
      efSearch: ef,
      recall: round(recalls.reduce((a, r) => a + r, 0) / recalls.length),
      recallLowerBound: round(recallLowerBound(recalls, k, confidence)),
      meanLatencyMs: round((performance.now() - t) / queries.length),
    };
    curve.push(point);
    input.onProgress?.(queries.length + curve.length, steps);
    if (point.recallLowerBound >= input.targetRecall) {
      chosen = point;
      break;
    }
  }
  const reached = chosen !== undefined;
  const best = chosen ?? curve[curve.length - 1]!;
  const store = (input.store ?? true) && reached;
  if (store) {
    try {
      await db.primary.query(
        `UPDATE ${CATALOG_TABLE} SET default_ef_search = $3, tuned_recall = $4, tuned_k = $5, tuned_at = now() WHERE schema_name = $1 AND name = $2`,
        [info.schema, info.name, best.efSearch, best.recall, k],
      );
    } catch (error) {
      throw QueryError.from(error, `storing the tuned ef_search of ${info.name}`);
    }
    db.cache.delete(info.name);
  }
  return {
    collection: info.name,
    k,
    targetRecall: input.targetRecall,
    efSearch: best.efSearch,
    recall: best.recall,
    recallLowerBound: best.recallLowerBound,
    confidence,
    reached,
    stored: store,
    sampleSize: queries.length,
    sampledFromCollection: sampled,
    curve,
  };
}

/** Drops a query's own row from an answer and keeps k. */
export function dropSelf(keys: string[], self: string | undefined, k: number): string[] {
  return (self === undefined ? keys : keys.filter((x) => x !== self)).slice(0, k);
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/**
 * Does `tune --target-recall` keep its promise on queries it has never seen, on a distribution this
 * bench's own generator does not make? 30,000 × 128-d vectors drawn from an anisotropic Gaussian
 * whose per-axis scale falls as i^-0.25 (a high intrinsic dimension, no topic clusters), L2-normalised;
 * an HNSW index (speed profile); then, per run, `tuneEfSearch` (default sample, 95% lower bound) and
 * 200 new queries from the same distribution through `searchVectors` at the stored default.
 * Baseline: the same tuner choosing by the sample's mean alone (confidence 0.5) on 50 queries — what
 * `tune` did before it held a confidence bound to the target.
 */
import { createCollection, createIndex, insertVectors, recallAtK, searchVectors, tuneEfSearch, type VectorDb } from '@pgcluster/vector';
import { metric, type Metric } from '../lib/report';

const DIM = 128;
const ROWS = Number(process.env['BENCH_TUNE_ROWS'] ?? 30_000);
const RUNS = Number(process.env['BENCH_TUNE_RUNS'] ?? 3);
const HELD_OUT = 200;

/** A seeded anisotropic Gaussian, normalised (xorshift + Box–Muller, independent of the library's generator). */
function* gaussianRows(count: number, seed: number): Generator<Float32Array> {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
  for (let j = 0; j < count; j++) {
    const v = new Float32Array(DIM);
    let norm = 0;
    for (let i = 0; i < DIM; i++) {
      const g = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
      v[i] = g / Math.pow(i + 1, 0.25);
      norm += v[i]! * v[i]!;
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < DIM; i++) v[i]! /= norm;
    yield v;
  }
}

/** Runs the measurement on a fresh collection `tune_promise` and returns its metrics. */
export async function measureTunePromise(db: VectorDb, log: (line: string) => void): Promise<Metric[]> {
  const name = 'tune_promise';
  await createCollection(db, { name, dimension: DIM });
  log(`tune promise: ${ROWS} × ${DIM} anisotropic Gaussian vectors, HNSW speed profile`);
  await insertVectors(db, name, [...gaussianRows(ROWS, 11)].map((embedding, i) => ({ key: `r${i}`, embedding })), { onConflict: 'error' });
  await createIndex(db, { collection: name, profile: 'speed', concurrently: false });
  const held = [...gaussianRows(HELD_OUT, 9_999)];
  const exact: string[][] = [];
  for (const q of held) {
    const r = await exactTop10(db, name, q);
    exact.push(r);
  }
  const heldOutRecall = async (efSearch: number) => {
    let sum = 0;
    for (const [i, q] of held.entries()) {
      const r = await searchVectors(db, { collection: name, vector: q, k: 10, efSearch, readFrom: 'primary' });
      sum += recallAtK(exact[i]!, r.matches.map((m) => m.key), 10);
    }
    return sum / held.length;
  };
  const ours: number[] = [];
  const base: number[] = [];
  let kept = 0;
  for (let run = 1; run <= RUNS; run++) {
    const t = await tuneEfSearch(db, { collection: name, targetRecall: 0.95, seed: run, store: false });
    const b = await tuneEfSearch(db, { collection: name, targetRecall: 0.95, seed: run, sampleSize: 50, confidence: 0.5, store: false });
    const [rt, rb] = [await heldOutRecall(t.efSearch), await heldOutRecall(b.efSearch)];
    if (rt >= 0.95) kept++;
    ours.push(rt);
    base.push(rb);
    log(
      `tune promise run ${run}: ours ef_search ${t.efSearch} (sample mean ${t.recall}, 95% lower bound ${t.recallLowerBound}) → held-out ${rt.toFixed(3)}; ` +
        `mean-only on 50 ef_search ${b.efSearch} (claimed ${b.recall}) → held-out ${rb.toFixed(3)}`,
    );
  }
  return [
    metric('tune_held_out_recall_min', 'recall', 'higher-is-better', Math.min(...ours), { name: 'the mean-only tuner on 50 sample queries (min over the same runs)', value: Math.min(...base) }, `>= 0.95 on ${HELD_OUT} new queries in every run (${kept}/${RUNS} kept)`),
  ];
}

/** The exact top-10 keys of `q` (index scans off, so the planner scans). */
async function exactTop10(db: VectorDb, name: string, q: Float32Array): Promise<string[]> {
  const client = await db.primary.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL enable_indexscan = off');
    const r = await client.query<{ key: string }>(`SELECT key FROM ${name} ORDER BY embedding <=> $1::vector LIMIT 10`, [`[${Array.from(q).join(',')}]`]);
    await client.query('COMMIT');
    return r.rows.map((x) => x.key);
  } finally {
    client.release();
  }
}

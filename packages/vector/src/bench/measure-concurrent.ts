/** Throughput and latency of a set of operations run by C concurrent workers. */
export interface LoadMeasurement {
  operations: number;
  concurrency: number;
  durationMs: number;
  /** Operations per second. */
  qps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  meanMs: number;
}

/**
 * The q-th percentile (0–100) of sorted values, by nearest rank.
 * @example percentile([1, 2, 3, 4], 50) // 2
 */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((q / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/**
 * Runs `op(i)` for i in [0, operations) with `concurrency` workers pulling the next index,
 * and measures QPS and p50/p95/p99 latency. When `signal` aborts, no further operation starts
 * and it rejects with the signal's reason.
 *
 * @example
 * ```ts
 * const m = await measureConcurrent(1000, 8, (i) => searchVectors(db, { collection: 'docs', vector: qs[i % qs.length] }))
 * console.log(m.qps, m.p99Ms)
 * ```
 */
export async function measureConcurrent(operations: number, concurrency: number, op: (i: number) => Promise<unknown>, signal?: AbortSignal): Promise<LoadMeasurement> {
  const latencies = new Array<number>(operations);
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < operations; i = next++) {
      signal?.throwIfAborted();
      const t = performance.now();
      await op(i);
      latencies[i] = performance.now() - t;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  const durationMs = performance.now() - started;
  const sorted = latencies.slice().sort((a, b) => a - b);
  const r = (n: number) => Math.round(n * 1000) / 1000;
  return {
    operations,
    concurrency,
    durationMs: r(durationMs),
    qps: r((operations * 1000) / durationMs),
    p50Ms: r(percentile(sorted, 50)),
    p95Ms: r(percentile(sorted, 95)),
    p99Ms: r(percentile(sorted, 99)),
    meanMs: r(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
  };
}

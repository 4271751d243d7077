/**
 * Durations are counted in logarithmic buckets, 20 per decade from 1 ms (bucket `i` holds
 * durations up to `10^(i/20)` ms), so a percentile read from merged buckets is within 12% of the
 * exact one, whatever the number of runs, and hourly rollups merge by adding counts.
 */
const PER_DECADE = 20;
/** The last bucket holds everything from about 2.8 hours up. */
const LAST_BUCKET = PER_DECADE * 7;

/** Sparse histogram: bucket index → runs. */
export type DurationHistogram = Record<number, number>;

/**
 * The bucket a duration falls into.
 * @example bucketOf(1) // 0; bucketOf(100) // 40
 */
export function bucketOf(durationMs: number): number {
  if (!(durationMs > 1)) return 0;
  return Math.min(LAST_BUCKET, Math.ceil(PER_DECADE * Math.log10(durationMs) - 1e-9));
}

/** The upper bound of a bucket, in ms (whole ms from 10 ms up). */
export function bucketUpperMs(bucket: number): number {
  const ms = 10 ** (bucket / PER_DECADE);
  return ms >= 10 ? Math.round(ms) : Math.round(ms * 10) / 10;
}

/** Adds `from` into `into`. */
export function mergeHistogram(into: DurationHistogram, from: DurationHistogram): void {
  for (const key in from) into[key as unknown as number] = (into[key as unknown as number] ?? 0) + from[key as unknown as number]!;
}

/**
 * The p-th percentiles (0 < p ≤ 1) of a histogram, as bucket upper bounds; null when it is empty.
 * @example percentiles(h, [0.5, 0.9, 0.99]) // [120, 890, 2239]
 */
export function percentiles(histogram: DurationHistogram, ps: readonly number[]): (number | null)[] {
  const buckets = Object.keys(histogram)
    .map(Number)
    .sort((a, b) => a - b);
  const total = buckets.reduce((sum, b) => sum + histogram[b]!, 0);
  if (total === 0) return ps.map(() => null);
  return ps.map((p) => {
    const rank = Math.max(1, Math.ceil(p * total));
    let seen = 0;
    for (const b of buckets) {
      seen += histogram[b]!;
      if (seen >= rank) return bucketUpperMs(b);
    }
    return bucketUpperMs(buckets[buckets.length - 1]!);
  });
}

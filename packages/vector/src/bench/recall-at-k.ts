/**
 * recall@k: the share of the exact top-k keys that the approximate answer found.
 *
 * @example recallAtK(['a', 'b', 'c'], ['a', 'c', 'x'], 3) // 0.667
 */
export function recallAtK(exact: readonly string[], approximate: readonly string[], k: number): number {
  const truth = exact.slice(0, k);
  if (truth.length === 0) return 1;
  const found = new Set(approximate.slice(0, k));
  let hits = 0;
  for (const key of truth) if (found.has(key)) hits++;
  return hits / truth.length;
}

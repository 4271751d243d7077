/**
 * A one-sided lower confidence bound on mean recall from per-query recalls: the Student-t bound
 * `mean − t(confidence, n−1) · s / √n`, clipped to [0, 1].
 *
 * Per-query recall is bounded and skewed near 1, so the bound never exceeds the Wilson score bound
 * of a sample where all `n · k` neighbours were found: a sample of perfect queries does not "prove"
 * a recall of 1.0 (its standard deviation, 0, would).
 *
 * @param recalls recall@k of each sample query
 * @param k the k of recall@k
 * @param confidence one-sided confidence, from 0.5 (the mean itself) to below 1
 * @example recallLowerBound([1, 0.9, 1, 0.8, 1], 10) // about 0.85
 */
export function recallLowerBound(recalls: readonly number[], k: number, confidence = 0.95): number {
  const n = recalls.length;
  if (n === 0) return 0;
  if (!(confidence >= 0.5 && confidence < 1)) throw new RangeError('confidence must be from 0.5 to below 1');
  const mean = recalls.reduce((a, r) => a + r, 0) / n;
  const z = normalQuantile(confidence);
  const wilsonAllPerfect = (n * k) / (n * k + z * z);
  if (n === 1) return Math.min(mean, wilsonAllPerfect);
  const variance = recalls.reduce((a, r) => a + (r - mean) ** 2, 0) / (n - 1);
  const bound = mean - studentQuantile(confidence, n - 1) * Math.sqrt(variance / n);
  return Math.max(0, Math.min(bound, wilsonAllPerfect));
}

/** The standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) => (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** Student's t quantile by the Cornish–Fisher expansion around the normal one (good to ~1e-3 from 3 degrees of freedom). */
function studentQuantile(p: number, dof: number): number {
  const z = normalQuantile(p);
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  return z + (z3 + z) / (4 * dof) + (5 * z5 + 16 * z3 + 3 * z) / (96 * dof ** 2) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * dof ** 3);
}

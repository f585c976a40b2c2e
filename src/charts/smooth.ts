/**
 * Smoothing of learning curves, as TensorBoard does it: an exponential moving average with
 * the start-up bias removed (so the first points are not pulled toward zero). Gaps (null,
 * NaN) stay gaps and do not reset the average.
 */
export function smooth(
  values: ArrayLike<number | null>,
  weight: number
): (number | null)[] {
  const out: (number | null)[] = new Array(values.length);
  if (!(weight > 0)) {
    for (let i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }
  const w = Math.min(weight, 0.999);
  let last = 0;
  let steps = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    last = last * w + (1 - w) * v;
    steps++;
    out[i] = last / (1 - Math.pow(w, steps));
  }
  return out;
}

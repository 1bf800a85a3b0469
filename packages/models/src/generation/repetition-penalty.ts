/**
 * Hugging Face's RepetitionPenaltyLogitsProcessor on one row of logits: every distinct
 * earlier token is penalised once (however often it occurred): a positive logit is divided
 * by the penalty, a negative one multiplied. The penalty is a float32 scalar, as in torch.
 * Pure math, no tensor library.
 */
export function applyRepetitionPenalty(logits: Float32Array, previous: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  const p = Math.fround(penalty);
  for (const id of new Set(previous)) {
    if (id < 0 || id >= logits.length) continue;
    const s = logits[id]!;
    logits[id] = s < 0 ? s * p : s / p;
  }
}

/** Index of the largest value (the first one on ties, as torch.argmax). */
export function argmax(xs: ArrayLike<number>, start = 0, end = xs.length): number {
  let best = start;
  for (let i = start + 1; i < end; i++) if (xs[i]! > xs[best]!) best = i;
  return best - start;
}

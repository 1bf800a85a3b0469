/**
 * The seeded choice of predictions for the gallery: the same run and seed show the same samples,
 * so two reports of one run can be compared; the chosen ones keep their file order.
 */
import { hashString, mulberry32 } from '@kvc/video-io';

/** Choose `n` items (all of them when there are fewer), seeded, in their original order. */
export function pickSamples<T>(items: readonly T[], n: number, seed: number): T[] {
  if (n >= items.length) return [...items];
  if (n <= 0) return [];
  const rng = mulberry32(hashString(`kvc-report:${seed}`));
  const idx = items.map((_, i) => i);
  // Partial Fisher–Yates: the first n positions become a uniform sample.
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(idx.length - i);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx
    .slice(0, n)
    .sort((a, b) => a - b)
    .map((i) => items[i]!);
}

/**
 * n-gram counting shared by BLEU and CIDEr-D (pycocoevalcap's `precook`): counts of every 1..n-gram,
 * in first-occurrence order (k = 1 first), keyed by the tokens joined with U+0000.
 */

/** n-gram key → count, in pycocoevalcap's insertion order. */
export type NgramCounts = Map<string, number>;

/** Separator of n-gram keys; tokens never contain it in practice. */
export const NGRAM_SEP = '\u0000';

/** Count all k-grams for k = 1..n. */
export function ngramCounts(tokens: readonly string[], n: number): NgramCounts {
  const counts: NgramCounts = new Map();
  for (let k = 1; k <= n; k++) {
    for (let i = 0; i + k <= tokens.length; i++) {
      const key = tokens.slice(i, i + k).join(NGRAM_SEP);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/** The order (number of tokens) of an n-gram key. */
export function ngramOrder(key: string): number {
  let order = 1;
  for (let i = 0; i < key.length; i++) if (key[i] === NGRAM_SEP) order += 1;
  return order;
}

/**
 * Port of nltk 3.10.3 METEOR (nltk/translate/meteor_score.py): exact, Porter-stem and synonym
 * matching stages, each greedy from the last hypothesis word backwards and popping the last free
 * reference position (that order decides the alignment and therefore the chunk count), then
 * Fmean with alpha, the fragmentation penalty gamma*(chunks/matches)^beta.
 * WordNet is not bundled: the synonym stage takes an optional provider. It has no Korean lemmas,
 * so for Hangul the provider-less stage is exactly nltk's.
 */
import { MetricInputError } from '../errors.js';
import { porterStem } from './porter-stemmer.js';

/**
 * Returns WordNet-style synonyms of a word: the lemma names of all its synsets (nltk's
 * `wordnet.synsets(word)`). As in nltk, the word arrives lower-cased *and* Porter-stemmed when the
 * stem stage is on, because nltk hands the stemmed leftovers to this stage.
 */
export type SynonymProvider = (word: string) => Iterable<string>;

/** METEOR parameters; defaults are nltk's and HF `evaluate`'s. */
export interface MeteorOptions {
  readonly alpha?: number;
  readonly beta?: number;
  readonly gamma?: number;
  /** Applied to every token first (nltk: `str.lower`). */
  readonly preprocess?: (token: string) => string;
  /** Stemmer of the second stage (default nltk's Porter); `null` skips the stage. */
  readonly stemmer?: ((word: string) => string) | null;
  /** Synonyms of the third stage; absent = the stage matches nothing new (no WordNet). */
  readonly synonyms?: SynonymProvider;
}

type Enum = readonly [index: number, word: string];
type Match = readonly [hypIndex: number, refIndex: number];
interface StageResult {
  readonly matches: Match[];
  readonly hyp: Enum[];
  readonly ref: Enum[];
}

function refPositions(ref: readonly Enum[]): Map<string, number[]> {
  const positions = new Map<string, number[]>();
  ref.forEach(([, word], j) => {
    const list = positions.get(word);
    if (list) list.push(j);
    else positions.set(word, [j]);
  });
  return positions;
}

function rest(list: readonly Enum[], matched: ReadonlySet<number>): Enum[] {
  return list.filter((_, i) => !matched.has(i));
}

/** nltk `_match_enums`: exact matching of the given words. */
function matchEnums(hyp: readonly Enum[], ref: readonly Enum[]): StageResult {
  const positions = refPositions(ref);
  const matches: Match[] = [];
  const hypDone = new Set<number>();
  const refDone = new Set<number>();
  for (let i = hyp.length - 1; i >= 0; i--) {
    const [hypIndex, word] = hyp[i] as Enum;
    const j = positions.get(word)?.pop();
    if (j !== undefined) {
      hypDone.add(i);
      refDone.add(j);
      matches.push([hypIndex, (ref[j] as Enum)[0]]);
    }
  }
  return { matches, hyp: rest(hyp, hypDone), ref: rest(ref, refDone) };
}

/** nltk `_enum_wordnetsyn_match`: a word matches the free reference word of its synonyms with the highest position. */
function synonymMatch(hyp: readonly Enum[], ref: readonly Enum[], synonyms: SynonymProvider | undefined): StageResult {
  const positions = refPositions(ref);
  const matches: Match[] = [];
  const hypDone = new Set<number>();
  const refDone = new Set<number>();
  for (let i = hyp.length - 1; i >= 0; i--) {
    const [hypIndex, word] = hyp[i] as Enum;
    const syns = new Set<string>();
    for (const s of synonyms?.(word) ?? []) if (!s.includes('_')) syns.add(s);
    syns.add(word);
    let bestJ = -1;
    let bestWord: string | undefined;
    for (const syn of syns) {
      const p = positions.get(syn);
      const last = p?.[p.length - 1];
      if (last !== undefined && last > bestJ) {
        bestJ = last;
        bestWord = syn;
      }
    }
    if (bestWord !== undefined) {
      positions.get(bestWord)?.pop();
      hypDone.add(i);
      refDone.add(bestJ);
      matches.push([hypIndex, (ref[bestJ] as Enum)[0]]);
    }
  }
  return { matches, hyp: rest(hyp, hypDone), ref: rest(ref, refDone) };
}

/** The alignment METEOR scores: matched (hypothesis index, reference index) pairs sorted by hypothesis index. */
export function meteorAlign(
  hypothesis: readonly string[],
  reference: readonly string[],
  options: MeteorOptions = {},
): Match[] {
  const pre = options.preprocess ?? ((t: string) => t.toLowerCase());
  const hyp: Enum[] = hypothesis.map((w, i) => [i, pre(w)]);
  const ref: Enum[] = reference.map((w, i) => [i, pre(w)]);
  const exact = matchEnums(hyp, ref);
  const stemmer = options.stemmer === undefined ? porterStem : options.stemmer;
  // nltk hands the *stemmed* leftovers on to the synonym stage.
  const stemmed = stemmer
    ? matchEnums(
        exact.hyp.map(([i, w]) => [i, stemmer(w)] as const),
        exact.ref.map(([i, w]) => [i, stemmer(w)] as const),
      )
    : { matches: [], hyp: exact.hyp, ref: exact.ref };
  const syn = synonymMatch(stemmed.hyp, stemmed.ref, options.synonyms);
  return [...exact.matches, ...stemmed.matches, ...syn.matches].sort((a, b) => a[0] - b[0]);
}

/** nltk `_count_chunks`: runs of matches adjacent in both hypothesis and reference. */
export function countChunks(matches: readonly Match[]): number {
  let chunks = 1;
  for (let i = 0; i < matches.length - 1; i++) {
    const [h0, r0] = matches[i] as Match;
    const [h1, r1] = matches[i + 1] as Match;
    if (!(h1 === h0 + 1 && r1 === r0 + 1)) chunks += 1;
  }
  return chunks;
}

/** nltk `single_meteor_score(reference, hypothesis, ...)` on pre-tokenized input. */
export function singleMeteorScore(
  reference: readonly string[],
  hypothesis: readonly string[],
  options: MeteorOptions = {},
): number {
  const { alpha = 0.9, beta = 3, gamma = 0.5 } = options;
  const matches = meteorAlign(hypothesis, reference, options);
  const m = matches.length;
  // Every ZeroDivisionError nltk catches returns 0.
  if (hypothesis.length === 0 || reference.length === 0 || m === 0) return 0;
  const precision = m / hypothesis.length;
  const recall = m / reference.length;
  const denominator = alpha * precision + (1 - alpha) * recall;
  if (denominator === 0) return 0;
  const fmean = (precision * recall) / denominator;
  const fragFrac = countChunks(matches) / m;
  const penalty = gamma * fragFrac ** beta;
  return (1 - penalty) * fmean;
}

/** nltk `meteor_score(references, hypothesis)`: the best score over several references. */
export function meteorScore(
  references: readonly (readonly string[])[],
  hypothesis: readonly string[],
  options: MeteorOptions = {},
): number {
  if (references.length === 0)
    throw new MetricInputError('meteorScore needs at least one reference', { metric: 'meteor' });
  return Math.max(...references.map((r) => singleMeteorScore(r, hypothesis, options)));
}

/**
 * Korean captions for a synthetic video: several phrasings of the same four facts (color,
 * shape, direction, background), with the subject particle 이/가 chosen by the last syllable.
 */
import { BACKGROUNDS, DIRECTIONS, SHAPES, SHAPE_COLORS, type SynthAttributes } from './vocabulary.js';

/** True when the last Hangul syllable has a final consonant (받침). */
function hasBatchim(word: string): boolean {
  const c = word.charCodeAt(word.length - 1);
  return c >= 0xac00 && c <= 0xd7a3 && (c - 0xac00) % 28 !== 0;
}

/** Subject particle: 원이, 네모가. */
function subj(word: string): string {
  return word + (hasBatchim(word) ? '이' : '가');
}

type Words = { c: string; cn: string; s: string; b: string; d: string };

/** The phrasings (each says all four facts). */
const TEMPLATES: readonly ((w: Words) => string)[] = [
  (w) => `${w.c} ${subj(w.s)} ${w.b} 배경 위에서 ${w.d}으로 움직인다.`,
  (w) => `${w.b} 배경에서 ${w.cn} ${subj(w.s)} ${w.d}으로 이동하고 있다.`,
  (w) => `${w.d}으로 움직이는 ${w.c} ${subj(w.s)} ${w.b} 배경에 보인다.`,
  (w) => `${w.b} 배경 속에서 ${w.cn} ${w.s} 하나가 ${w.d}으로 천천히 이동한다.`,
  (w) => `영상에는 ${w.b} 배경 위를 ${w.d}으로 지나가는 ${w.c} ${subj(w.s)} 있다.`,
];

/** How many phrasings exist. */
export const CAPTION_TEMPLATE_COUNT = TEMPLATES.length;

/** The caption for `attrs`, phrasing `template` (mod the count) and shape noun `nounChoice`. */
export function synthCaption(attrs: SynthAttributes, template: number, nounChoice = 0): string {
  const nouns = SHAPES[attrs.shape].nouns;
  const color = SHAPE_COLORS[attrs.color];
  const words: Words = {
    c: color.adj,
    cn: color.noun,
    s: nouns[nounChoice % nouns.length]!,
    b: BACKGROUNDS[attrs.background].adj,
    d: DIRECTIONS[attrs.direction].word,
  };
  return TEMPLATES[((template % TEMPLATES.length) + TEMPLATES.length) % TEMPLATES.length]!(words);
}

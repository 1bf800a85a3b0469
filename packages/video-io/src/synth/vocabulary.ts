/**
 * The synthetic dataset's attribute vocabularies, with the Korean words captions use for each
 * value, and the inverse: which attributes a caption mentions. Shape colors and background
 * words are disjoint, so a caption names each attribute unambiguously.
 */

/** Ground truth of one synthetic video. */
export interface SynthAttributes {
  readonly color: ShapeColor;
  readonly shape: Shape;
  readonly direction: Direction;
  readonly background: Background;
}

/** One attribute value: `adj` precedes a noun ("빨간 원"), `noun` is the color-noun form ("빨간색"). */
export interface VocabEntry {
  readonly adj: string;
  readonly noun: string;
  /** Every word that identifies this value in a caption. */
  readonly words: readonly string[];
}

export const SHAPE_COLORS = {
  red: { adj: '빨간', noun: '빨간색', words: ['빨간', '빨강'], rgb: [220, 40, 40] },
  green: { adj: '초록', noun: '초록색', words: ['초록'], rgb: [40, 180, 60] },
  blue: { adj: '파란', noun: '파란색', words: ['파란', '파랑'], rgb: [40, 80, 230] },
  yellow: { adj: '노란', noun: '노란색', words: ['노란', '노랑'], rgb: [240, 210, 30] },
  purple: { adj: '보라', noun: '보라색', words: ['보라'], rgb: [150, 60, 200] },
} as const satisfies Record<string, VocabEntry & { rgb: readonly [number, number, number] }>;
export type ShapeColor = keyof typeof SHAPE_COLORS;

/** Shapes: `nouns` are the alternatives captions use. */
export const SHAPES = {
  circle: { nouns: ['원', '동그라미'] },
  square: { nouns: ['사각형', '네모'] },
  triangle: { nouns: ['삼각형', '세모'] },
} as const;
export type Shape = keyof typeof SHAPES;

export const DIRECTIONS = {
  right: { word: '오른쪽', dx: 1, dy: 0 },
  left: { word: '왼쪽', dx: -1, dy: 0 },
  up: { word: '위쪽', dx: 0, dy: -1 },
  down: { word: '아래쪽', dx: 0, dy: 1 },
} as const;
export type Direction = keyof typeof DIRECTIONS;

export const BACKGROUNDS = {
  black: { adj: '검은', noun: '검은색', words: ['검은', '검정'] },
  white: { adj: '흰', noun: '흰색', words: ['흰', '하얀'] },
  gray: { adj: '회색', noun: '회색', words: ['회색'] },
  striped: { adj: '줄무늬', noun: '줄무늬', words: ['줄무늬'] },
  checkered: { adj: '체크무늬', noun: '체크무늬', words: ['체크무늬', '바둑판'] },
} as const satisfies Record<string, VocabEntry>;
export type Background = keyof typeof BACKGROUNDS;

/** The values of each attribute, in a fixed order. */
export const ATTRIBUTE_VALUES = {
  color: Object.keys(SHAPE_COLORS) as ShapeColor[],
  shape: Object.keys(SHAPES) as Shape[],
  direction: Object.keys(DIRECTIONS) as Direction[],
  background: Object.keys(BACKGROUNDS) as Background[],
} as const;

function find<K extends string>(
  caption: string,
  table: Record<K, unknown>,
  wordsOf: (key: K) => readonly string[],
): K | undefined {
  let best: { key: K; at: number } | undefined;
  for (const key of Object.keys(table) as K[]) {
    for (const w of wordsOf(key)) {
      const at = caption.indexOf(w);
      if (at >= 0 && (!best || at < best.at)) best = { key, at };
    }
  }
  return best?.key;
}

/** The attributes a caption mentions (first mention wins; absent ones are undefined). */
export function extractAttributes(caption: string): Partial<SynthAttributes> {
  const out: { -readonly [K in keyof SynthAttributes]?: SynthAttributes[K] } = {};
  const color = find(caption, SHAPE_COLORS, (k) => SHAPE_COLORS[k].words);
  const shape = find(caption, SHAPES, (k) => SHAPES[k].nouns);
  const direction = find(caption, DIRECTIONS, (k) => [DIRECTIONS[k].word]);
  const background = find(caption, BACKGROUNDS, (k) => BACKGROUNDS[k].words);
  if (color) out.color = color;
  if (shape) out.shape = shape;
  if (direction) out.direction = direction;
  if (background) out.background = background;
  return out;
}

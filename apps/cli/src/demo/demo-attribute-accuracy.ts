/**
 * The demo's learning signal a person can read: of the validation captions, how many name the
 * video's color, shape and direction (and background) right, read back from the caption text
 * with the synthetic vocabulary (`extractAttributes`). Pure: strings and labels in, rates out.
 */
import { extractAttributes, type SynthAttributes } from '@kvc/video-io';

export interface AttributeAccuracy {
  readonly count: number;
  readonly color: number;
  readonly shape: number;
  readonly direction: number;
  readonly background: number;
  /** Color, shape and direction all right (the bar; background is reported apart). */
  readonly all3: number;
}

/** Fraction of `predictions[i]` naming `labels[i]`'s attributes (a missing mention is wrong). */
export function demoAttributeAccuracy(
  predictions: readonly string[],
  labels: readonly SynthAttributes[],
): AttributeAccuracy {
  if (predictions.length !== labels.length)
    throw new RangeError(`demoAttributeAccuracy: ${predictions.length} predictions but ${labels.length} labels`);
  const n = predictions.length;
  const hits = { color: 0, shape: 0, direction: 0, background: 0, all3: 0 };
  predictions.forEach((p, i) => {
    const got = extractAttributes(p);
    const want = labels[i]!;
    const c = got.color === want.color;
    const s = got.shape === want.shape;
    const d = got.direction === want.direction;
    hits.color += +c;
    hits.shape += +s;
    hits.direction += +d;
    hits.background += +(got.background === want.background);
    hits.all3 += +(c && s && d);
  });
  const rate = (k: number) => (n ? k / n : 0);
  return {
    count: n,
    color: rate(hits.color),
    shape: rate(hits.shape),
    direction: rate(hits.direction),
    background: rate(hits.background),
    all3: rate(hits.all3),
  };
}

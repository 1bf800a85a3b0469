/**
 * Every caption the synthetic dataset can write (each attribute combination × phrasing × shape
 * noun): the texts the tiny LLM's compact vocabulary must cover, so any train or val caption
 * of any seed encodes.
 */
import {
  ATTRIBUTE_VALUES,
  CAPTION_TEMPLATE_COUNT,
  mulberry32,
  synthCaption,
  type SynthAttributes,
} from '@kvc/video-io';

export function allSynthCaptions(): string[] {
  const out: string[] = [];
  for (const color of ATTRIBUTE_VALUES.color)
    for (const shape of ATTRIBUTE_VALUES.shape)
      for (const direction of ATTRIBUTE_VALUES.direction)
        for (const background of ATTRIBUTE_VALUES.background)
          for (let t = 0; t < CAPTION_TEMPLATE_COUNT; t++)
            for (let n = 0; n < 2; n++) out.push(synthCaption({ color, shape, direction, background }, t, n));
  return [...new Set(out)];
}

/**
 * Warm-up contexts: for each training caption's attributes, another phrasing of the same facts
 * (seeded), so the warmed-up LM learns to say what its context shows.
 */
export function synthWarmUpContexts(attributes: readonly SynthAttributes[], seed: number): string[] {
  const rng = mulberry32(seed);
  return attributes.map((a) => synthCaption(a, rng.int(CAPTION_TEMPLATE_COUNT), rng.int(2)));
}

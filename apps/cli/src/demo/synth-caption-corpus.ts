/**
 * Every caption the synthetic dataset can write (each attribute combination × phrasing × shape
 * noun): the texts the tiny LLM's compact vocabulary must cover, so any train or val caption
 * of any seed encodes.
 */
import { ATTRIBUTE_VALUES, CAPTION_TEMPLATE_COUNT, synthCaption } from '@kvc/video-io';

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

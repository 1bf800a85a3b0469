import { describe, expect, it } from 'vitest';
import { ATTRIBUTE_VALUES, CAPTION_TEMPLATE_COUNT, extractAttributes, planSynth } from '@kvc/video-io';
import { allSynthCaptions, synthWarmUpContexts } from './synth-caption-corpus.js';

describe('synthetic caption corpus', () => {
  it('holds every caption the generator can write', () => {
    const all = new Set(allSynthCaptions());
    const combos =
      ATTRIBUTE_VALUES.color.length *
      ATTRIBUTE_VALUES.shape.length *
      ATTRIBUTE_VALUES.direction.length *
      ATTRIBUTE_VALUES.background.length;
    expect(all.size).toBe(combos * CAPTION_TEMPLATE_COUNT * 2);
    for (const s of planSynth({ out: '/unused', train: 50, val: 20, seed: 9 })) expect(all.has(s.caption)).toBe(true);
  });

  it('warm-up contexts state the same facts as their caption, deterministically per seed', () => {
    const plan = planSynth({ out: '/unused', train: 30, val: 0 });
    const ctx = synthWarmUpContexts(
      plan.map((s) => s.attributes),
      3,
    );
    expect(ctx).toEqual(
      synthWarmUpContexts(
        plan.map((s) => s.attributes),
        3,
      ),
    );
    expect(ctx).not.toEqual(
      synthWarmUpContexts(
        plan.map((s) => s.attributes),
        4,
      ),
    );
    ctx.forEach((c, i) => expect(extractAttributes(c)).toEqual(plan[i]!.attributes));
  });
});

import { describe, expect, it } from 'vitest';
import { siglipCaptionScore, siglipCaptionScores } from './siglip-caption-score.js';

describe('siglipCaptionScore (mean over frames of sigmoid(logits_per_image[:, j]))', () => {
  it.each([
    [[0, 0], [2, 1], 0, 0.5],
    [[Math.log(3), Math.log(1 / 3)], [2, 1], 0, 0.5], // sigmoid: 0.75 and 0.25
    [[Math.log(3), 0, Math.log(3), 0], [2, 2], 0, 0.75],
    [[Math.log(3), 0, Math.log(3), 0], [2, 2], 1, 0.5],
    [[-1000, 1000], [1, 2], 0, 0],
  ] as const)('%j [%j] caption %i → %f', (data, shape, j, expected) => {
    expect(siglipCaptionScore({ data, shape }, j)).toBeCloseTo(expected, 12);
  });

  it('scores every caption and rejects bad input', () => {
    expect(siglipCaptionScores({ data: [0, 1000, 0, 1000], shape: [2, 2] })).toEqual([0.5, 1]);
    expect(() => siglipCaptionScore({ data: [0, 0], shape: [2, 1] }, 1)).toThrow(RangeError);
    expect(() => siglipCaptionScore({ data: [0], shape: [2, 1] })).toThrow(RangeError);
  });
});

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatParityReport } from './parity-report.js';
import { runSiglipParity } from './siglip-parity.js';

const CASE = fileURLToPath(new URL('../../../../test/fixtures/reference/siglip/', import.meta.url));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('siglip parity', () => {
  it('matches HF SiglipModel within 1e-4 (logits, embeddings, score_text0)', async () => {
    const r = await runSiglipParity(CASE);
    expect(r.pass, formatParityReport(r)).toBe(true);
    expect(r.checks.map((c) => c.name)).toEqual([
      'logits_per_image',
      'logits_per_text',
      'image_embeds',
      'text_embeds',
      'score_text0',
    ]);
  });

  it('fails when the vision activation is wrong (gelu_pytorch_tanh → quick_gelu)', async () => {
    const r = await runSiglipParity(CASE, { config: { vision: { hiddenAct: 'quick_gelu' } } });
    expect(r.pass).toBe(false);
    expect(r.checks.find((c) => c.name === 'image_embeds')!.pass).toBe(false);
  });

  it('fails when the text layer_norm_eps is wrong', async () => {
    const r = await runSiglipParity(CASE, { config: { text: { layerNormEps: 1e-1 } } });
    expect(r.checks.find((c) => c.name === 'text_embeds')!.pass).toBe(false);
  });
});

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runClipVisionParity } from './clip-parity.js';
import { formatParityReport } from './parity-report.js';

const CASE = fileURLToPath(new URL('../../../../test/fixtures/reference/clip/', import.meta.url));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('clip-vision parity', () => {
  it('matches HF CLIPVisionModel within 1e-4 (last_hidden_state, penultimate, pooler_output)', async () => {
    const r = await runClipVisionParity(CASE);
    expect(r.pass, formatParityReport(r)).toBe(true);
    expect(r.checks.map((c) => c.name)).toEqual(['last_hidden_state', 'penultimate', 'pooler_output']);
  });

  it('fails when the activation is wrong (quick_gelu → gelu)', async () => {
    const r = await runClipVisionParity(CASE, { config: { hiddenAct: 'gelu' } });
    expect(r.pass).toBe(false);
  });

  it('fails when layer_norm_eps is wrong', async () => {
    const r = await runClipVisionParity(CASE, { config: { layerNormEps: 1e-1 } });
    expect(r.pass).toBe(false);
    expect(r.checks.find((c) => c.name === 'last_hidden_state')!.pass).toBe(false);
  });
});

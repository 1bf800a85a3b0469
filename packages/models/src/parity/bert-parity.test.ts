import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBertParity } from './bert-parity.js';
import { formatParityReport } from './parity-report.js';

const CASE = fileURLToPath(new URL('../../../../test/fixtures/reference/bert/', import.meta.url));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('bert parity', () => {
  it('matches every HF BertModel hidden state within 1e-4', async () => {
    const r = await runBertParity(CASE);
    expect(r.pass, formatParityReport(r)).toBe(true);
    expect(r.checks.map((c) => c.name)).toEqual([
      'hidden_states[0]',
      'hidden_states[1]',
      'hidden_states[2]',
      'hidden_states[3]',
      'hidden_states[4]',
    ]);
  });

  it('fails when the activation is wrong (gelu → quick_gelu)', async () => {
    const r = await runBertParity(CASE, { config: { hiddenAct: 'quick_gelu' } });
    expect(r.pass).toBe(false);
    expect(r.checks[0]!.pass).toBe(true);
    expect(r.checks[1]!.pass).toBe(false);
  });

  it('fails when layer_norm_eps is wrong, already at the embeddings', async () => {
    const r = await runBertParity(CASE, { config: { layerNormEps: 1e-1 } });
    expect(r.checks[0]!.pass).toBe(false);
  });

  it('fails when the padding mask is ignored', async () => {
    const r = await runBertParity(CASE, { ignoreAttentionMask: true });
    expect(r.checks[0]!.pass).toBe(true);
    expect(r.pass).toBe(false);
  });
});

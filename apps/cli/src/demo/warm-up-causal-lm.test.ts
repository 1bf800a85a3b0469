import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadQwen3 } from '@kvc/models';
import { tinyQwen3ConfigJson, writeRandomQwen3 } from '@kvc/models/testing';
import { saveQwen3Weights } from './qwen3-named-weights.js';
import { causalLmLoss, warmUpCausalLm } from './warm-up-causal-lm.js';

// Two "sentences" over a 24-token vocabulary, EOS 23, PAD 22: a pattern an LM learns quickly.
const seqs = [
  [1, 2, 3, 4, 5, 6, 23],
  [1, 2, 7, 8, 9, 23],
  [1, 2, 3, 4, 10, 23],
];
const config = tinyQwen3ConfigJson({
  vocab_size: 24,
  eos_token_id: 23,
  pad_token_id: 22,
  tie_word_embeddings: true,
  hidden_size: 32,
  head_dim: 8,
});

describe.each(['cpu', 'wasm'] as const)('warmUpCausalLm on %s', (backend) => {
  const dir = mkdtempSync(join(tmpdir(), `kvc-warm-${backend}-`));
  beforeAll(async () => {
    await initBackend(backend);
    await writeRandomQwen3(dir, config, { seed: 5, scale: 0.05 });
  });

  it('lowers the causal-LM loss, keeps memory flat, and saves a folder loadQwen3 reads back', async () => {
    const base = await loadQwen3(dir);
    const before = tf.memory().numTensors;
    const r = await warmUpCausalLm(base, seqs, { steps: 25, batchSize: 3, lr: 1e-2, padId: 22, seed: 1 });
    expect(r.steps).toBe(25);
    expect(r.lossAfter).toBeLessThan(r.lossBefore * 0.6);
    // Only the new model's variables remain (one per base weight).
    expect(tf.memory().numTensors - before).toBe(base.weights.layers.length * 11 + 2);
    const out = mkdtempSync(join(tmpdir(), 'kvc-warm-out-'));
    await writeRandomQwen3(out, config, { seed: 9 });
    await saveQwen3Weights(r.model, out);
    const back = await loadQwen3(out);
    const a = causalLmLoss(r.model, seqs, 22);
    const b = causalLmLoss(back, seqs, 22);
    expect(b.dataSync()[0]).toBeCloseTo(a.dataSync()[0]!, 5);
    expect(b.dataSync()[0]).toBeCloseTo(r.lossAfter, 5);
    tf.dispose([a, b]);
    back.dispose();
    r.model.dispose();
    base.dispose();
  });

  it('padding is masked: a padded batch has the loss of its rows weighted by their targets', async () => {
    const m = await loadQwen3(dir);
    const one = (s: number[]) => causalLmLoss(m, [s], 22).dataSync()[0]!;
    const both = causalLmLoss(m, [seqs[0]!, seqs[1]!], 22).dataSync()[0]!;
    const n0 = seqs[0]!.length - 1;
    const n1 = seqs[1]!.length - 1;
    expect(both).toBeCloseTo((one(seqs[0]!) * n0 + one(seqs[1]!) * n1) / (n0 + n1), 4);
    m.dispose();
  });
});

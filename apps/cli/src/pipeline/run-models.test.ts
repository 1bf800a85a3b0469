/**
 * llm.quantization reaches the LLM loader: with nf4 the run's frozen decoder linears are Nf4Matrix
 * (quantized as they load), with none they stay f32 tensors; embeddings stay f32 either way.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Nf4Matrix, bundledQwen3TokenizerDir, initBackend } from '@kvc/models';
import { tinyQwen3ConfigJson, writeRandomQwen3 } from '@kvc/models/testing';
import { loadRunConfig } from '../config/load-config.js';
import { Output } from '../output.js';
import { loadRunModels } from './run-models.js';

let dir: string;
beforeAll(async () => {
  await initBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'kvc-run-models-'));
  await writeRandomQwen3(dir, tinyQwen3ConfigJson(), { seed: 3 });
});
afterAll(async () => initBackend('cpu'));

describe('loadRunModels with llm.quantization', () => {
  const sink = new Writable({ write: (_c, _e, done) => done() });
  const out = new Output({ json: false, stdout: sink, stderr: sink });
  const config = (q: string) =>
    loadRunConfig({
      preset: 'demo',
      overrides: [`llm.model=${dir}`, `llm.tokenizer=${bundledQwen3TokenizerDir()}`, `llm.quantization=${q}`],
    });

  it('nf4 loads the decoder linears as Nf4Matrix; none keeps f32 tensors', async () => {
    for (const q of ['nf4', 'none'] as const) {
      const m = await loadRunModels(config(q), 8, out);
      try {
        const w = m.model.weights.layers[0]!.gate.weight;
        expect(w instanceof Nf4Matrix, q).toBe(q === 'nf4');
        expect(m.model.weights.embedTokens).toBeDefined();
      } finally {
        m.dispose();
      }
    }
  });
});

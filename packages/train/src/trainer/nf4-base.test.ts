/**
 * Training on an NF4 base (kvc issue #13): the trainer runs LoRA + projector steps on a Qwen3 whose
 * decoder linear weights were quantized to NF4 as they loaded; a stopped run, resumed on a base
 * quantized again from the same checkpoint (deterministic), ends at exactly the uninterrupted run's
 * weights; checkpoints hold the trainable weights only (projector, LoRA, AdamW state), never the base.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Nf4Matrix, initBackend, loadQwen3 } from '@kvc/models';
import type { LinearWeight, Qwen3ForCausalLM } from '@kvc/models';
import { tinySetup, type TinySetup } from './testing/tiny-setup.js';
import { changedNames, maxAbsDiff, ofType, readCheckpointWeights, runEvents } from './testing/run-events.js';
import { writeModelFiles } from './train-checkpoint.js';
import type { TrainerOptions } from './trainer-types.js';

const STAGES: TrainerOptions['stages'] = [
  { name: 'stage1', epochs: 1, lr: 1e-2, trainLora: false },
  { name: 'stage2', epochs: 1, lr: 1e-2, trainLora: true },
];
const CONFIG = { model: 'tiny', quantization: 'nf4' };

/** A tiny setup whose model is replaced by the same checkpoint loaded with quantization nf4. */
async function nf4Setup(dir?: string): Promise<{ s: TinySetup; model: Qwen3ForCausalLM<LinearWeight> }> {
  const s = await tinySetup({ loraDropout: 0.2, ...(dir ? { dir } : {}) });
  return { s, model: await loadQwen3(s.modelDir, { quantization: 'nf4' }) };
}

let reference: Map<string, Float32Array>;
let initial: Map<string, Float32Array>;
let a: Awaited<ReturnType<typeof nf4Setup>>;
beforeAll(async () => {
  await initBackend('wasm', { purpose: 'training' });
  a = await nf4Setup();
});
afterAll(async () => {
  a.model.dispose();
  await a.s.dispose();
});

describe('LoRA training on an NF4 base', () => {
  it('runs, learns the trainables, and a stop + resume on a re-quantized base ends at the same weights', async () => {
    const parts = { ...a.s.parts, model: a.model };
    expect(a.model.weights.layers[0]!.q.weight).toBeInstanceOf(Nf4Matrix);
    const data = () => a.s.data({ batchSize: 1 });
    const options = a.s.options('full', { stages: STAGES, config: CONFIG });
    const full = await runEvents({ options, parts, data: data() });
    const steps = ofType(full, 'step');
    expect(steps.length).toBe(8);
    expect(steps.every((e) => Number.isFinite(e.loss))).toBe(true);
    reference = await readCheckpointWeights(ofType(full, 'run-end')[0]!.checkpoint);

    // The same run on fresh parts, stopped after step 5 (stage 2) ...
    const b = await nf4Setup(join(a.s.dir, 'b'));
    initial = await readCheckpointWeights(await initialWeights(b));
    const opts = (over: Partial<TrainerOptions> = {}) =>
      b.s.options('stopped', { stages: STAGES, config: CONFIG, ...over });
    const ctrl = new AbortController();
    const inputs = { options: opts(), parts: { ...b.s.parts, model: b.model }, data: b.s.data({ batchSize: 1 }) };
    const first = await runEvents({ ...inputs, signal: ctrl.signal }, (e) => {
      if (e.type === 'step' && e.globalStep === 5) ctrl.abort();
    });
    const stopped = ofType(first, 'stopped')[0]!.checkpoint;
    b.model.dispose();
    await b.s.dispose();
    // ... and resumed by a new process's worth of parts: the base quantized again from the same files.
    const c = await nf4Setup(join(a.s.dir, 'b'));
    try {
      const second = await runEvents({
        options: opts({ resume: true }),
        parts: { ...c.s.parts, model: c.model },
        data: c.s.data({ batchSize: 1 }),
      });
      expect(ofType(second, 'run-start')[0]!.resumedFrom).toBe(stopped);
      const end = ofType(second, 'run-end')[0]!;
      expect(end.status).toBe('finished');
      expect(maxAbsDiff(await readCheckpointWeights(end.checkpoint), reference)).toBe(0);
      // Only trainables and run state in the checkpoint folder; the NF4 base is rebuilt from the model files.
      expect((await readdir(stopped)).sort()).toEqual(
        ['adapter', 'optimizer.json', 'optimizer.safetensors', 'projector.safetensors', 'state.json'].sort(),
      );
      expect([...reference.keys()].every((k) => k.startsWith('projector.') || k.includes('lora_'))).toBe(true);
    } finally {
      c.model.dispose();
      await c.s.dispose();
    }
    // Training moved both the projector and the LoRA weights.
    const moved = changedNames(reference, initial);
    expect(moved.some((k) => k.startsWith('projector.'))).toBe(true);
    expect(moved.some((k) => k.includes('lora_B'))).toBe(true);
  });
});

/** The initial trainables (before any step) of setup `b`, written as a checkpoint-shaped folder. */
async function initialWeights(b: Awaited<ReturnType<typeof nf4Setup>>): Promise<string> {
  const dir = join(b.s.dir, 'initial');
  await mkdir(dir, { recursive: true });
  await writeModelFiles(dir, { ...b.s.parts, model: b.model });
  return dir;
}

/**
 * Where CLIP ViT-L/14-336's forward spends its time on the GPU (kvc #12, #15): the whole tower to
 * the penultimate layer (what `kvc cache` runs), one encoder layer, and each piece of a layer on its
 * own at the same shapes (LayerNorm, the f32 → f16 pack of an activation, the GEMM alone, a linear
 * with its bias, the head split/merge transposes, attention, the activation, the residual add),
 * for 8 and 64 frames. Random f16 weights in the real shapes (speed does not depend on the values);
 * attention on the tensor-core kernels when the GPU has them (KVC_BENCH_FUSED=tfjs: the tfjs op).
 * Each line is ms per call (bench/gpu/time-on-gpu.ts: warm-up, queue drained, `reps` calls, drained),
 * and "× layers" scales a layer's pieces to the 23 layers kvc runs; "new" counts the GPU buffers the
 * pool destroyed meanwhile (each is re-created by a later call: a pool too small churns).
 * KVC_BENCH_POOL_GIB="2,16": the whole breakdown under each bound on the pool's free buffers.
 *
 *   bash bench/gpu/pack.sh bench/gpu/clip-breakdown.ts
 *   bash bench/gpu/run-on-gpu.sh clip-breakdown [frames=8,64]          (the GPU machine)
 *   KVC_BENCH_REPS=1 KVC_BENCH_LAYERS=2 node .gpu/app/clip-breakdown.mjs 1          (lavapipe: does it run)
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClipVisionModel,
  flashAttentionVariant,
  gpuPoolStats,
  initBackend,
  selectFlashAttentionVariant,
  setFusedAttentionDefault,
  setGpuPoolLimit,
  tensorCoreFlashCandidates,
} from '@kvc/models';
import { writeTinyClipVision } from '../../apps/cli/src/demo/write-tiny-clip-vision.js';
import { preLnLayer, type PreLnLayerWeights } from '../../packages/models/src/nn/pre-ln-encoder-layer.js';
import { layerNorm } from '../../packages/models/src/nn/layer-norm.js';
import { linear } from '../../packages/models/src/nn/linear.js';
import { attention } from '../../packages/models/src/nn/attention.js';
import { mergeHeads, splitHeads } from '../../packages/models/src/nn/heads.js';
import { quickGelu } from '../../packages/models/src/nn/activations.js';
import { F16Matrix } from '../../packages/models/src/gpu/f16-matrix.js';
import { gemm } from '../../packages/models/src/gpu/gemm.js';
import { timeOnGpu } from './time-on-gpu.js';

const frameCounts = (process.argv[2] ?? '8,64').split(',').map(Number);
// KVC_BENCH_LAYERS: a shorter tower (a quick run on lavapipe); the pieces keep CLIP-L's widths.
const TOWER_LAYERS = Number(process.env.KVC_BENCH_LAYERS ?? 24);
await initBackend('webgpu', { purpose: 'inference' });
if (process.env.KVC_BENCH_FUSED !== 'tfjs' && tensorCoreFlashCandidates().includes('subgroup-matrix')) {
  (await selectFlashAttentionVariant(['subgroup-matrix'])).warnings.forEach((w) => console.warn(w));
  setFusedAttentionDefault(flashAttentionVariant() === 'subgroup-matrix');
}
console.log(`attention: ${flashAttentionVariant() ?? 'tfjs op'}`);

const dir = await mkdtemp(join(tmpdir(), 'kvc-clip-breakdown-'));
await writeTinyClipVision(join(dir, 'clip'), {
  imageSize: 336,
  patchSize: 14,
  hiddenSize: 1024,
  numLayers: TOWER_LAYERS,
  numHeads: 16,
  intermediateSize: 4096,
});
const clip = await ClipVisionModel.load(join(dir, 'clip'), { precision: 'f16' });
await rm(dir, { recursive: true });
// The layers' weights are private to the model; a bench may look (they are only read).
const w0 = (clip as unknown as { w: { layers: PreLnLayerWeights[] } }).w.layers[0]!;
const opts = { numHeads: 16, eps: 1e-5, act: quickGelu };
const LAYERS = TOWER_LAYERS - 1; // hidden_states[-2]: the penultimate layer, as LLaVA and kvc cache

const pools = (process.env.KVC_BENCH_POOL_GIB ?? '2').split(',').map(Number);
for (const gib of pools)
  for (const frames of frameCounts) {
    setGpuPoolLimit({ maxFreeBytes: gib * 2 ** 30 });
    const reps = Number(process.env.KVC_BENCH_REPS ?? (frames <= 8 ? 10 : 4));
    const rows = frames * 577;
    let destroyed = gpuPoolStats()?.destroyedBuffers ?? 0;
    const line = (label: string, ms: number, perLayer = 0) => {
      const now = gpuPoolStats()?.destroyedBuffers ?? 0;
      console.log(
        `pool ${gib} GiB, ${frames} frames | ${label.padEnd(34)} ${ms.toFixed(3).padStart(9)} ms` +
          (perLayer ? `   × layers ${(ms * perLayer).toFixed(1).padStart(8)} ms` : '                         ') +
          `   destroyed ${now - destroyed}`,
      );
      destroyed = now;
    };
    const px = tf.randomNormal([frames, 3, 336, 336]) as tf.Tensor4D;
    line('tower to hidden_states[-2]', await timeOnGpu(() => clip.hiddenState(px, -2), reps));
    line('embeddings (hidden_states[0])', await timeOnGpu(() => clip.hiddenState(px, 0), reps));
    px.dispose();

    const x = tf.randomNormal([frames, 577, 1024]) as tf.Tensor3D;
    const x2 = tf.reshape(x, [rows, 1024]) as tf.Tensor2D;
    const wide = tf.randomNormal([frames, 577, 4096]) as tf.Tensor3D;
    const xf = F16Matrix.fromTensor(x2);
    const q = splitHeads(x, 16);
    line('one layer', await timeOnGpu(() => preLnLayer(x, w0, opts), reps), LAYERS);
    line('layer norm', await timeOnGpu(() => layerNorm(x, w0.layerNorm1, 1e-5), reps), 2 * LAYERS);
    line('pack f32 → f16 [rows, 1024]', await timeOnGpu(() => F16Matrix.fromTensor(x2).bits, reps), 6 * LAYERS);
    const wq = w0.q.weight as F16Matrix;
    line('gemm alone 1024 → 1024', await timeOnGpu(() => gemm(xf, wq, { transB: true }), reps), 4 * LAYERS);
    line('linear q (pack + gemm + bias)', await timeOnGpu(() => linear(x, w0.q), reps), 4 * LAYERS);
    line('split heads (transpose)', await timeOnGpu(() => splitHeads(x, 16), reps), 3 * LAYERS);
    line('attention', await timeOnGpu(() => attention(q, q, q), reps), LAYERS);
    line('merge heads (transpose)', await timeOnGpu(() => mergeHeads(q), reps), LAYERS);
    line('residual add', await timeOnGpu(() => tf.add(x, x), reps), 2 * LAYERS);
    line('linear fc1 1024 → 4096', await timeOnGpu(() => linear(x, w0.fc1), reps), LAYERS);
    line('quick_gelu [rows, 4096]', await timeOnGpu(() => quickGelu(wide), reps), LAYERS);
    line('linear fc2 4096 → 1024', await timeOnGpu(() => linear(wide, w0.fc2), reps), LAYERS);
    tf.dispose([x, x2, wide, q]);
    xf.dispose();
    const gflop = (2 * rows * 1024 * (4 * 1024 + 2 * 4096) + 4 * frames * 16 * 577 * 577 * 64) / 1e9;
    console.log(
      `pool ${gib} GiB, ${frames} frames | one layer's work ${gflop.toFixed(0)} GFLOP; tfjs tensors ${tf.memory().numTensors}`,
    );
  }
clip.dispose();
process.exit(0);

/**
 * Runs every model reference case on the webgpu backend (Dawn) and prints each report: the
 * GPU-machine half of the parity tests. Also checks that repeated forward/backward/generate
 * keeps tf.memory().numTensors flat on the GPU. Usage (packed by pack.sh, run by run-on-gpu.sh):
 *   node webgpu-parity.mjs <fixtures/reference dir> [backend] [f32|f16]
 * With f16 the model cases load their frozen linear weights in f16 (the f16 GEMM: tensor cores where
 * the adapter offers subgroup matrices) and are checked against the same f32 references.
 * KVC_BENCH_FUSED=tensor-cores runs attention on the fused kernels the seed preset uses (bench-attention.ts):
 * then qwen3-vlm's generated ids come from the tensor-core prefill and the key-split decode kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gemmVariant, initBackend } from '@kvc/models';
import { formatParityReport, modelParityRunners } from '@kvc/models/parity';
import type { ParityReport } from '@kvc/models/parity';
import { applyBenchAttention } from './bench-attention.js';

const ref = process.argv[2] ?? 'test/fixtures/reference';
const backendArg = (process.argv[3] ?? 'webgpu') as 'webgpu' | 'cpu' | 'wasm';
const choice = await initBackend(backendArg, { purpose: 'training' });
const precision = (process.argv[4] ?? 'f32') as 'f32' | 'f16';
const attention = choice.backend === 'webgpu' ? await applyBenchAttention() : 'tfjs ops';
console.log(
  `backend: ${choice.backend} (${choice.reason}); precision ${precision}; f16 GEMM ${gemmVariant()}; ${attention}`,
);
const opts = { backend: choice.backend, precision };
const cases: [string, () => Promise<ParityReport>][] = [
  ['qwen3', () => modelParityRunners['qwen3-vlm'](`${ref}/qwen3`, opts)],
  ['clip', () => modelParityRunners['clip-vision'](`${ref}/clip`, opts)],
  ['siglip', () => modelParityRunners.siglip(`${ref}/siglip`, opts)],
  ['bert', () => modelParityRunners.bert(`${ref}/bert`, opts)],
];
let failed = 0;
for (const [name, run] of cases) {
  const t0 = performance.now();
  try {
    const before = tf.memory().numTensors;
    const r = await run();
    const r2 = await run(); // a second run: tensors must not accumulate
    const after = tf.memory().numTensors;
    console.log(formatParityReport(r));
    console.log(`  ${name}: ${(performance.now() - t0).toFixed(0)} ms for two runs; numTensors ${before} -> ${after}`);
    if (!r.pass || !r2.pass) failed++;
  } catch (err) {
    failed++;
    console.log(`${name}: ERROR ${(err as Error).stack ?? err}`);
  }
}
console.log(
  failed
    ? `${failed} case(s) FAILED on ${choice.backend} (${precision})`
    : `all cases passed on ${choice.backend} (${precision})`,
);
process.exit(failed ? 1 : 0);

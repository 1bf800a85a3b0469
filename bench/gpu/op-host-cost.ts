/**
 * Host time per tfjs op on the active backend (kvc issue #14: decode steps are host-bound): records N of one op
 * on small tensors and times the recording alone (the GPU work of these shapes is negligible).
 *   bash bench/demo/run.sh bench/gpu/op-host-cost.ts webgpu [N=2000]   (lavapipe: VK_DRIVER_FILES=…/lvp_icd.json)
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@kvc/models';

const backend = (process.argv[2] ?? 'webgpu') as 'webgpu' | 'cpu' | 'wasm';
const n = Number(process.argv[3] ?? 2000);
await initBackend(backend, { purpose: 'inference' });
const x = tf.ones([8, 1024]);
const w = tf.ones([1024, 16]);
const b = tf.ones([16, 1024]);
const ops: [string, () => tf.Tensor][] = [
  ['reshape', () => tf.reshape(x, [8, 16, 64])],
  ['add', () => tf.add(x, x)],
  ['mul by a scalar', () => tf.mul(x, 2)],
  ['matMul [8,1024]·[1024,16]', () => tf.matMul(x, w)],
  ['LoRA branch (2 matMul, mul, add)', () => tf.add(x, tf.mul(tf.matMul(tf.matMul(x, w), b), 2))],
];
for (const [name, op] of ops) {
  for (let i = 0; i < 50; i++) tf.tidy(op); // compile, warm
  await tf.ones([1]).data();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) tf.tidy(op);
  const recorded = performance.now() - t0;
  await tf.ones([1]).data();
  console.log(`${name.padEnd(34)} ${((1000 * recorded) / n).toFixed(1)} µs recorded per call`);
}
process.exit(0);

// Probe: tfjs-wasm matMul speed by transpose flags.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, installWasmMatMulFix } from '@kvc/models';
await initBackend('wasm');
if (process.env.FIX) console.log('fix', installWasmMatMulFix());
const a = tf.randomNormal([1280, 128]);
const w = tf.randomNormal([384, 128]);
const wt = tf.transpose(w);
const at = tf.transpose(a);
const time = async (name: string, f: () => tf.Tensor) => {
  for (let i = 0; i < 2; i++) f().dispose();
  const t = performance.now();
  for (let i = 0; i < 10; i++) {
    const y = f();
    await y.data();
    y.dispose();
  }
  const ms = (performance.now() - t) / 10;
  console.log(name, ms.toFixed(2), 'ms', ((2 * 1280 * 128 * 384) / ms / 1e6).toFixed(2), 'GFLOP/s');
};
await time('a·wᵀ (transposeB)', () => tf.matMul(a, w, false, true));
await time('a·(wᵀ materialized)', () => tf.matMul(a, wt));
await time('transpose(w) then matmul', () => tf.matMul(a, tf.transpose(w)));
await time('aᵀᵀ transposeA', () => tf.matMul(at, wt, true, false));

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { installWasmMatMulFix } from './wasm-matmul-fix.js';

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => Math.max(...tf.tidy(() => tf.abs(tf.sub(a, b)).dataSync()));

/** Every transpose combination, batched and not, and the gradients of a·bᵀ. */
function cases(): tf.Tensor[] {
  return tf.tidy(() => {
    const a = tf.randomUniform([2, 5, 7], -1, 1, 'float32', 1);
    const b = tf.randomUniform([2, 7, 3], -1, 1, 'float32', 2);
    const a2 = tf.randomUniform([6, 4], -1, 1, 'float32', 3);
    const w = tf.randomUniform([9, 4], -1, 1, 'float32', 4);
    const g = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.square(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, false, true))),
    );
    return [
      tf.matMul(a, b),
      tf.matMul(tf.transpose(a, [0, 2, 1]), b, true, false),
      tf.matMul(a, tf.transpose(b, [0, 2, 1]), false, true),
      tf.matMul(tf.transpose(a, [0, 2, 1]), tf.transpose(b, [0, 2, 1]), true, true),
      tf.matMul(a2, w, false, true),
      ...g([a2, w]),
    ];
  });
}

describe('installWasmMatMulFix', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('gives the same products and gradients as the original kernel for every transpose flag', () => {
    const ref = cases();
    expect(installWasmMatMulFix()).toBe(true);
    expect(installWasmMatMulFix()).toBe(true);
    const before = tf.memory().numTensors;
    const got = cases();
    expect(tf.memory().numTensors - before).toBe(got.length);
    ref.forEach((r, i) => {
      expect(got[i]!.shape).toEqual(r.shape);
      expect(maxDiff(got[i]!, r)).toBeLessThan(1e-5);
    });
    tf.dispose([...ref, ...got]);
  });
});

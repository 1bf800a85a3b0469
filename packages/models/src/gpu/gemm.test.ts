import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { F16Matrix } from './f16-matrix.js';
import { gemmErrorRatio as worstRatio } from './gemm-error-ratio.js';
import { gemm, variantFor } from './gemm.js';
import type { GemmVariant } from './gemm-variant.js';
import { webgpuBackend } from './webgpu-internals.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

// Awkward shapes: none a multiple of the 16×16 tile or of the 64/128 blocks.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [37, 53, 70],
  [130, 17, 259],
  [5, 200, 129],
];
const LAYOUTS = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;

describe.skipIf(!gpu)('gemm (f16 inputs, f32 accumulation) against tf.matMul in f32', () => {
  const variants: GemmVariant[] =
    gpu && webgpuBackend().device.features.has('chromium-experimental-subgroup-matrix')
      ? ['portable', 'subgroup-matrix']
      : ['portable'];
  for (const variant of variants) {
    for (const [m, n, k] of SHAPES) {
      for (const [transA, transB] of LAYOUTS) {
        it(`${variant} ${m}×${n}×${k} transA=${transA} transB=${transB}`, async () => {
          const a = tf.randomUniform(transA ? [k, m] : [m, k], -2, 2, 'float32', m + k) as tf.Tensor2D;
          const b = tf.randomUniform(transB ? [n, k] : [k, n], -2, 2, 'float32', n + 7) as tf.Tensor2D;
          const c = gemm(a, b, { transA, transB, variant });
          expect(c.shape).toEqual([m, n]);
          expect(await worstRatio(c, a, b, transA, transB)).toBeLessThanOrEqual(1);
          tf.dispose([a, b, c]);
        });
      }
    }
  }

  it('takes weights held in f16 and leaves no tensors behind', async () => {
    const x = tf.randomUniform([33, 47], -1, 1, 'float32', 1) as tf.Tensor2D;
    const w = tf.randomUniform([29, 47], -1, 1, 'float32', 2) as tf.Tensor2D;
    const wh = F16Matrix.fromTensor(w);
    const before = tf.memory().numTensors;
    const y = gemm(x, wh, { transB: true });
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(await worstRatio(y, x, w, false, true)).toBeLessThanOrEqual(1);
    tf.dispose([x, w, y]);
    wh.dispose();
  });

  it('rejects mismatched inner dimensions with a hint', () => {
    const a = tf.zeros([3, 4]) as tf.Tensor2D,
      b = tf.zeros([5, 6]) as tf.Tensor2D;
    expect(() => gemm(a, b)).toThrow(expect.objectContaining({ code: 'E_GPU_SHAPE', hint: expect.any(String) }));
    tf.dispose([a, b]);
  });
});

describe('variantFor', () => {
  it('keeps outputs smaller than one 16×16 f32 tile off the subgroup-matrix kernel (Dawn cannot bind them)', () => {
    expect(variantFor(1, 64, 'subgroup-matrix')).toBe('portable');
    expect(variantFor(15, 17, 'subgroup-matrix')).toBe('portable');
    expect(variantFor(16, 16, 'subgroup-matrix')).toBe('subgroup-matrix');
    expect(variantFor(1, 256, 'subgroup-matrix')).toBe('subgroup-matrix');
    expect(variantFor(1, 1, 'portable')).toBe('portable');
    expect(variantFor(1, 1, undefined)).toBeUndefined();
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { batchedGemm } from './batched-gemm.js';
import { packF16Batch } from './f16-batch.js';
import { gemmErrorRatio } from './gemm-error-ratio.js';
import type { GemmShape } from './gemm-layout.js';
import {
  subgroupMatrixDispatch,
  subgroupMatrixGemmWgsl,
  type SubgroupMatrixTiling,
} from './gemm-subgroup-matrix-wgsl.js';
import { emulateSubgroupMatrix } from './nf4-emulated-subgroup-matrix.js';
import { runKernel } from './webgpu-internals.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

type Product = (a: tf.Tensor3D, b: tf.Tensor3D, transA: boolean, transB: boolean) => tf.Tensor3D;
const portable: Product = (a, b, transA, transB) => batchedGemm(a, b, { transA, transB, variant: 'portable' });
/** The subgroup-matrix kernel rewritten into core WGSL (nf4-emulated-subgroup-matrix.ts): lavapipe has none. */
const emulated =
  (t: SubgroupMatrixTiling): Product =>
  (a, b, transA, transB) => {
    const [batch] = a.shape;
    const [m, k] = transA ? [a.shape[2], a.shape[1]] : [a.shape[1], a.shape[2]];
    const s: GemmShape = { m, n: transB ? b.shape[1] : b.shape[2], k, transA, transB, batch };
    const pa = packF16Batch(a),
      pb = packF16Batch(b);
    const code = emulateSubgroupMatrix(subgroupMatrixGemmWgsl(s, t));
    const c = runKernel(code, [pa, pb], [batch, s.m, s.n], 'float32', subgroupMatrixDispatch(s, t));
    tf.dispose([pa, pb]);
    return c as tf.Tensor3D;
  };

/** Worst error over the batch, in units of the derived f16 bound (≤ 1 passes), each matrix against tf.matMul. */
async function ratio(product: Product, batch: number, m: number, n: number, k: number, transA = false, transB = false) {
  const a = tf.randomUniform(transA ? [batch, k, m] : [batch, m, k], -2, 2, 'float32', m + k) as tf.Tensor3D;
  const b = tf.randomUniform(transB ? [batch, n, k] : [batch, k, n], -2, 2, 'float32', n + 7) as tf.Tensor3D;
  const c = product(a, b, transA, transB);
  expect(c.shape).toEqual([batch, m, n]);
  let worst = 0;
  for (let i = 0; i < batch; i++) {
    const [ci, ai, bi] = [c, a, b].map((x) => tf.squeeze(tf.slice(x, [i, 0, 0], [1, -1, -1]), [0]) as tf.Tensor2D);
    worst = Math.max(worst, await gemmErrorRatio(ci!, ai!, bi!, transA, transB));
    tf.dispose([ci!, ai!, bi!]);
  }
  tf.dispose([a, b, c]);
  return worst;
}

const LAYOUTS = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;
const PRODUCTS: [string, Product][] = [
  ['portable', portable],
  ['subgroup-matrix 1×1 direct (emulated)', emulated({ tm: 1, tn: 1, staged: false })],
  ['subgroup-matrix 2×1 staged (emulated)', emulated({ tm: 2, tn: 1, staged: true })],
  // Four subgroups per workgroup (2×2): each addresses its own tiles of the shared staged block.
  ['subgroup-matrix 1×1 staged on 2×2 subgroups (emulated)', emulated({ tm: 1, tn: 1, staged: true, sgm: 2, sgn: 2 })],
  ['subgroup-matrix 1×2 direct on 2×1 subgroups (emulated)', emulated({ tm: 1, tn: 2, staged: false, sgm: 2, sgn: 1 })],
  // Staged by matrix copies: one tile of each operand a subgroup a slice (2×2), then two (2×1).
  [
    'subgroup-matrix 1×1 staged by matrix copies on 2×2 subgroups (emulated)',
    emulated({ tm: 1, tn: 1, staged: true, copy: 'matrices', sgm: 2, sgn: 2 }),
  ],
];

describe.skipIf(!gpu)('batchedGemm (f16 inputs, f32 accumulation) against tf.matMul in f32, matrix by matrix', () => {
  for (const [name, product] of PRODUCTS) {
    it(`${name}: one 16×16×16 tile per matrix, batch 2`, async () => {
      expect(await ratio(product, 2, 16, 16, 16, false, false)).toBeLessThanOrEqual(1);
    });
    it(`${name}: 40×72×48, whole blocks and edge blocks`, async () => {
      expect(await ratio(product, 1, 40, 72, 48, false, true)).toBeLessThanOrEqual(1);
    });
    for (const [transA, transB] of LAYOUTS) {
      it(`${name}: batch 3, 19×35×70, transA=${transA} transB=${transB}`, async () => {
        expect(await ratio(product, 3, 19, 35, 70, transA, transB)).toBeLessThanOrEqual(1);
      });
    }
  }

  // Two tiles of each operand a subgroup a slice (the emulation compiles slowly: two shapes only).
  const twoCopies = emulated({ tm: 1, tn: 2, staged: true, copy: 'matrices', sgm: 2, sgn: 1 });
  it('subgroup-matrix 1×2 staged by matrix copies on 2×1 subgroups (emulated): edge blocks, both transposed', async () => {
    expect(await ratio(twoCopies, 1, 40, 72, 48, false, true)).toBeLessThanOrEqual(1);
    expect(await ratio(twoCopies, 3, 19, 35, 70, true, true)).toBeLessThanOrEqual(1);
  });
  it('subgroup-matrix 1×1 staged by matrix copies on 2×2 subgroups, K slices of 64 (emulated)', async () => {
    const t = { tm: 1, tn: 1, staged: true, copy: 'matrices', sgm: 2, sgn: 2, bk: 64 } as const;
    expect(await ratio(emulated(t), 3, 19, 35, 70, true, false)).toBeLessThanOrEqual(1);
    expect(await ratio(emulated({ ...t, copy: 'halves' }), 1, 40, 72, 48, false, true)).toBeLessThanOrEqual(1);
  });

  // Two slices in workgroup memory, one barrier a slice (K pads to 128: 4 slices of 32, so both buffers turn).
  it('subgroup-matrix 1×1 staged by matrix copies on 2×2 subgroups, 2 buffers (emulated)', async () => {
    const t = { tm: 1, tn: 1, staged: true, copy: 'matrices', sgm: 2, sgn: 2, buffers: 2 } as const;
    expect(await ratio(emulated(t), 3, 19, 35, 70, false, true)).toBeLessThanOrEqual(1);
    expect(await ratio(emulated(t), 1, 40, 72, 48, true, false)).toBeLessThanOrEqual(1);
  });

  // Blocks walked in groups of 2 block rows: 40 rows are 3 block rows of 16, so the last group holds one.
  it('subgroup-matrix 1×1 direct, blocks in groups of 2 rows (emulated)', async () => {
    const t = { tm: 1, tn: 1, staged: false, swizzle: 2 } as const;
    expect(await ratio(emulated(t), 1, 40, 72, 48, false, true)).toBeLessThanOrEqual(1);
    expect(await ratio(emulated(t), 3, 19, 35, 70, true, false)).toBeLessThanOrEqual(1);
    expect(
      await ratio(emulated({ ...t, staged: true, copy: 'matrices', sgm: 2, sgn: 2 }), 1, 40, 72, 48, false, false),
    ).toBeLessThanOrEqual(1);
  });

  // Direct, the next K step's tiles loaded before this step's multiplies (K 70: five steps, the last reloading itself).
  it('subgroup-matrix 2×1 direct prefetching on 1×2 subgroups (emulated): edge blocks, transposed operands', async () => {
    const t = { tm: 2, tn: 1, staged: false, prefetch: true, sgm: 1, sgn: 2 } as const;
    expect(await ratio(emulated(t), 3, 19, 35, 70, true, false)).toBeLessThanOrEqual(1);
    expect(await ratio(emulated(t), 1, 40, 72, 48, false, true)).toBeLessThanOrEqual(1);
  });

  it('leaves only its result behind', () => {
    const a = tf.ones([2, 5, 6]) as tf.Tensor3D,
      b = tf.ones([2, 6, 7]) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const c = batchedGemm(a, b, { variant: 'portable' });
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([a, b, c]);
  });

  it('rejects mismatched batches and inner dimensions with a hint', () => {
    const a = tf.zeros([2, 3, 4]) as tf.Tensor3D;
    const b = tf.zeros([3, 4, 5]) as tf.Tensor3D,
      c = tf.zeros([2, 5, 6]) as tf.Tensor3D;
    for (const x of [b, c]) {
      const shapeError = expect.objectContaining({ code: 'E_GPU_SHAPE', hint: expect.any(String) });
      expect(() => batchedGemm(a, x)).toThrow(shapeError);
    }
    tf.dispose([a, b, c]);
  });
});

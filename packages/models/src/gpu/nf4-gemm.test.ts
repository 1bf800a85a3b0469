import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { F16Matrix } from './f16-matrix.js';
import type { GemmVariant } from './gemm-variant.js';
import type { Nf4Matrix } from '../quant/nf4-matrix.js';
import { nf4Gemm } from './nf4-gemm.js';
import { emulateSubgroupMatrix } from './nf4-emulated-subgroup-matrix.js';
import {
  nf4SubgroupMatrixDispatch,
  nf4SubgroupMatrixGemmWgsl,
  type Nf4SubgroupMatrixTiling,
} from './nf4-gemm-subgroup-matrix-wgsl.js';
import { runKernel } from './webgpu-internals.js';
import { allEntries, nf4ErrorRatio } from './nf4-error-ratio.js';
import { prng, randomNf4 } from './nf4-host.js';
import { webgpuBackend } from './webgpu-internals.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

const randomArray = (size: number, seed: number) => {
  const r = prng(seed);
  return Float32Array.from({ length: size }, () => 2 * r() - 1);
};

type Product = (a: tf.Tensor2D, w: Nf4Matrix, forward: boolean) => tf.Tensor2D;
const byOp =
  (variant: GemmVariant): Product =>
  (a, w, transB) =>
    nf4Gemm(a, w, { transB, variant });
/** The subgroup-matrix kernel rewritten into core WGSL (nf4-emulated-subgroup-matrix.ts). */
const emulated =
  (t: Nf4SubgroupMatrixTiling): Product =>
  (a, w, transB) => {
    const [m, k] = a.shape;
    const s = { m, n: transB ? w.rows : w.cols, k, transB, blocksize: w.blocksize };
    const code = emulateSubgroupMatrix(nf4SubgroupMatrixGemmWgsl(s, t));
    const pa = F16Matrix.fromTensor(a);
    const c = runKernel(code, [pa.bits, w.codes, w.absmax], [s.m, s.n], 'float32', nf4SubgroupMatrixDispatch(s, t));
    pa.dispose();
    return c as tf.Tensor2D;
  };

/** Runs one product and returns its error in units of the derived f16 bound against the CPU. */
async function ratio(m: number, out: number, inp: number, forward: boolean, product: Product, seed = 1) {
  const w = randomNf4(out, inp, seed);
  const [k, n] = forward ? [inp, out] : [out, inp];
  const a = randomArray(m * k, seed + 1);
  const ta = tf.tensor2d(a, [m, k]);
  const c = product(ta, w.matrix, forward);
  expect(c.shape).toEqual([m, n]);
  const got = await c.data();
  tf.dispose([ta, c]);
  w.matrix.dispose();
  // op(W)[q, j] is W[j, q] in the forward (W: [out=n, in=k]) and W[q, j] in the input gradient.
  const wAt = forward ? (q: number, j: number) => w.at(j, q) : (q: number, j: number) => w.at(q, j);
  return nf4ErrorRatio(
    (i, j) => got[i * n + j]!,
    (i, q) => a[i * k + q]!,
    wAt,
    k,
    allEntries(m, n),
  );
}

describe.skipIf(!gpu)('nf4Gemm (NF4 weight dequantized in the kernel) against the CPU in f32', () => {
  const variants: GemmVariant[] =
    gpu && webgpuBackend().device.features.has('chromium-experimental-subgroup-matrix')
      ? ['portable', 'subgroup-matrix']
      : ['portable'];
  for (const variant of variants) {
    it(`${variant}: one 16×16 tile, K = 64 (one block per row)`, async () => {
      expect(await ratio(16, 16, 64, true, byOp(variant))).toBeLessThanOrEqual(1);
    });
    // [tokens, out, in]: M = 1 and 17, N = 33, K = 64·3, K not a multiple of 64 (blocks straddle rows),
    // K = 4096 with a small M, and sizes beyond one 64×64 workgroup block.
    const shapes: [number, number, number][] = [
      [1, 64, 64],
      [17, 33, 192],
      [17, 33, 70],
      [5, 19, 35],
      [3, 40, 4096],
      [130, 70, 129],
    ];
    for (const [m, out, inp] of shapes) {
      for (const forward of [true, false]) {
        it(`${variant} ${forward ? 'y = x·Wᵀ' : 'dx = dy·W'} tokens=${m} out=${out} in=${inp}`, async () => {
          expect(await ratio(m, out, inp, forward, byOp(variant), m + out + inp)).toBeLessThanOrEqual(1);
        });
      }
    }
  }

  // The tensor-core kernel's staging and addressing, checked where there are no tensor cores.
  // (1×1 tiles: lavapipe compiles the emulation's 16×16 private matrices slowly, larger tiles take minutes.)
  const tilings: Nf4SubgroupMatrixTiling[] = [
    { tm: 1, tn: 1, bk: 16 },
    { tm: 1, tn: 1, bk: 64, lut: 'private' },
  ];
  for (const t of tilings) {
    for (const [m, out, inp] of [
      [16, 16, 64],
      [17, 33, 192],
      [18, 35, 70],
    ] as const) {
      for (const forward of [true, false]) {
        const name = `${t.tm}×${t.tn}/${t.bk}${t.lut ? ' ' + t.lut : ''}`;
        it(`subgroup-matrix ${name} emulated: ${forward ? 'forward' : 'input grad'} ${m}×${out}×${inp}`, async () => {
          expect(await ratio(m, out, inp, forward, emulated(t), m + inp)).toBeLessThanOrEqual(1);
        });
      }
    }
  }

  it('subgroup-matrix 2×2/32 emulated (register tiles on both axes): input grad 18×35×70', async () => {
    expect(await ratio(18, 35, 70, false, emulated({ tm: 2, tn: 2, bk: 32 }), 5)).toBeLessThanOrEqual(1);
  }, 120_000);

  it('rejects mismatched inner dimensions with a hint', () => {
    const w = randomNf4(8, 16, 3);
    const x = tf.zeros([4, 8]) as tf.Tensor2D;
    expect(() => nf4Gemm(x, w.matrix, { transB: true })).toThrow(
      expect.objectContaining({ code: 'E_GPU_SHAPE', hint: expect.any(String) }),
    );
    x.dispose();
    w.matrix.dispose();
  });
});

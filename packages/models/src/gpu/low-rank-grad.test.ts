import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import type { LoraPair } from '../nn/linear.js';
import { addLoraBranch, loraBranch } from '../nn/lora-branch.js';
import { F32_UNIT, uniformMatrix } from '../testing/uniform-matrix.js';
import { lowRankGrad, lowRankGradTakes } from './low-rank-grad.js';
import { ownDispatchesOf, webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

const U = F32_UNIT;
/** γ_n = n·u / (1 − n·u): the bound on an n-term f32 sum's rounding, relative to the sum of the terms' magnitudes. */
const gamma = (n: number) => (n * U) / (1 - n * U);

/** Lᵀ·R and Σ|L|ᵀ|R| in f64 on the host, row-major [rank, W]. */
function exact(l: Float32Array, r: Float32Array, m: number, rank: number, w: number) {
  const sum = new Float64Array(rank * w);
  const mag = new Float64Array(rank * w);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < rank; j++) {
      const a = l[i * rank + j]!;
      for (let c = 0; c < w; c++) {
        sum[j * w + c] = sum[j * w + c]! + a * r[i * w + c]!;
        mag[j * w + c] = mag[j * w + c]! + Math.abs(a * r[i * w + c]!);
      }
    }
  return { sum, mag };
}

describe.skipIf(!gpu)('lowRankGrad (Lᵀ·R for a thin L and a wide R, the LoRA weight gradients) on webgpu', () => {
  it.each([
    [70, 4, 300],
    [600, 16, 1030],
    [1000, 32, 257],
  ])('%d rows, rank %d, width %d: within the derived bound of the exact sum', async (m, rank, w) => {
    const l = uniformMatrix([m, rank], 11, -2, 2);
    const r = uniformMatrix([m, w], 12, -3, 3);
    expect(lowRankGradTakes(l, r)).toBe(true);
    const got = lowRankGrad(l, r);
    expect(got.shape).toEqual([rank, w]);
    const [g, lv, rv] = await Promise.all([got.data(), l.data(), r.data()]);
    const { sum, mag } = exact(lv as Float32Array, rv as Float32Array, m, rank, w);
    // A column's sum is a chain of at most 256 fmas a chunk (CHUNK rows), then the chunks added in order: each
    // result is within γ_(256 + chunks)·Σ|l·r| of the exact sum.
    const bound = gamma(Math.min(m, 256) + Math.ceil(m / 256));
    let worst = 0;
    for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i]! - sum[i]!) / (bound * mag[i]!));
    expect(worst).toBeLessThanOrEqual(1);
    tf.dispose([l, r, got]);
  });

  it('loraBranch on webgpu takes it for dA and dB, with gradients within the derived bound of the tfjs chain rule', async () => {
    const m = 300,
      inDim = 40,
      outDim = 24,
      rank = 4,
      s = 2;
    const x = uniformMatrix([m, inDim], 21);
    const a = uniformMatrix([rank, inDim], 22);
    const b = uniformMatrix([outDim, rank], 23);
    const w = uniformMatrix([m, outDim], 24);
    const lora: LoraPair = { a, b, scaling: s, dropout: 0 };
    const f = (xi: tf.Tensor, ai: tf.Tensor, bi: tf.Tensor) =>
      tf.sum(
        tf.mul(loraBranch(xi as tf.Tensor2D, { ...lora, a: ai as tf.Tensor2D, b: bi as tf.Tensor2D }), w),
      ) as tf.Scalar;
    // Our own dispatches: x·Aᵀ forward and dy·B backward (lowRankProject), the two kernels each for dA and dB.
    expect(ownDispatchesOf(() => tf.grads(f)([x, a, b]))).toBe(6);
    const ours = tf.grads(f)([x, a, b]);
    // The tfjs chain rule the CPU path runs: dLow = s·w (dy is w), dB = dLowᵀ·m, dm = dLow·B, dA = dmᵀ·x, dx = dm·A.
    const low = tf.matMul(x, a, false, true);
    const dLow = tf.mul(w, s);
    const dm = tf.matMul(dLow, b);
    const ref = [tf.matMul(dm, a), tf.matMul(dm, x, true, false), tf.matMul(dLow, low, true, false)];
    // Bounds, from |·| of the same products. dm here is s·(w·B), there (s·w)·B: each an out-term sum and one
    // multiply by s, so |dm − dm_ref| ≤ (2γ_out + 2u)·|s|·|w||B| =: e_m. Then dx = dm·A (an r-term sum, both sides):
    // e_m·|A| + 2γ_r·|dm||A|; dA = dmᵀ·x over m rows: e_mᵀ|x| + 2γ_m·|dm|ᵀ|x| (γ_m covers this kernel's order and
    // tfjs's); dB = s·(wᵀ·low) against (s·w)ᵀ·low: (2γ_m + 2u)·|s|·|w|ᵀ|low|, plus |s|·|w|ᵀ·e_low for the two
    // evaluations of low = x·Aᵀ (lowRankProject's order and tfjs's, in-term sums): e_low = 2γ_in·|x||A|ᵀ.
    const abs = tf.abs;
    const em = tf.mul(tf.matMul(abs(w), abs(b)), (2 * gamma(outDim) + 2 * U) * s);
    const adm = abs(dm);
    const bounds = [
      tf.add(tf.matMul(em, abs(a)), tf.mul(tf.matMul(adm, abs(a)), 2 * gamma(rank))),
      tf.add(tf.matMul(em, abs(x), true, false), tf.mul(tf.matMul(adm, abs(x), true, false), 2 * gamma(m))),
      tf.add(
        tf.mul(tf.matMul(abs(w), abs(low), true, false), (2 * gamma(m) + 2 * U) * s),
        tf.mul(tf.matMul(abs(w), tf.matMul(abs(x), abs(a), false, true), true, false), 2 * gamma(inDim) * s),
      ),
    ];
    for (let i = 0; i < 3; i++) {
      const [o, r, bd] = await Promise.all([ours[i]!.data(), ref[i]!.data(), bounds[i]!.data()]);
      let worst = 0;
      for (let e = 0; e < o.length; e++) worst = Math.max(worst, Math.abs(o[e]! - r[e]!) / (1.01 * bd[e]! + 1e-30));
      expect(worst, `gradient ${i}`).toBeLessThanOrEqual(1);
    }
    tf.dispose([x, a, b, w, ...ours, low, dLow, dm, ...ref, em, adm, ...bounds]);
  });

  it('addLoraBranch: y + the branch in one kernel; its gradients are dy for y and the branch’s own, bit for bit', async () => {
    const x = uniformMatrix([200, 40], 41);
    const y = uniformMatrix([200, 24], 42);
    const w = uniformMatrix([200, 24], 43);
    const lora: LoraPair = { a: uniformMatrix([4, 40], 44), b: uniformMatrix([24, 4], 45), scaling: 2, dropout: 0.1 };
    const pair = (ai: tf.Tensor, bi: tf.Tensor) => ({ ...lora, a: ai as tf.Tensor2D, b: bi as tf.Tensor2D });
    const added = tf.grads((yi: tf.Tensor, xi: tf.Tensor, ai: tf.Tensor, bi: tf.Tensor) =>
      tf.sum(tf.mul(addLoraBranch(yi as tf.Tensor2D, xi as tf.Tensor2D, pair(ai, bi), 9), w)),
    )([y, x, lora.a, lora.b]);
    const alone = tf.grads((xi: tf.Tensor, ai: tf.Tensor, bi: tf.Tensor) =>
      tf.sum(tf.mul(loraBranch(xi as tf.Tensor2D, pair(ai, bi), 9), w)),
    )([x, lora.a, lora.b]);
    expect(await added[0]!.data()).toEqual(await w.data());
    for (let i = 0; i < 3; i++) expect(await added[i + 1]!.data()).toEqual(await alone[i]!.data());
    tf.dispose([x, y, w, lora.a, lora.b, ...added, ...alone]);
  });

  it('is refused where it cannot run: rank over 32, rows that do not match', () => {
    const l = uniformMatrix([10, 33], 31);
    const thin = uniformMatrix([10, 16], 34);
    const r = uniformMatrix([10, 50], 32);
    const r2 = uniformMatrix([11, 50], 33);
    expect(lowRankGradTakes(l, r)).toBe(false);
    expect(lowRankGradTakes(thin, r2)).toBe(false);
    expect(lowRankGradTakes(thin, r)).toBe(true);
    tf.dispose([l, thin, r, r2]);
  });
});

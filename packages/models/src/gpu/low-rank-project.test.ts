import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { F32_UNIT, uniformMatrix } from '../testing/uniform-matrix.js';
import { lowRankProject, lowRankProjectTakes } from './low-rank-project.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

/** γ_n = n·u / (1 − n·u): an n-term f32 dot product in any order, relative to Σ|x·w|. */
const gamma = (n: number) => (n * F32_UNIT) / (1 - n * F32_UNIT);

describe.skipIf(!gpu)('lowRankProject (x·Wᵀ for many rows and a thin W, the LoRA branch’s x·Aᵀ) on webgpu', () => {
  it.each([
    [37, 64, 4],
    [300, 1032, 16],
    [130, 520, 32],
    [9, 12, 5],
  ])('%d rows, K %d, rank %d: within the derived bound of the exact dot products', async (m, k, rank) => {
    const x = uniformMatrix([m, k], 51, -3, 3);
    const w = uniformMatrix([rank, k], 52);
    expect(lowRankProjectTakes(x, w)).toBe(true);
    const got = lowRankProject(x, w);
    expect(got.shape).toEqual([m, rank]);
    const [g, xv, wv] = await Promise.all([got.data(), x.data(), w.data()]);
    let worst = 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < rank; j++) {
        let sum = 0,
          mag = 0;
        for (let c = 0; c < k; c++) {
          const p = xv[i * k + c]! * wv[j * k + c]!;
          sum += p;
          mag += Math.abs(p);
        }
        worst = Math.max(worst, Math.abs(g[i * rank + j]! - sum) / (gamma(k) * mag));
      }
    expect(worst).toBeLessThanOrEqual(1);
    tf.dispose([x, w, got]);
  });

  it('is refused for K not a multiple of 4, a rank over 32, or widths that differ', () => {
    const x = uniformMatrix([10, 42], 53);
    const x2 = uniformMatrix([10, 40], 56);
    const w = uniformMatrix([4, 42], 54);
    const wide = uniformMatrix([33, 40], 55);
    expect(lowRankProjectTakes(x, w)).toBe(false);
    expect(lowRankProjectTakes(x2, wide)).toBe(false);
    expect(lowRankProjectTakes(x2, w)).toBe(false);
    tf.dispose([x, x2, w, wide]);
  });
});

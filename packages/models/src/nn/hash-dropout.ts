/**
 * Inverted dropout whose mask is a hash of (seed, element index), the same on every backend: on
 * webgpu one elementwise kernel draws and applies it on the device (gpu/hash-dropout-wgsl.ts); on
 * cpu and wasm a loop over the values computes the same bits.
 *
 * Why not tf.dropout: it draws its mask with tf.randomUniform, which generates every value in
 * JavaScript on the host and uploads it. LoRA dropout on Qwen3-8B at the seed's batch masks
 * ~0.8 G values a layer, several times a step (forward, recompute, backward): the seed's stage-2
 * step took 416 s for 4 of 36 layers on an H200, almost all of it drawing masks
 * (bench/results/2026-11-28-seed-e2e-h200.md).
 *
 * The rule: element i is kept when lowbias32(lowbias32(i) ⊕ key) ≥ threshold, with
 * key = lowbias32(seed) and threshold = round(rate · 2³²); each element is multiplied by
 * 1 / (1 − rate) in f32 when kept and by 0 when dropped (so a negative one becomes −0), as tf.dropout
 * does. lowbias32 is Chris Wellons' 32-bit integer hash. Hashing i
 * first decorrelates neighbouring elements; the key makes each seed's mask its own. The same seed
 * gives the same mask for any tensor of the same size, which is what lets the backward re-apply
 * the forward's mask instead of keeping it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hashDropoutWebgpu, hashDropoutWebgpuTakes } from '../gpu/hash-dropout-wgsl.js';

/** Chris Wellons' lowbias32 (JS, u32 arithmetic); gpu/hash-dropout-wgsl.ts writes the same in WGSL. */
export function lowbias32(v: number): number {
  let x = v >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** The parameters of one mask: the seed's key, the drop threshold and the kept elements' scale. */
export interface HashDropoutParams {
  readonly key: number;
  readonly threshold: number;
  readonly scale: number;
}

export function hashDropoutParams(rate: number, seed: number): HashDropoutParams {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout rate must be in [0, 1), got ${rate}`);
  if (!Number.isInteger(seed)) throw new RangeError(`dropout seed must be an integer, got ${seed}`);
  return {
    key: lowbias32(seed),
    threshold: Math.min(Math.round(rate * 2 ** 32), 2 ** 32 - 1),
    scale: Math.fround(1 / Math.fround(1 - rate)),
  };
}

/** Whether element i survives (the rule above). */
export const hashDropoutKeeps = (i: number, p: HashDropoutParams): boolean =>
  lowbias32((lowbias32(i) ^ p.key) >>> 0) >= p.threshold;

/** x with each element dropped (rate) or scaled by 1 / (1 − rate), by the seed's mask. float32 only. */
export function hashDropout<T extends tf.Tensor>(x: T, rate: number, seed: number): T {
  const p = hashDropoutParams(rate, seed);
  if (x.dtype !== 'float32') throw new TypeError(`hashDropout: float32 tensors only, got ${x.dtype}`);
  if (hashDropoutWebgpuTakes(x)) return hashDropoutWebgpu(x, p) as T;
  const values = x.dataSync() as Float32Array;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.fround(values[i]! * (hashDropoutKeeps(i, p) ? p.scale : 0));
  return tf.tensor(out, x.shape, 'float32') as T;
}

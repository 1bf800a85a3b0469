/**
 * [B, X, Y, D] → [B, Y, X, D] as one dispatch, for the head layout around attention (nn/heads.ts: tokens × heads
 * ↔ heads × tokens, D the head size). tfjs's Transpose computes every element's index on its own and ran at ~0.66
 * TB/s on an H200 (Qwen3-0.6B's seed step: 111 ms of it in 280 transposes; bench/results/
 * 2026-11-29-split-attention-h200.md, section 5). Here an invocation moves one vec4 of a row of D, so a subgroup
 * moves whole rows. A copy: the result equals tf.transpose bit for bit.
 *
 * The heads side (X or Y) and D are in the code; the tokens side follows at run time from the buffer's length and
 * the batch (workgroup z), so one pipeline serves every sequence length (a generation's prompts compile nothing).
 */
import type * as tf from '@tensorflow/tfjs-core';
import {
  ELEMENTWISE_WORKGROUP as WG,
  elementwiseWgsl,
  flatDispatch,
  fusedElementwiseTakes,
} from './fused-elementwise.js';
import { runKernelOutputs } from './webgpu-internals.js';

/** The kernel: `heads` is X (`fixed: 'x'`) or Y, D/4 vec4s a row; per batch, dst [Y, X, D/4] from src [X, Y, D/4]. */
export function swapAxesWgsl(heads: number, fixed: 'x' | 'y', d: number): string {
  const d4 = d / 4;
  const other = `n / ${heads * d4}u`;
  const [x, y] = fixed === 'x' ? [`${heads}u`, other] : [other, `${heads}u`];
  // n: one batch's vec4s (the batch is workgroup z).
  return elementwiseWgsl(
    'arrayLength(&dst) / nwg.z',
    `@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;`,
    `let n = arrayLength(&dst) / nwg.z; let base = wid.z * n;
  let v = i % ${d4}u; let r = i / ${d4}u;
  let xi = r % (${x}); let yi = r / (${x});
  dst[base + i] = src[base + (xi * (${y}) + yi) * ${d4}u + v];`,
  );
}

/** Whether the kernel takes x: rank 4, float32, rows of a multiple of 4, on webgpu with the fused kernels on. */
export const swapAxesTakes = (x: tf.Tensor): boolean =>
  x.rank === 4 && x.shape[3]! % 4 === 0 && fusedElementwiseTakes(x);

/** x [B, X, Y, D] → [B, Y, X, D], `heads` the side that is X or Y (no gradient: nn/heads.ts wraps it). */
export function swapAxesFused(x: tf.Tensor4D, heads: 'x' | 'y'): tf.Tensor4D {
  const [b, p, q, d] = x.shape;
  const [x0, y0] = flatDispatch(Math.ceil((p * q * d) / 4 / WG));
  const code = swapAxesWgsl(heads === 'x' ? p : q, heads, d);
  return runKernelOutputs(code, [x], [{ shape: [b, q, p, d], dtype: 'float32' }], [x0, y0, b])[0] as tf.Tensor4D;
}

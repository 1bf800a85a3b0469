/**
 * The LoRA branch of a linear layer, s·B(A(dropout(x))), as one differentiable op that keeps
 * only x and the rank-r product A·x for its backward. Written as tfjs ops, autodiff keeps the
 * [M, out] product B·A·x too (the scalar multiply saves its tensor input): one full output per
 * adapted module, 2 × 1 GB for gate and up at Qwen3-8B widths and the seed's batch, for a value
 * the backward never reads. On cpu and wasm the forward runs the same ops in the same order, so values are
 * unchanged, and the backward is the chain rule those ops would apply. On webgpu the thin products (x·Aᵀ, dy·B:
 * gpu/low-rank-project.ts) and the weight gradients, tall-skinny sums over every row (gpu/low-rank-grad.ts), run on
 * kernels of their own: the same terms, summed in another order.
 */
import * as tf from '@tensorflow/tfjs-core';
import { lowRankAdd, lowRankAddTakes } from '../gpu/low-rank-add-wgsl.js';
import { lowRankGrad, lowRankGradTakes } from '../gpu/low-rank-grad.js';
import { lowRankProject, lowRankProjectTakes } from '../gpu/low-rank-project.js';
import { hashDropout } from './hash-dropout.js';
import type { LoraPair } from './linear.js';

/** x·Aᵀ [M, r]: on webgpu the thin-output kernel (gpu/low-rank-project.ts), else tfjs's matMul. */
export function lowRankOf(x: tf.Tensor2D, a: tf.Tensor2D): tf.Tensor2D {
  return lowRankProjectTakes(x, a) ? lowRankProject(x, a) : (tf.matMul(x, a, false, true) as tf.Tensor2D);
}

/** s·(dropout(x)·Aᵀ)·Bᵀ for x [M, in]; gradients flow to x, A and B. */
export function loraBranch(x: tf.Tensor2D, lora: LoraPair, dropoutSeed?: number): tf.Tensor2D {
  return branch(x, lora, dropoutSeed);
}

/**
 * y + s·(dropout(x)·Aᵀ)·Bᵀ: the layer's output with its LoRA branch added; gradients flow to y, x, A and B. On webgpu
 * the branch's second product, the scale and the add are one kernel (gpu/low-rank-add-wgsl.ts, the same order of
 * operations), where tfjs wrote three [M, out] tensors.
 */
export function addLoraBranch(y: tf.Tensor2D, x: tf.Tensor2D, lora: LoraPair, dropoutSeed?: number): tf.Tensor2D {
  return lowRankAddTakes(lora.b, y) ? branch(x, lora, dropoutSeed, y) : tf.add(y, branch(x, lora, dropoutSeed));
}

function branch(x: tf.Tensor2D, lora: LoraPair, dropoutSeed?: number, base?: tf.Tensor2D): tf.Tensor2D {
  const drop = dropoutSeed !== undefined && lora.dropout > 0;
  // The mask is a function of the seed and the element index (hash-dropout.ts): the backward
  // re-applies the forward's mask from the seed instead of keeping it.
  const dropped = (t: tf.Tensor2D): tf.Tensor2D => (drop ? hashDropout(t, lora.dropout, dropoutSeed ?? 0) : t);
  const scaling = lora.scale ?? lora.scaling;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [xi, a, b, y] = args as tf.Tensor2D[];
    const m = lowRankOf(dropped(xi!), a!);
    save([xi!, a!, b!, m]);
    return {
      value: y ? lowRankAdd(y, m, b!, lora.scaling) : tf.mul(tf.matMul(m, b!, false, true), scaling),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sx, sa, sb, sm] = saved as tf.Tensor2D[];
          const dy2 = dy as tf.Tensor2D;
          // y's gradient is dy itself: a new handle on it, which the walk can free apart from dy.
          const dBase = y ? [tf.clone(dy2)] : [];
          if (lowRankGradTakes(sm!, dy2)) {
            // On webgpu: the weight gradients by the thin-by-wide kernels, and s applied to the [M, r] and [out, r]
            // products instead of dy [M, out] (one multiply of a full output less); the chain rule's terms as below,
            // the roundings of the sums' order and of s's place aside.
            const dB = tf.mul(tf.transpose(lowRankGrad(sm!, dy2)), scaling);
            const dm = tf.mul(lowRankOf(dy2, tf.transpose(sb!)), scaling) as tf.Tensor2D;
            const dA = lowRankGrad(dm, dropped(sx!));
            return [dropped(tf.matMul(dm, sa!)), dA, dB, ...dBase];
          }
          const dLow = tf.mul(dy, scaling) as tf.Tensor2D;
          const dB = tf.matMul(dLow, sm!, true, false);
          const dm = tf.matMul(dLow, sb!);
          const dA = tf.matMul(dm, dropped(sx!), true, false);
          const dIn = tf.matMul(dm, sa!);
          // d dropout(x) / dx is the same mask and scale, applied to the incoming gradient.
          return [dropped(dIn as tf.Tensor2D), dA, dB, ...dBase];
        }),
    };
  });
  return (base ? f(x, lora.a, lora.b, base) : f(x, lora.a, lora.b)) as tf.Tensor2D;
}

/**
 * Gradient checkpointing of one decoder layer: the forward keeps no activations (it runs
 * with the tape off inside tf.customGrad); the backward recomputes the layer with the tape on
 * and returns the gradients of its input and of its LoRA tensors. Memory then grows with
 * the number of layers × one hidden state instead of × every intermediate.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LoraPair } from './linear.js';

interface LayerCtx<K extends string> {
  readonly cos: tf.Tensor4D;
  readonly sin: tf.Tensor4D;
  readonly bias: tf.Tensor4D;
  readonly lora: Partial<Record<K, LoraPair>>;
}

type EngineState = { state: { activeTape: unknown } };

/**
 * tfjs keeps one global tape: a gradient computed inside another's backward would replace
 * and then clear it. Saving and restoring it makes the nested recompute safe.
 */
function nestedGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], dy: tf.Tensor): tf.Tensor[] {
  const eng = tf.engine() as unknown as EngineState;
  const outer = eng.state.activeTape;
  try {
    return tf.grads(f)(xs, dy);
  } finally {
    eng.state.activeTape = outer;
  }
}

export function checkpointed<C extends LayerCtx<K>, K extends string>(
  x: tf.Tensor3D,
  ctx: C,
  layer: (x: tf.Tensor3D, ctx: C) => tf.Tensor3D,
): tf.Tensor3D {
  const keys = Object.keys(ctx.lora) as K[];
  const loraTensors = keys.flatMap((k) => [ctx.lora[k]!.a, ctx.lora[k]!.b]);
  const withTensors = (cos: tf.Tensor, sin: tf.Tensor, bias: tf.Tensor, ls: tf.Tensor[]): C => {
    const lora: Partial<Record<K, LoraPair>> = {};
    keys.forEach(
      (k, i) => (lora[k] = { ...ctx.lora[k]!, a: ls[2 * i] as tf.Tensor2D, b: ls[2 * i + 1] as tf.Tensor2D }),
    );
    return { ...ctx, cos, sin, bias, lora };
  };
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const inputs = args as tf.Tensor[];
    const [xin, ...ls] = inputs;
    // Saved tensors are cloned and kept by the engine until the backward pass has run.
    save([xin!, ctx.cos, ctx.sin, ctx.bias, ...ls]);
    return {
      value: layer(xin as tf.Tensor3D, ctx),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, cos, sin, bias, ...sl] = saved;
        return nestedGrads(
          (hx, ...hl) => layer(hx as tf.Tensor3D, withTensors(cos!, sin!, bias!, hl)),
          [sx!, ...sl],
          dy,
        );
      },
    };
  });
  return f(x, ...loraTensors) as tf.Tensor3D;
}

/**
 * Gradient checkpointing of one decoder layer: the forward keeps no activations (it runs
 * with the tape off inside tf.customGrad); the backward recomputes the layer with the tape on
 * and returns the gradients of its input and of its LoRA tensors. Memory then grows with
 * the number of layers × one hidden state instead of × every intermediate.
 *
 * A layer may be given as stages (attention, then MLP): the backward then recomputes the stage
 * inputs without a tape and differentiates one stage at a time, last first. tfjs frees what a
 * tape saved, and every intermediate gradient, only when its tf.grads returns, so one tape over
 * the whole layer held both halves' activations and gradients at once (58.8 GiB live for four
 * Qwen3-8B layers at the seed's batch); per stage, the peak is the larger half. The price is
 * one more forward of every stage but the last.
 *
 * `keepStageInputs` removes that price: the forward keeps each later stage's input (one hidden
 * state per stage boundary, [B, T, hidden]) instead, so each stage runs twice, as with a single
 * tape. For Qwen3 that is one attention forward fewer per layer, for 88 MB a layer at the 0.6B
 * seed batch (4 × 5376 × 1024 f32) and 352 MB at 8B widths.
 *
 * `keepAttention` (with kept stage inputs) also keeps the attention's output and row statistics
 * from the first forward (nn/attention-replay.ts): the recompute under the tape then runs every
 * op of the attention stage but the attention forward itself, the step's most expensive kernel.
 * It costs the attention output per layer, [B, heads, T, d] f32: 176 MB a layer at the 0.6B seed
 * batch, 352 MB at 8B widths (12.7 GB over 36 layers).
 */
import * as tf from '@tensorflow/tfjs-core';
import { tapeRecording } from '../engine/tape-recording.js';
import { AttentionReplay } from './attention-replay.js';
import type { LoraPair } from './linear.js';

interface LayerCtx<K extends string> {
  readonly cos: tf.Tensor4D;
  readonly sin: tf.Tensor4D;
  readonly bias: tf.Tensor4D;
  readonly keyBias?: tf.Tensor4D | undefined;
  readonly lora: Partial<Record<K, LoraPair>>;
  /** Set by checkpointed for its stages (keepAttention); the layer passes it to its attention. */
  readonly attentionReplay?: AttentionReplay | undefined;
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

/**
 * How decoder layers are checkpointed: not at all, by recomputing stage inputs (true), keeping them,
 * or keeping them and the attention's results too.
 */
export type LayerCheckpointing = boolean | 'keep-stage-inputs' | 'keep-attention';

/** One part of a checkpointed layer, and the LoRA modules it uses. */
export interface CheckpointStage<C, K extends string> {
  readonly run: (x: tf.Tensor3D, ctx: C) => tf.Tensor3D;
  readonly keys: readonly K[];
}

export function checkpointed<C extends LayerCtx<K>, K extends string>(
  x: tf.Tensor3D,
  ctx: C,
  layer: ((x: tf.Tensor3D, ctx: C) => tf.Tensor3D) | readonly CheckpointStage<C, K>[],
  opts: { readonly keepStageInputs?: boolean; readonly keepAttention?: boolean } = {},
): tf.Tensor3D {
  const keys = Object.keys(ctx.lora) as K[];
  const stages: readonly CheckpointStage<C, K>[] = typeof layer === 'function' ? [{ run: layer, keys }] : layer;
  const loraTensors = keys.flatMap((k) => [ctx.lora[k]!.a, ctx.lora[k]!.b]);
  // The context's tensors, saved with the input: the caller's may be disposed before the backward.
  const ctxTensors = [ctx.cos, ctx.sin, ctx.bias, ...(ctx.keyBias ? [ctx.keyBias] : [])];
  const withTensors = (cs: tf.Tensor[], ls: tf.Tensor[]): C => {
    const lora: Partial<Record<K, LoraPair>> = {};
    keys.forEach(
      (k, i) => (lora[k] = { ...ctx.lora[k]!, a: ls[2 * i] as tf.Tensor2D, b: ls[2 * i + 1] as tf.Tensor2D }),
    );
    const [cos, sin, bias, keyBias] = cs as tf.Tensor4D[];
    return { ...ctx, cos, sin, bias, keyBias, lora, attentionReplay: replay };
  };
  const keep = (opts.keepStageInputs ?? false) && stages.length > 1;
  // Only when a backward will follow (and free what is kept): a forward without a tape keeps nothing.
  const replay = keep && opts.keepAttention && tapeRecording() ? new AttentionReplay() : undefined;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const inputs = args as tf.Tensor[];
    const [xin, ...ls] = inputs;
    const fctx: C = { ...ctx, attentionReplay: replay };
    // Every stage's input; the first is the layer's.
    const outs: tf.Tensor3D[] = [xin as tf.Tensor3D];
    for (const st of stages) outs.push(tf.tidy(() => st.run(outs[outs.length - 1]!, fctx)));
    const mids = outs.slice(1, -1);
    // Saved tensors are cloned and kept by the engine until the backward pass has run.
    save([xin!, ...ctxTensors, ...ls, ...(keep ? mids : [])]);
    tf.dispose(mids);
    return {
      value: outs[outs.length - 1]!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, ...rest] = saved;
        const cs = rest.slice(0, ctxTensors.length),
          sl = rest.slice(ctxTensors.length, ctxTensors.length + loraTensors.length);
        const cx = withTensors(cs, sl);
        // Stage inputs: kept, or recomputed without a tape (nothing is recording in a gradFunc).
        const ins: tf.Tensor3D[] = [sx as tf.Tensor3D];
        if (keep) ins.push(...(rest.slice(ctxTensors.length + loraTensors.length) as tf.Tensor3D[]));
        else for (const st of stages.slice(0, -1)) ins.push(tf.tidy(() => st.run(ins[ins.length - 1]!, cx)));
        const loraGrads = new Map<tf.Tensor, tf.Tensor>();
        let g = dy;
        for (let i = stages.length - 1; i >= 0; i--) {
          const st = stages[i]!;
          const own = st.keys.filter((k) => ctx.lora[k]).flatMap((k) => [2 * keys.indexOf(k), 2 * keys.indexOf(k) + 1]);
          const [dIn, ...dl] = nestedGrads(
            (hx, ...hl) => {
              const ls = [...sl];
              own.forEach((j, n) => (ls[j] = hl[n]!));
              return st.run(hx as tf.Tensor3D, withTensors(cs, ls));
            },
            [ins[i]!, ...own.map((j) => sl[j]!)],
            g,
          );
          own.forEach((j, n) => loraGrads.set(sl[j]!, dl[n]!));
          if (g !== dy) g.dispose();
          if (i > 0) ins[i]!.dispose();
          g = dIn!;
        }
        replay?.dispose();
        return [g, ...sl.map((t) => loraGrads.get(t) ?? tf.zerosLike(t))];
      },
    };
  });
  return f(x, ...loraTensors) as tf.Tensor3D;
}

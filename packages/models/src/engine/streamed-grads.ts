/**
 * tfjs's gradient (engine.gradients) in a form that can wait between the backward's steps, and
 * that frees what each step is done with.
 *
 * Why: tfjs walks the tape in one synchronous loop and disposes every saved tensor and every
 * intermediate gradient only when the whole walk has returned. On WebGPU the host records that
 * walk seconds ahead of the GPU (a Qwen3-8B step: recorded in ~2 s, run in ~15 s), and a GPU
 * buffer the pool destroys meanwhile is given back only when the GPU has run what was queued
 * before it; a pool capped near what the step holds live piled up ~75 GB of such buffers on an
 * H200 (bench/results/2026-11-29-pool-cap-h200.md). Here the walk is async: `pace` runs after
 * every tape node and may wait on the GPU (gpu/gpu-pacer.ts). And a node's saved tensors and its
 * outputs' gradients are disposed as soon as that node's backward has run: with checkpointed
 * decoder layers these are each layer's input and the gradient that reached it, [B, T, hidden]
 * apiece (352 MB at Qwen3-8B's seed batch), which tfjs would hold for all 36 layers until the end.
 *
 * The arithmetic is tfjs's own: the same filtered tape (tape-path.ts), the same node
 * order, the same accumulation (add, in the same order), so the gradients are bit-identical to
 * tf.grads / tf.variableGrads (streamed-grads.test.ts).
 *
 * Contract: nothing else may run tfjs ops with a tape while this awaits (the step loop is
 * sequential), and it must not be called inside tf.tidy (a tidy cannot span an await).
 */
import * as tf from '@tensorflow/tfjs-core';
import { tapePathXToY, type TapeNode } from './tape-path.js';

/** The engine's private tape controls (tfjs-core 4.22's Engine). */
interface EngineTape {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
}

/** Runs between the backward's tape nodes (the GPU pacer); may wait. */
export type BackwardPace = () => Promise<void> | void;

/** Gradients of each x (undefined where y does not depend on it), and y. */
export interface StreamedGrads<T extends tf.Tensor> {
  readonly value: T;
  readonly grads: (tf.Tensor | undefined)[];
}

/**
 * The gradients of f() with respect to xs, as tf.grads/variableGrads give them (dy = ones).
 * The caller owns `value` and every returned gradient.
 */
export async function streamedGrads<T extends tf.Tensor>(
  f: () => T,
  xs: readonly tf.Tensor[],
  pace?: BackwardPace,
): Promise<StreamedGrads<T>> {
  if (xs.length === 0) throw new RangeError('streamedGrads: no tensors to differentiate with respect to');
  const engine = tf.engine() as unknown as EngineTape;
  if (engine.state.gradientDepth !== 0) throw new Error('streamedGrads: called inside another gradient');
  const y = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => engine.tidy('forward', f),
  );
  const tape = engine.state.activeTape ?? [];
  // Ours from here on: a gradient computed inside a node's backward (a checkpointed layer's
  // recompute) opens and clears its own tape.
  engine.state.activeTape = null;
  const held = new Map<number, tf.Tensor>();
  const refs = new Map<tf.Tensor, number>();
  const hold = (id: number, g: tf.Tensor) => {
    held.set(id, g);
    refs.set(g, (refs.get(g) ?? 0) + 1);
  };
  // Drops one map entry; disposes its tensor when no other entry holds it.
  const drop = (id: number) => {
    const g = held.get(id);
    if (!g) return;
    held.delete(id);
    const n = refs.get(g)! - 1;
    if (n > 0) refs.set(g, n);
    else {
      refs.delete(g);
      g.dispose();
    }
  };
  const wanted = new Set(xs.map((x) => x.id));
  try {
    const nodes = tapePathXToY(tape, xs, y);
    hold(y.id, tf.onesLike(y));
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i]!;
      const dys = node.outputs.map((o) => held.get(o.id) ?? null);
      if (!node.gradient)
        throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      const names = Object.keys(node.inputs);
      // One scope for the node: what its gradient function makes besides the input gradients is freed here.
      const dxs = tf.tidy(() => {
        const inputGradients = node.gradient!(dys);
        return names.map((name) => {
          if (!(name in inputGradients))
            throw new Error(
              `Cannot backprop through input ${name}. Available gradients found: ${Object.keys(inputGradients)}.`,
            );
          return inputGradients[name]!();
        });
      });
      names.forEach((name, k) => {
        const dx = dxs[k]!;
        const x = node.inputs[name]!;
        if (dx.dtype !== 'float32')
          throw new Error(
            `Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`,
          );
        if (!tf.util.arraysEqual(dx.shape, x.shape))
          throw new Error(
            `Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`,
          );
        const cur = held.get(x.id);
        if (!cur) hold(x.id, dx);
        else {
          const sum = tf.add(cur, dx);
          drop(x.id);
          if (!refs.has(dx)) dx.dispose();
          hold(x.id, sum);
        }
      });
      // This node's outputs get no more gradient (each tensor has one producer, and every consumer
      // came later on the tape), and nothing reads its saved tensors again.
      for (const o of node.outputs) if (!wanted.has(o.id)) drop(o.id);
      for (const t of node.saved ?? []) t.dispose();
      if (pace) await pace();
    }
    const grads = xs.map((x) => held.get(x.id));
    // What is returned stays (under any entry that aliases it); everything else left in the map goes.
    const returned = new Set(grads.filter((g): g is tf.Tensor => g !== undefined));
    for (const [id, g] of [...held]) if (!returned.has(g)) drop(id);
    // One gradient returned for two xs (an alias) would be disposed twice by a caller: give each x its own.
    const seen = new Set<tf.Tensor>();
    const own = grads.map((g) => {
      if (!g) return undefined;
      if (!seen.has(g)) {
        seen.add(g);
        return g;
      }
      return tf.clone(g);
    });
    return { value: y, grads: own };
  } catch (e) {
    for (const id of [...held.keys()]) drop(id);
    y.dispose();
    throw e;
  } finally {
    for (const node of tape) for (const t of node.saved ?? []) t.dispose();
  }
}

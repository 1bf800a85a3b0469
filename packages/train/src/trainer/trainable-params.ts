/**
 * The trainable variables of a stage, in the order torch's optimizer sees them (projector
 * weight, bias, then every LoRA A and B in model order), and their transfer between tfjs
 * variables and host float32 arrays, where AdamW and clipping run with torch's semantics.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamSet } from '../optim/param-set.js';
import type { TrainParts } from './trainer-types.js';

export const PROJECTOR_PREFIX = 'projector.';

export function trainableVariables(parts: TrainParts, trainLora: boolean): Map<string, tf.Variable> {
  const vars = new Map(parts.projector.variables(PROJECTOR_PREFIX));
  if (trainLora) {
    if (!parts.lora) throw new TypeError('stage trains LoRA but the model has no adapter');
    for (const [k, v] of parts.lora.variables()) vars.set(k, v);
  }
  return vars;
}

/**
 * Host copies of the variables (the optimizer's master weights). Asynchronous because webgpu in
 * Node has no synchronous read (`dataSync` needs an OffscreenCanvas there).
 */
export async function readParams(vars: ReadonlyMap<string, tf.Variable>): Promise<ParamSet> {
  const out: ParamSet = new Map();
  for (const [k, v] of vars) out.set(k, Float32Array.from((await v.data()) as Float32Array));
  return out;
}

/** Writes host values back into the variables. */
export function writeParams(vars: ReadonlyMap<string, tf.Variable>, params: ReadonlyMap<string, Float32Array>): void {
  for (const [k, v] of vars) {
    const p = params.get(k);
    if (!p) continue;
    tf.tidy(() => v.assign(tf.tensor(p, v.shape, 'float32')));
  }
}

/** Zeroed gradient accumulators shaped like `vars`. */
export function zeroGrads(vars: ReadonlyMap<string, tf.Variable>): ParamSet {
  const out: ParamSet = new Map();
  for (const [k, v] of vars) out.set(k, new Float32Array(v.size));
  return out;
}

/**
 * acc += grad / divisor in float32, as `(loss / accum).backward()` accumulates into `.grad`.
 * Disposes the gradient tensors. Returns false when a gradient holds an inf or NaN.
 */
export async function accumulateGrads(acc: ParamSet, grads: Map<string, tf.Tensor>, divisor: number): Promise<boolean> {
  const inv = Math.fround(1 / divisor);
  let finite = true;
  for (const [k, g] of grads) {
    const a = acc.get(k)!;
    const d = (await g.data()) as Float32Array;
    g.dispose();
    for (let i = 0; i < a.length; i++) {
      const v = d[i]!;
      // v − v is 0 for finite v and NaN for ±inf and NaN
      if (v - v !== 0) finite = false;
      a[i] = Math.fround(a[i]! + Math.fround(v * inv));
    }
  }
  return finite;
}

/** True when every LoRA B matrix is zero (a fresh adapter adds nothing: skip it in stage 1). */
export async function loraIsIdentity(parts: TrainParts): Promise<boolean> {
  if (!parts.lora) return true;
  for (const [k, v] of parts.lora.variables()) {
    if (!k.includes('lora_B')) continue;
    const d = (await v.data()) as Float32Array;
    for (let i = 0; i < d.length; i++) if (d[i] !== 0) return false;
  }
  return true;
}

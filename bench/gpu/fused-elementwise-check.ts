/**
 * The fused elementwise kernels against the tfjs ops on the same device (the GPU machine's exp and
 * inverseSqrt are not lavapipe's): output and gradients of rmsNorm, swiGlu and applyRope at a
 * model's widths, each as the worst |fused − ops| / derived bound (fused-elementwise-tolerance.ts;
 * ≤ 1 passes). Used by fused-elementwise-dispatches.ts before it counts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setFusedElementwiseDefault } from '@kvc/models';
import { rmsNorm } from '../../packages/models/src/nn/rms-norm.js';
import { applyRope } from '../../packages/models/src/nn/rotary.js';
import { swiGlu } from '../../packages/models/src/nn/swiglu.js';
import { worstBoundRatio } from '../../packages/models/src/gpu/flash-attention-tolerance.js';
import { ropeBounds, rmsNormBounds, swiGluBounds } from '../../packages/models/src/gpu/fused-elementwise-tolerance.js';

type Op = (xs: tf.Tensor[]) => tf.Tensor;
const u = (shape: number[], seed: number, lo = -2, hi = 2) => tf.randomUniform(shape, lo, hi, 'float32', seed);

/** [output, ...gradients] of sum(op(xs)·dy), read back. */
async function outputs(op: Op, xs: tf.Tensor[], dy: tf.Tensor, fused: boolean): Promise<Float32Array[]> {
  setFusedElementwiseDefault(fused);
  const y = op(xs);
  const { value, grads } = tf.valueAndGrads((...a: tf.Tensor[]) => tf.sum(tf.mul(op(a), dy)))(xs);
  const out = await Promise.all([y, ...grads].map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([y, value, ...grads]);
  return out;
}

async function worst(name: string, op: Op, xs: tf.Tensor[], dy: tf.Tensor, bounds: tf.Tensor[]): Promise<string> {
  const got = await outputs(op, xs, dy, true);
  const ref = await outputs(op, xs, dy, false);
  const b = await Promise.all(bounds.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([...xs, dy, ...bounds]);
  setFusedElementwiseDefault(true);
  const r = got.map((g, i) => worstBoundRatio(g, ref[i]!, b[i]!));
  const verdict = r.every((x) => x <= 1) ? 'ok  ' : 'FAIL';
  return `${verdict} ${name}: worst |fused − ops| / bound ${r.map((x) => x.toFixed(3))}`;
}

/** One line per op: tokens = B·T, hidden and MLP widths, heads × head size. */
export async function checkFusedElementwise(
  b: number,
  t: number,
  hidden: number,
  mlp: number,
  heads: number,
  d: number,
) {
  const lines: string[] = [];
  const w = u([hidden], 3, 0.5, 1.5);
  const [x, dyx] = [u([b, t, hidden], 1), u([b, t, hidden], 2, -1, 1)];
  lines.push(
    await worst(`rmsNorm [${x.shape}]`, ([a]) => rmsNorm(a!, w, 1e-6), [x], dyx, rmsNormBounds(x, w, 1e-6, dyx)),
  );
  const wh = u([d], 4, 0.5, 1.5);
  const [q, dyq] = [u([b, t, heads, d], 5), u([b, t, heads, d], 6, -1, 1)];
  lines.push(
    await worst(`rmsNorm [${q.shape}]`, ([a]) => rmsNorm(a!, wh, 1e-6), [q], dyq, rmsNormBounds(q, wh, 1e-6, dyq)),
  );
  const [g, up, dyg] = [u([b, t, mlp], 7, -12, 12), u([b, t, mlp], 8), u([b, t, mlp], 9, -1, 1)];
  const sb = swiGluBounds(g, up, dyg);
  lines.push(await worst(`swiGlu [${g.shape}]`, ([a, c]) => swiGlu(a!, c!), [g, up], dyg, sb));
  const angle = u([b, 1, t, d], 10, -1000, 1000);
  const [cos, sin] = [tf.cos(angle), tf.sin(angle)] as tf.Tensor4D[];
  const [r, dyr] = [u([b, heads, t, d], 11), u([b, heads, t, d], 12, -1, 1)];
  const rope: Op = ([a]) => applyRope(a as tf.Tensor4D, cos!, sin!);
  lines.push(await worst(`applyRope [${r.shape}]`, rope, [r], dyr, ropeBounds(r, cos!, sin!, dyr)));
  tf.dispose([w, wh, angle, cos!, sin!]);
  return lines;
}

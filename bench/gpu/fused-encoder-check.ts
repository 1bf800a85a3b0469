/**
 * The encoders' fused kernels against the tfjs ops on the same device (the GPU machine's exp and
 * inverseSqrt are not lavapipe's): output and gradient of layerNorm and each GELU at an encoder's
 * widths, each as the worst |fused − ops| / derived bound (fused-encoder-tolerance.ts; ≤ 1 passes).
 * Used by fused-encoder-dispatches.ts before it counts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setFusedElementwiseDefault } from '@kvc/models';
import { geluErf, geluTanh, quickGelu } from '../../packages/models/src/nn/activations.js';
import { layerNorm } from '../../packages/models/src/nn/layer-norm.js';
import { worstBoundRatio } from '../../packages/models/src/gpu/flash-attention-tolerance.js';
import { geluBounds, layerNormBounds } from '../../packages/models/src/gpu/fused-encoder-tolerance.js';
import type { FusedGelu } from '../../packages/models/src/gpu/gelu-wgsl.js';

type Op = (x: tf.Tensor) => tf.Tensor;
const u = (shape: number[], seed: number, lo = -2, hi = 2) => tf.randomUniform(shape, lo, hi, 'float32', seed);

/** [output, gradient] of sum(op(x)·dy), read back. */
async function outputs(op: Op, x: tf.Tensor, dy: tf.Tensor, fused: boolean): Promise<Float32Array[]> {
  setFusedElementwiseDefault(fused);
  const y = op(x);
  const { value, grad } = tf.valueAndGrad((a: tf.Tensor) => tf.sum(tf.mul(op(a), dy)))(x);
  const out = await Promise.all([y, grad].map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([y, value, grad]);
  return out;
}

async function worst(name: string, op: Op, x: tf.Tensor, dy: tf.Tensor, bounds: tf.Tensor[]): Promise<string> {
  const got = await outputs(op, x, dy, true);
  const ref = await outputs(op, x, dy, false);
  const b = await Promise.all(bounds.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([x, dy, ...bounds]);
  setFusedElementwiseDefault(true);
  const r = got.map((g, i) => worstBoundRatio(g, ref[i]!, b[i]!));
  const verdict = r.every((v) => v <= 1) ? 'ok  ' : 'FAIL';
  return `${verdict} ${name}: worst |fused − ops| / bound ${r.map((v) => v.toFixed(3))}`;
}

const GELUS: [FusedGelu, Op][] = [
  ['quick_gelu', quickGelu],
  ['gelu_erf', geluErf],
  ['gelu_tanh', geluTanh],
];

/** One line per op: `rows` tokens, the hidden (LayerNorm) and MLP (GELU) widths. */
export async function checkFusedEncoder(rows: number, hidden: number, mlp: number): Promise<string[]> {
  const lines: string[] = [];
  const eps = 1e-5;
  const [w, b] = [u([hidden], 3, 0.5, 1.5), u([hidden], 4, -1, 1)];
  const [x, dyx] = [u([rows, hidden], 1, -1, 3), u([rows, hidden], 2, -1, 1)];
  const ln: Op = (a) => layerNorm(a, { weight: w as tf.Tensor1D, bias: b as tf.Tensor1D }, eps);
  lines.push(await worst(`layerNorm [${x.shape}]`, ln, x, dyx, layerNormBounds(x, w, b, eps, dyx)));
  for (const [name, act] of GELUS) {
    const [g, dyg] = [u([rows, mlp], 5, -7, 7), u([rows, mlp], 6, -1, 1)];
    lines.push(await worst(`${name} [${g.shape}]`, act, g, dyg, geluBounds(name, g, dyg)));
  }
  tf.dispose([w, b]);
  return lines;
}

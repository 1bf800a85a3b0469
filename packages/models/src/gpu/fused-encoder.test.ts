import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { geluErf, geluTanh, quickGelu } from '../nn/activations.js';
import { layerNorm } from '../nn/layer-norm.js';
import { worstBoundRatio } from './flash-attention-tolerance.js';
import { setFusedElementwiseDefault } from './fused-elementwise.js';
import { geluBounds, layerNormBounds } from './fused-encoder-tolerance.js';
import type { FusedGelu } from './gelu-wgsl.js';
import { ownDispatchCount } from './webgpu-internals.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});
afterEach(() => setFusedElementwiseDefault(true));

const uniform = (shape: number[], seed: number, lo = -2, hi = 2) => tf.randomUniform(shape, lo, hi, 'float32', seed);

/** One op on one input shape: x, the output's gradient dy, constants, the function and its tfjs ops. */
interface Case {
  readonly name: string;
  readonly make: () => { x: tf.Tensor; dy: tf.Tensor; consts: tf.Tensor[] };
  readonly f: (x: tf.Tensor, consts: tf.Tensor[]) => tf.Tensor;
  /** The tfjs ops the entry point ran before the kernels (what it runs switched off). */
  readonly ops: (x: tf.Tensor, consts: tf.Tensor[]) => tf.Tensor;
  /** Derived bounds for [output, gradient, ...] (fused-encoder-tolerance.ts). */
  readonly bounds: (x: tf.Tensor, consts: tf.Tensor[], dy: tf.Tensor) => tf.Tensor[];
  /** The constants are trainable variables: their gradients are checked too. */
  readonly trainable?: boolean;
}

const EPS = 1e-5;
function layerNormCase(shape: number[], trainable = false): Case {
  const d = shape[shape.length - 1]!;
  return {
    name: `layerNorm [${shape.join(', ')}]${trainable ? ', trainable weight and bias' : ''}`,
    trainable,
    // An offset mean (x in [−1, 3]): the centring matters.
    make: () => ({
      x: uniform(shape, 1, -1, 3),
      dy: uniform(shape, 2, -1, 1),
      consts: [uniform([d], 3, 0.5, 1.5), uniform([d], 4, -1, 1)],
    }),
    f: (x, [w, b]) => layerNorm(x, { weight: w as tf.Tensor1D, bias: b as tf.Tensor1D }, EPS),
    ops: (x, [w, b]) => {
      const mean = tf.mean(x, -1, true);
      const c = tf.sub(x, mean);
      const v = tf.mean(tf.square(c), -1, true);
      return tf.add(tf.mul(tf.mul(c, tf.rsqrt(tf.add(v, EPS))), w!), b!);
    },
    bounds: (x, [w, b], dy) => layerNormBounds(x, w!, b!, EPS, dy),
  };
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELUS: Record<FusedGelu, [(x: tf.Tensor) => tf.Tensor, (x: tf.Tensor) => tf.Tensor]> = {
  quick_gelu: [quickGelu, (x) => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)))],
  gelu_erf: [geluErf, (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))))],
  gelu_tanh: [
    geluTanh,
    (x) =>
      tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(0.044715, tf.pow(x, 3))))))),
  ],
};
function geluCase(act: FusedGelu, shape: number[]): Case {
  const [fn, ops] = GELUS[act];
  return {
    name: `${act} [${shape.join(', ')}]`,
    // x up to ±7: exp(−a²) and the tails of σ and tanh, where WGSL's exp is least accurate.
    make: () => ({ x: uniform(shape, 5, -7, 7), dy: uniform(shape, 6, -1, 1), consts: [] }),
    f: (x) => fn(x),
    ops: (x) => ops(x),
    bounds: (x, _, dy) => geluBounds(act, x, dy),
  };
}

const CASES: Case[] = [
  layerNormCase([3, 5, 7]), // 3-D, D odd, 15 rows
  layerNormCase([37, 1001]), // 2-D, D over the largest workgroup, not a multiple of 4
  layerNormCase([2, 3, 5, 128]),
  layerNormCase([70_001, 3]), // more rows than one dispatch dimension holds
  layerNormCase([3, 5, 7], true),
  layerNormCase([37, 1001], true), // more columns than one workgroup's invocations
  layerNormCase([2, 300, 3], true), // more rows than one workgroup's invocations
  ...(['quick_gelu', 'gelu_erf', 'gelu_tanh'] as const).flatMap((a) => [
    geluCase(a, [3, 7, 37]), // 777 entries: not a multiple of the workgroup
    geluCase(a, [2, 1001]),
  ]),
];

/** The output and x's gradient under dy (then the trainable constants'), read back. */
async function run(c: Case, f: (x: tf.Tensor, consts: tf.Tensor[]) => tf.Tensor = c.f): Promise<Float32Array[]> {
  const { x, dy, consts } = c.make();
  const y = f(x, consts);
  const vs = [x, ...consts].map((t) => tf.variable(t, true));
  const [vx, ...vc] = c.trainable ? vs : [vs[0]!, ...consts];
  const wrt = c.trainable ? vs : [vx!];
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(vx!, vc), dy)) as tf.Scalar, wrt);
  const gs = wrt.map((v) => grads[v.name]!);
  const out = await Promise.all([y, ...gs].map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([y, value, ...gs, ...vs, x, dy, ...consts]);
  return out;
}

describe.skipIf(!gpu)('fused encoder kernels (LayerNorm, GELUs) against the tfjs ops in f32 on cpu', () => {
  const refs: { expected: Float32Array[]; bounds: Float32Array[] }[] = [];
  beforeAll(async () => {
    await initBackend('cpu');
    for (const c of CASES) {
      const { x, dy, consts } = c.make();
      const b = c.bounds(x, consts, dy);
      refs.push({ expected: await run(c), bounds: await Promise.all(b.map((t) => t.data() as Promise<Float32Array>)) });
      tf.dispose([...b, x, dy, ...consts]);
    }
    await initBackend('webgpu');
  }, 120_000);

  CASES.forEach((c, n) => {
    const dispatches = c.trainable ? 'one dispatch forward, two back' : 'one dispatch each way';
    it(`${c.name}: output and gradients within the derived bound, ${dispatches}`, async () => {
      const before = ownDispatchCount();
      const tensors = tf.memory().numTensors;
      const got = await run(c);
      // The forward alone, then forward and backward (dx; then dw and db).
      expect(ownDispatchCount() - before).toBe(c.trainable ? 4 : 3);
      expect(tf.memory().numTensors).toBe(tensors);
      const { expected, bounds } = refs[n]!;
      const ratios = got.map((g, i) => worstBoundRatio(g, expected[i]!, bounds[i]!));
      for (const r of ratios) expect(r, `output, gradient: ${JSON.stringify(ratios)}`).toBeLessThanOrEqual(1);
    }, 60_000);
  });

  it('LayerNorm weights that broadcast and empty inputs run the tfjs ops', async () => {
    const before = ownDispatchCount();
    const x = uniform([3, 6], 1);
    const [w, b] = [uniform([1], 4) as tf.Tensor1D, uniform([1], 5) as tf.Tensor1D];
    const got = layerNorm(x, { weight: w, bias: b }, EPS);
    const want = tf.tidy(() => CASES[0]!.ops(x, [w, b]));
    const empty = tf.tidy(() => [quickGelu(tf.zeros([0, 4])), geluErf(tf.zeros([2, 0]))]);
    const [a, e] = await Promise.all([got.data(), want.data()]);
    expect(ownDispatchCount()).toBe(before);
    expect(Array.from(a)).toEqual(Array.from(e));
    expect(empty.map((t) => t.shape)).toEqual([
      [0, 4],
      [2, 0],
    ]);
    tf.dispose([x, w, b, got, want, ...empty]);
  });

  CASES.forEach((c) => {
    it(`${c.name}, switched off: no kernel of ours, the tfjs ops' results bit for bit`, async () => {
      setFusedElementwiseDefault(false);
      const before = ownDispatchCount();
      const got = await run(c);
      expect(ownDispatchCount()).toBe(before);
      const ops = await run(c, c.ops);
      got.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(ops[i]!)));
    }, 60_000);
  });
});

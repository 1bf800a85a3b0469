import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { rmsNorm } from '../nn/rms-norm.js';
import { applyRope } from '../nn/rotary.js';
import { swiGlu } from '../nn/swiglu.js';
import { worstBoundRatio } from './flash-attention-tolerance.js';
import { setFusedElementwiseDefault } from './fused-elementwise.js';
import { ropeBounds, rmsNormBounds, swiGluBounds } from './fused-elementwise-tolerance.js';
import { ownDispatchCount } from './webgpu-internals.js';
import { watchOurCompiles, webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});
afterEach(() => setFusedElementwiseDefault(true));

const uniform = (shape: number[], seed: number, lo = -2, hi = 2) => tf.randomUniform(shape, lo, hi, 'float32', seed);

/**
 * One op on one input shape: its differentiable inputs, the other tensors it reads, the function,
 * and the derived bounds for [output, ...gradients] (fused-elementwise-tolerance.ts).
 */
interface Case {
  readonly name: string;
  /** Differentiable inputs, the output's gradient dy, constants; rebuilt on each backend (same seeds). */
  readonly make: () => { xs: tf.Tensor[]; dy: tf.Tensor; consts: tf.Tensor[] };
  readonly f: (xs: tf.Tensor[], consts: tf.Tensor[]) => tf.Tensor;
  readonly bounds: (xs: tf.Tensor[], consts: tf.Tensor[], dy: tf.Tensor) => tf.Tensor[];
}

const EPS = 1e-6;
function rmsCase(shape: number[]): Case {
  const d = shape[shape.length - 1]!;
  return {
    name: `rmsNorm [${shape.join(', ')}]`,
    make: () => ({ xs: [uniform(shape, 1)], dy: uniform(shape, 2, -1, 1), consts: [uniform([d], 3, 0.5, 1.5)] }),
    f: ([x], [w]) => rmsNorm(x!, w!, EPS),
    bounds: ([x], [w], dy) => rmsNormBounds(x!, w!, EPS, dy),
  };
}
function swiGluCase(shape: number[]): Case {
  return {
    name: `swiGlu [${shape.join(', ')}]`,
    // g up to ±12: exp(−g) far from 1, where WGSL's exp is least accurate.
    make: () => ({ xs: [uniform(shape, 4, -12, 12), uniform(shape, 5)], dy: uniform(shape, 6, -1, 1), consts: [] }),
    f: ([g, u]) => swiGlu(g!, u!),
    bounds: ([g, u], _, dy) => swiGluBounds(g!, u!, dy),
  };
}
function ropeCase(shape: [number, number, number, number], cosBatch: number): Case {
  const [, , t, d] = shape;
  const cs = [cosBatch, 1, t, d];
  return {
    name: `applyRope [${shape.join(', ')}], cos/sin [${cs.join(', ')}]`,
    make: () => {
      const angle = uniform(cs, 9, -40, 40);
      const consts = [tf.cos(angle), tf.sin(angle)];
      angle.dispose();
      return { xs: [uniform(shape, 7)], dy: uniform(shape, 8, -1, 1), consts };
    },
    f: ([x], [c, s]) => applyRope(x as tf.Tensor4D, c as tf.Tensor4D, s as tf.Tensor4D),
    bounds: ([x], [c, s], dy) => ropeBounds(x!, c!, s!, dy),
  };
}

const CASES: Case[] = [
  rmsCase([3, 5, 7]), // D odd, 15 rows
  rmsCase([2, 3, 5, 128]), // a q-norm over heads: 4-D, D = 128
  rmsCase([37, 1001]), // D over the largest workgroup, not a multiple of 4
  rmsCase([70_001, 3]), // more rows than one dispatch dimension holds: workgroups over x and y
  swiGluCase([3, 7, 37]), // 777 entries: not a multiple of the workgroup
  swiGluCase([2, 3, 5, 11]),
  ropeCase([2, 3, 7, 8], 2), // T odd
  ropeCase([3, 2, 5, 6], 1), // half-width 3, cos/sin shared by the batch
  ropeCase([2, 4, 1, 16], 2), // a decode step
];

const valueAndGrads = (c: Case, xs: tf.Tensor[], consts: tf.Tensor[], dy: tf.Tensor) =>
  tf.valueAndGrads((...a: tf.Tensor[]) => tf.sum(tf.mul(c.f(a, consts), dy)))(xs);

/** The output and every input's gradient, read back. */
async function run(c: Case): Promise<Float32Array[]> {
  const { xs, dy, consts } = c.make();
  const y = c.f(xs, consts);
  const { value, grads } = valueAndGrads(c, xs, consts, dy);
  const out = await Promise.all([y, ...grads].map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([y, value, ...grads, ...xs, dy, ...consts]);
  return out;
}

describe.skipIf(!gpu)('fused elementwise kernels against the tfjs ops in f32 on cpu', () => {
  const refs: { expected: Float32Array[]; bounds: Float32Array[] }[] = [];
  beforeAll(async () => {
    await initBackend('cpu');
    for (const c of CASES) {
      const { xs, dy, consts } = c.make();
      const b = c.bounds(xs, consts, dy);
      refs.push({ expected: await run(c), bounds: await Promise.all(b.map((t) => t.data() as Promise<Float32Array>)) });
      tf.dispose([...b, ...xs, dy, ...consts]);
    }
    await initBackend('webgpu');
  }, 120_000);

  CASES.forEach((c, n) => {
    it(`${c.name}: output and gradients within the derived bound, one dispatch each way`, async () => {
      const before = ownDispatchCount();
      const tensors = tf.memory().numTensors;
      const got = await run(c);
      expect(ownDispatchCount() - before).toBe(3); // the forward alone, then forward and backward
      expect(tf.memory().numTensors).toBe(tensors);
      const { expected, bounds } = refs[n]!;
      const ratios = got.map((g, i) => worstBoundRatio(g, expected[i]!, bounds[i]!));
      for (const r of ratios) expect(r, `output, gradients: ${JSON.stringify(ratios)}`).toBeLessThanOrEqual(1);
    }, 60_000);
  });

  it('a new row count compiles nothing: RMSNorm, SwiGLU and RoPE read their sizes at run time', async () => {
    // A generation's prompt length changes the rows of every prefill kernel; each compile costs time (the H200
    // spent seconds of a prefill compiling, bench/results/2026-11-28-gen-h200-session11.md).
    const compiles = watchOurCompiles();
    try {
      const layer = async (t: number) => {
        for (const c of [rmsCase([2, t, 64]), swiGluCase([2, t, 48]), ropeCase([2, 4, t, 16], 2)]) await run(c);
      };
      await layer(5);
      const first = compiles.count();
      await layer(6);
      await layer(13);
      expect(first).toBeGreaterThan(0);
      expect(compiles.count()).toBe(first);
    } finally {
      compiles.stop();
    }
  });

  it('shapes the kernels do not take (broadcast cos/sin over T, a broadcast u) run the tfjs ops', async () => {
    const before = ownDispatchCount();
    const [x, cs, g, u] = [uniform([2, 2, 5, 8], 1), uniform([1, 1, 1, 8], 2), uniform([3, 6], 3), uniform([1, 6], 4)];
    const got = [applyRope(x as tf.Tensor4D, cs as tf.Tensor4D, cs as tf.Tensor4D), swiGlu(g, u)];
    const want = tf.tidy(() => [
      tf.add(tf.mul(x, cs), tf.mul(rotateHalfOps(x), cs)),
      tf.mul(tf.mul(g, tf.sigmoid(g)), u),
    ]);
    const [a, b] = await Promise.all([got, want].map((ts) => Promise.all(ts.map((t) => t.data()))));
    expect(ownDispatchCount()).toBe(before);
    a!.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(b![i]!)));
    tf.dispose([x, cs, g, u, ...got, ...want]);
  });

  CASES.forEach((c) => {
    it(`${c.name}, switched off: no kernel of ours, the tfjs ops' results bit for bit`, async () => {
      setFusedElementwiseDefault(false);
      const before = ownDispatchCount();
      const got = await run(c);
      expect(ownDispatchCount()).toBe(before);
      const { xs, dy, consts } = c.make();
      const ops = await Promise.all(tfjsOps(c, xs, consts, dy).map((t) => t.data() as Promise<Float32Array>));
      tf.dispose([...xs, dy, ...consts]);
      got.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(ops[i]!)));
    }, 60_000);
  });
});

/** What nn/*.ts compute with tfjs ops (their forwards and documented gradient formulas), written out. */
function tfjsOps(c: Case, xs: tf.Tensor[], consts: tf.Tensor[], dy: tf.Tensor): tf.Tensor[] {
  return tf.tidy(() => {
    if (c.name.startsWith('rmsNorm')) {
      const [x, w] = [xs[0]!, consts[0]!];
      const r = tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), EPS));
      const g = tf.mul(dy, w);
      const xh = tf.mul(x, r);
      return [tf.mul(w, tf.mul(x, r)), tf.mul(r, tf.sub(g, tf.mul(xh, tf.mean(tf.mul(g, xh), -1, true))))];
    }
    if (c.name.startsWith('swiGlu')) {
      const [g, u] = xs as [tf.Tensor, tf.Tensor];
      const s = tf.sigmoid(g);
      const dSilu = tf.mul(s, tf.add(1, tf.mul(g, tf.sub(1, s))));
      return [tf.mul(tf.mul(g, s), u), tf.mul(tf.mul(dy, u), dSilu), tf.mul(dy, tf.mul(g, s))];
    }
    const [x, cos, sin] = [xs[0]!, consts[0]!, consts[1]!];
    const half = x.shape[3]! / 2;
    const [z1, z2] = tf.split(tf.mul(dy, sin), [half, half], 3);
    return [
      tf.add(tf.mul(x, cos), tf.mul(rotateHalfOps(x), sin)),
      tf.add(tf.mul(dy, cos), tf.concat([z2!, tf.neg(z1!)], 3)),
    ];
  });
}

/** rotate_half(x) = [−x2, x1] as nn/rotary.ts computes it. */
function rotateHalfOps(x: tf.Tensor): tf.Tensor {
  const half = x.shape[3]! / 2;
  const [x1, x2] = tf.split(x, [half, half], 3);
  return tf.concat([tf.neg(x2!), x1!], 3);
}

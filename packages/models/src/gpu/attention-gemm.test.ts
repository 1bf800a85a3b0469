import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { causalAttentionBias, paddingAttentionBias } from '../nn/attention-bias.js';
import { attentionUsesF16Gemm, setAttentionGemmDefault } from '../nn/attention-matmul.js';
import { attention } from '../nn/attention.js';
import { attentionGemmBounds } from './attention-gemm-tolerance.js';
import { worstBoundRatio } from './flash-attention-tolerance.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  setAttentionGemmDefault(false);
  if (gpu) await initBackend('cpu');
});

interface Case {
  readonly name: string;
  readonly b: number;
  readonly nh: number;
  readonly nkv: number;
  readonly t: number;
  readonly d: number;
  readonly causal: boolean;
  /** Left pads per batch row (causal: those query rows see nothing either). */
  readonly pads: readonly number[];
  /** Query rows per chunk (several chunks exercise the chunk loop). */
  readonly rows: number;
}
const CASES: Case[] = [
  { name: '4:1 GQA, causal, padded rows, chunks of 5', b: 2, nh: 4, nkv: 1, t: 13, d: 8, causal: true, pads: [0, 4] },
  { name: '2:1 GQA, padding bias, one chunk', b: 1, nh: 4, nkv: 2, t: 19, d: 12, causal: false, pads: [3] },
  { name: 'no GQA, causal, odd T 37', b: 1, nh: 2, nkv: 2, t: 37, d: 16, causal: true, pads: [0] },
].map((c, i) => ({ ...c, rows: [5, 19, 37][i]! }));

type T4 = tf.Tensor4D;
const grads = (f: (a: T4, c: T4, e: T4) => T4, dy: T4) =>
  tf.valueAndGrads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => tf.sum(tf.mul(f(a as T4, c as T4, e as T4), dy)));

function inputs(c: Case) {
  const q = tf.randomUniform([c.b, c.nh, c.t, c.d], -2, 2, 'float32', 1) as T4;
  const k = tf.randomUniform([c.b, c.nkv, c.t, c.d], -2, 2, 'float32', 2) as T4;
  const v = tf.randomUniform([c.b, c.nkv, c.t, c.d], -1, 1, 'float32', 3) as T4;
  const dy = tf.randomUniform([c.b, c.nh, c.t, c.d], -1, 1, 'float32', 4) as T4;
  const mask = tf.tensor2d(
    c.pads.flatMap((p) => Array.from({ length: c.t }, (_, j) => (j < p ? 0 : 1))),
    [c.b, c.t],
  );
  const bias = c.causal ? causalAttentionBias(mask, c.t) : paddingAttentionBias(mask);
  mask.dispose();
  return { q, k, v, dy, bias };
}

/** o (tape-free forward), then o and dq, dk, dv through the custom gradient. */
async function run(c: Case): Promise<Float32Array[]> {
  const x = inputs(c);
  const chunkBytes = c.rows * c.b * c.nh * c.t * 4;
  const opts = { bias: x.bias, chunkBytes, fused: false };
  const o = attention(x.q, x.k, x.v, opts);
  const { value, grads: g } = grads((a, e, f) => attention(a, e, f, opts), x.dy)([x.q, x.k, x.v]);
  const out = await Promise.all([o, ...g].map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([o, value, ...g, x.q, x.k, x.v, x.dy, x.bias]);
  return out;
}

type Arrays = Float32Array[];
/** The tfjs op in f32 on cpu and the derived bounds, for every case. */
async function references(): Promise<{ expected: Arrays; bounds: Arrays }[]> {
  await initBackend('cpu');
  const out = [];
  for (const c of CASES) {
    const expected = await run(c);
    const r = inputs(c);
    // The bounds read a full [B, 1, T, S] bias: a padding bias broadcast over the queries.
    const full = tf.add(r.bias, tf.zeros([c.b, 1, c.t, c.t])) as T4;
    const bounds = attentionGemmBounds({ ...r, bias: full });
    out.push({ expected, bounds: await Promise.all(bounds.map((x) => x.data() as Promise<Float32Array>)) });
    tf.dispose([...bounds, full, r.q, r.k, r.v, r.dy, r.bias]);
  }
  await initBackend('webgpu');
  return out;
}

describe.skipIf(!gpu)('attention on the batched f16 GEMM against the tfjs op in f32 on cpu', () => {
  let refs: { expected: Arrays; bounds: Arrays }[] = [];
  beforeAll(async () => {
    refs = await references();
  }, 120_000);
  CASES.forEach((c, n) => {
    it(`${c.name}: output and dq, dk, dv within the derived f16 bound`, async () => {
      setAttentionGemmDefault(true);
      expect(attentionUsesF16Gemm()).toBe(true);
      const got = await run(c);
      setAttentionGemmDefault(false);
      const f32 = await run(c);
      const { expected, bounds } = refs[n]!;
      const names = ['o', 'dq', 'dk', 'dv'];
      const ratios = Object.fromEntries(names.map((k, i) => [k, worstBoundRatio(got[i]!, expected[i]!, bounds[i]!)]));
      for (const [k, r] of Object.entries(ratios)) expect(r, `${k}: ${JSON.stringify(ratios)}`).toBeLessThanOrEqual(1);
      // The switch took effect: f16 inputs round, so the output is not the f32 op's bit for bit.
      expect(got[0]!.some((x, i) => x !== f32[0]![i])).toBe(true);
    });
  });
});

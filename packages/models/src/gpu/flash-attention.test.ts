import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { causalAttentionBias, paddingAttentionBias } from '../nn/attention-bias.js';
import { attention } from '../nn/attention.js';
import { attentionGemmBounds } from './attention-gemm-tolerance.js';
import { dqSubgroups } from './flash-attention-dq-sm-direct-wgsl.js';
import { flashAttention, flashShape } from './flash-attention.js';
import { flashAttentionBounds, worstBoundRatio, type FlashReference } from './flash-attention-tolerance.js';
import type { FlashKernel, FlashTiles } from './flash-attention-shape.js';
import { FLASH_KERNEL_SETS, type FlashKernelSet } from './flash-kernel-set.js';
import { emulateSubgroupMatrix } from './nf4-emulated-subgroup-matrix.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

/**
 * How the fused call gets its mask: `flag` = causal flag + padding bias [B, 1, 1, S] (blocks
 * skipped), `full` = the [B, 1, T, S] bias the tfjs op gets, `flag+full` = both (a full bias
 * can hide which rows see nothing: no block may be skipped), `keys` = bidirectional padding.
 */
type Mask = 'flag' | 'full' | 'flag+full' | 'keys' | 'none';
interface Case {
  readonly name: string;
  readonly b: number;
  readonly nh: number;
  readonly nkv: number;
  readonly t: number;
  readonly s: number;
  readonly d: number;
  readonly mask: Mask;
  /** Left pads per batch row (S means every key masked). */
  readonly pads?: readonly number[];
  /** Key j scaled by 1 + j/2: scores grow along a row, past any running maximum by far. */
  readonly ramp?: boolean;
}

const CASES: Case[] = [
  { name: 'one tile, no mask', b: 1, nh: 1, nkv: 1, t: 8, s: 8, d: 8, mask: 'none' },
  { name: 'one tile, causal', b: 1, nh: 1, nkv: 1, t: 8, s: 8, d: 8, mask: 'flag', pads: [0] },
  { name: 'T=1 decode step after 20 cached keys', b: 2, nh: 4, nkv: 2, t: 1, s: 21, d: 16, mask: 'flag', pads: [0, 3] },
  {
    name: 'odd T=37, GQA 4:1, left pads with fully masked rows',
    b: 2,
    nh: 4,
    nkv: 1,
    t: 37,
    s: 37,
    d: 16,
    mask: 'flag',
    pads: [0, 5],
  },
  { name: 'S≠T (KV offset 6), GQA 2:1, pads', b: 2, nh: 4, nkv: 2, t: 35, s: 41, d: 24, mask: 'flag', pads: [9, 2] },
  {
    // Scores that pass any running maximum by far, block after block: a forward that rescales o online must keep up.
    name: 'scores growing along the keys, pads',
    b: 1,
    nh: 2,
    nkv: 1,
    t: 40,
    s: 40,
    d: 16,
    mask: 'flag',
    pads: [3],
    ramp: true,
  },
  {
    name: 'causal as a full [B,1,T,S] bias, fully masked rows',
    b: 2,
    nh: 2,
    nkv: 1,
    t: 45,
    s: 45,
    d: 8,
    mask: 'full',
    pads: [0, 7],
  },
  {
    name: 'causal flag and a full bias, masked rows',
    b: 2,
    nh: 2,
    nkv: 1,
    t: 40,
    s: 40,
    d: 8,
    mask: 'flag+full',
    pads: [0, 36],
  },
  {
    name: 'bidirectional padding, a fully masked batch row',
    b: 2,
    nh: 2,
    nkv: 2,
    t: 33,
    s: 33,
    d: 64,
    mask: 'keys',
    pads: [4, 33],
  },
  {
    name: 'bidirectional, CLIP-like d=64, no mask, T not a tile multiple',
    b: 1,
    nh: 2,
    nkv: 2,
    t: 50,
    s: 50,
    d: 64,
    mask: 'none',
  },
];

type T4 = tf.Tensor4D;
const grads = (f: (a: T4, c: T4, e: T4) => T4, dy: T4) =>
  tf.valueAndGrads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => tf.sum(tf.mul(f(a as T4, c as T4, e as T4), dy)));

/** Inputs and masks for a case on the active backend. */
function inputs(c: Case) {
  const q = tf.randomUniform([c.b, c.nh, c.t, c.d], -2, 2, 'float32', 1) as T4;
  const k0 = tf.randomUniform([c.b, c.nkv, c.s, c.d], -2, 2, 'float32', 2) as T4;
  const k = c.ramp
    ? tf.tidy(() => tf.mul(k0, tf.reshape(tf.linspace(1, 1 + (c.s - 1) / 2, c.s), [1, 1, c.s, 1])) as T4)
    : k0;
  if (k !== k0) k0.dispose();
  const v = tf.randomUniform([c.b, c.nkv, c.s, c.d], -1, 1, 'float32', 3) as T4;
  const dy = tf.randomUniform([c.b, c.nh, c.t, c.d], -1, 1, 'float32', 4) as T4;
  const pads = c.pads ?? Array.from({ length: c.b }, () => 0);
  const mask = tf.tensor2d(
    pads.flatMap((p) => Array.from({ length: c.s }, (_, j) => (j < p ? 0 : 1))),
    [c.b, c.s],
  );
  const causal = c.mask !== 'keys' && c.mask !== 'none';
  const full = c.mask === 'none' ? undefined : causal ? causalAttentionBias(mask, c.t) : paddingAttentionBias(mask);
  const keys = c.mask === 'flag' ? paddingAttentionBias(mask) : undefined;
  mask.dispose();
  return { q, k, v, dy, full, keys, causal };
}

type Arrays = Float32Array[];
type Bounds = (r: FlashReference) => tf.Tensor[];
/** The tfjs op on cpu: o, dq, dk, dv and their bounds, for every case (two backend switches in all). */
async function references(cases: readonly Case[], boundsOf: Bounds): Promise<{ expected: Arrays; bounds: Arrays }[]> {
  await initBackend('cpu');
  const out = [];
  for (const c of cases) {
    const r = inputs(c);
    const o = attention(r.q, r.k, r.v, { bias: r.full });
    const { value, grads: g } = grads((a, e, f) => attention(a, e, f, { bias: r.full }), r.dy)([r.q, r.k, r.v]);
    const bounds = boundsOf({ ...r, bias: r.full });
    out.push({
      expected: await Promise.all([o, ...g].map((x) => x.data() as Promise<Float32Array>)),
      bounds: await Promise.all(bounds.map((x) => x.data() as Promise<Float32Array>)),
    });
    tf.dispose([o, value, ...g, ...bounds, r.q, r.k, r.v, r.dy, r.full, r.keys]);
  }
  await initBackend('webgpu');
  return out;
}

/**
 * The tensor-core kernels (flash-attention-*-sm-direct-wgsl.ts) rewritten into core WGSL that does what
 * the subgroup-matrix builtins do (nf4-emulated-subgroup-matrix.ts): lavapipe has none, so this
 * checks their tile addressing, masks and f16 roundings in CI; the builtins themselves are
 * checked on the GPU machine (bench/gpu/flash-attn-bench.ts `check`).
 */
const sm = FLASH_KERNEL_SETS['subgroup-matrix'];
/**
 * Small tiles: the emulation holds each 16×16 matrix in private memory per invocation, and
 * lavapipe's LLVM takes minutes on many accumulators. Otherwise as on the GPU (flash-kernel-set.ts): 32 query rows
 * a workgroup in the forward and dq (dq on 2 subgroups where the head splits into halves of whole tiles), 16 keys
 * for dk/dv on 2 subgroups in query blocks of 32; key blocks of 16 instead of 32.
 */
const emulatedTiles = (kernel: FlashKernel, d: number): FlashTiles =>
  kernel === 'dq'
    ? { br: 32, bc: 16, sg: dqSubgroups(d) }
    : kernel === 'dkdv'
      ? { br: 32, bc: 16, sg: 2 }
      : { br: 32, bc: 16 };
const emulatedSm: FlashKernelSet = {
  ...sm,
  tiles: (kernel, d) => emulatedTiles(kernel, d),
  wgsl: {
    forward: (s, t) => emulateSubgroupMatrix(sm.wgsl.forward(s, t)),
    dq: (s, t) => emulateSubgroupMatrix(sm.wgsl.dq(s, t)),
    dkdv: (s, t) => emulateSubgroupMatrix(sm.wgsl.dkdv(s, t)),
  },
};
/**
 * The cases with masks (decode step, rows that see nothing, GQA 4:1 and 2:1, a KV offset, a full
 * bias with the flag, a fully masked batch row; the full bias alone is the portable suite's), head sizes rounded up to the kernels' multiple of
 * 16 and capped at 32: lavapipe compiles each emulated kernel at its first dispatch (5–20 s).
 */
const SM_CASES = CASES.filter((c) => c.mask !== 'full' && c.pads?.some((p) => p > 0)).map((c) => ({
  ...c,
  d: Math.min(32, Math.ceil(c.d / 16) * 16),
}));

/** Every kernel on one subgroup (FlashTiles.sg 1), in blocks of 16 query rows. */
const emulatedOneSubgroup: FlashKernelSet = {
  ...emulatedSm,
  tiles: () => ({ br: 16, bc: 16 }),
};

/** Split further: dk/dv with 32 keys on 4 subgroups, dq with 16 rows on 2, the forward on 2. */
const emulatedSplit32: FlashKernelSet = {
  ...emulatedSm,
  tiles: (kernel, d) =>
    kernel === 'dkdv'
      ? { br: 16, bc: 32, sg: 4 }
      : kernel === 'dq'
        ? { br: 16, bc: 16, sg: dqSubgroups(d) }
        : { br: 32, bc: 16, sg: dqSubgroups(d) },
};
const casesNamed = (...starts: string[]) => SM_CASES.filter((c) => starts.some((p) => c.name.startsWith(p)));

const SUITES = [
  {
    name: 'portable, f32',
    kernels: FLASH_KERNEL_SETS.portable,
    cases: CASES,
    bounds: flashAttentionBounds,
    ms: 60_000,
  },
  // A cold Mesa shader cache compiles the three emulated kernels of a case in 40–60 s on 2 cores.
  {
    name: 'subgroup-matrix emulated, f16 products',
    kernels: emulatedSm,
    cases: SM_CASES,
    bounds: attentionGemmBounds,
    ms: 240_000,
  },
  {
    name: 'one subgroup: every kernel in 16-row blocks (emulated)',
    kernels: emulatedOneSubgroup,
    // 'scores growing': the forward rescales o mid-walk.
    cases: casesNamed('odd T=37', 'S≠T', 'scores growing'),
    bounds: attentionGemmBounds,
    ms: 240_000,
  },
  {
    name: 'split subgroups: dk/dv 32 keys on 4, dq 16 rows and forward on 2 (emulated)',
    kernels: emulatedSplit32,
    cases: casesNamed('odd T=37', 'bidirectional padding'),
    bounds: attentionGemmBounds,
    ms: 240_000,
  },
];

describe.skipIf(!gpu).each(SUITES)('flashAttention ($name) against the tfjs op in f32 on cpu', (suite) => {
  let refs: { expected: Arrays; bounds: Arrays }[] = [];
  beforeAll(async () => {
    refs = await references(suite.cases, suite.bounds);
  }, 120_000);
  suite.cases.forEach((c, n) => {
    it(
      `${c.name} (d=${c.d}): output and dq, dk, dv within the derived bound`,
      async () => {
        const x = inputs(c);
        const mask =
          c.mask === 'flag' ? { bias: x.keys, causal: true } : { bias: x.full, causal: c.mask === 'flag+full' };
        const opts = { ...mask, kernels: suite.kernels };
        // The forward alone (no tape), then value and gradients through the custom gradient.
        const o = flashAttention(x.q, x.k, x.v, opts);
        const { value, grads: g } = grads((a, e, f) => flashAttention(a, e, f, opts), x.dy)([x.q, x.k, x.v]);
        const got = await Promise.all([o, ...g].map((t) => t.data() as Promise<Float32Array>));
        tf.dispose([o, value, ...g, x.q, x.k, x.v, x.dy, x.full, x.keys]);
        const { expected, bounds } = refs[n]!;
        const names = ['o', 'dq', 'dk', 'dv'];
        const ratios = Object.fromEntries(names.map((k, i) => [k, worstBoundRatio(got[i]!, expected[i]!, bounds[i]!)]));
        for (const [k, r] of Object.entries(ratios))
          expect(r, `${k}: ${JSON.stringify(ratios)}`).toBeLessThanOrEqual(1);
      },
      suite.ms,
    );
  });
});

/** The forward with its key bias staged in workgroup memory (FlashTiles.sb): the default forward's result, bit for bit. */
const emulatedStagedBias: FlashKernelSet = {
  ...emulatedSm,
  tiles: (kernel, d) => (kernel === 'forward' ? { ...emulatedTiles(kernel, d), sb: 1 } : emulatedTiles(kernel, d)),
};
describe.skipIf(!gpu)('the tensor-core forward with the key bias staged (emulated)', () => {
  for (const c of casesNamed('S≠T', 'bidirectional padding'))
    it(`${c.name} (d=${c.d}): o equals the default forward's bit for bit`, async () => {
      const x = inputs(c);
      const mask = c.mask === 'flag' ? { bias: x.keys, causal: true } : { bias: x.full, causal: false };
      const bits = async (kernels: FlashKernelSet) => {
        const o = flashAttention(x.q, x.k, x.v, { ...mask, kernels });
        const out = new Uint32Array((await o.data<'float32'>()).buffer);
        o.dispose();
        return Array.from(out);
      };
      const staged = await bits(emulatedStagedBias);
      expect(staged).toEqual(await bits(emulatedSm));
      tf.dispose([x.q, x.k, x.v, x.dy, x.full, x.keys]);
    }, 240_000);
});

describe.skipIf(!gpu)('flashShape: what the packed tensor-core kernels cannot take', () => {
  it('more heads than one dispatch can pack falls back (a reason, not an error at dispatch)', () => {
    const q = tf.zeros([65536, 1, 1, 16]) as T4;
    const k = tf.zeros([65536, 1, 1, 16]) as T4;
    expect(flashShape(q, k, { kernels: sm }).why).toMatch(/too many to pack to f16/);
    expect(flashShape(q, k, { kernels: FLASH_KERNEL_SETS.portable }).why).toBeUndefined();
    const small = tf.zeros([2, 1, 1, 16]) as T4;
    expect(flashShape(small, small, { kernels: sm }).why).toBeUndefined();
    tf.dispose([q, k, small]);
  });
});

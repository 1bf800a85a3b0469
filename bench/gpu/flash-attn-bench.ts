/**
 * Fused attention (packages/models/src/gpu/flash-attention*.ts) on the GPU machine. Phases
 * (comma list, argv[2], default all):
 * - check: two small awkward cases (d 128 causal + left pads with rows that see nothing, GQA 2:1;
 *   d 64 bidirectional with a fully masked batch row) against the tfjs op on the cpu backend (f32):
 *   output and dq, dk, dv in units of the derived bound (flash-attention-tolerance.ts), PASS ≤ 1;
 * - seed: B4 H16 Hkv8 T=S=5376 d128, causal + padding mask: fused forward, backward (dq; dk+dv)
 *   and the tfjs op's forward and forward+backward on webgpu (f32, chunked, [B,1,T,S] bias);
 * - seed8b: the same at Qwen3-8B's heads (B4 H32 Hkv8 T=S=5376 d128), fused kernels only;
 * - clip: B8 H16 T=577 d64 bidirectional, the same four numbers.
 * Each phase runs every kernel family the device offers (KVC_FLASH_VARIANTS, comma list, narrows
 * it): portable (f32, checked against flash-attention-tolerance.ts) and subgroup-matrix (f16
 * products, checked against attention-gemm-tolerance.ts). The tfjs op is timed once per shape.
 * flash-attn-baseline.py gives torch SDPA bf16/fp32 at the same shapes.
 * KVC_FLASH_FORWARD_BC (comma list of key blocks) adds a tensor-core set per key block of the
 * direct forward; KVC_FLASH_TILES (e.g. "dkdv.br=32,dq.bc=64+dkdv.br=32", "dkdv.sg=2") a set per spec of changed tiles
 * (FlashTiles), each checked by `check` too.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@kvc/models';
import { causalAttentionBias, paddingAttentionBias } from '../../packages/models/src/nn/attention-bias.js';
import { attention } from '../../packages/models/src/nn/attention.js';
import { attentionGemmBounds } from '../../packages/models/src/gpu/attention-gemm-tolerance.js';
import { flashAttentionBackward, flashAttentionForward } from '../../packages/models/src/gpu/flash-attention.js';
import {
  flashAttentionBounds,
  worstBoundRatio,
  type FlashReference,
} from '../../packages/models/src/gpu/flash-attention-tolerance.js';
import {
  FLASH_KERNEL_SETS,
  type FlashAttentionVariant,
  type FlashKernelSet,
} from '../../packages/models/src/gpu/flash-kernel-set.js';
import type { FlashKernel, FlashTiles } from '../../packages/models/src/gpu/flash-attention-shape.js';
import { webgpuBackend } from '../../packages/models/src/gpu/webgpu-internals.js';
import { timeOnGpu } from './time-on-gpu.js';

const phases = (process.argv[2] ?? 'check,seed,clip').split(',');
type T4 = tf.Tensor4D;
interface Shape {
  name: string;
  b: number;
  nh: number;
  nkv: number;
  t: number;
  d: number;
  causal: boolean;
  pads: number[];
  /** Fused kernels only (the tfjs op's T×T scores at this shape would not be timed usefully). */
  fusedOnly?: boolean;
}
const CHECKS: Shape[] = [
  { name: 'd128 causal GQA 2:1 pads', b: 2, nh: 4, nkv: 2, t: 77, d: 128, causal: true, pads: [0, 9] },
  { name: 'd64 bidirectional, masked batch row', b: 2, nh: 2, nkv: 2, t: 70, d: 64, causal: false, pads: [5, 70] },
];

function make(s: Shape) {
  const q = tf.randomUniform([s.b, s.nh, s.t, s.d], -2, 2, 'float32', 1) as T4;
  const k = tf.randomUniform([s.b, s.nkv, s.t, s.d], -2, 2, 'float32', 2) as T4;
  const v = tf.randomUniform([s.b, s.nkv, s.t, s.d], -1, 1, 'float32', 3) as T4;
  const dy = tf.randomUniform([s.b, s.nh, s.t, s.d], -1, 1, 'float32', 4) as T4;
  const mask = tf.tensor2d(
    s.pads.flatMap((p) => Array.from({ length: s.t }, (_, j) => (j < p ? 0 : 1))),
    [s.b, s.t],
  );
  const keys = paddingAttentionBias(mask);
  const full = s.causal ? causalAttentionBias(mask, s.t) : keys;
  mask.dispose();
  return { q, k, v, dy, keys, full };
}
const vg = (f: (a: T4, b: T4, c: T4) => T4, dy: T4) =>
  tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a as T4, b as T4, c as T4), dy)));
const datas = (xs: tf.Tensor[]) => Promise.all(xs.map((x) => x.data() as Promise<Float32Array>));

const BOUNDS: Record<FlashAttentionVariant, (r: FlashReference) => tf.Tensor[]> = {
  portable: flashAttentionBounds,
  'subgroup-matrix': attentionGemmBounds,
};
let sets: (FlashKernelSet & { label?: string })[] = [];
if (phases.includes('check')) {
  await initBackend('cpu');
  const refs: { expected: Float32Array[]; bounds: Record<string, Float32Array[]> }[] = [];
  for (const s of CHECKS) {
    const x = make(s);
    const o = attention(x.q, x.k, x.v, { bias: x.full });
    const { value, grads } = vg((a, b, c) => attention(a, b, c, { bias: x.full }), x.dy)([x.q, x.k, x.v]);
    const bounds: Record<string, Float32Array[]> = {};
    for (const [variant, of] of Object.entries(BOUNDS)) {
      const b = of({ ...x, bias: x.full });
      bounds[variant] = await datas(b);
      tf.dispose(b);
    }
    refs.push({ expected: await datas([o, ...grads]), bounds });
    tf.dispose([o, value, ...grads, ...Object.values(x)]);
  }
  sets = await webgpuSets();
  for (const set of sets.filter((x) => !x.label?.startsWith('ablation'))) {
    for (const [n, s] of CHECKS.entries()) {
      const x = make(s);
      const opts = { bias: s.causal ? x.keys : x.full, causal: s.causal, kernels: set };
      const { o, stats } = flashAttentionForward(x.q, x.k, x.v, opts);
      const g = flashAttentionBackward({ q: x.q, k: x.k, v: x.v, o, stats }, x.dy, opts);
      const got = await datas([o, ...g]);
      tf.dispose([o, stats, ...g, ...Object.values(x)]);
      const bounds = refs[n]!.bounds[set.variant]!;
      const r = ['o', 'dq', 'dk', 'dv'].map(
        (k, i) => [k, worstBoundRatio(got[i]!, refs[n]!.expected[i]!, bounds[i]!)] as const,
      );
      const ok = r.every(([, v]) => v <= 1);
      console.log(
        `check ${set.label ?? set.variant} ${s.name}: ${ok ? 'PASS' : 'FAIL'} ` +
          `${r.map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')} (× bound)`,
      );
    }
  }
} else {
  sets = await webgpuSets();
}

/**
 * Where the direct forward's time goes (KVC_FLASH_ABLATE=1): the one-pass tensor-core forward
 * (flash-attention-forward-sm-direct-wgsl.ts) with one part cut out. The results are wrong by design
 * (`check` skips these sets); only the times mean something. Cuts that leave a binding unread are not
 * offered: the pipeline's layout then drops it and the dispatch is invalid. A cut that no longer finds its
 * code throws (the kernels of session 7 had cuts that silently stopped matching).
 */
// A function (hoisted): the phases run at the top level before later declarations.
function ablations(): Record<string, (code: string) => string> {
  const cut = (name: string, re: RegExp, by: string) => (c: string) => {
    const out = c.replace(re, by);
    if (out === c) throw new Error(`KVC_FLASH_ABLATE: "${name}" found nothing to cut in the forward kernel`);
    return out;
  };
  // The softmax between the two products: every row's maximum, exp and sum over the block, P written (and the
  // rescale's flag, so the rescale does not run either).
  const softmax = cut(
    'no softmax',
    /( {4}if \(lid < (\d+)u\) \{\n {6}let n = min\()[\s\S]*?Fs\[lid\] = alpha;\n {4}\}/,
    '    if (lid < $2u) { Fs[lid] = 1.0; }',
  );
  // The rescale of o through workgroup memory, made never to run (a flag value never set, so the compiler keeps
  // its code and registers).
  const rescale = cut(
    'no rescale',
    /workgroupUniformLoad\(&moved\[0\]\) != 0u && started/,
    'workgroupUniformLoad(&moved[0]) == 7u && started',
  );
  return {
    'no softmax': softmax,
    'no rescale': rescale,
    'products only': (c) => rescale(softmax(c)),
  };
}

/** Starts webgpu and returns the kernel families to run: what the device offers, narrowed by KVC_FLASH_VARIANTS. */
async function webgpuSets(): Promise<(FlashKernelSet & { label?: string })[]> {
  await initBackend('webgpu');
  const features = webgpuBackend().device.features;
  console.log(`features ${[...features].sort().join(' ')}`);
  const offered: FlashAttentionVariant[] = features.has('chromium-experimental-subgroup-matrix')
    ? ['subgroup-matrix', 'portable']
    : ['portable'];
  const wanted = process.env['KVC_FLASH_VARIANTS']?.split(',');
  const sets = offered.filter((v) => !wanted || wanted.includes(v)).map((v) => FLASH_KERNEL_SETS[v]);
  const sm = sets.find((x) => x.variant === 'subgroup-matrix');
  if (!sm) return sets;
  const extra: (FlashKernelSet & { label: string })[] = (process.env['KVC_FLASH_FORWARD_BC'] ?? '')
    .split(',')
    .filter(Boolean)
    .map((bc) => ({
      ...sm,
      label: `direct forward bc ${bc}`,
      tiles: (k, d, limit) => (k === 'forward' ? { br: 32, bc: Number(bc) } : sm.tiles(k, d, limit)),
    }));
  // KVC_FLASH_TILES="dkdv.br=32,dq.bc=64+dkdv.br=32": each spec a set with those tiles changed (FlashTiles), '+'
  // joining changes of one set.
  for (const spec of (process.env['KVC_FLASH_TILES'] ?? '').split(',').filter(Boolean)) {
    const changes: Partial<Record<FlashKernel, Record<string, number>>> = {};
    for (const part of spec.split('+')) {
      const [, kernel, field, value] = /^(forward|dq|dkdv)\.(br|bc|sg|sb)=(\d+)$/.exec(part) ?? [];
      if (!kernel) throw new Error(`KVC_FLASH_TILES: cannot read ${part} (kernel.field=value)`);
      (changes[kernel as FlashKernel] ??= {})[field!] = Number(value);
    }
    extra.push({
      ...sm,
      label: `tiles ${spec}`,
      tiles: (k, d, limit) => ({ ...sm.tiles(k, d, limit)!, ...changes[k] }) as FlashTiles,
    });
  }
  if (process.env['KVC_FLASH_ABLATE']) {
    for (const [name, cut] of Object.entries(ablations())) {
      extra.push({
        ...sm,
        label: `ablation ${name}`,
        wgsl: { ...sm.wgsl, forward: (sh, t) => cut(sm.wgsl.forward(sh, t)) },
      });
    }
  }
  return [...sets, ...extra];
}

async function bench(s: Shape, reps: number) {
  const x = make(s);
  for (const set of sets) {
    const opts = { bias: s.causal ? x.keys : x.full, causal: s.causal, kernels: set };
    const fwd = await timeOnGpu(() => Object.values(flashAttentionForward(x.q, x.k, x.v, opts)), reps);
    if (process.env['KVC_FLASH_FORWARD_ONLY']) {
      console.log(`fused ${set.label ?? set.variant} ${s.name}: forward ${fwd.toFixed(2)} ms`);
      continue;
    }
    const { o, stats } = flashAttentionForward(x.q, x.k, x.v, opts);
    const bwd = await timeOnGpu(() => flashAttentionBackward({ q: x.q, k: x.k, v: x.v, o, stats }, x.dy, opts), reps);
    tf.dispose([o, stats]);
    // Timed again after the backward: the first timing of a run swung from 29 to 59 ms for the same
    // kernel on an H200 (the card still warming up, presumably); the later one is the one to compare.
    const again = await timeOnGpu(() => Object.values(flashAttentionForward(x.q, x.k, x.v, opts)), reps);
    console.log(
      `fused ${set.label ?? set.variant} ${s.name}: forward ${again.toFixed(2)} ms (first ${fwd.toFixed(2)}), backward ${bwd.toFixed(2)} ms (dq + dk/dv)`,
    );
  }
  if (s.fusedOnly || process.env['KVC_FLASH_SKIP_TFJS']) return void tf.dispose(Object.values(x));
  try {
    const tfo = { bias: x.full, fused: false };
    const tfFwd = await timeOnGpu(() => [attention(x.q, x.k, x.v, tfo)], Math.min(reps, 3));
    const tfBoth = await timeOnGpu(
      () => {
        const { value, grads } = vg((a, b, c) => attention(a, b, c, tfo), x.dy)([x.q, x.k, x.v]);
        return [value, ...grads];
      },
      Math.min(reps, 3),
    );
    console.log(`tfjs op ${s.name}: forward ${tfFwd.toFixed(2)} ms, forward+backward ${tfBoth.toFixed(2)} ms`);
  } catch (err) {
    console.log(`tfjs op ${s.name}: FAILED ${(err as Error).message.split('\n')[0]}`);
  }
  tf.dispose(Object.values(x));
}
const pads = (b: number, t: number) => Array.from({ length: b }, (_, i) => (i * t) >> 4);
if (phases.includes('seed')) {
  await bench(
    {
      name: 'seed B4 H16/8 T5376 d128 causal+pad',
      b: 4,
      nh: 16,
      nkv: 8,
      t: 5376,
      d: 128,
      causal: true,
      pads: pads(4, 5376),
    },
    3,
  );
}
if (phases.includes('seed8b')) {
  await bench(
    {
      name: 'seed8b B4 H32/8 T5376 d128 causal+pad',
      b: 4,
      nh: 32,
      nkv: 8,
      t: 5376,
      d: 128,
      causal: true,
      pads: pads(4, 5376),
      fusedOnly: true,
    },
    3,
  );
}
if (phases.includes('clip')) {
  await bench(
    { name: 'CLIP-L B8 H16 T577 d64', b: 8, nh: 16, nkv: 16, t: 577, d: 64, causal: false, pads: Array(8).fill(0) },
    10,
  );
}
process.exit(0);

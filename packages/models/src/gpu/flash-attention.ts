/**
 * Fused attention on the webgpu backend, the FlashAttention-2 way: one dispatch forward, two
 * backward (dq; dk and dv), no T×T tensor, causal blocks skipped, grouped-query heads, an additive
 * bias (padding [B, 1, 1, S] or full [B, 1, T, S]). Same results as nn/attention.ts's tfjs op,
 * masked rows included (flash-attention-wgsl.ts says how). Two kernel families (flash-kernel-set.ts):
 * portable f32 (flash-attention-*-wgsl.ts) and tensor cores (flash-attention-*-sm-direct-wgsl.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors.js';
import { replayed, type AttentionReplay } from '../nn/attention-replay.js';
import { flashUnsupported, type FlashKernel, type FlashShape } from './flash-attention-shape.js';
import { FLASH_KERNEL_SETS, type FlashAttentionVariant, type FlashKernelSet } from './flash-kernel-set.js';
import { packFlashOperand } from './flash-attention-pack.js';
import { runKernelOutputs, webgpuBackend } from './webgpu-internals.js';

export interface FlashAttentionOptions {
  /** Additive bias, [B, 1, 1, S] (the same for every query) or [B, 1, T, S]; never differentiated. */
  readonly bias?: tf.Tensor4D | undefined;
  /** Query t sees keys up to S − T + t (combined with the bias: a key masked by either is masked). */
  readonly causal?: boolean | undefined;
  /** The kernels to run instead of the selected variant's (tests run emulated tensor-core kernels). */
  readonly kernels?: FlashKernelSet | undefined;
  /** Keeps the forward's o and statistics, or replays kept ones (nn/attention-replay.ts). */
  readonly replay?: AttentionReplay | undefined;
}

export type { FlashAttentionVariant, FlashKernelSet };
/** Which kernels `flashAttention` runs (selectFlashAttentionVariant sets it); undefined: none passed. */
let chosen: FlashAttentionVariant | undefined = 'portable';
export const setFlashAttentionVariant = (v: FlashAttentionVariant | undefined): void => void (chosen = v);
export const flashAttentionVariant = (): FlashAttentionVariant | undefined => chosen;

/**
 * Whether `attention` (nn/attention.ts) takes the fused kernels when a call does not say. Off: on
 * the H100 the portable kernels are slower than the tfjs op (seed shape forward 669 vs 96 ms,
 * bench/results/2026-11-27-flash-attn-h100.md). With the tensor-core ones the seed's 0.6B step took
 * 6.6 s on an H200 (with a 24 GiB buffer pool), against 86 s on an H100 with the tfjs op
 * (bench/results/2026-11-28-direct-attention-h200.md); the CLI turns them on with
 * `kernels.attention: tensor-cores`.
 */
let byDefault = false;
export const setFusedAttentionDefault = (on: boolean): void => void (byDefault = on);
export const fusedAttentionDefault = (): boolean => byDefault;

/** The kernels' view of one call and why they cannot take it (undefined: they can). */
export function flashShape(q: tf.Tensor4D, k: tf.Tensor4D, opts: FlashAttentionOptions = {}) {
  const [b, nh, t, d] = q.shape;
  const [, nkv, s] = k.shape;
  const bs = opts.bias?.shape;
  const bias = !bs ? 'none' : bs[2] === 1 && t !== 1 ? 'keys' : 'full';
  const shape: FlashShape = { b, nh, nkv, t, s, d, causal: opts.causal ?? false, bias };
  const dtypes = [q, k, opts.bias].some((x) => x && x.dtype !== 'float32') ? 'inputs are not float32' : undefined;
  const set = kernelsOf(opts);
  const why =
    dtypes ??
    flashUnsupported(shape, storageLimit(), set.tiles, set.headStep, set.packed) ??
    (bs && (bs[0] !== b || bs[1] !== 1 || (bs[2] !== 1 && bs[2] !== t) || bs[3] !== s)
      ? `bias shape [${bs.join(', ')}] is neither [B, 1, 1, S] nor [B, 1, T, S]`
      : undefined);
  return { shape, why };
}

/** flashShape, or E_GPU_SHAPE when the fused kernels cannot take the call. */
export function flashShapeOf(q: tf.Tensor4D, k: tf.Tensor4D, opts: FlashAttentionOptions = {}): FlashShape {
  const { shape, why } = flashShape(q, k, opts);
  if (why) {
    const ctx = { q: q.shape, k: k.shape, bias: opts.bias?.shape };
    throw new BackendError('E_GPU_SHAPE', `flash attention: ${why}`, ctx, 'use the tfjs op (nn/attention.ts)');
  }
  return shape;
}

const storageLimit = () => webgpuBackend().device.limits.maxComputeWorkgroupStorageSize;
/** The call's kernels: its own, else the selected variant's (portable before any selection). */
const kernelsOf = (opts: FlashAttentionOptions): FlashKernelSet =>
  opts.kernels ?? FLASH_KERNEL_SETS[chosen ?? 'portable'];
/** A kernel's WGSL and tiles for a shape. */
function kernel(opts: FlashAttentionOptions, which: FlashKernel, s: FlashShape) {
  const set = kernelsOf(opts);
  const tiles = set.tiles(which, s.d, storageLimit())!;
  return { code: set.wgsl[which](s, tiles), tiles };
}
const biasInputs = (opts: FlashAttentionOptions) => (opts.bias ? [opts.bias] : []);
const f32 = (shape: number[]) => ({ shape, dtype: 'float32' as const });

/** o [B, H, T, d] and the row statistics [B, H, T, 3] (max, sum, scratch) the backward needs. */
export function flashAttentionForward(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  opts: FlashAttentionOptions = {},
): { o: tf.Tensor4D; stats: tf.Tensor4D } {
  const s = flashShapeOf(q, k, opts);
  const { code, tiles } = kernel(opts, 'forward', s);
  const packed = kernelsOf(opts).packed ? [q, k, v].map(packFlashOperand) : undefined;
  const [o, stats] = runKernelOutputs(
    code,
    [...(packed ?? [q, k, v]), ...biasInputs(opts)],
    [f32(q.shape), f32([s.b, s.nh, s.t, 3])],
    [Math.ceil(s.t / tiles.br), s.b * s.nh],
  );
  // Disposed once recorded: tfjs keeps a buffer the queued commands use until they finish.
  if (packed) tf.dispose(packed);
  return { o: o as tf.Tensor4D, stats: stats as tf.Tensor4D };
}

/** dq, dk, dv from the forward's inputs, output and statistics and the output's gradient dy. */
export function flashAttentionBackward(
  saved: { q: tf.Tensor4D; k: tf.Tensor4D; v: tf.Tensor4D; o: tf.Tensor4D; stats: tf.Tensor4D },
  dy: tf.Tensor4D,
  opts: FlashAttentionOptions = {},
): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  const { q, k, v, o, stats } = saved;
  const s = flashShapeOf(q, k, opts);
  const dqk = kernel(opts, 'dq', s),
    dkv = kernel(opts, 'dkdv', s);
  const [tq, tkv] = [dqk.tiles, dkv.tiles];
  const packed = kernelsOf(opts).packed ? [q, k, v, dy].map(packFlashOperand) : undefined;
  const bias = biasInputs(opts);
  // The dq kernel writes Δ into the statistics' spare slot; the dk/dv kernel, recorded after it, reads it.
  const [dq] = runKernelOutputs(
    dqk.code,
    packed ? [...packed, o, stats, ...bias] : [q, k, v, o, dy, stats, ...bias],
    [f32(q.shape)],
    [Math.ceil(s.t / tq.br), s.b * s.nh],
  );
  const [dk, dv] = runKernelOutputs(
    dkv.code,
    packed ? [...packed, stats, ...bias] : [q, k, v, dy, stats, ...bias],
    [f32(k.shape), f32(v.shape)],
    [Math.ceil(s.s / tkv.bc), s.b * s.nkv],
  );
  if (packed) tf.dispose(packed);
  return [dq as tf.Tensor4D, dk as tf.Tensor4D, dv as tf.Tensor4D];
}

/** softmax(q·kᵀ/√d + bias [+ causal])·v with gradients to q, k, v (fused kernels both ways). */
export function flashAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  opts: FlashAttentionOptions = {},
): tf.Tensor4D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [qi, ki, vi] = args as tf.Tensor4D[];
    const [o, stats] = replayed(opts.replay, qi!, () => {
      const r = flashAttentionForward(qi!, ki!, vi!, opts);
      return [r.o, r.stats];
    });
    // The bias is saved too: the caller's copy may be disposed before the backward runs.
    save([qi!, ki!, vi!, o, stats, ...biasInputs(opts)]);
    const gradFunc = (dy: tf.Tensor, sv: tf.Tensor[]) => {
      const [sq, sk, svv, so, sst, sb] = sv as tf.Tensor4D[];
      const saved = { q: sq!, k: sk!, v: svv!, o: so!, stats: sst! };
      return flashAttentionBackward(saved, dy as tf.Tensor4D, { ...opts, bias: sb });
    };
    return { value: o, gradFunc };
  });
  return f(q, k, v) as tf.Tensor4D;
}

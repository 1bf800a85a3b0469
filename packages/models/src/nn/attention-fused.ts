/**
 * Where `attention` hands over to the fused WGSL kernels (gpu/flash-attention.ts): when asked
 * (the call's `fused`, else setFusedAttentionDefault), on the webgpu backend, once their start-up
 * self-test passed, for float32 inputs of a shape they take; a decoding step's single query row goes
 * to the key-split kernels (gpu/flash-decode.ts). Every other case (cpu and wasm always) keeps the
 * tfjs op, which stays the f32 reference.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors.js';
import { tapeRecording } from '../engine/tape-recording.js';
import { flashAttention, flashAttentionVariant, flashShape, fusedAttentionDefault } from '../gpu/flash-attention.js';
import { decodeShapeOf, flashDecode, isF16Rows } from '../gpu/flash-decode.js';
import { webgpuBackend } from '../gpu/webgpu-internals.js';
import { MASK_MIN } from './attention-bias.js';
import type { AttentionReplay } from './attention-replay.js';

/** Whether the fused kernels take a call (see the module comment). */
export function fusedAttentionTakes(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  bias: tf.Tensor4D | undefined,
  causal: boolean,
  requested?: boolean,
): boolean {
  if (!fusedAttentionOn(requested) || v.dtype !== 'float32') return false;
  return !flashShape(q, k, { bias, causal }).why;
}

/** Whether the fused kernels run at all now: asked for (the call's, else the default), webgpu, self-test passed. */
export function fusedAttentionOn(requested?: boolean): boolean {
  return (
    (requested ?? fusedAttentionDefault()) && tf.getBackend() === 'webgpu' && flashAttentionVariant() !== undefined
  );
}

/** The fused kernels' result, or undefined when they cannot take the call. */
export function fusedAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  bias: tf.Tensor4D | undefined,
  causal: boolean,
  requested: boolean | undefined,
  replay?: AttentionReplay,
): tf.Tensor4D | undefined {
  // A KV cache's f16 rows (nn/kv-cache.ts f16 mode) are made for the decode kernels alone: nothing else reads them.
  if (isF16Rows(k) || isF16Rows(v)) {
    const shape =
      !replay && !tapeRecording() && tf.getBackend() === 'webgpu'
        ? decodeShapeOf(q, k, v, bias, webgpuBackend().device.limits.maxComputeWorkgroupStorageSize)
        : undefined;
    if (!shape)
      throw new BackendError(
        'E_GPU_F16_ROWS',
        'attention: f16 key/value rows reach the decode kernels only (one query row, no gradient, webgpu)',
        { q: q.shape, k: k.shape, v: v.shape, tape: tapeRecording(), replay: replay !== undefined },
        'make the KV cache without f16 rows for this use (GenerateOptions.kvCache = "f32")',
      );
    return flashDecode(shape, q, k, v, bias);
  }
  if (!fusedAttentionTakes(q, k, v, bias, causal, requested)) return undefined;
  // One query row per head with no gradient to keep (a decoding step): the key-split kernels. The causal flag
  // changes nothing there: the one query sits after every key.
  if (!replay && !tapeRecording()) {
    const limit = webgpuBackend().device.limits.maxComputeWorkgroupStorageSize;
    const shape = decodeShapeOf(q, k, v, bias, limit);
    if (shape) return flashDecode(shape, q, k, v, bias);
  }
  return flashAttention(q, k, v, { bias, causal, replay });
}

/**
 * `bias` with the causal mask folded in, [B or 1, 1, T, S]: MASK_MIN where query t (at key
 * position S − T + t) would see a later key, as causalAttentionBias builds it (a key masked
 * twice stays MASK_MIN: a minimum, never a sum that would overflow to −∞).
 */
export function withCausal(bias: tf.Tensor4D | undefined, t: number, s: number): tf.Tensor4D {
  return tf.tidy(() => {
    const rows = tf.reshape(tf.range(s - t, s, 1, 'int32'), [t, 1]);
    const cols = tf.reshape(tf.range(0, s, 1, 'int32'), [1, s]);
    const later = tf.reshape(tf.cast(tf.greater(cols, rows), 'float32'), [1, 1, t, s]);
    const causal = tf.mul(later, MASK_MIN);
    return (bias ? tf.minimum(bias, causal) : causal) as tf.Tensor4D;
  });
}

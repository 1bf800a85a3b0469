/**
 * Key/value cache of a decoder, preallocated for `capacity` positions: per layer the keys (after
 * RoPE) and values [B, kvHeads, capacity, headDim], and the key mask [B, capacity]. Each forward
 * writes its new tokens' rows in place (write-rows.ts), so decoding a token allocates nothing and
 * copies nothing old: the tensors keep their shapes, and tfjs-webgpu reuses its buffers.
 *
 * A forward over `t` new tokens calls `begin(newMask)` once (it writes the mask and says where
 * the queries sit), then `update(i, k, v)` per layer. A single new token attends over the whole
 * capacity: positions not yet written are 0 in the key mask, so the padding bias alone hides them,
 * and every decoding step sees tensors of one shape and values that do not depend on the host
 * (slicing the written rows out would copy the cache each time). The row writer's parameters are
 * tensors kept per shape whose start row is rewritten in place (`prepareStep`), so a decoding step
 * uploads nothing and can be recorded once and replayed (gpu/recorded-step.ts). A chunk of several tokens (a prefill) attends over the written rows rounded up to
 * KEY_BLOCK: a copy per layer, but it halves a long prefill's attention work, and the rounding
 * keeps the number of distinct shapes (kernels compiled, buffer sizes) small.
 * The cache owns its tensors; call `dispose()` when done.
 *
 * `f16` (webgpu only; generation takes it with f16 weights and the fused kernels): keys and values are kept as f16
 * rows, two halves an int32 word ([B, kvHeads, capacity, headDim/2]): half the memory (Qwen3-0.6B at batch 32 and
 * the seed's prefix: 34 GiB of device peak where the float32 cache took 49). The decode kernels take the rows as
 * they are (gpu/flash-decode.ts); they are bound by their loads' count, not bytes, so a step is no faster for it
 * (bench/results/2026-11-29-gen-h200-session15.md). A prefill chunk gets float32 copies of its rows
 * (read-f16-rows.ts, where the float32 cache made a slice). The halves are what the tensor-core attention forward
 * rounds keys and values to anyway.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gpuBufferOf, submitPending, webgpuBackend } from '../gpu/webgpu-internals.js';
import { readF16Rows } from './read-f16-rows.js';
import { writeRows, writeRowsF16, writeRowsTogether, type RowParams } from './write-rows.js';

export interface KvCacheShape {
  readonly numLayers: number;
  readonly batch: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** Positions it holds: prompt (padded) + new tokens. */
  readonly capacity: number;
  /** Keys and values as f16 rows (see the class comment); webgpu, an even head width. */
  readonly f16?: boolean;
}

/** What one forward's queries see: the key mask [B, Tk] and the query rows' first position. */
export interface KvStep {
  readonly keyMask: tf.Tensor2D;
  readonly queryStart: number;
}

/** A prefill chunk's keys are the written rows rounded up to a multiple of this. */
export const KEY_BLOCK = 512;

/**
 * What generation rounds a cache's capacity up to. The attention kernels are compiled per key count (a WGSL
 * constant), and a capacity of exactly prompt + new tokens differs from one batch of captions to the next: on the
 * H200 the compiles took 5 of a batch-1 prefill's 6.6 s (bench/results/2026-11-28-gen-h200-session11.md). The
 * extra positions stay masked, so every result is the same: their probabilities are exactly 0, summed after the
 * real keys.
 */
export const CAPACITY_BLOCK = 256;

/** `positions` rounded up to a multiple of CAPACITY_BLOCK. */
export const roundedCapacity = (positions: number): number => Math.ceil(positions / CAPACITY_BLOCK) * CAPACITY_BLOCK;

export class KvCache {
  private readonly keys: tf.Tensor4D[] = [];
  private readonly values: tf.Tensor4D[] = [];
  /** The key mask as [B, 1, capacity, 1], so the same row writer fills it. */
  private maskRows: tf.Tensor4D;
  private written = 0;
  private step: { start: number; t: number; keys: number } | undefined;
  /**
   * writeRows' parameters [start, t, capacity, D, total], one tensor per (t, D, total): every layer's keys and
   * values of a step share one, and a new step rewrites its start in place (a new tensor would be an upload).
   */
  private readonly params = new Map<string, { tensor: tf.Tensor1D; start: number }>();
  private readonly rowParams: RowParams = (values) => {
    const [start, ...rest] = values;
    const key = rest.join(',');
    let p = this.params.get(key);
    if (!p) this.params.set(key, (p = { tensor: tf.keep(tf.tensor1d([...values], 'int32')), start: start! }));
    else if (p.start !== start) this.rewriteStart(p, start!);
    return p.tensor;
  };

  constructor(readonly shape: KvCacheShape) {
    const { numLayers, batch, kvHeads, headDim, capacity, f16 } = shape;
    if (!(capacity > 0 && batch > 0)) throw new RangeError(`KvCache: capacity ${capacity}, batch ${batch}`);
    if (f16 && (tf.getBackend() !== 'webgpu' || headDim % 2 !== 0))
      throw new RangeError(`KvCache: f16 rows need webgpu and an even head width (${tf.getBackend()}, ${headDim})`);
    const rows: [number, number, number, number] = f16
      ? [batch, kvHeads, capacity, headDim / 2]
      : [batch, kvHeads, capacity, headDim];
    const dtype = f16 ? 'int32' : 'float32';
    // tf.fill runs on the backend (a kernel on webgpu). tf.zeros would build every zero in a host array and upload it:
    // at the seed's prefix and batch 8, 2 × 155 MB a layer of Qwen3-0.6B, 8.7 GB per generation.
    for (let i = 0; i < numLayers; i++) {
      this.keys.push(tf.keep(tf.fill(rows, 0, dtype)));
      this.values.push(tf.keep(tf.fill(rows, 0, dtype)));
    }
    // Unwritten positions are masked keys: what hides them from a decoding step's query (see above).
    this.maskRows = tf.keep(tf.fill([batch, 1, capacity, 1], 0));
  }

  /** A cache for a Qwen3-style config. */
  static forModel(
    config: { numHiddenLayers: number; numKeyValueHeads: number; headDim: number },
    batch: number,
    capacity: number,
    f16 = false,
  ): KvCache {
    const { numHiddenLayers: numLayers, numKeyValueHeads: kvHeads, headDim } = config;
    return new KvCache({ numLayers, batch, kvHeads, headDim, capacity, f16 });
  }

  /** Number of positions written (0 when empty). */
  get length(): number {
    return this.written;
  }

  get capacity(): number {
    return this.shape.capacity;
  }

  /**
   * Starts a forward over the new tokens of mask [B, t] (1 real, 0 pad): records the mask and
   * returns what the queries attend over (owned by the caller: dispose or tidy it).
   */
  begin(newMask: tf.Tensor2D): KvStep {
    const [b, t] = newMask.shape;
    if (b !== this.shape.batch) throw new RangeError(`KvCache: ${b} sequences for a cache of ${this.shape.batch}`);
    const { start, keys } = this.prepareStep(t);
    const rows = tf.tidy(() => tf.reshape(tf.cast(newMask, 'float32'), [b, 1, t, 1]) as tf.Tensor4D);
    this.maskRows = this.keepWritten(this.maskRows, writeRows(this.maskRows, rows, start, this.rowParams));
    rows.dispose();
    const keyMask = tf.tidy(() => tf.reshape(this.visible(this.maskRows), [b, keys]) as tf.Tensor2D);
    return { keyMask, queryStart: start };
  }

  /**
   * The host side of a step of `t` new tokens, without its kernels: where they go, and the row writer's start
   * rewritten in every parameter tensor. begin() calls it; a replayed step (generation/replayed-decode.ts)
   * calls it alone, since the replay issues the kernels.
   */
  prepareStep(t: number): { start: number; keys: number } {
    const start = this.written;
    const { batch, capacity } = this.shape;
    if (start + t > capacity)
      throw new RangeError(`KvCache: ${batch}×${t} new tokens after ${start} exceed ${batch}×${capacity}`);
    this.written = start + t;
    const keys = t === 1 ? this.capacity : Math.min(this.capacity, Math.ceil(this.written / KEY_BLOCK) * KEY_BLOCK);
    this.step = { start, t, keys };
    // Only the writers of t rows run this step (others are rewritten when next used, by rowParams).
    for (const [key, p] of this.params) if (key.startsWith(`${t},`) && p.start !== start) this.rewriteStart(p, start);
    return { start, keys };
  }

  /** A parameter tensor's start row, rewritten in place (only the webgpu row writer reads the tensor). */
  private rewriteStart(p: { tensor: tf.Tensor1D; start: number }, start: number): void {
    p.start = start;
    if (tf.getBackend() !== 'webgpu') return;
    const be = webgpuBackend();
    // Commands recorded but not yet submitted must still read the old start: submit them first (the queue
    // runs a write after what was submitted before it).
    submitPending(be);
    be.queue.writeBuffer(gpuBufferOf(be, p.tensor), 0, new Int32Array([start]));
  }

  /**
   * Writes layer `i`'s new keys/values [B, kvHeads, t, d]; returns what this step's queries attend over. In f16
   * mode a decoding step's are the cache's f16 rows themselves (int32, [.., d/2]: only the decode kernels read them).
   */
  update(i: number, k: tf.Tensor4D, v: tf.Tensor4D): { k: tf.Tensor4D; v: tf.Tensor4D } {
    if (!this.step) throw new Error('KvCache.update before begin');
    const { start } = this.step;
    if (this.shape.f16) {
      writeRowsF16(
        [
          [this.keys[i]!, k],
          [this.values[i]!, v],
        ],
        start,
        this.rowParams,
      );
      const { t, keys } = this.step;
      if (t === 1) return { k: this.keys[i]!, v: this.values[i]! };
      return { k: readF16Rows(this.keys[i]!, keys), v: readF16Rows(this.values[i]!, keys) };
    }
    // Keys and values in one write (one dispatch on webgpu).
    const [kw, vw] = writeRowsTogether(
      [
        [this.keys[i]!, k],
        [this.values[i]!, v],
      ],
      start,
      this.rowParams,
    );
    this.keys[i] = this.keepWritten(this.keys[i]!, kw!);
    this.values[i] = this.keepWritten(this.values[i]!, vw!);
    return { k: this.visible(this.keys[i]!), v: this.visible(this.values[i]!) };
  }

  /** The rows this step's queries attend over: all, or a prefill chunk's rounded written rows (a copy). */
  private visible(x: tf.Tensor4D): tf.Tensor4D {
    const keys = this.step!.keys;
    return keys === this.capacity ? x : tf.slice(x, [0, 0, 0, 0], [-1, -1, keys, -1]);
  }

  /** writeRows returns a new tensor on backends without writable storage: keep it. */
  private keepWritten(old: tf.Tensor4D, next: tf.Tensor4D): tf.Tensor4D {
    return next === old ? old : tf.keep(next);
  }

  dispose(): void {
    tf.dispose([...this.keys, ...this.values, this.maskRows, ...[...this.params.values()].map((p) => p.tensor)]);
    this.params.clear();
    this.keys.length = 0;
    this.values.length = 0;
  }
}

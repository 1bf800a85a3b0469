/**
 * Key/value cache of a decoder: per layer the keys (after RoPE) and values of every token
 * seen so far, [B, kvHeads, T, headDim], plus the attention mask of those tokens [B, T].
 * The cache owns its tensors: `update` keeps the new ones and disposes the old ones, so a
 * caller's tf.tidy around a decoding step does not free them; call `dispose()` when done.
 */
import * as tf from '@tensorflow/tfjs-core';

export class KvCache {
  private keys: (tf.Tensor4D | undefined)[];
  private values: (tf.Tensor4D | undefined)[];
  private maskT: tf.Tensor2D | undefined;

  constructor(readonly numLayers: number) {
    this.keys = new Array<tf.Tensor4D | undefined>(numLayers).fill(undefined);
    this.values = new Array<tf.Tensor4D | undefined>(numLayers).fill(undefined);
  }

  /** Number of cached positions (0 when empty). */
  get length(): number {
    return this.maskT?.shape[1] ?? 0;
  }

  /** The attention mask of the cached positions, or undefined when empty. */
  get mask(): tf.Tensor2D | undefined {
    return this.maskT;
  }

  /** Appends the new tokens' mask [B, Tnew]; returns the full mask (owned by the cache). */
  appendMask(newMask: tf.Tensor2D): tf.Tensor2D {
    const next = tf.keep(this.maskT ? tf.concat([this.maskT, newMask], 1) : tf.clone(newMask));
    this.maskT?.dispose();
    this.maskT = next;
    return next;
  }

  /** Appends layer `i`'s new keys/values and returns the full ones (owned by the cache). */
  update(i: number, k: tf.Tensor4D, v: tf.Tensor4D): { k: tf.Tensor4D; v: tf.Tensor4D } {
    const pk = this.keys[i];
    const pv = this.values[i];
    const nk = tf.keep(pk ? tf.concat([pk, k], 2) : tf.clone(k));
    const nv = tf.keep(pv ? tf.concat([pv, v], 2) : tf.clone(v));
    pk?.dispose();
    pv?.dispose();
    this.keys[i] = nk;
    this.values[i] = nv;
    return { k: nk, v: nv };
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values, this.maskT]) t?.dispose();
    this.keys.fill(undefined);
    this.values.fill(undefined);
    this.maskT = undefined;
  }
}

/**
 * The greedy choice of each step on the tensor backend (the GPU, on webgpu): HF's repetition
 * penalty over the tokens each sequence has seen, argmax (first maximum on ties, as torch), and
 * the EOS bookkeeping that decides what a finished sequence is fed. Only the chosen ids [B] need
 * to cross to the CPU, once per step; the logits [B, V] never do.
 *
 * The penalty is the same float32 arithmetic as applyRepetitionPenalty (repetition-penalty.ts,
 * the CPU reference): a positive logit divided by fround(penalty), a negative one multiplied, once
 * per distinct earlier token (a 0/1 mask of seen tokens, not a count).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface PickerOptions {
  readonly batch: number;
  readonly vocabSize: number;
  /** HF repetition_penalty (1 = off). */
  readonly penalty: number;
  readonly eosIds: readonly number[];
  /** Ids that count as seen before the first step, per sequence (the prompt, from ids). */
  readonly contextIds?: readonly (readonly number[])[] | undefined;
}

export class DeviceGreedyPicker {
  /** [B, V] 1 where a token was seen (absent when the penalty is off). */
  private seen: tf.Tensor2D | undefined;
  /** [B] whether each sequence has produced an EOS. */
  private done: tf.Tensor1D;
  /** [B] the ids fed last (what a finished sequence keeps being fed: its EOS). */
  private last: tf.Tensor1D | undefined;
  private readonly eos: tf.Tensor2D | undefined;
  private readonly penalty: number;

  constructor(private readonly opts: PickerOptions) {
    const { batch, vocabSize } = opts;
    this.penalty = Math.fround(opts.penalty);
    this.done = tf.keep(tf.zeros([batch], 'bool'));
    this.eos = opts.eosIds.length
      ? tf.keep(tf.tensor2d([...opts.eosIds], [1, opts.eosIds.length], 'int32'))
      : undefined;
    if (this.penalty !== 1) {
      const seen = new Float32Array(batch * vocabSize);
      opts.contextIds?.forEach((ids, b) => {
        for (const id of ids) if (id >= 0 && id < vocabSize) seen[b * vocabSize + id] = 1;
      });
      this.seen = tf.keep(tf.tensor2d(seen, [batch, vocabSize]));
    }
  }

  /**
   * The ids to feed next [B] (int32, caller owns) from logits [B, V]: the penalised argmax, or,
   * for a sequence already finished, what it was fed last. Updates seen tokens and EOS flags.
   */
  pick(logits: tf.Tensor2D): tf.Tensor1D {
    const next = tf.tidy(() => {
      let l: tf.Tensor2D = logits;
      if (this.seen) {
        const p = this.penalty;
        const penalised = tf.where(tf.less(l, 0), tf.mul(l, p), tf.div(l, p));
        l = tf.where(tf.greater(this.seen, 0), penalised, l) as tf.Tensor2D;
      }
      const id = tf.argMax(l, 1) as tf.Tensor1D;
      return this.last ? (tf.where(this.done, this.last, id) as tf.Tensor1D) : id;
    });
    const seen =
      this.seen && tf.tidy(() => tf.maximum(this.seen!, tf.oneHot(next, this.opts.vocabSize, 1, 0, 'float32')));
    const done = tf.tidy(() => {
      if (!this.eos) return tf.clone(this.done);
      return tf.logicalOr(this.done, tf.any(tf.equal(tf.expandDims(next, 1), this.eos), 1));
    });
    tf.dispose([this.seen, this.done, this.last].filter((t) => t !== undefined));
    this.seen = seen && (tf.keep(seen) as tf.Tensor2D);
    this.done = tf.keep(done) as tf.Tensor1D;
    this.last = tf.keep(tf.clone(next));
    return next;
  }

  dispose(): void {
    tf.dispose([this.seen, this.done, this.last, this.eos].filter((t) => t !== undefined));
  }
}

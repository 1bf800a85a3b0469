/**
 * Decoding steps recorded once and replayed (gpu/recorded-step.ts). Every step after the prefill runs the same
 * kernels on tensors of the same shapes; only the fed ids, the positions and the cache's start row change, and
 * each lives in a buffer written before the step. On webgpu the first step runs normally, and the next two
 * run normally while being recorded; when the two recordings are the same step (`differsFrom`), every later step is a replay of the
 * second, which skips tfjs and our op wrappers entirely. When they differ, or the backend is not webgpu, every
 * step runs normally, as before: the output is the same either way, bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { feedInputs, RecordedStep } from '../gpu/recorded-step.js';

export interface DecodeStepFn {
  /** Logits [B, V] of ids [B] (int32) at positions [B, 1] (int32); runs the cache's step itself (begin). */
  run(ids: tf.Tensor1D, positions: tf.Tensor2D): tf.Tensor2D;
  /** The host side of a step that a replay runs instead: KvCache.prepareStep(1). */
  prepare(): void;
}

type State = 'warm-up' | 'first' | 'second' | 'replay' | 'off';

const warned = new Set<string>();

export class ReplayedDecode {
  private state: State;
  private first: RecordedStep<tf.Tensor2D> | undefined;
  private recorded: RecordedStep<tf.Tensor2D> | undefined;
  /** Captures whose output the caller may still be reading: disposed at the next step. */
  private retired: RecordedStep[] = [];
  /** Steps replayed so far (benchmarks and tests read it). */
  replays = 0;
  /** Why steps stopped being replayed, if they did. */
  refused: string | undefined;
  /** The recording that the next steps replay, from the call that made it until the caller takes it. */
  newlyRecorded: RecordedStep<tf.Tensor2D> | undefined;

  constructor(
    private readonly step: DecodeStepFn,
    private readonly batch: number,
    enabled: boolean,
  ) {
    this.state = enabled && tf.getBackend() === 'webgpu' ? 'warm-up' : 'off';
  }

  /**
   * Logits of `ids` at `positions` ([B] host values). `owned`: the caller disposes them; otherwise they belong to
   * the recorded step and stay valid until the next call.
   */
  next(ids: tf.Tensor1D, positions: Int32Array): { logits: tf.Tensor2D; owned: boolean } {
    for (const r of this.retired) r.dispose();
    this.retired = [];
    if (this.state === 'replay') {
      this.step.prepare();
      this.replays++;
      return { logits: this.recorded!.replay([ids, positions]), owned: false };
    }
    if (this.state === 'off' || this.state === 'warm-up') {
      // The first step makes what every later step reuses (the cache's row parameters for one token), so its
      // commands differ from theirs: it runs unrecorded.
      if (this.state === 'warm-up') this.state = 'first';
      return { logits: this.runFresh(ids, positions), owned: true };
    }
    const inputs = [tf.keep(tf.fill([this.batch], 0, 'int32')), tf.keep(tf.fill([this.batch, 1], 0, 'int32'))];
    feedInputs(inputs, [ids, positions]);
    // A step that throws has failed for real: the error goes through (its inputs are freed).
    let rec: RecordedStep<tf.Tensor2D>;
    try {
      rec = RecordedStep.capture(inputs, ([i, p]) => this.step.run(i as tf.Tensor1D, p as tf.Tensor2D));
    } catch (e) {
      tf.dispose(inputs);
      throw e;
    }
    if (rec.notReplayable) {
      // The step ran (the cache holds its keys): use its logits, never run it again.
      this.retired.push(rec, ...(this.first ? [this.first] : []));
      this.first = undefined;
      this.refuse(rec.notReplayable);
      return { logits: rec.output, owned: false };
    }
    if (this.state === 'first') {
      this.first = rec;
      this.state = 'second';
      return { logits: rec.output, owned: false };
    }
    const why = this.first!.differsFrom(rec);
    this.retired.push(this.first!);
    this.first = undefined;
    if (why) {
      this.retired.push(rec);
      this.refuse(`two decoding steps recorded different commands (${why})`);
    } else {
      this.recorded = this.newlyRecorded = rec;
      this.state = 'replay';
    }
    return { logits: rec.output, owned: false };
  }

  private runFresh(ids: tf.Tensor1D, positions: Int32Array): tf.Tensor2D {
    return tf.tidy(() => this.step.run(ids, tf.tensor2d(positions, [this.batch, 1], 'int32')));
  }

  private refuse(why: string): void {
    this.state = 'off';
    this.refused = why;
    // Once per reason and process: an evaluation generates batch after batch, each refused the same way.
    if (warned.has(why)) return;
    warned.add(why);
    console.warn(`kvc: decoding steps are recorded each time, not replayed: ${why}`);
  }

  dispose(): void {
    for (const r of [...this.retired, this.first, this.recorded]) r?.dispose();
    this.retired = [];
    this.first = this.recorded = undefined;
  }
}

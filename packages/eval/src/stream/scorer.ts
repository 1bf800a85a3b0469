/**
 * The contract of a model-based metric in the evaluation stream: loaded once, fed batches of
 * captions, asked for its corpus aggregate at the end, then disposed (tensors, model weights).
 */
import type { CaptionRecord } from '../predictions/caption-record.js';

/** Per-sample values of one scorer, flat snake_case keys (e.g. `bertscore_f1`, `siglip`). */
export type SampleScores = Readonly<Record<string, number>>;

/** A model-based metric (BERTScore, SigLIP2 score, or your own). */
export interface Scorer {
  /** Metric name (`bertscore`, `siglip`, ...), used in events, errors and progress. */
  readonly name: string;
  /** Load the model and reset the running aggregate. Called once per evaluation. */
  init(): Promise<void>;
  /** Score one batch; returns one {@link SampleScores} per record, in order. */
  scoreBatch(records: readonly CaptionRecord[]): Promise<readonly SampleScores[]>;
  /** Corpus values over everything scored since `init()` (flat keys, like the sample scores). */
  aggregate(): SampleScores;
  /** Release the model. Safe to call more than once. */
  dispose(): void | Promise<void>;
}

/** Mean of each key over the samples seen so far: the aggregate most scorers report. */
export class RunningMeans {
  private sums = new Map<string, number>();
  private count = 0;

  reset(): void {
    this.sums.clear();
    this.count = 0;
  }

  add(scores: readonly SampleScores[]): void {
    for (const s of scores) {
      for (const [k, v] of Object.entries(s)) this.sums.set(k, (this.sums.get(k) ?? 0) + v);
      this.count += 1;
    }
  }

  means(): SampleScores {
    const out: Record<string, number> = {};
    for (const [k, v] of this.sums) out[k] = v / this.count;
    return out;
  }
}

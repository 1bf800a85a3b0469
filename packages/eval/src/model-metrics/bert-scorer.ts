/**
 * BERTScore as a {@link Scorer} of the evaluation stream: loads the BERT model once, scores each
 * batch of captions (prediction = candidate, reference = reference) and reports the means of
 * `bertscore_precision`, `bertscore_recall`, `bertscore_f1`.
 *
 * Values equal bert_score's when the stream's batches are its batches of 64 consecutive pairs
 * (`kvc metrics` uses 64): within a batch a padded side offers similarity 0 to the greedy max,
 * which only changes a token whose every cosine similarity is negative.
 */
import type { Precision, ResolveOptions } from '@kvc/models';
import type { CaptionRecord } from '../predictions/caption-record.js';
import { ModelMetricError } from '../stream/evaluation-errors.js';
import { RunningMeans, type SampleScores, type Scorer } from '../stream/scorer.js';
import { BERTSCORE_KO_MODEL, bertscoreDefaultLayer } from './bert-default-layer.js';
import { computeBertScore } from './bert-score.js';
import { BertSentenceEncoder } from './bert-sentence-encoder.js';

/** Options of {@link BertScorer}. */
export interface BertScorerOptions extends ResolveOptions {
  /** Local folder or hub id (default bert-base-multilingual-cased, as `evaluate` for Korean). */
  readonly model?: string;
  /** Hidden layer (default bert_score's for the model: 9 for mBERT). */
  readonly layer?: number;
  /** Sentences per forward pass and pairs per matching batch (default 64, bert_score's). */
  readonly batchSize?: number;
  /** Frozen weights in f32 (default) or f16 on WebGPU (the run's `precision`). */
  readonly precision?: Precision;
}

export class BertScorer implements Scorer {
  readonly name = 'bertscore';
  readonly model: string;
  readonly layer: number;
  private encoder: BertSentenceEncoder | undefined;
  private readonly means = new RunningMeans();

  constructor(private readonly options: BertScorerOptions = {}) {
    this.model = options.model ?? BERTSCORE_KO_MODEL;
    const layer = options.layer ?? bertscoreDefaultLayer(this.model);
    if (layer === undefined) {
      throw new ModelMetricError(
        `no default BERTScore layer for ${this.model}`,
        { model: this.model },
        'pass the layer to read (--bert-layer); bert_score picks 9 for bert-base-multilingual-cased',
      );
    }
    this.layer = layer;
  }

  async init(): Promise<void> {
    this.means.reset();
    this.encoder ??= await BertSentenceEncoder.load(this.model, { ...this.options, layer: this.layer });
  }

  async scoreBatch(records: readonly CaptionRecord[]): Promise<readonly SampleScores[]> {
    if (!this.encoder) throw new ModelMetricError('BertScorer.scoreBatch before init()', { scorer: this.name });
    const values = await computeBertScore(
      this.encoder,
      records.map((r) => r.prediction),
      records.map((r) => r.reference),
      this.options.batchSize === undefined ? {} : { batchSize: this.options.batchSize },
    );
    const scores = values.map((v) => ({
      bertscore_precision: v.precision,
      bertscore_recall: v.recall,
      bertscore_f1: v.f1,
    }));
    this.means.add(scores);
    return scores;
  }

  aggregate(): SampleScores {
    return this.means.means();
  }

  dispose(): void {
    this.encoder?.dispose();
    this.encoder = undefined;
  }
}

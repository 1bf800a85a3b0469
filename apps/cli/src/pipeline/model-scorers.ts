/**
 * The model-based scorers (SigLIP2, BERTScore) of one run, loaded once and kept for every
 * evaluation: training evaluates after each stage-2 epoch and once more at the end, and the
 * seed's SigLIP2 so400m alone is over a gigabyte to read and upload each time. A model that is
 * not available is dropped with one warning (the pure metrics still run offline).
 */
import { BertScorer, SiglipScorer, metricFamilies, resolveLegacyModelDir, type Scorer } from '@kvc/eval';
import type { RunConfig } from '../config/run-config.js';
import type { Output } from '../output.js';

export class ModelScorers {
  private scorers: Scorer[] | undefined;

  constructor(
    private readonly config: RunConfig,
    private readonly out: Output,
    private readonly dataRoot?: string,
  ) {}

  /**
   * The scorers for one evaluation stream. The stream disposes what it is given when it ends;
   * these handles ignore that, so the models stay loaded until {@link dispose}.
   */
  async forEvaluation(): Promise<Scorer[]> {
    this.scorers ??= await this.create();
    return this.scorers.map((s) => ({
      name: s.name,
      init: () => s.init(),
      scoreBatch: (records) => s.scoreBatch(records),
      aggregate: () => s.aggregate(),
      dispose: () => undefined,
    }));
  }

  async dispose(): Promise<void> {
    const all = this.scorers ?? [];
    this.scorers = undefined;
    for (const s of all.reverse()) await s.dispose();
  }

  private async create(): Promise<Scorer[]> {
    const { config } = this;
    const { families } = metricFamilies(config.eval.metrics);
    const scorers: Scorer[] = [];
    if (families.includes('siglip') && (await this.available(config.eval.siglipModel, 'siglip'))) {
      scorers.push(
        new SiglipScorer({
          model: config.eval.siglipModel,
          padding: config.eval.siglipPadding,
          precision: config.precision,
          decode: { numFrames: config.vision.frames, ...(this.dataRoot ? { dataDir: this.dataRoot } : {}) },
        }),
      );
    }
    if (families.includes('bertscore') && (await this.available(config.eval.bertModel, 'bertscore'))) {
      const { bertModel: model, bertLayer: layer } = config.eval;
      scorers.push(new BertScorer({ model, layer, precision: config.precision }));
    }
    return scorers;
  }

  private async available(model: string, metric: string): Promise<boolean> {
    try {
      // Also finds legacy hub ids without an organisation (bert-base-multilingual-cased).
      await resolveLegacyModelDir(model);
      return true;
    } catch (err) {
      this.out.warn(
        `${metric} skipped: ${(err as Error).message} (set eval.metrics without ${metric}, or make ${model} available locally)`,
      );
      return false;
    }
  }
}

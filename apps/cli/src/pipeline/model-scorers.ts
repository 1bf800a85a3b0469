/**
 * The model-based scorers (SigLIP2, BERTScore) of one run, loaded once and kept for every
 * evaluation: training evaluates after each stage-2 epoch and once more at the end, and the
 * seed's SigLIP2 so400m alone is over a gigabyte to read and upload each time. A model that is
 * not available is dropped with one warning (the pure metrics still run offline). The SigLIP
 * score's frames are decoded where `kvc cache` decodes (frame-decoder.ts: decode workers that
 * resize as frames arrive, `features.decodeConcurrency` at once), opened at its first video.
 */
import {
  BertScorer,
  SiglipScorer,
  decodedFrameSource,
  metricFamilies,
  resolveLegacyModelDir,
  type Scorer,
  type SiglipFrameSource,
} from '@kvc/eval';
import { loadImageProcessor } from '@kvc/models';
import { defaultDecodeConcurrency } from '@kvc/video-io';
import type { RunConfig } from '../config/run-config.js';
import type { Output } from '../output.js';
import { openFrameDecoder, type FrameDecoder } from './frame-decoder.js';

export class ModelScorers {
  private scorers: Scorer[] | undefined;
  private decoder: Promise<FrameDecoder> | undefined;

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
    const decoder = this.decoder;
    this.decoder = undefined;
    await (await decoder)?.close();
  }

  /** The SigLIP frames: the model folder's image processor, the decoder opened at the first video. */
  private siglipFrames(model: string): SiglipFrameSource {
    const { config, out } = this;
    let source: Promise<SiglipFrameSource> | undefined;
    const open = async (): Promise<SiglipFrameSource> => {
      const processor = await loadImageProcessor(await resolveLegacyModelDir(model));
      this.decoder ??= openFrameDecoder({
        processor,
        decodeIn: config.features.decodeIn,
        slots: this.decodeConcurrency(),
        out,
      });
      const decoder = await this.decoder;
      return decodedFrameSource(processor, {
        numFrames: config.vision.frames,
        ...(this.dataRoot ? { dataDir: this.dataRoot } : {}),
        sample: (file, numFrames) => decoder.sampleFile(file, numFrames),
      });
    };
    return async (record) => (await (source ??= open()))(record);
  }

  private decodeConcurrency(): number {
    return this.config.features.decodeConcurrency || defaultDecodeConcurrency();
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
          frames: this.siglipFrames(config.eval.siglipModel),
          decodeConcurrency: this.decodeConcurrency(),
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

/**
 * Captions for a split from cached features, in batches (the seed generated one at a time and
 * re-decoded every video): greedy, repetition penalty counted on generated tokens only, each
 * sequence stops at its own EOS, `reachedEos` recorded.
 */
import type { FeatureCache } from '@kvc/feature-cache';
import type { CaptionRecord } from '@kvc/eval';
import type { SampleEvent } from '@kvc/video-io';
import type { RunConfig } from '../config/run-config.js';
import type { Output } from '../output.js';
import type { RunModels } from './run-models.js';
import { captionFeatures } from './caption-features.js';
import { featuresOf } from './features-of.js';

export async function generateCaptions(args: {
  readonly samples: readonly SampleEvent[];
  readonly keys: ReadonlyMap<string, string>;
  readonly cache: FeatureCache;
  readonly models: RunModels;
  readonly config: RunConfig;
  readonly out: Output;
  readonly label: string;
}): Promise<CaptionRecord[]> {
  const { models, config } = args;
  const usable = args.samples.filter((s) => args.keys.has(s.id));
  const promptIds = models.tokenizer.encode(config.prompt);
  const bs = config.generation.batchSize;
  const records: CaptionRecord[] = [];
  const bar = args.out.progress(args.label, usable.length);
  for (let i = 0; i < usable.length; i += bs) {
    const batch = usable.slice(i, i + bs);
    const feats = batch.map((s) => featuresOf(args.cache, args.keys.get(s.id)!, s.id, config));
    const results = await captionFeatures(models, config, feats, promptIds);
    results.forEach((r, k) => {
      const s = batch[k]!;
      records.push({
        id: s.id,
        video: s.video,
        prediction: (r.text ?? '').trim(),
        reference: s.caption,
        eosReached: r.reachedEos,
      });
    });
    bar.tick(batch.length);
  }
  bar.done();
  return records;
}

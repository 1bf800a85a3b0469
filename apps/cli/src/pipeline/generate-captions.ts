/**
 * Captions for a split from cached features, in batches (the seed generated one at a time and
 * re-decoded every video): greedy, repetition penalty counted on generated tokens only, each
 * sequence stops at its own EOS, `reachedEos` recorded. Captions cut at generation.maxNewTokens
 * are counted (the `cut_rate` metric) and reported with the setting to raise.
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
  const cut = records.filter((r) => r.eosReached === false).length;
  if (cut > 0) {
    args.out.warn(
      `${args.label}: ${cut} of ${records.length} captions (${((100 * cut) / records.length).toFixed(1)}%) hit ` +
        `generation.maxNewTokens=${config.generation.maxNewTokens} before EOS and are cut (metric cut_rate); ` +
        'raise it (AIHub captions run 311–708 Qwen3 tokens: 709 with the EOS holds the longest)',
    );
  }
  return records;
}

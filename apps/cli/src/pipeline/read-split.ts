/**
 * The usable samples of one dataset split, with every skipped sample reported (code, reason)
 * and none lost silently. `maxSamples` keeps the first N by id (deterministic). Every layout
 * video-io reads (AIHub folder, JSONL manifests, Hugging Face folder) is detected from `root`.
 */
import { lastValueFrom, toArray } from 'rxjs';
import { datasetSource } from '@kvc/video-io';
import type { SampleEvent, SkipEvent } from '@kvc/video-io';
import type { Output } from '../output.js';
import { reportSkip } from './report-skip.js';

export interface SplitSamples {
  readonly split: string;
  readonly samples: readonly SampleEvent[];
  readonly skipped: readonly SkipEvent[];
}

export async function readSplit(
  root: string,
  split: string,
  maxSamples: number,
  out: Output,
  options: { readonly allowAbsolutePaths?: boolean } = {},
): Promise<SplitSamples> {
  const allowAbsolute = options.allowAbsolutePaths ?? false;
  const events = await lastValueFrom(datasetSource({ path: root, split, allowAbsolute }).pipe(toArray()));
  const skipped = events.filter((e): e is SkipEvent => e.type === 'skip');
  let samples = events.filter((e): e is SampleEvent => e.type === 'sample');
  if (maxSamples > 0) samples = samples.slice(0, maxSamples);
  for (const s of skipped) reportSkip(out, split, s);
  return { split, samples, skipped };
}

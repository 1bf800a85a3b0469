/**
 * The usable samples of one dataset split, with every skipped sample reported (code, reason)
 * and none lost silently. `maxSamples` keeps the first N by id (deterministic).
 */
import { lastValueFrom, toArray } from 'rxjs';
import { aihubSource } from '@kvc/video-io';
import type { SampleEvent, SkipEvent } from '@kvc/video-io';
import type { Output } from '../output.js';

export interface SplitSamples {
  readonly split: string;
  readonly samples: readonly SampleEvent[];
  readonly skipped: readonly SkipEvent[];
}

export async function readSplit(root: string, split: string, maxSamples: number, out: Output): Promise<SplitSamples> {
  const events = await lastValueFrom(aihubSource({ root, split }).pipe(toArray()));
  const skipped = events.filter((e): e is SkipEvent => e.type === 'skip');
  let samples = events.filter((e): e is SampleEvent => e.type === 'sample');
  if (maxSamples > 0) samples = samples.slice(0, maxSamples);
  for (const s of skipped) {
    out.warn(`skipped ${split}/${s.id}: [${s.code}] ${s.reason}`);
    out.event('skip', { split, id: s.id, file: s.file, code: s.code, reason: s.reason });
  }
  return { split, samples, skipped };
}

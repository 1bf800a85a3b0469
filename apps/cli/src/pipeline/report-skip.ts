/**
 * reportSkip: the one way a pipeline reports a skipped sample, a warning for people and a `skip`
 * JSON event. It takes video-io's SkipEvent, so the code is always one of its listed SKIP_CODES.
 */
import type { SkipEvent } from '@kvc/video-io';
import type { Output } from '../output.js';

/** Warns about `s` and emits `{ type: 'skip', split, id, file, code, reason }`. */
export function reportSkip(out: Output, split: string, s: SkipEvent): void {
  out.warn(`skipped ${split}/${s.id}: [${s.code}] ${s.reason} (${s.file})`);
  out.event('skip', { split, id: s.id, file: s.file, code: s.code, reason: s.reason });
}

/** Validating a label record's caption: the checks shared by the AIHub and manifest sources. */
import type { SkipCode } from './dataset-events.js';

/** The trimmed caption, or the skip code and reason. */
export type CaptionCheck =
  | { readonly ok: true; readonly caption: string }
  | { readonly ok: false; readonly code: SkipCode; readonly reason: string };

/** Check a caption value found at `where` (e.g. `annotation.description_kr`). Pure. */
export function checkCaption(value: unknown, where: string): CaptionCheck {
  if (value === undefined || value === null)
    return { ok: false, code: 'E_CAPTION_MISSING', reason: `${where} is missing` };
  if (typeof value !== 'string')
    return {
      ok: false,
      code: 'E_CAPTION_NOT_STRING',
      reason: `${where} is a ${Array.isArray(value) ? 'array' : typeof value}, not a string`,
    };
  const caption = value.trim();
  if (caption === '') return { ok: false, code: 'E_CAPTION_EMPTY', reason: `${where} is empty or only whitespace` };
  return { ok: true, caption };
}

/** True for a plain JSON object (not an array, not null). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

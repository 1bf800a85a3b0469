/**
 * What dataset sources emit: usable samples, and typed skip events for every sample that cannot
 * be used, each with a stable code and a reason a person can act on.
 */
import type { VideoProbe } from './probe-video.js';

/** Stable codes of skipped samples. */
export const SKIP_CODES = [
  'E_LABEL_UNREADABLE',
  'E_LABEL_NOT_FILE',
  'E_LABEL_OUTSIDE_DATASET',
  'E_LABEL_NOT_UTF8',
  'E_LABEL_INVALID_JSON',
  'E_LABEL_INVALID_CSV',
  'E_LABEL_NOT_OBJECT',
  'E_CAPTION_MISSING',
  'E_CAPTION_NOT_STRING',
  'E_CAPTION_EMPTY',
  'E_VIDEO_PATH_INVALID',
  'E_VIDEO_PATH_ABSOLUTE',
  'E_VIDEO_PATH_OUTSIDE',
  'E_VIDEO_PATH_PROTOCOL',
  'E_VIDEO_MISSING',
  'E_VIDEO_NOT_FILE',
  'E_VIDEO_UNDECODABLE',
  'E_VIDEO_DIMENSIONS',
  'E_DUPLICATE_ID',
  'E_NO_FRAMES',
] as const;

/** One of {@link SKIP_CODES}. */
export type SkipCode = (typeof SKIP_CODES)[number];

/** A usable sample. */
export interface SampleEvent {
  readonly type: 'sample';
  /**
   * AIHub: the label's file stem; manifest: the line's `id`, else the video's stem; Hugging Face folder:
   * the `id` column, else `file_name` without its extension.
   */
  readonly id: string;
  /** Absolute path of the video. */
  readonly video: string;
  /** The caption, trimmed. */
  readonly caption: string;
  /** AIHub: the label file. */
  readonly labelFile?: string;
  /** The parsed label/manifest/metadata record (extra fields such as `attributes` live here). */
  readonly record?: Readonly<Record<string, unknown>>;
  /** Present when the source was asked to probe. */
  readonly probe?: VideoProbe;
}

/** A sample that cannot be used. */
export interface SkipEvent {
  readonly type: 'skip';
  readonly id: string;
  /** The file at fault (label, manifest or metadata line as `path:line`, or video). */
  readonly file: string;
  readonly code: SkipCode;
  readonly reason: string;
}

/** What a dataset source emits. */
export type DatasetEvent = SampleEvent | SkipEvent;

/** Build a skip event. */
export function skip(id: string, file: string, code: SkipCode, reason: string): SkipEvent {
  return { type: 'skip', id, file, code, reason };
}

/** Order by id (code unit order: deterministic on every machine), then by file. */
export function compareEvents(a: DatasetEvent, b: DatasetEvent): number {
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  const fa = a.type === 'sample' ? a.video : a.file;
  const fb = b.type === 'sample' ? b.video : b.file;
  return fa < fb ? -1 : fa > fb ? 1 : 0;
}

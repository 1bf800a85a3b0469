/**
 * Dataset rows to dataset events: the checks that JSONL manifests and Hugging Face metadata files
 * (JSONL or CSV) share. A row names its video (resolved by the path rules of video-path.ts), its
 * caption and optionally an id; each unusable row becomes one typed skip event naming `file:line`.
 */
import { type DatasetEvent, compareEvents, skip } from './dataset-events.js';
import type { SkipCode } from './dataset-events.js';
import { checkCaption, isRecord } from './caption-of.js';
import { checkVideoFile } from './check-video-file.js';
import { resolveVideoPath, type VideoPathOptions } from './video-path.js';

/** One row of a dataset file: its record, or why the line could not be read as one. */
export interface DatasetRow {
  /** 1-based line the row starts on. */
  readonly line: number;
  readonly record?: unknown;
  readonly error?: { readonly code: SkipCode; readonly reason: string };
}

/** Which fields of a row mean what. */
export interface RowFields {
  /** The video path's field (`video`, `file_name`). */
  readonly video: string;
  /** Caption fields, the first present wins (`caption`, `text`). */
  readonly caption: readonly string[];
  /** The id when the row has no usable `id` field. */
  readonly idOf: (rawVideo: string) => string;
}

/** Where the rows come from and how their videos resolve. */
export interface RowSource extends VideoPathOptions {
  /** The dataset file, for `file:line` in skip events. */
  readonly file: string;
  /** Folder relative video paths resolve in. */
  readonly dir: string;
}

/** The row's own id (`id` field: a non-blank string or a finite number), if any. */
function ownId(rec: Record<string, unknown>): string | undefined {
  if (typeof rec.id === 'string' && rec.id.trim() !== '') return rec.id.trim();
  if (typeof rec.id === 'number' && Number.isFinite(rec.id)) return String(rec.id);
  return undefined;
}

/** Turn rows into sample and skip events, sorted by id (deterministic). */
export async function rowEvents(
  rows: readonly DatasetRow[],
  fields: RowFields,
  src: RowSource,
): Promise<DatasetEvent[]> {
  const events: DatasetEvent[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const where = `${src.file}:${row.line}`;
    const lineId = `line-${String(row.line).padStart(6, '0')}`;
    if (row.error) {
      events.push(skip(lineId, where, row.error.code, row.error.reason));
      continue;
    }
    const rec = row.record;
    if (!isRecord(rec)) {
      events.push(skip(lineId, where, 'E_LABEL_NOT_OBJECT', 'the line is not a JSON object'));
      continue;
    }
    const raw = rec[fields.video];
    if (typeof raw !== 'string' || raw.trim() === '') {
      events.push(skip(lineId, where, 'E_VIDEO_PATH_INVALID', `"${fields.video}" must be a non-empty string`));
      continue;
    }
    const id = ownId(rec) ?? fields.idOf(raw.trim());
    const path = resolveVideoPath(raw, src.dir, src);
    if (!path.ok) {
      events.push(skip(id, where, path.code, path.reason));
      continue;
    }
    const captionField = fields.caption.find((f) => rec[f] !== undefined) ?? fields.caption[0]!;
    const cap = checkCaption(rec[captionField], captionField);
    if (!cap.ok) {
      events.push(skip(id, where, cap.code, cap.reason));
      continue;
    }
    if (seen.has(id)) {
      events.push(skip(id, where, 'E_DUPLICATE_ID', `id "${id}" appears on an earlier line`));
      continue;
    }
    const bad = await checkVideoFile(id, path.path);
    if (bad) {
      events.push(bad);
      continue;
    }
    seen.add(id);
    events.push({ type: 'sample', id, video: path.path, caption: cap.caption, record: rec });
  }
  return events.sort(compareEvents);
}

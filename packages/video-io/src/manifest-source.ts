/**
 * A JSONL manifest as a cold Observable of dataset events: one `{"video", "caption", "id"?}`
 * per line, the video path relative to the manifest's folder or absolute. Blank lines are
 * ignored; every other unusable line becomes a typed skip event (its file is `manifest:line`).
 */
import { basename, dirname, extname, isAbsolute, parse, resolve } from 'node:path';
import type { Observable } from 'rxjs';
import { defer, from, mergeMap } from 'rxjs';
import { type DatasetEvent, compareEvents, skip } from './dataset-events.js';
import { checkCaption, isRecord } from './caption-of.js';
import { probeSamples } from './operators/probe-samples.js';
import { readLabelText } from './read-label.js';
import { jsonSyntaxReason } from './json-syntax-reason.js';
import { checkVideoFile } from './check-video-file.js';
import { DatasetError } from './errors.js';

/** Options of {@link manifestSource}. */
export interface ManifestSourceOptions {
  /** The `.jsonl` file. */
  readonly manifest: string;
  /** Probe every video and skip undecodable ones (default false). */
  readonly probe?: boolean;
  /** ffprobe processes at once when probing (default 2). */
  readonly probeConcurrency?: number;
}

function idOf(rec: Record<string, unknown>, video: string): string {
  if (typeof rec.id === 'string' && rec.id.trim() !== '') return rec.id.trim();
  if (typeof rec.id === 'number' && Number.isFinite(rec.id)) return String(rec.id);
  return basename(video, extname(video));
}

async function readManifest(manifest: string): Promise<DatasetEvent[]> {
  // The same defensive read as a label (regular UTF-8 file, never a FIFO), from wherever the user points.
  const read = await readLabelText(manifest, [parse(manifest).root]);
  if (!read.ok) {
    throw new DatasetError(
      'E_MANIFEST_UNREADABLE',
      `cannot read manifest: ${read.reason.replace(/^label /, 'the manifest ')}`,
      { file: manifest, reason: read.code },
      'pass the path of a UTF-8 .jsonl file with one {"video", "caption"} object per line',
    );
  }
  const text = read.text;
  const dir = dirname(manifest);
  const events: DatasetEvent[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `${manifest}:${i + 1}`;
    const lineId = `line-${String(i + 1).padStart(6, '0')}`;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (err) {
      events.push(skip(lineId, where, 'E_LABEL_INVALID_JSON', jsonSyntaxReason(err, line)));
      continue;
    }
    if (!isRecord(rec)) {
      events.push(skip(lineId, where, 'E_LABEL_NOT_OBJECT', 'manifest line is not a JSON object'));
      continue;
    }
    if (typeof rec.video !== 'string' || rec.video.trim() === '') {
      events.push(skip(lineId, where, 'E_VIDEO_PATH_INVALID', '"video" must be a non-empty string'));
      continue;
    }
    const video = isAbsolute(rec.video) ? rec.video : resolve(dir, rec.video);
    const id = idOf(rec, video);
    const cap = checkCaption(rec.caption, 'caption');
    if (!cap.ok) {
      events.push(skip(id, where, cap.code, cap.reason));
      continue;
    }
    if (seen.has(id)) {
      events.push(skip(id, where, 'E_DUPLICATE_ID', `id "${id}" appears on an earlier line`));
      continue;
    }
    const bad = await checkVideoFile(id, video);
    if (bad) {
      events.push(bad);
      continue;
    }
    seen.add(id);
    events.push({ type: 'sample', id, video, caption: cap.caption, record: rec });
  }
  return events.sort(compareEvents);
}

/** Read a JSONL manifest (cold: nothing is read until subscribed). */
export function manifestSource(options: ManifestSourceOptions): Observable<DatasetEvent> {
  const manifest = resolve(options.manifest);
  const events = defer(() => readManifest(manifest)).pipe(mergeMap((list) => from(list)));
  return options.probe ? events.pipe(probeSamples({ concurrency: options.probeConcurrency ?? 2 })) : events;
}

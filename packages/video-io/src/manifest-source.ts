/**
 * A JSONL manifest as a cold Observable of dataset events: one `{"video", "caption", "id"?}` per
 * line, the video path relative to the manifest's folder (absolute paths only with
 * `allowAbsolute`; see video-path.ts for the rules). Blank lines are ignored; every other
 * unusable line becomes a typed skip event (its file is `manifest:line`).
 */
import { basename, dirname, extname, resolve } from 'node:path';
import type { Observable } from 'rxjs';
import { defer, from, mergeMap } from 'rxjs';
import type { DatasetEvent } from './dataset-events.js';
import { probeSamples } from './operators/probe-samples.js';
import { jsonlRows, readDatasetText } from './dataset-rows.js';
import { rowEvents } from './row-events.js';

/** Options of {@link manifestSource}. */
export interface ManifestSourceOptions {
  /** The `.jsonl` file. */
  readonly manifest: string;
  /** Accept absolute video paths (default false: videos must lie in the manifest's folder). */
  readonly allowAbsolute?: boolean;
  /** Probe every video and skip undecodable ones (default false). */
  readonly probe?: boolean;
  /** ffprobe processes at once when probing (default 2). */
  readonly probeConcurrency?: number;
}

/** The manifest's fields: `video`, `caption`, and an id from the video's file stem when the line has none. */
export const MANIFEST_FIELDS = {
  video: 'video',
  caption: ['caption'],
  idOf: (video: string) => basename(video, extname(video)),
} as const;

async function readManifest(manifest: string, allowAbsolute: boolean): Promise<DatasetEvent[]> {
  const hint = 'pass the path of a UTF-8 .jsonl file with one {"video", "caption"} object per line';
  const text = await readDatasetText(manifest, 'E_MANIFEST_UNREADABLE', hint);
  return rowEvents(jsonlRows(text), MANIFEST_FIELDS, { file: manifest, dir: dirname(manifest), allowAbsolute });
}

/** Read a JSONL manifest (cold: nothing is read until subscribed). */
export function manifestSource(options: ManifestSourceOptions): Observable<DatasetEvent> {
  const manifest = resolve(options.manifest);
  const events = defer(() => readManifest(manifest, options.allowAbsolute ?? false)).pipe(
    mergeMap((list) => from(list)),
  );
  return options.probe ? events.pipe(probeSamples({ concurrency: options.probeConcurrency ?? 2 })) : events;
}

/**
 * The AIHub layout as a cold Observable of dataset events:
 * `<root>/<split>/labels/<stem>.json` with `annotation.description_kr`, and the video at
 * `<root>/<split>/videos/<stem>.mp4`. Every unusable sample becomes a typed skip event; events
 * arrive sorted by id. Labels are read defensively (read-label.ts: regular UTF-8 files inside the
 * dataset only; reasons never quote their content). With `probe: true` each video is probed
 * (bounded concurrency) and undecodable ones are skipped too.
 */
import { access, readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Observable } from 'rxjs';
import { defer, from, mergeMap } from 'rxjs';
import { type DatasetEvent, compareEvents, skip } from './dataset-events.js';
import { checkCaption, isRecord } from './caption-of.js';
import { probeSamples } from './operators/probe-samples.js';
import { readLabelText } from './read-label.js';
import { jsonSyntaxReason } from './json-syntax-reason.js';
import { checkVideoFile } from './check-video-file.js';
import { fileKind } from './file-kind.js';
import { DatasetError, InvalidArgumentError } from './errors.js';

/** Options of {@link aihubSource}. */
export interface AihubSourceOptions {
  /** Dataset root (holds one folder per split). */
  readonly root: string;
  /** Split folder name, e.g. `train`, `val`. */
  readonly split: string;
  /** Probe every video and skip undecodable ones (default false). */
  readonly probe?: boolean;
  /** ffprobe processes at once when probing (default 2). */
  readonly probeConcurrency?: number;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function readSplit(root: string, labelsDir: string, videosDir: string): Promise<DatasetEvent[]> {
  // Every *.json entry, whatever it is: a FIFO or a directory named like a label is reported, not ignored.
  const names = (await readdir(labelsDir, { withFileTypes: true }))
    .filter((d) => d.name.toLowerCase().endsWith('.json'))
    .map((d) => d.name);
  // Symlinks may point anywhere inside the dataset (or inside a symlinked labels folder), never out of it.
  const allowed = await Promise.all([realpath(root), realpath(labelsDir)]);
  const events: DatasetEvent[] = [];
  for (const name of names) {
    const id = name.slice(0, -'.json'.length);
    const labelFile = join(labelsDir, name);
    const label = await readLabelText(labelFile, allowed);
    if (!label.ok) {
      events.push(skip(id, labelFile, label.code, label.reason));
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(label.text);
    } catch (err) {
      events.push(skip(id, labelFile, 'E_LABEL_INVALID_JSON', jsonSyntaxReason(err, label.text)));
      continue;
    }
    if (!isRecord(json)) {
      events.push(
        skip(
          id,
          labelFile,
          'E_LABEL_NOT_OBJECT',
          `label JSON is ${Array.isArray(json) ? 'an array' : json === null ? 'null' : `a ${typeof json}`}, not an object`,
        ),
      );
      continue;
    }
    const annotation = json.annotation;
    const cap = checkCaption(isRecord(annotation) ? annotation.description_kr : undefined, 'annotation.description_kr');
    if (!cap.ok) {
      events.push(skip(id, labelFile, cap.code, cap.reason));
      continue;
    }
    const video = join(videosDir, `${id}.mp4`);
    const bad = await checkVideoFile(id, video);
    if (bad) {
      events.push(bad);
      continue;
    }
    events.push({ type: 'sample', id, video, caption: cap.caption, labelFile, record: json });
  }
  return events.sort(compareEvents);
}

/** Read one split of an AIHub-layout dataset (cold: nothing is read until subscribed). */
export function aihubSource(options: AihubSourceOptions): Observable<DatasetEvent> {
  if (!options.root || !options.split)
    throw new InvalidArgumentError('aihubSource needs a root and a split', {
      root: options.root,
      split: options.split,
    });
  const root = resolve(options.root);
  const splitDir = join(root, options.split);
  const labelsDir = join(splitDir, 'labels');
  const videosDir = join(splitDir, 'videos');
  const events = defer(async () => {
    if (!(await exists(labelsDir))) {
      const present = await readdir(root).catch(() => undefined);
      throw new DatasetError(
        'E_SPLIT_MISSING',
        `split "${options.split}" not found (no ${labelsDir})`,
        {
          root,
          split: options.split,
          labelsDir,
          ...(present
            ? { foldersInRoot: present.join(', ') || '(none)' }
            : { reason: 'the root folder does not exist' }),
        },
        present
          ? 'pass --split with one of the folders in the root; each needs labels/*.json and videos/<stem>.mp4'
          : 'check --data: it should point at the dataset root (the folder that holds train/, val/, ...)',
      );
    }
    const st = await stat(labelsDir);
    if (!st.isDirectory())
      throw new DatasetError(
        'E_SPLIT_MISSING',
        `split "${options.split}" has no labels folder: ${labelsDir} is ${fileKind(st)}`,
        { root, split: options.split, labelsDir },
        'each split folder needs labels/*.json and videos/<stem>.mp4',
      );
    return readSplit(root, labelsDir, videosDir);
  }).pipe(mergeMap((list) => from(list)));
  return options.probe ? events.pipe(probeSamples({ concurrency: options.probeConcurrency ?? 2 })) : events;
}

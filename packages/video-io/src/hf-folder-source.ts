/**
 * A Hugging Face `datasets` folder (the `videofolder`/`imagefolder` convention) as a cold Observable
 * of dataset events: a `metadata.jsonl` or `metadata.csv` beside the videos, with a `file_name`
 * column (the video, relative to the metadata file's folder), a `caption` (or `text`) column and
 * optionally `id`. Splits, as `datasets` reads them: a folder per split (`<root>/<split>/metadata.*`),
 * or one metadata file at the root whose optional `split` column names each row's split (rows
 * without one are `train`, as `datasets` puts a folder without splits in `train`).
 */
import { stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import type { Observable } from 'rxjs';
import { defer, from, mergeMap } from 'rxjs';
import type { DatasetEvent } from './dataset-events.js';
import { isRecord } from './caption-of.js';
import { csvRows, jsonlRows, readDatasetText } from './dataset-rows.js';
import { DatasetError } from './errors.js';
import { probeSamples } from './operators/probe-samples.js';
import { type DatasetRow, rowEvents } from './row-events.js';

/** Options of {@link hfFolderSource}. */
export interface HfFolderSourceOptions {
  /** The dataset folder. */
  readonly root: string;
  /** Split name (default `train`). */
  readonly split?: string;
  /** Accept absolute `file_name`s (default false: videos must lie in the metadata file's folder). */
  readonly allowAbsolute?: boolean;
  /** Probe every video and skip undecodable ones (default false). */
  readonly probe?: boolean;
  /** ffprobe processes at once when probing (default 2). */
  readonly probeConcurrency?: number;
}

/** Metadata file names, in the order they are looked for. */
export const METADATA_FILES = ['metadata.jsonl', 'metadata.csv'] as const;

/** Rows without a `split` belong to this split. */
const DEFAULT_SPLIT = 'train';

const HF_FIELDS = {
  video: 'file_name',
  caption: ['caption', 'text'],
  // `a/clip.mp4` and `b/clip.mp4` are two samples: the id keeps the folder.
  idOf: (fileName: string) => fileName.slice(0, fileName.length - extname(fileName).length),
} as const;

/** The split a row belongs to. */
function splitOf(row: DatasetRow): string | undefined {
  if (!isRecord(row.record)) return undefined; // unreadable rows are reported in every split
  const s = row.record.split;
  return typeof s === 'string' && s.trim() !== '' ? s.trim() : DEFAULT_SPLIT;
}

/** The rows of one metadata file. */
export async function metadataRows(file: string): Promise<DatasetRow[]> {
  const hint = 'metadata.jsonl: one {"file_name", "caption"} object per line; metadata.csv: a file_name,caption header';
  const text = await readDatasetText(file, 'E_METADATA_INVALID', hint);
  return file.endsWith('.csv') ? csvRows(text, file, ['file_name']) : jsonlRows(text);
}

/** Whether `path` is a regular file (symlinks followed). */
async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (st) => st.isFile(),
    () => false,
  );
}

/** The metadata file in `dir`, if any; both a .jsonl and a .csv there is an error (which one is meant?). */
export async function metadataIn(dir: string): Promise<string | undefined> {
  const found = [];
  for (const name of METADATA_FILES) if (await isFile(join(dir, name))) found.push(join(dir, name));
  if (found.length > 1)
    throw new DatasetError(
      'E_DATASET_LAYOUT',
      `${dir} has both metadata.jsonl and metadata.csv`,
      { file: dir, reason: 'two metadata files' },
      'keep one of them',
    );
  return found[0];
}

/**
 * The metadata file that holds `split`: the split folder's own (`perSplit`: every row belongs), else
 * the root's (rows are picked by their `split` column); undefined when there is neither.
 */
export async function findHfMetadata(
  root: string,
  split: string,
): Promise<{ readonly file: string; readonly perSplit: boolean } | undefined> {
  const own = await metadataIn(join(root, split));
  if (own) return { file: own, perSplit: true };
  const shared = await metadataIn(root);
  return shared ? { file: shared, perSplit: false } : undefined;
}

/** Read one split of a Hugging Face folder (cold: nothing is read until subscribed). */
export function hfFolderSource(options: HfFolderSourceOptions): Observable<DatasetEvent> {
  const split = options.split ?? DEFAULT_SPLIT;
  const root = resolve(options.root);
  const events = defer(async () => {
    const found = await findHfMetadata(root, split);
    if (!found)
      throw new DatasetError(
        'E_SPLIT_MISSING',
        `split "${split}" not found: no metadata.jsonl or metadata.csv in ${join(root, split)} or ${root}`,
        { root, split },
        'put the metadata file at the root (with a "split" column) or in <root>/<split>/',
      );
    const { file, perSplit } = found;
    let rows = await metadataRows(file);
    if (!perSplit) {
      const splits = new Set(rows.map(splitOf).filter((s): s is string => s !== undefined));
      if (!splits.has(split))
        throw new DatasetError(
          'E_SPLIT_MISSING',
          `split "${split}" not found in ${file}`,
          { root, split, splitsInFile: [...splits].sort().join(', ') || '(none)' },
          `give rows a "split" column (rows without one are "${DEFAULT_SPLIT}"), ` +
            'or put each split in its own folder: <root>/<split>/metadata.jsonl',
        );
      rows = rows.filter((r) => splitOf(r) === split || splitOf(r) === undefined);
    }
    return rowEvents(rows, HF_FIELDS, { file, dir: dirname(file), allowAbsolute: options.allowAbsolute ?? false });
  }).pipe(mergeMap((list) => from(list)));
  return options.probe ? events.pipe(probeSamples({ concurrency: options.probeConcurrency ?? 2 })) : events;
}

/**
 * `datasetSource`: one entry for every dataset layout kvc reads, detected from the path.
 * - AIHub folder: `<root>/<split>/labels/<stem>.json` + `<root>/<split>/videos/<stem>.mp4`.
 * - JSONL manifests: `<split>.jsonl` files (`{"video", "caption", "id"?}` per line); the path is a
 *   manifest (it is the split named after it, its siblings are the other splits) or their folder.
 * - Hugging Face folder: `metadata.jsonl` / `metadata.csv` with a `file_name` column, at the root
 *   (a `split` column picks rows) or in `<root>/<split>/`.
 * A folder is tried in that order (a split folder with labels/ wins over metadata files, which win
 * over manifests). A path that matches none is an `E_DATASET_LAYOUT` error naming the path, why, and
 * the three layouts.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { type Observable, defer, switchMap } from 'rxjs';
import { aihubSource } from './aihub-source.js';
import type { DatasetEvent } from './dataset-events.js';
import { DatasetError } from './errors.js';
import { METADATA_FILES, findHfMetadata, hfFolderSource, metadataIn } from './hf-folder-source.js';
import { manifestSource } from './manifest-source.js';

/** The layouts {@link datasetSource} reads. */
export type DatasetLayout = 'aihub' | 'manifest' | 'hf';

/** Where one split of a dataset is read from. */
export interface ResolvedDataset {
  readonly layout: DatasetLayout;
  /** The dataset folder (a manifest's folder). */
  readonly root: string;
  readonly split: string;
  /** What the split is read from: the AIHub split folder, the manifest, or the metadata file (if found). */
  readonly source: string;
}

/** Options of {@link datasetSource}. */
export interface DatasetSourceOptions {
  /** A dataset folder or a manifest file. */
  readonly path: string;
  /** Split name. Default: `train`, or for a manifest file the manifest itself. */
  readonly split?: string;
  /** Accept absolute video paths in manifests and metadata files (default false). */
  readonly allowAbsolute?: boolean;
  /** Probe every video and skip undecodable ones (default false). */
  readonly probe?: boolean;
  /** ffprobe processes at once when probing (default 2). */
  readonly probeConcurrency?: number;
}

/** The three layouts, for hints. */
export const LAYOUT_HINT =
  'kvc reads three layouts: an AIHub folder (<root>/<split>/labels/*.json + <root>/<split>/videos/*.mp4), ' +
  'JSONL manifests (<split>.jsonl, one {"video","caption"} per line; pass the file or its folder), or a ' +
  'Hugging Face folder (metadata.jsonl or metadata.csv with file_name and caption columns)';

const kindOf = (p: string) =>
  stat(p).then(
    (s) => (s.isDirectory() ? 'dir' : 'other'),
    () => undefined,
  );
const isDir = async (p: string) => (await kindOf(p)) === 'dir';
const isJsonl = (name: string) => extname(name).toLowerCase() === '.jsonl' && !METADATA_FILES.some((m) => m === name);

function layoutError(path: string, reason: string): DatasetError {
  return new DatasetError(
    'E_DATASET_LAYOUT',
    `${path} is not a dataset kvc can read: ${reason}`,
    { file: path, reason },
    LAYOUT_HINT,
  );
}

/** Detect the layout of `path` and where `split` of it is read from (reads folder listings only). */
export async function resolveDataset(path: string, split?: string): Promise<ResolvedDataset> {
  const abs = resolve(path);
  const st = await stat(abs).catch((err: NodeJS.ErrnoException) => err);
  if (st instanceof Error)
    throw new DatasetError(
      'E_DATASET_NOT_FOUND',
      `no dataset at ${abs}`,
      { file: abs, reason: st.code ?? st.message },
      LAYOUT_HINT,
    );
  if (st.isFile()) {
    const name = basename(abs);
    if (METADATA_FILES.some((m) => m === name)) return resolveDataset(dirname(abs), split);
    if (!isJsonl(name)) throw layoutError(abs, 'a file that is neither a .jsonl manifest nor a metadata file');
    const stem = basename(name, extname(name));
    const source = split === undefined || split === stem ? abs : join(dirname(abs), `${split}.jsonl`);
    return manifestSplit(dirname(abs), split ?? stem, source);
  }
  if (!st.isDirectory()) throw layoutError(abs, 'neither a folder nor a file');
  const s = split ?? 'train';
  const entries = await readdir(abs, { withFileTypes: true });
  const dirs = entries.filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => e.name);
  for (const d of dirs) {
    if (await isDir(join(abs, d, 'labels'))) return { layout: 'aihub', root: abs, split: s, source: join(abs, s) };
  }
  const hf = (await metadataIn(abs)) ?? (await firstMetadata(abs, dirs));
  if (hf) {
    const found = await findHfMetadata(abs, s);
    return { layout: 'hf', root: abs, split: s, source: found?.file ?? hf };
  }
  if (entries.some((e) => isJsonl(e.name))) return manifestSplit(abs, s, join(abs, `${s}.jsonl`));
  const seen = entries
    .map((e) => e.name)
    .slice(0, 8)
    .join(', ');
  if (dirs.includes('labels') && (await isDir(join(abs, 'labels'))))
    throw layoutError(abs, `it is one split of an AIHub folder (it holds labels/): pass ${dirname(abs)}`);
  throw layoutError(
    abs,
    `no split folder with labels/, no metadata file, no .jsonl manifest (found: ${seen || 'nothing'})`,
  );
}

/** The manifest layout's answer, when the split's manifest exists. */
async function manifestSplit(root: string, split: string, source: string): Promise<ResolvedDataset> {
  if (await kindOf(source)) return { layout: 'manifest', root, split, source };
  const manifests = (await readdir(root)).filter(isJsonl).sort();
  throw new DatasetError(
    'E_SPLIT_MISSING',
    `split "${split}" not found (no ${source})`,
    { root, split, manifests: manifests.join(', ') || '(none)' },
    'a manifest is one split, named after it (train.jsonl, val.jsonl): pass --split with one of them',
  );
}

async function firstMetadata(root: string, dirs: readonly string[]): Promise<string | undefined> {
  for (const d of dirs) {
    const m = await metadataIn(join(root, d));
    if (m) return m;
  }
  return undefined;
}

/** Read one split of the dataset at `options.path`, whatever its layout (cold: nothing is read until subscribed). */
export function datasetSource(options: DatasetSourceOptions): Observable<DatasetEvent> {
  const { probe, probeConcurrency, allowAbsolute } = options;
  const extra = { ...(probe !== undefined ? { probe } : {}), ...(probeConcurrency ? { probeConcurrency } : {}) };
  const paths = allowAbsolute !== undefined ? { allowAbsolute } : {};
  return defer(() => resolveDataset(options.path, options.split)).pipe(
    switchMap((d) => {
      if (d.layout === 'aihub') return aihubSource({ root: d.root, split: d.split, ...extra });
      if (d.layout === 'hf') return hfFolderSource({ root: d.root, split: d.split, ...paths, ...extra });
      return manifestSource({ manifest: d.source, ...paths, ...extra });
    }),
  );
}

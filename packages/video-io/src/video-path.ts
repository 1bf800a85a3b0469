/**
 * Where a video named by a manifest line or a metadata row may be: relative paths resolve inside
 * the dataset folder and nowhere else. A path with a `..` segment, an absolute path (unless the
 * caller allows them) and anything that ffmpeg would read as a protocol (`concat:`, `http:`,
 * `pipe:`, `file:`, ...) is refused with its own skip code, so a dataset file cannot make the
 * decoder read a file outside the dataset, a URL or a pipe. The check is lexical: a symlink inside
 * the dataset is followed (datasets often link their video folder from another disk).
 */
import { isAbsolute, resolve, sep } from 'node:path';
import type { SkipCode } from './dataset-events.js';

/** The absolute video path, or why it is refused. */
export type VideoPathCheck =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly code: SkipCode; readonly reason: string };

/** Options of {@link resolveVideoPath}. */
export interface VideoPathOptions {
  /** Accept absolute paths (anywhere on the machine). Default false. */
  readonly allowAbsolute?: boolean;
}

// ffmpeg (libavformat's url_find_protocol) reads `name:rest` as protocol `name` when `name` is made of URL
// scheme characters (concat, http, pipe, file, data, tcp, ...), and `subfile,options:rest` as the subfile protocol.
const PROTOCOL = /^([A-Za-z0-9+.-]+):/;
const SUBFILE = /^(subfile),[^]*:/;

/** Check `raw` (as written in the dataset file) and resolve it against `dir`, the dataset folder. Pure. */
export function resolveVideoPath(raw: string, dir: string, options: VideoPathOptions = {}): VideoPathCheck {
  const fail = (code: SkipCode, reason: string): VideoPathCheck => ({ ok: false, code, reason });
  const path = raw.trim();
  if (path === '') return fail('E_VIDEO_PATH_INVALID', 'the video path is empty');
  if (path.includes('\0')) return fail('E_VIDEO_PATH_INVALID', 'the video path contains a NUL character');
  const protocol = PROTOCOL.exec(path) ?? SUBFILE.exec(path);
  if (protocol)
    return fail(
      'E_VIDEO_PATH_PROTOCOL',
      `the video path starts with "${protocol[1]}:", which ffmpeg reads as a protocol, not a file: not used ` +
        '(a file whose name has a colon is written ./NAME)',
    );
  if (isAbsolute(path)) {
    if (options.allowAbsolute) return { ok: true, path: resolve(path) };
    return fail(
      'E_VIDEO_PATH_ABSOLUTE',
      `the video path is absolute (${path}): paths are relative to the dataset folder unless allowed`,
    );
  }
  if (path.split(/[\\/]/).includes('..'))
    return fail('E_VIDEO_PATH_OUTSIDE', `the video path has a ".." segment (${path}): it must stay inside the dataset`);
  const root = resolve(dir);
  const abs = resolve(root, path);
  // Unreachable after the checks above on POSIX; kept so the rule holds wherever `resolve` surprises.
  if (!abs.startsWith(root.endsWith(sep) ? root : root + sep))
    return fail('E_VIDEO_PATH_OUTSIDE', `the video path resolves outside the dataset folder: ${abs}`);
  return { ok: true, path: abs };
}

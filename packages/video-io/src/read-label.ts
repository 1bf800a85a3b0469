/**
 * Reading one label file defensively. A label must be a regular file whose real path (symlinks
 * resolved) lies inside the dataset, and valid UTF-8 (a fatal decoder: EUC-KR/CP949 labels would
 * otherwise turn into U+FFFD captions and be trained on). FIFOs, directories and devices are never
 * opened (a FIFO blocks the reader forever). Reasons name the file, never its content.
 */
import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { sep } from 'node:path';
import type { SkipCode } from './dataset-events.js';
import { fileKind } from './file-kind.js';

/** The label's text (BOM removed), or why it cannot be used. */
export type LabelText =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly code: SkipCode; readonly reason: string };

/** Labels are small JSON records: anything larger is not a label (and is not read into memory). */
export const MAX_LABEL_BYTES = 16 * 1024 * 1024;

const inside = (path: string, dir: string): boolean =>
  path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/**
 * Read `file` as UTF-8 text. `allowedDirs` are real paths (see `realpath`): the label's real path
 * must lie inside one of them.
 */
export async function readLabelText(file: string, allowedDirs: readonly string[]): Promise<LabelText> {
  const fail = (code: SkipCode, reason: string): LabelText => ({ ok: false, code, reason });
  const errText = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  let real: string;
  try {
    real = await realpath(file);
  } catch (err) {
    return fail('E_LABEL_UNREADABLE', `cannot read label (${errText(err)}; a dangling symlink?)`);
  }
  if (!allowedDirs.some((d) => inside(real, d)))
    return fail('E_LABEL_OUTSIDE_DATASET', `label is a symlink to ${real}, outside the dataset: not read`);
  const before = await stat(real).catch((err: unknown) => err as Error);
  if (before instanceof Error) return fail('E_LABEL_UNREADABLE', `cannot read label (${errText(before)})`);
  if (!before.isFile()) return fail('E_LABEL_NOT_FILE', `label is ${fileKind(before)}, not a regular file: not read`);
  let bytes: Buffer;
  try {
    // O_NONBLOCK: should the path have been swapped for a FIFO since the check, opening does not block.
    const fh = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    try {
      const st = await fh.stat();
      if (!st.isFile()) return fail('E_LABEL_NOT_FILE', `label is ${fileKind(st)}, not a regular file: not read`);
      if (st.size > MAX_LABEL_BYTES)
        return fail('E_LABEL_UNREADABLE', `label is ${st.size} bytes, more than a label may be (${MAX_LABEL_BYTES})`);
      bytes = await fh.readFile();
    } finally {
      await fh.close();
    }
  } catch (err) {
    return fail('E_LABEL_UNREADABLE', `cannot read label (${errText(err)})`);
  }
  const text = decodeUtf8(bytes);
  if (text === undefined) {
    const at = firstInvalidUtf8(bytes);
    const where = at < bytes.length ? `first bad byte at offset ${at}` : 'it ends inside a character';
    const fix = 're-save it as UTF-8 (EUC-KR/CP949 labels must be converted)';
    return fail('E_LABEL_NOT_UTF8', `label is not valid UTF-8 (${where}); ${fix}`);
  }
  return { ok: true, text };
}

/** Strict UTF-8 (a leading BOM removed), or undefined when `bytes` is not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Offset of the first byte that makes `bytes` invalid UTF-8 (bytes.length when it is valid). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  // A streaming decode accepts a prefix that ends inside a character, so "prefix ok" only ever turns false
  // once: binary search for the longest prefix that decodes.
  const ok = (n: number): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  if (decodeUtf8(bytes) !== undefined) return bytes.length;
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo; // bytes[lo] is the first byte the decoder rejects
}

/**
 * A video's identity for cache keys. By default path + size + mtime (free: one `stat`), which
 * notices edits and replacements; `content` mode hashes the file bytes (sha256), which survives
 * renames, moves and copies to another machine at the cost of reading the file once.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { FeatureCacheError } from './errors.js';

/** Identity of a video file: by file metadata, or by content. */
export type VideoIdentity =
  | { readonly kind: 'stat'; readonly path: string; readonly sizeBytes: number; readonly mtimeNs: string }
  | { readonly kind: 'content'; readonly sha256: string };

/** `stat` (default): absolute path + size + mtime in ns; `content`: sha256 of the bytes. */
export type IdentityMode = 'stat' | 'content';

/** Reads the identity of the video at `path`. Fails with `E_VIDEO_UNREADABLE` if it cannot be read. */
export async function videoIdentity(
  path: string,
  options: { readonly mode?: IdentityMode } = {},
): Promise<VideoIdentity> {
  const mode = options.mode ?? 'stat';
  const abs = resolve(path);
  try {
    if (mode === 'content') {
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(abs)) hash.update(chunk as Buffer);
      return { kind: 'content', sha256: hash.digest('hex') };
    }
    // bigint stat: mtime to the nanosecond, so two writes within one millisecond still differ.
    const s = await stat(abs, { bigint: true });
    return { kind: 'stat', path: abs, sizeBytes: Number(s.size), mtimeNs: s.mtimeNs.toString() };
  } catch (err) {
    throw new FeatureCacheError(
      'E_VIDEO_UNREADABLE',
      `cannot read video ${abs}`,
      { file: abs, mode, reason: (err as Error).message },
      undefined,
      { cause: err },
    );
  }
}

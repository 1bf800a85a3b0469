/**
 * The video check shared by the dataset sources: the path must name a regular file (symlinks are
 * followed). A FIFO or a directory is reported as what it is and never opened: ffmpeg would block
 * forever on a FIFO nobody writes to.
 */
import { stat } from 'node:fs/promises';
import { type SkipEvent, skip } from './dataset-events.js';
import { fileKind } from './file-kind.js';

/** A skip event when `video` is missing or not a regular file, else undefined. */
export async function checkVideoFile(id: string, video: string): Promise<SkipEvent | undefined> {
  const st = await stat(video).catch((err: NodeJS.ErrnoException) => err);
  if (st instanceof Error) {
    return st.code === 'ENOENT' || st.code === 'ENOTDIR'
      ? skip(id, video, 'E_VIDEO_MISSING', `video not found: ${video}`)
      : skip(id, video, 'E_VIDEO_MISSING', `cannot reach video (${st.code ?? st.message}): ${video}`);
  }
  if (!st.isFile())
    return skip(id, video, 'E_VIDEO_NOT_FILE', `video is ${fileKind(st)}, not a regular file: ${video}`);
  return undefined;
}

/** What a path is, in words, for skip reasons and errors ("a FIFO", "a directory", ...). */
import type { Stats } from 'node:fs';

/** `a regular file`, `a directory`, `a FIFO`, ... (for a message: "video is a FIFO, not a regular file"). */
export function fileKind(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

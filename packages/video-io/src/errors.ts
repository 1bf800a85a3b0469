/**
 * The package's errors. Each carries a stable `code` (the CLI prints `[code] message`), a frozen
 * `context` (file, reason, ffmpeg's stderr tail, ...), an optional `hint` saying what to do and an
 * optional `cause`.
 */
import { KvcError, wrapWriteError } from '@kvc/errors';

/** Base class of every error raised by `@kvc/video-io` (see {@link KvcError}). */
export class VideoIoError extends KvcError {}

/** No working ffmpeg/ffprobe binary was found (`E_FFMPEG_NOT_FOUND`). */
export class FfmpegNotFoundError extends VideoIoError {}

/** A dataset cannot be read at all (missing split folder, unreadable manifest, ...). */
export class DatasetError extends VideoIoError {}

/**
 * ffprobe failed or reported no video stream, or the path is not a file (`E_PROBE_FAILED`,
 * `E_NO_VIDEO_STREAM`, `E_NOT_A_FILE`).
 */
export class ProbeError extends VideoIoError {}

/** ffmpeg failed to decode, or the video gave no frame (`E_DECODE_FAILED`, `E_NO_FRAMES`). */
export class DecodeError extends VideoIoError {}

/** Encoding a video failed (`E_ENCODE_FAILED`). */
export class EncodeError extends VideoIoError {}

/** An argument at the package boundary is invalid (`E_INVALID_ARGUMENT`). */
export class InvalidArgumentError extends VideoIoError {
  constructor(message: string, context: Record<string, unknown> = {}, hint?: string) {
    super('E_INVALID_ARGUMENT', message, context, hint);
  }
}

/** Keep the end of ffmpeg's stderr: the useful line is almost always among the last ones. */
export function stderrTail(stderr: string | undefined, maxChars = 1500): string {
  if (!stderr) return '';
  const t = stderr.trim();
  return t.length > maxChars ? '…' + t.slice(-maxChars) : t;
}

/**
 * For `promise.catch(writeFailed(file))`: a storage error (disk full, quota, permission, read-only)
 * becomes `E_WRITE_FAILED` naming `file`; anything else is rethrown as it is.
 */
export function writeFailed(file: string): (err: unknown) => never {
  return (err) => {
    throw wrapWriteError(err, file, VideoIoError);
  };
}

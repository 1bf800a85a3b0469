/**
 * Frames for the SigLIP score by decoding the video (uniformly sampled, as the seed does) with
 * @kvc/video-io and running the SigLIP image processor on them. Videos are resolved against a
 * data folder by video-io's resolveVideoPath (kvc's predictions hold absolute paths, so those are
 * allowed; a `..` segment or anything ffmpeg would read as a protocol is refused: a predictions
 * file from elsewhere cannot make the decoder read a URL or a pipe); a record without a video, or a
 * video that cannot be decoded, is an error with the sample id and path in its context.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, type Observable } from 'rxjs';
import type { ImageProcessor } from '@kvc/models';
import { resolveVideoPath, sampleVideo, type SampledVideo } from '@kvc/video-io';
import { ModelMetricError } from '../stream/evaluation-errors.js';
import type { SiglipFrameSource } from './siglip-video-input.js';

/** Options of {@link decodedFrameSource}. */
export interface DecodedFrameSourceOptions {
  /** Folder that relative `video` paths are resolved against (default the working directory). */
  readonly dataDir?: string;
  /** Frames sampled uniformly per video (default 8, the seed's). */
  readonly numFrames?: number;
  /** Where a dataset keeps its videos below `dataDir`, tried in order (default `''`, `videos/`). */
  readonly subdirs?: readonly string[];
  /**
   * How a video's frames are sampled (default video-io's sampleVideo, in this thread). The CLI passes decode
   * workers whose frames arrive already resized and cropped by the same processor: preprocessing them again
   * gives the same pixel values bit for bit (the processor leaves its own output as it is).
   */
  readonly sample?: (file: string, numFrames: number) => Observable<SampledVideo>;
}

/** A frame source that decodes each record's video and preprocesses its frames with `processor`. */
export function decodedFrameSource(
  processor: ImageProcessor,
  options: DecodedFrameSourceOptions = {},
): SiglipFrameSource {
  const subdirs = options.subdirs ?? ['', 'videos'];
  return async (record) => {
    if (!record.video) {
      throw new ModelMetricError(
        'the SigLIP score needs the video of every caption',
        { id: record.id },
        'give each predictions line a "video" (a path, absolute or relative to --data)',
      );
    }
    const checks = subdirs.map((d) =>
      resolveVideoPath(record.video!, join(options.dataDir ?? '.', d), { allowAbsolute: true }),
    );
    const refused = checks.find((c) => !c.ok);
    if (refused && !refused.ok) {
      throw new ModelMetricError(
        `video path refused: ${refused.reason}`,
        { id: record.id, video: record.video, code: refused.code },
        'predictions name their videos by a path inside --data, or an absolute path',
      );
    }
    const candidates = [...new Set(checks.map((c) => (c.ok ? c.path : '')))];
    const file = candidates.find((f) => existsSync(f));
    if (!file) {
      throw new ModelMetricError(
        `video not found: ${record.video}`,
        { id: record.id, video: record.video, tried: candidates },
        "pass --data, the folder the predictions' video paths are relative to",
      );
    }
    try {
      const numFrames = options.numFrames ?? 8;
      const sampled = await lastValueFrom(
        options.sample ? options.sample(file, numFrames) : sampleVideo(file, { numFrames }),
      );
      const px = processor.preprocess(sampled.frames);
      return { pixels: { data: px.data, shape: px.shape } };
    } catch (err) {
      const e = err as { message?: string; code?: string };
      throw new ModelMetricError(
        `cannot read the frames of ${record.video}`,
        { id: record.id, video: file, reason: e?.message ?? String(err), ...(e?.code ? { cause: e.code } : {}) },
        'check that ffmpeg can decode the file',
      );
    }
  };
}

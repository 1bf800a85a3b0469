/**
 * Gallery thumbnails through @kvc/video-io: a few uniformly sampled frames of a video, decoded by
 * ffmpeg already shrunk (short side = `sizePx`, never enlarged), encoded as PNG data URIs so the report is one
 * self-contained file.
 */
import { firstValueFrom } from 'rxjs';
import { encodePng, probeVideo, sampleVideo } from '@kvc/video-io';

/** Options of a {@link ThumbnailProvider}. */
export interface ThumbnailOptions {
  /** Frames per video. */
  readonly frames: number;
  /** Short side of each thumbnail in pixels. */
  readonly sizePx: number;
}

/** Makes `frames` thumbnails of one video as `data:image/png;base64,...` URIs; rejects when it cannot. */
export type ThumbnailProvider = (videoPath: string, options: ThumbnailOptions) => Promise<readonly string[]>;

/** The default provider: ffmpeg decoding through @kvc/video-io, PNG encoding through pngjs. */
export const videoThumbnails: ThumbnailProvider = async (videoPath, { frames, sizePx }) => {
  const probe = await firstValueFrom(probeVideo(videoPath));
  // Never upscale: a 64 px video stays 64 px (the page scales it for display anyway).
  const size = Math.max(1, Math.min(sizePx, probe.width, probe.height));
  const sampled = await firstValueFrom(
    sampleVideo(videoPath, { numFrames: frames, probe, resize: { mode: 'shortest', size, centerCrop: false } }),
  );
  return sampled.frames.map((f) => `data:image/png;base64,${encodePng(f).toString('base64')}`);
};

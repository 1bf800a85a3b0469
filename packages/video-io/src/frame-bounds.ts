/**
 * How large a decoded frame may be. A frame's memory grows with the video's resolution (an 8000×8000
 * frame is 192 MB in RGB24), so ffmpeg scales frames down to a bound before they reach Node: the
 * short edge to at most `maxShortEdge` (default 2160: 4K UHD and everything smaller are decoded at
 * their own size, so their pixels stay exactly what an image processor would get from the full
 * frame) and the long edge to at most 4× that. Videos of absurd dimensions are refused outright.
 */

/** Default bound on the decoded short edge (4K UHD is 3840×2160: decoded as it is). */
export const DEFAULT_MAX_SHORT_EDGE = 2160;

/** The long edge may be at most this many times the short-edge bound (4:1 panoramas keep their size). */
export const LONG_EDGE_FACTOR = 4;

/** Larger than this on either side is no video kvc decodes (H.264/HEVC levels stop at 8192 or 16384). */
export const MAX_VIDEO_EDGE = 16384;

/** Flatter than this (long edge : short edge) is no video kvc decodes. */
export const MAX_ASPECT_RATIO = 32;

/** Why a video of `width`×`height` (as displayed) is refused, or undefined when it may be decoded. Pure. */
export function dimensionsProblem(width: number, height: number): string | undefined {
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  if (!(short >= 1)) return `the video is ${width}x${height}: not a frame size`;
  if (long > MAX_VIDEO_EDGE)
    return `the video is ${width}x${height}, larger than ${MAX_VIDEO_EDGE} pixels on a side: not decoded`;
  if (long / short > MAX_ASPECT_RATIO)
    return `the video is ${width}x${height}, flatter than ${MAX_ASPECT_RATIO}:1: not decoded`;
  return undefined;
}

/**
 * The size a `width`×`height` frame is decoded at under `maxShortEdge`: unchanged when it fits, else
 * scaled down (aspect kept, never up) so the short edge is at most the bound and the long edge at
 * most {@link LONG_EDGE_FACTOR} × the bound. Pure.
 */
export function boundedSize(width: number, height: number, maxShortEdge: number): { width: number; height: number } {
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const scale = Math.min(1, maxShortEdge / short, (LONG_EDGE_FACTOR * maxShortEdge) / long);
  if (scale === 1) return { width, height };
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

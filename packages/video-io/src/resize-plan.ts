/**
 * Where a decoded frame ends up: the display size, optionally resized inside ffmpeg, either
 * "shortest side to S, then center crop S×S" (what CLIP-style processors do) or an exact size.
 * Without a resize, frames larger than the decode bound (frame-bounds.ts) are scaled down to it.
 * All sizes are computed here so the raw byte stream can be cut into frames without guessing.
 */
import { InvalidArgumentError } from './errors.js';
import { boundedSize } from './frame-bounds.js';

/** A resize request. */
export type ResizeSpec =
  | { readonly mode: 'shortest'; readonly size: number; readonly centerCrop?: boolean }
  | { readonly mode: 'exact'; readonly width: number; readonly height: number };

/** The ffmpeg filters to apply and the size of the frames they produce. */
export interface ResizePlan {
  readonly filters: readonly string[];
  readonly width: number;
  readonly height: number;
}

function checkSize(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1 || v > 16384)
    throw new InvalidArgumentError(`${name} must be an integer in [1, 16384], got ${v}`, { [name]: v });
}

/**
 * Plan the resize of frames displayed at `width`×`height`. With no `spec`, frames are scaled down to
 * `maxShortEdge` when they exceed it (see `boundedSize`; default: no bound). Pure.
 */
export function planResize(
  width: number,
  height: number,
  spec: ResizeSpec | undefined,
  maxShortEdge?: number,
): ResizePlan {
  if (!spec) {
    if (maxShortEdge === undefined) return { filters: [], width, height };
    checkSize('maxShortEdge', maxShortEdge);
    const b = boundedSize(width, height, maxShortEdge);
    if (b.width === width && b.height === height) return { filters: [], width, height };
    return { filters: [`scale=${b.width}:${b.height}:flags=bicubic`], ...b };
  }
  if (spec.mode === 'exact') {
    checkSize('width', spec.width);
    checkSize('height', spec.height);
    return { filters: [`scale=${spec.width}:${spec.height}:flags=bicubic`], width: spec.width, height: spec.height };
  }
  checkSize('size', spec.size);
  const s = spec.size;
  // Same rounding as PIL-style processors: the short side becomes exactly s.
  const [w, h] =
    width <= height
      ? [s, Math.max(s, Math.round((height * s) / width))]
      : [Math.max(s, Math.round((width * s) / height)), s];
  const filters = [`scale=${w}:${h}:flags=bicubic`];
  if (spec.centerCrop === false) return { filters, width: w, height: h };
  const x = Math.floor((w - s) / 2);
  const y = Math.floor((h - s) / 2);
  if (w !== s || h !== s) filters.push(`crop=${s}:${s}:${x}:${y}`);
  return { filters, width: s, height: s };
}

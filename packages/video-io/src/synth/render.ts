/**
 * Rendering one synthetic clip in JS: a colored shape moving in a straight line over a solid
 * or patterned background. Pure (same inputs → same bytes), no ffmpeg involved.
 */
import type { RgbFrame } from '../rgb-frame.js';
import { DIRECTIONS, SHAPE_COLORS, type SynthAttributes } from './vocabulary.js';

/** Geometry of one clip (all in pixels). */
export interface ClipGeometry {
  readonly size: number;
  readonly frames: number;
  /** Where the shape's center sits across the motion (e.g. y for left/right). */
  readonly crossOffset: number;
}

const BG: Record<string, (x: number, y: number) => readonly [number, number, number]> = {
  black: () => [15, 15, 15],
  white: () => [240, 240, 240],
  gray: () => [128, 128, 128],
  striped: (x, y) => (Math.floor((x + y) / 6) % 2 === 0 ? [70, 70, 90] : [170, 170, 150]),
  checkered: (x, y) => ((Math.floor(x / 8) + Math.floor(y / 8)) % 2 === 0 ? [60, 60, 60] : [200, 200, 200]),
};

function inside(shape: SynthAttributes['shape'], dx: number, dy: number, r: number): boolean {
  if (shape === 'circle') return dx * dx + dy * dy <= r * r;
  if (shape === 'square') return Math.abs(dx) <= r * 0.85 && Math.abs(dy) <= r * 0.85;
  // triangle pointing up: apex at (0,-r), base from (-r, r) to (r, r)
  if (dy < -r || dy > r) return false;
  const half = ((dy + r) / (2 * r)) * r;
  return Math.abs(dx) <= half;
}

/** Render all frames of a clip. */
export function renderClip(attrs: SynthAttributes, geo: ClipGeometry): RgbFrame[] {
  const { size, frames } = geo;
  const r = Math.round(size * 0.16);
  const dir = DIRECTIONS[attrs.direction];
  const color = SHAPE_COLORS[attrs.color].rgb;
  const bg = BG[attrs.background]!;
  const from = r + 2;
  const to = size - r - 3;
  const out: RgbFrame[] = [];
  for (let f = 0; f < frames; f++) {
    const t = frames === 1 ? 0 : f / (frames - 1);
    const along = dir.dx + dir.dy > 0 ? from + (to - from) * t : to - (to - from) * t;
    const cx = dir.dx !== 0 ? along : geo.crossOffset;
    const cy = dir.dy !== 0 ? along : geo.crossOffset;
    const data = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const px = inside(attrs.shape, x + 0.5 - cx, y + 0.5 - cy, r) ? color : bg(x, y);
        const o = (y * size + x) * 3;
        data[o] = px[0];
        data[o + 1] = px[1];
        data[o + 2] = px[2];
      }
    }
    out.push({ width: size, height: size, data });
  }
  return out;
}

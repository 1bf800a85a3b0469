/**
 * How many videos to decode at once by default: one per core the machine gives this process (each
 * decode is mostly one core's work: its ffmpeg runs, and the frames' resize in its worker thread), at
 * most 32. A seed-like 720p clip costs ~2.5 s of CPU to decode and resize (bench/results/
 * 2026-11-28-cache-clip-h200.md) and CLIP ViT-L/14-336 encodes one in ~62 ms on an H200, so decoding
 * keeps up with the encoder only past ~40 cores; the bound keeps memory (a worker and a frame or two
 * a decode) in check on larger machines.
 */
import { availableParallelism } from 'node:os';

/** The most decodes the default ever asks for. */
export const MAX_DEFAULT_DECODES = 32;

/** Decodes at once by default: the cores available, within [1, {@link MAX_DEFAULT_DECODES}]. */
export function defaultDecodeConcurrency(): number {
  return Math.max(1, Math.min(availableParallelism(), MAX_DEFAULT_DECODES));
}

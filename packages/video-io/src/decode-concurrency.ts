/**
 * How many videos to decode at once by default: one ffmpeg process per core the machine gives this
 * process (each decode is mostly one core's work on short clips), at most 8 (past that, decoding
 * outruns any encoder and only costs memory).
 */
import { availableParallelism } from 'node:os';

/** The most decodes the default ever asks for. */
export const MAX_DEFAULT_DECODES = 8;

/** Decodes at once by default: the cores available, within [1, {@link MAX_DEFAULT_DECODES}]. */
export function defaultDecodeConcurrency(): number {
  return Math.max(1, Math.min(availableParallelism(), MAX_DEFAULT_DECODES));
}

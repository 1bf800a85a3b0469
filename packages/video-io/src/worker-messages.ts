/**
 * What the decode pool and its workers say to each other (decode-pool.ts, decode-worker.ts), and how an error
 * crosses the thread boundary: by class name, code, message, context and hint, rebuilt on the other side as the
 * same video-io error class, so `decodeSkip` tells the video's faults from the rest exactly as in one thread.
 */
import { KvcError } from '@kvc/errors';
import {
  DatasetError,
  DecodeError,
  EncodeError,
  FfmpegNotFoundError,
  InvalidArgumentError,
  ProbeError,
  VideoIoError,
} from './errors.js';
import type { FrameMapperSpec } from './frame-mapper.js';
import type { SampleOptions, SampledVideo } from './sample-video.js';

/** Sampling options that cross to a worker: everything but the `mapFrame` closure (the pool's mapper replaces it). */
export type WorkerSampleOptions = Omit<SampleOptions, 'mapFrame'>;

export type ToWorker =
  | { readonly type: 'init'; readonly mapper?: FrameMapperSpec }
  | { readonly type: 'sample'; readonly id: number; readonly file: string; readonly options: WorkerSampleOptions }
  | { readonly type: 'cancel'; readonly id: number };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'init-failed'; readonly error: SerializedError }
  | { readonly type: 'video'; readonly id: number; readonly video: SampledVideo }
  | { readonly type: 'error'; readonly id: number; readonly error: SerializedError };

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly context?: Record<string, unknown>;
  readonly hint?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof KvcError) {
    let context: Record<string, unknown> | undefined = { ...err.context };
    try {
      structuredClone(context);
    } catch {
      context = undefined; // something in it cannot cross threads: the message and code still do
    }
    return {
      name: err.name,
      message: err.message,
      code: err.code,
      ...(context ? { context } : {}),
      ...(err.hint ? { hint: err.hint } : {}),
    };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.name, message: e.message };
}

const CLASSES: Readonly<Record<string, typeof VideoIoError>> = {
  VideoIoError,
  FfmpegNotFoundError,
  DatasetError,
  ProbeError,
  DecodeError,
  EncodeError,
};

/** The error a worker reported, as its own class where video-io has it (its code otherwise kept on a VideoIoError). */
export function deserializeError(s: SerializedError): Error {
  if (s.name === 'InvalidArgumentError') return new InvalidArgumentError(s.message, s.context ?? {}, s.hint);
  if (s.code !== undefined) {
    const Cls = CLASSES[s.name] ?? VideoIoError;
    return new Cls(s.code, s.message, s.context ?? {}, s.hint);
  }
  const e = new Error(s.message);
  e.name = s.name;
  return e;
}

/** The distinct buffers of a sampled video's frames (a repeated frame shares its buffer): the transfer list. */
export function frameBuffers(video: SampledVideo): ArrayBuffer[] {
  return [...new Set(video.frames.map((f) => f.data.buffer as ArrayBuffer))];
}

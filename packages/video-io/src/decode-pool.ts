/**
 * Decoding in worker threads: `sampleVideo` (ffmpeg processes, their output cut into frames, each frame through
 * a frame mapper) run by a pool of workers (decode-worker.ts), one video a worker at a time. In one thread, the
 * thread that also feeds the GPU spent ~0.7 s of CPU a video on spawning ffmpeg, copying its output and resizing
 * 1280×720 frames to 336 pixels (bench/results/2026-11-28-cache-clip-h200.md): that alone held 16 cores to
 * ~1.4 videos/s. The results are the same, bit for bit: the same code runs, only elsewhere; errors come back as
 * their own video-io classes (worker-messages.ts).
 *
 * The mapper is the pool's, given as a module to import (frame-mapper.ts). `DecodePool.open` resolves to
 * undefined where the worker script is not beside this file (a bundle that left it out, or the sources run
 * through a TypeScript loader): callers then decode in their own thread, as before. A worker that dies fails
 * its video with `E_DECODE_WORKER` and is replaced.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Observable, map } from 'rxjs';
import { DecodeError, InvalidArgumentError } from './errors.js';
import type { FrameMapperSpec } from './frame-mapper.js';
import type { SampledVideo } from './sample-video.js';
import type { FramesEvent } from './decode-sample.js';
import type { SampleEvent } from './dataset-events.js';
import { deserializeError, type FromWorker, type ToWorker, type WorkerSampleOptions } from './worker-messages.js';

export interface DecodePoolOptions {
  /** Workers, each decoding one video at a time (e.g. the decode concurrency). */
  readonly size: number;
  /** What every worker applies to each frame as it arrives. */
  readonly mapper?: FrameMapperSpec;
  /** The worker script; default decode-worker.js (or .mjs, in a bundle) beside this module. */
  readonly workerUrl?: URL;
}

interface Job {
  readonly id: number;
  readonly file: string;
  readonly options: WorkerSampleOptions;
  readonly done: (r: { video: SampledVideo } | { error: Error }) => void;
  slot?: Slot;
}

interface Slot {
  worker: Worker;
  job?: Job;
}

/** The worker script beside this module: decode-worker.js from tsc, decode-worker.mjs beside a bundle. */
export function defaultDecodeWorkerUrl(): URL | undefined {
  for (const name of ['./decode-worker.js', './decode-worker.mjs']) {
    const url = new URL(name, import.meta.url);
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
}

export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  private constructor(
    private readonly url: URL,
    private readonly mapper: FrameMapperSpec | undefined,
  ) {}

  /**
   * Starts `size` workers and waits until each has loaded the mapper. Undefined when there is no worker script
   * (see the module comment); rejects when the mapper cannot be loaded (a broken spec is not a bad video).
   */
  static async open(options: DecodePoolOptions): Promise<DecodePool | undefined> {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new InvalidArgumentError('a decode pool needs at least one worker', { size: options.size });
    }
    const url = options.workerUrl ?? defaultDecodeWorkerUrl();
    if (!url) return undefined;
    const pool = new DecodePool(url, options.mapper);
    try {
      await Promise.all(Array.from({ length: options.size }, () => pool.start()));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** Workers in the pool. */
  get size(): number {
    return this.slots.length;
  }

  /** `sampleVideo(file, options)` in a worker, with the pool's mapper (cold; unsubscribing cancels it). */
  sample(file: string, options: WorkerSampleOptions = {}): Observable<SampledVideo> {
    return new Observable<SampledVideo>((subscriber) => {
      if (this.closed) {
        subscriber.error(new DecodeError('E_DECODE_POOL_CLOSED', 'the decode pool is closed', { file }));
        return;
      }
      const job: Job = {
        id: this.nextId++,
        file,
        options,
        done: (r) => {
          if ('error' in r) subscriber.error(r.error);
          else {
            subscriber.next(r.video);
            subscriber.complete();
          }
        },
      };
      this.queue.push(job);
      this.pump();
      return () => {
        const i = this.queue.indexOf(job);
        if (i >= 0) this.queue.splice(i, 1);
        else if (job.slot?.job === job) {
          job.slot.worker.postMessage({ type: 'cancel', id: job.id } satisfies ToWorker);
          job.slot.job = undefined;
          job.slot.worker.unref();
          this.pump();
        }
      };
    });
  }

  /** video-io's `decodeSample` in a worker: the sample's own probe is used when it has one. */
  decodeSample(
    sample: SampleEvent,
    options: Omit<WorkerSampleOptions, 'probe' | 'totalFrames'> = {},
  ): Observable<FramesEvent> {
    return this.sample(sample.video, { ...options, ...(sample.probe ? { probe: sample.probe } : {}) }).pipe(
      map((video): FramesEvent => ({ type: 'frames', sample, video })),
    );
  }

  /** Ends the workers; jobs still queued or running fail with E_DECODE_POOL_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closedError = (file: string) =>
      new DecodeError('E_DECODE_POOL_CLOSED', 'the decode pool was closed during the decode', { file });
    for (const job of this.queue.splice(0)) job.done({ error: closedError(job.file) });
    const slots = this.slots.splice(0);
    for (const s of slots) {
      const job = s.job;
      s.job = undefined;
      if (job) job.done({ error: closedError(job.file) });
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  /** One more worker, resolved once it has loaded the mapper. */
  private start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(this.url);
      const slot: Slot = { worker };
      let ready = false;
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          ready = true;
          worker.unref(); // an idle worker does not keep the process alive; a running job refs it (pump)
          this.slots.push(slot);
          resolve();
          this.pump();
        } else if (m.type === 'init-failed') {
          reject(deserializeError(m.error));
          void worker.terminate();
        } else {
          const job = slot.job;
          if (!job || job.id !== m.id) return; // a cancelled job's late answer
          slot.job = undefined;
          worker.unref();
          job.done(m.type === 'video' ? { video: m.video } : { error: deserializeError(m.error) });
          this.pump();
        }
      });
      const died = (reason: string) => {
        if (!ready)
          return reject(new DecodeError('E_DECODE_WORKER', `a decode worker failed to start: ${reason}`, { reason }));
        const i = this.slots.indexOf(slot);
        if (i < 0) return; // closed or already replaced
        this.slots.splice(i, 1);
        const job = slot.job;
        slot.job = undefined;
        job?.done({
          error: new DecodeError(
            'E_DECODE_WORKER',
            `the decode worker died while decoding: ${reason}`,
            { file: job.file, reason },
            'the video is skipped; if every video fails so, decode in the main thread (features.decodeIn=main)',
          ),
        });
        if (!this.closed) this.start().catch(() => undefined);
      };
      worker.on('error', (err) => died(err.message));
      worker.on('exit', (code) => died(`exit code ${code}`));
      worker.postMessage({ type: 'init', ...(this.mapper ? { mapper: this.mapper } : {}) } satisfies ToWorker);
    });
  }

  /** Gives queued jobs to idle workers. */
  private pump(): void {
    for (const slot of this.slots) {
      if (slot.job) continue;
      const job = this.queue.shift();
      if (!job) return;
      slot.job = job;
      job.slot = slot;
      slot.worker.ref();
      slot.worker.postMessage({ type: 'sample', id: job.id, file: job.file, options: job.options } satisfies ToWorker);
    }
  }
}

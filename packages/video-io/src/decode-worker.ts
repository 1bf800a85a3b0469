/**
 * The decode pool's worker thread (decode-pool.ts): samples a video's frames with `sampleVideo`, every frame
 * through the pool's frame mapper as it arrives, and sends the result back with its frame buffers transferred
 * (not copied). The ffmpeg processes, the cutting of their output into frames and the mapper's resize all run
 * here, off the caller's thread. A cancelled job unsubscribes, which kills its ffmpeg.
 */
import { parentPort } from 'node:worker_threads';
import type { Subscription } from 'rxjs';
import { loadFrameMapper, type FrameMapper } from './frame-mapper.js';
import { sampleVideo } from './sample-video.js';
import { frameBuffers, serializeError, type FromWorker, type ToWorker } from './worker-messages.js';

const port = parentPort;
if (!port) throw new Error('decode-worker.js runs as a worker thread (decode-pool.ts starts it)');
const send = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

let mapper: FrameMapper | undefined;
const running = new Map<number, Subscription>();

port.on('message', (m: ToWorker) => {
  if (m.type === 'init') {
    if (!m.mapper) return send({ type: 'ready' });
    loadFrameMapper(m.mapper).then(
      (f) => {
        mapper = f;
        send({ type: 'ready' });
      },
      (err: unknown) => send({ type: 'init-failed', error: serializeError(err) }),
    );
  } else if (m.type === 'sample') {
    const sub = sampleVideo(m.file, { ...m.options, ...(mapper ? { mapFrame: mapper } : {}) }).subscribe({
      next: (video) => {
        running.delete(m.id);
        send({ type: 'video', id: m.id, video }, frameBuffers(video));
      },
      error: (err: unknown) => {
        running.delete(m.id);
        send({ type: 'error', id: m.id, error: serializeError(err) });
      },
    });
    if (!sub.closed) running.set(m.id, sub);
  } else if (m.type === 'cancel') {
    running.get(m.id)?.unsubscribe();
    running.delete(m.id);
  }
});

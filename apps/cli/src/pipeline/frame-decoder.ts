/**
 * Where `kvc cache` (and the SigLIP score's frames: model-scorers.ts) decodes its videos (`features.decodeIn`): in worker threads by default (video-io's
 * DecodePool, one worker a decode slot, each frame resized and cropped by the image processor there), or in
 * the main thread. The frames are the same bit for bit either way; the workers keep ffmpeg's output, the
 * frames' copies and their resize off the thread that feeds the GPU, which in one thread capped 16 cores at
 * ~1.4 videos/s (bench/results/2026-11-28-cache-clip-h200.md). Where the worker scripts are not found (the
 * sources run by a TypeScript loader), decoding stays in the main thread and says so once.
 */
import type { Observable } from 'rxjs';
import type { ImageProcessor } from '@kvc/models';
import { DecodePool, decodeSample, sampleVideo } from '@kvc/video-io';
import type { FramesEvent, SampleEvent, SampledVideo } from '@kvc/video-io';
import type { Output } from '../output.js';
import { processorFrame, processorMapperSpec } from './processor-frame.js';

export interface FrameDecoder {
  /** The sample's uniformly sampled frames, each shrunk by the processor (cold; unsubscribing stops it). */
  decode(sample: SampleEvent, numFrames: number): Observable<FramesEvent>;
  /** A video file's uniformly sampled frames, each shrunk by the processor (cold). */
  sampleFile(file: string, numFrames: number): Observable<SampledVideo>;
  /** Where the decoding runs. */
  readonly where: 'workers' | 'main';
  close(): Promise<void>;
}

export async function openFrameDecoder(args: {
  readonly processor: ImageProcessor;
  readonly decodeIn: 'workers' | 'main';
  /** Decodes at once (the workers' count). */
  readonly slots: number;
  readonly out: Output;
}): Promise<FrameDecoder> {
  const { processor, decodeIn, slots, out } = args;
  if (decodeIn === 'workers') {
    const mapper = processorMapperSpec(processor);
    const pool = mapper ? await DecodePool.open({ size: slots, mapper }) : undefined;
    if (pool) {
      return {
        where: 'workers',
        decode: (sample, numFrames) => pool.decodeSample(sample, { numFrames }),
        sampleFile: (file, numFrames) => pool.sample(file, { numFrames }),
        close: () => pool.close(),
      };
    }
    warnOnce(out, 'decoding in the main thread: the decode worker scripts are not beside this build of kvc');
  }
  const mapFrame = processorFrame(processor);
  return {
    where: 'main',
    decode: (sample, numFrames) => decodeSample(sample, { numFrames, mapFrame }),
    sampleFile: (file, numFrames) => sampleVideo(file, { numFrames, mapFrame }),
    close: async () => undefined,
  };
}

let warned = false;
function warnOnce(out: Output, text: string): void {
  if (warned) return;
  warned = true;
  out.warn(text);
}

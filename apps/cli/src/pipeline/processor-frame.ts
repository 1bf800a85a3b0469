/**
 * A decoded frame shrunk to what the vision encoder's image processor keeps of it (its resize and
 * center crop), applied by the decoder as each frame arrives (video-io's `mapFrame`): a video's
 * full-size frames never pile up while it waits for its batch, whatever the video's resolution.
 * Exact: the processor's resize and crop leave an already processed frame as it is, so the
 * features are bit-identical to processing the full frames at encode time (processor-frame.test.ts).
 * Decode workers (video-io's DecodePool) rebuild the same mapper from `processorMapperSpec`: this module,
 * imported in the worker, and the processor's config.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ImageProcessor } from '@kvc/models';
import type { ImageProcessorConfig, ProcessorFlavor } from '@kvc/models';
import type { FrameMapperSpec, RgbFrame } from '@kvc/video-io';

/** `frame` resized and cropped as `processor` would before rescaling and normalizing. */
export function processorFrame(processor: ImageProcessor): (frame: RgbFrame) => RgbFrame {
  return (frame) => {
    const img = processor.resizeAndCrop(frame);
    return { width: img.width, height: img.height, data: img.data };
  };
}

/** What a decode worker calls (by name, through the spec below) to make processorFrame of the same processor. */
export function processorFrameMapper(args: {
  readonly config: ImageProcessorConfig;
  readonly flavor: ProcessorFlavor;
}): (frame: RgbFrame) => RgbFrame {
  return processorFrame(new ImageProcessor(args.config, args.flavor));
}

/**
 * processorFrame of `processor` as a spec a worker thread can load: this module's file (processor-frame.js from
 * tsc, or processor-frame.mjs beside a bundle of the CLI), or undefined when neither is there (the sources run by
 * a TypeScript loader): the caller then maps frames in its own thread.
 */
export function processorMapperSpec(processor: ImageProcessor): FrameMapperSpec | undefined {
  for (const name of ['./processor-frame.js', './processor-frame.mjs']) {
    const url = new URL(name, import.meta.url);
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) {
      return {
        module: url.href,
        name: 'processorFrameMapper',
        args: { config: processor.config, flavor: processor.flavor },
      };
    }
  }
  return undefined;
}

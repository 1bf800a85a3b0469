/**
 * A decoded frame shrunk to what the vision encoder's image processor keeps of it (its resize and
 * center crop), applied by the decoder as each frame arrives (video-io's `mapFrame`): a video's
 * full-size frames never pile up while it waits for its batch, whatever the video's resolution.
 * Exact: the processor's resize and crop leave an already processed frame as it is, so the
 * features are bit-identical to processing the full frames at encode time (processor-frame.test.ts).
 */
import type { ImageProcessor } from '@kvc/models';
import type { RgbFrame } from '@kvc/video-io';

/** `frame` resized and cropped as `processor` would before rescaling and normalizing. */
export function processorFrame(processor: ImageProcessor): (frame: RgbFrame) => RgbFrame {
  return (frame) => {
    const img = processor.resizeAndCrop(frame);
    return { width: img.width, height: img.height, data: img.data };
  };
}

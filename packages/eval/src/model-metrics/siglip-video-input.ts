/**
 * What the SigLIP scorer needs per video: either its frames as pixel values (the SigLIP image
 * processor's output, NCHW) or image embeddings cached earlier (the vision tower's pooled
 * output, one row a frame), and the function that provides them for a caption's record.
 */
import type { CaptionRecord } from '../predictions/caption-record.js';

/** Frames of one video, as processed pixels or as cached SigLIP image embeddings. */
export type SiglipVideoInput =
  | { readonly pixels: { readonly data: Float32Array; readonly shape: readonly [number, number, number, number] } }
  | { readonly imageEmbeds: { readonly data: Float32Array; readonly shape: readonly [number, number] } };

/** Gives the frames of the video a caption describes (its `video` field). */
export type SiglipFrameSource = (record: CaptionRecord) => Promise<SiglipVideoInput>;

/** How many frames an input holds. */
export function frameCount(input: SiglipVideoInput): number {
  return 'pixels' in input ? input.pixels.shape[0] : input.imageEmbeds.shape[0];
}

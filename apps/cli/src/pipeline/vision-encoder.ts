/**
 * The frozen vision side of a run: the CLIP vision tower and its image processor, loaded once,
 * and the feature recipe that keys the cache (everything that changes the features).
 */
import { ClipVisionModel, loadImageProcessor, resolveModelDir } from '@kvc/models';
import type { ImageProcessor } from '@kvc/models';
import type { FeatureRecipe } from '@kvc/feature-cache';
import type { RunConfig } from '../config/run-config.js';

/** Bump when frame decoding or preprocessing changes: old cache entries then miss. */
export const PREPROCESSING_VERSION = 'kvc-pre-1';

export interface VisionEncoder {
  readonly model: ClipVisionModel;
  readonly processor: ImageProcessor;
  readonly recipe: FeatureRecipe;
  readonly dir: string;
  dispose(): void;
}

export async function loadVisionEncoder(config: RunConfig): Promise<VisionEncoder> {
  const dir = await resolveModelDir(config.vision.model, {
    revision: config.vision.revision,
    allowDownload: config.allowDownload,
  });
  const model = await ClipVisionModel.load(dir, { precision: config.precision });
  const processor = await loadImageProcessor(dir);
  return {
    model,
    processor,
    dir,
    recipe: {
      encoderId: config.vision.model,
      encoderRevision: config.vision.revision,
      layer: config.vision.layer,
      frameCount: config.vision.frames,
      sampling: { strategy: 'uniform-linspace', dropCls: config.vision.dropCls },
      preprocessingVersion: PREPROCESSING_VERSION,
      dtype: config.features.dtype,
    },
    dispose: () => model.dispose(),
  };
}

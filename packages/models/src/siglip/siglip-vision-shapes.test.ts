import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { parseSiglipConfig } from './siglip-config.js';
import { siglipVisionShapes } from './siglip-vision-tower.js';
import { clipNumPositions, parseClipVisionConfig } from '../clip/clip-vision-config.js';
import { patchify } from '../nn/patchify.js';

/** Rows patchify gives for one `size`² image: the positions a checkpoint must hold. */
function patchRows(size: number, patch: number): number {
  return tf.tidy(() => patchify(tf.zeros([1, 3, size, size]) as tf.Tensor4D, patch).shape[1]);
}

describe('vision towers whose image size is not a multiple of the patch', () => {
  it('SigLIP2 so400m-patch14-384 expects one position per whole patch, as many as patchify makes', async () => {
    await tf.setBackend('cpu');
    // The public config's vision fields (google/siglip2-so400m-patch14-384).
    const c = parseSiglipConfig({
      model_type: 'siglip',
      vision_config: {
        hidden_size: 1152,
        intermediate_size: 4304,
        num_hidden_layers: 27,
        num_attention_heads: 16,
        image_size: 384,
        patch_size: 14,
      },
      text_config: { hidden_size: 1152, intermediate_size: 4304, num_hidden_layers: 27, num_attention_heads: 16 },
    });
    const positions = siglipVisionShapes(c.vision, '').find(([n]) => n === 'embeddings.position_embedding.weight')!;
    expect(positions[1]).toEqual([patchRows(384, 14), 1152]);
    expect(Number.isInteger(positions[1][0])).toBe(true);
  });
  it('CLIP: whole patches plus the class token', async () => {
    await tf.setBackend('cpu');
    for (const [image, patch] of [
      [336, 14],
      [30, 14],
    ] as const) {
      const c = parseClipVisionConfig({
        model_type: 'clip_vision_model',
        hidden_size: 64,
        intermediate_size: 256,
        num_hidden_layers: 1,
        num_attention_heads: 4,
        image_size: image,
        patch_size: patch,
      });
      expect(clipNumPositions(c)).toBe(patchRows(image, patch) + 1);
    }
  });
});

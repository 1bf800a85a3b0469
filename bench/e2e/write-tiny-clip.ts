/**
 * A 2-layer, 64-wide random CLIP vision tower that reads 336-pixel frames like CLIP ViT-L/14-336 (same
 * image processor: resize to 336, center crop), for cache-bench.sh's decode-bound run: `kvc cache` with it
 * costs the decoding, the resize and the LMDB writes of the real run and almost no GPU time.
 * Usage (bundled by pack-e2e.sh): node write-tiny-clip.mjs DIR
 */
import { writeTinyClipVision } from '../../apps/cli/src/demo/write-tiny-clip-vision.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: write-tiny-clip.mjs DIR');
  process.exit(2);
}
await writeTinyClipVision(dir, { imageSize: 336, patchSize: 14, hiddenSize: 64, numLayers: 2, numHeads: 4 });
console.log(`tiny 336-pixel CLIP vision tower in ${dir}`);

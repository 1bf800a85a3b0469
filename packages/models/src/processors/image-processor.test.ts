import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { parseImageProcessorConfig } from './image-processor-config.js';
import { ImageProcessor, resizeOutputSize } from './image-processor.js';

const CLIP = parseImageProcessorConfig({
  image_processor_type: 'CLIPImageProcessor',
  size: { shortest_edge: 336 },
  crop_size: { height: 336, width: 336 },
});
const SIGLIP = parseImageProcessorConfig({
  image_processor_type: 'SiglipImageProcessor',
  size: { height: 384, width: 384 },
});

function frame(width: number, height: number, f: (x: number, y: number, c: number) => number) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = f(x, y, c);
  return { width, height, data };
}

describe('resizeOutputSize (HF: shortest edge, long side truncated with int())', () => {
  it.each([
    [CLIP, 360, 640, 336, 597],
    [CLIP, 640, 360, 597, 336],
    [CLIP, 1080, 1920, 336, 597],
    [CLIP, 480, 640, 336, 448],
    [SIGLIP, 360, 640, 384, 384],
  ] as const)('%#: %ix%i → %ix%i', (cfg, h, w, eh, ew) => {
    expect(resizeOutputSize(cfg, h, w)).toEqual({ height: eh, width: ew });
  });
});

describe('ImageProcessor', () => {
  it("center crop: torchvision rounds the offset half to even, Pillow's path floors it", () => {
    const cfg = { ...CLIP, doResize: false, cropSize: { height: 1, width: 4 }, doNormalize: false, doRescale: false };
    const f = frame(11, 1, (x) => x);
    const left = (flavor: 'torchvision' | 'pil') => new ImageProcessor(cfg, flavor).resizeAndCrop(f).data[0];
    expect(left('torchvision')).toBe(4); // round(3.5) = 4
    expect(left('pil')).toBe(3); // 7 // 2 = 3
    const g = frame(9, 1, (x) => x);
    expect(new ImageProcessor(cfg, 'torchvision').resizeAndCrop(g).data[0]).toBe(2); // round(2.5) = 2
  });

  it('rescales and normalizes: SigLIP maps 0 → -1 and 255 → 1; CLIP uses its mean/std', () => {
    const out = new ImageProcessor(SIGLIP).preprocess([frame(8, 8, (x) => (x < 4 ? 0 : 255))]);
    expect(out.shape).toEqual([1, 3, 384, 384]);
    expect(out.data[0]).toBe(-1);
    expect(out.data[383]).toBe(1);
    const clip = new ImageProcessor(CLIP).preprocess([frame(4, 4, () => 255)]);
    expect(clip.shape).toEqual([1, 3, 336, 336]);
    expect(clip.data[0]).toBeCloseTo((1 - CLIP.imageMean[0]) / CLIP.imageStd[0], 5);
    expect(clip.data[336 * 336 * 2]).toBeCloseTo((1 - CLIP.imageMean[2]) / CLIP.imageStd[2], 5);
  });

  it('processes a batch as its frames one by one', () => {
    const p = new ImageProcessor(CLIP);
    const a = frame(64, 36, (x, y, c) => (x * 7 + y * 3 + c * 50) % 256);
    const b = frame(48, 36, (x, y, c) => (x * y + c) % 256);
    const batch = p.preprocess([a, b]);
    const one = p.preprocess([b]);
    expect(batch.shape).toEqual([2, 3, 336, 336]);
    const second = batch.data.subarray(3 * 336 * 336);
    let same = second.length === one.data.length;
    for (let i = 0; same && i < second.length; i++) same = second[i] === one.data[i];
    expect(same).toBe(true);
  });

  it('rejects frames of different output sizes without a crop, and bad frame data', () => {
    const p = new ImageProcessor({ ...CLIP, doCenterCrop: false });
    expect(() => p.preprocess([frame(64, 36, () => 0), frame(48, 36, () => 0)])).toThrow(/frame 1/);
    expect(() => p.preprocess([{ width: 4, height: 4, data: new Uint8Array(5) }])).toThrow(/RGB24/);
    expect(() => p.preprocess([])).toThrow(/no frames/);
  });
});

describe('parseImageProcessorConfig', () => {
  it('fills HF class defaults', () => {
    expect(parseImageProcessorConfig({ image_processor_type: 'SiglipImageProcessor' })).toMatchObject({
      resample: 2,
      doCenterCrop: false,
      imageMean: [0.5, 0.5, 0.5],
    });
    expect(parseImageProcessorConfig({ image_processor_type: 'CLIPImageProcessorFast' })).toMatchObject({
      resample: 3,
      doCenterCrop: true,
      size: { shortestEdge: 224 },
    });
  });

  it.each([
    [{ image_processor_type: 'ViTImageProcessor' }],
    [{ image_processor_type: 'CLIPImageProcessor', resample: 0 }],
    [{ image_processor_type: 'CLIPImageProcessor', image_mean: [0.5, 0.5] }],
    [{ image_processor_type: 'CLIPImageProcessor', size: { shortest_edge: -1 } }],
  ])('rejects %j with a ConfigError', (raw) => {
    expect(() => parseImageProcessorConfig(raw)).toThrow(ConfigError);
  });
});

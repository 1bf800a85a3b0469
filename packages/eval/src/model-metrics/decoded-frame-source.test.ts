import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, loadImageProcessor } from '@kvc/models';
import { readReferenceTensors } from '@kvc/models/parity';
import { encodeVideo, sampleVideo } from '@kvc/video-io';
import { lastValueFrom } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodedFrameSource } from './decoded-frame-source.js';
import { SiglipScorer } from './siglip-scorer.js';

const REF = new URL('../../../../test/fixtures/reference/', import.meta.url).pathname;
let modelDir: string;
let dataDir: string;
let idRow: number[];
const SIZE = 56; // the fixture SigLIP's image_size

beforeAll(async () => {
  await initBackend('cpu');
  // The tiny SigLIP with a SigLIP image processor config resized to its image size.
  modelDir = mkdtempSync(join(tmpdir(), 'kvc-siglip-model-'));
  for (const f of ['config.json', 'model.safetensors'])
    copyFileSync(join(REF, 'siglip', 'model', f), join(modelDir, f));
  const proc = JSON.parse(
    readFileSync(join(REF, 'processors', 'siglip', 'preprocessor_config.json'), 'utf8'),
  ) as Record<string, unknown>;
  writeFileSync(
    join(modelDir, 'preprocessor_config.json'),
    JSON.stringify({ ...proc, size: { height: SIZE, width: SIZE } }),
  );
  // A 12-frame clip whose brightness changes over time, under videos/.
  dataDir = mkdtempSync(join(tmpdir(), 'kvc-siglip-data-'));
  mkdirSync(join(dataDir, 'videos'));
  const frames = Array.from({ length: 12 }, (_, i) => ({
    width: 64,
    height: 48,
    data: new Uint8Array(64 * 48 * 3).map((_, k) => (k * 7 + i * 20) % 256),
  }));
  await lastValueFrom(encodeVideo(frames, join(dataDir, 'videos', 'clip.mp4'), { fps: 6 }), {
    defaultValue: undefined,
  });
  const ids = (await readReferenceTensors(join(REF, 'siglip'))).get('input_ids')!;
  idRow = Array.from(ids.data.subarray(0, ids.shape[1]));
});

describe('decodedFrameSource', () => {
  it('decodes uniformly sampled frames (videos/ under the data folder) into processed pixels', async () => {
    const source = decodedFrameSource(await loadImageProcessor(modelDir), { dataDir, numFrames: 3 });
    const input = await source({ id: 'a', video: 'clip.mp4', prediction: '', reference: '' });
    if (!('pixels' in input)) throw new Error('expected pixels');
    expect(input.pixels.shape).toEqual([3, 3, SIZE, SIZE]);
    expect(Math.max(...input.pixels.data)).toBeLessThanOrEqual(1);
    expect(Math.min(...input.pixels.data)).toBeGreaterThanOrEqual(-1);
  });

  it('takes the frames from a given sampler (decode workers) to the same pixels when they arrive resized', async () => {
    const processor = await loadImageProcessor(modelDir);
    const plain = decodedFrameSource(processor, { dataDir, numFrames: 3 });
    const files: string[] = [];
    // what the CLI's decode workers do: sample, then shrink each frame with the processor's own resize
    const viaSampler = decodedFrameSource(processor, {
      dataDir,
      numFrames: 3,
      sample: (file, numFrames) => {
        files.push(file);
        return sampleVideo(file, { numFrames, mapFrame: (f) => processor.resizeAndCrop(f) });
      },
    });
    const record = { id: 'a', video: 'clip.mp4', prediction: '', reference: '' };
    const [a, b] = [await plain(record), await viaSampler(record)];
    if (!('pixels' in a) || !('pixels' in b)) throw new Error('expected pixels');
    expect(files).toEqual([join(dataDir, 'videos', 'clip.mp4')]);
    expect(b.pixels.shape).toEqual(a.pixels.shape);
    expect(Buffer.from(b.pixels.data.buffer).equals(Buffer.from(a.pixels.data.buffer))).toBe(true);
  });

  it('says which sample has no video and which paths it tried', async () => {
    const source = decodedFrameSource(await loadImageProcessor(modelDir), { dataDir });
    await expect(source({ id: 'x', prediction: '', reference: '' })).rejects.toMatchObject({
      code: 'E_MODEL_METRIC',
      context: { id: 'x' },
    });
    await expect(source({ id: 'y', video: 'gone.mp4', prediction: '', reference: '' })).rejects.toMatchObject({
      code: 'E_MODEL_METRIC',
      context: { id: 'y', tried: [join(dataDir, 'gone.mp4'), join(dataDir, 'videos', 'gone.mp4')] },
    });
  });

  it('refuses a path that leaves the data folder or that ffmpeg would read as a protocol; absolute paths are kept', async () => {
    const source = decodedFrameSource(await loadImageProcessor(modelDir), { dataDir, numFrames: 2 });
    const refused = [
      ['../videos/clip.mp4', 'E_VIDEO_PATH_OUTSIDE'],
      ['concat:videos/clip.mp4|videos/clip.mp4', 'E_VIDEO_PATH_PROTOCOL'],
      ['pipe:0', 'E_VIDEO_PATH_PROTOCOL'],
    ] as const;
    for (const [video, code] of refused) {
      await expect(source({ id: 'p', video, prediction: '', reference: '' })).rejects.toMatchObject({
        code: 'E_MODEL_METRIC',
        context: { id: 'p', video, code },
        hint: expect.any(String),
      });
    }
    const input = await source({
      id: 'abs',
      video: join(dataDir, 'videos', 'clip.mp4'),
      prediction: '',
      reference: '',
    });
    expect('pixels' in input && input.pixels.shape[0]).toBe(2);
  });

  it("is what SiglipScorer uses by default, with the model folder's image processor", async () => {
    const tokenize = (texts: readonly string[]) => texts.map(() => idRow);
    const records = [{ id: 'a', video: 'clip.mp4', prediction: 'x', reference: '' }];
    const byDefault = new SiglipScorer({ model: modelDir, tokenize, decode: { dataDir, numFrames: 4 } });
    await byDefault.init();
    const [a] = await byDefault.scoreBatch(records);
    byDefault.dispose();
    const explicit = new SiglipScorer({
      model: modelDir,
      tokenize,
      frames: decodedFrameSource(await loadImageProcessor(modelDir), { dataDir, numFrames: 4 }),
    });
    await explicit.init();
    const [b] = await explicit.scoreBatch(records);
    explicit.dispose();
    expect(a!.siglip).toBeGreaterThan(0);
    expect(a!.siglip).toBeLessThan(1);
    expect(a!.siglip).toBe(b!.siglip);
  });
});

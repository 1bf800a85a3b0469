/**
 * A run's model scorers load once and survive the evaluation streams that would dispose them;
 * a missing model is dropped with a warning. The eval package's scorers are replaced by counting
 * fakes: what is tested here is the keep-alive, not SigLIP itself (that has its parity tests).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { SiglipFrameSource } from '@kvc/eval';
import { loadImageProcessor } from '@kvc/models';
import { encodeVideo, sampleVideo } from '@kvc/video-io';
import type { FrameDecoder } from './frame-decoder.js';
import type * as Eval from '@kvc/eval';
import { lastValueFrom, from } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { validateRunConfig } from '../config/load-config.js';
import { Output } from '../output.js';

const life = vi.hoisted(() => ({ created: 0, loads: 0, disposed: 0 }));
/** What the fake SigLIP scorer was built with (its frame source is the real one). */
const given = vi.hoisted(() => ({ options: undefined as undefined | Record<string, unknown> }));
const PROCESSORS = vi.hoisted(
  () => new URL('../../../../test/fixtures/reference/processors/', import.meta.url).pathname,
);

vi.mock('@kvc/eval', async (importOriginal) => {
  const real = await importOriginal<typeof Eval>();
  class FakeSiglip {
    readonly name = 'siglip';
    private loaded = false;
    private n = 0;
    constructor(options: Record<string, unknown>) {
      life.created++;
      given.options = options;
    }
    async init(): Promise<void> {
      this.n = 0;
      if (!this.loaded) life.loads++;
      this.loaded = true;
    }
    async scoreBatch(records: readonly unknown[]) {
      this.n += records.length;
      return records.map(() => ({ siglip: 0.5 }));
    }
    aggregate() {
      return { siglip: 0.5, n: this.n };
    }
    dispose(): void {
      life.disposed++;
      this.loaded = false;
    }
  }
  return {
    ...real,
    SiglipScorer: FakeSiglip,
    // siglip "is available"; the BERT model is not.
    resolveLegacyModelDir: async (model: string) => {
      if (model.includes('bert')) throw new Error(`no local copy of ${model}`);
      return model.startsWith('/') ? model : `/models/${model}`;
    },
  };
});

const { ModelScorers } = await import('./model-scorers.js');
const FrameDecoders = await import('./frame-decoder.js');
const { evaluateCaptions } = await import('@kvc/eval');

function output(): { out: Output; err: () => string } {
  let text = '';
  const sink = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  return { out: new Output({ json: false, stdout: sink, stderr: sink }), err: () => text };
}

describe('ModelScorers', () => {
  it('loads each model once for every evaluation of a run and frees it at the end; a missing one is skipped with a warning', async () => {
    const config = validateRunConfig({ eval: { metrics: ['meteor', 'siglip', 'bertscore'] } }, 'test');
    const { out, err } = output();
    const pool = new ModelScorers(config, out);
    const records = [{ id: 'a', video: 'a.mp4', prediction: '빨간 원', reference: '빨간 원' }];
    for (let i = 0; i < 3; i++) {
      const scorers = await pool.forEvaluation();
      expect(scorers.map((s) => s.name)).toEqual(['siglip']);
      await lastValueFrom(from(records).pipe(evaluateCaptions({ scorers, pureMetrics: ['meteor'], total: 1 })));
    }
    expect(life).toEqual({ created: 1, loads: 1, disposed: 0 });
    expect(err()).toMatch(/bertscore skipped: no local copy of bert-base-multilingual-cased/);
    expect(err().match(/bertscore skipped/g)).toHaveLength(1);
    await pool.dispose();
    expect(life.disposed).toBe(1);
    await pool.dispose();
    expect(life.disposed).toBe(1);
  });

  it('gives SigLIP frames decoded by a frame decoder opened at the first video, closed with the scorers', async () => {
    const data = mkdtempSync(join(tmpdir(), 'kvc-scorer-frames-'));
    mkdirSync(join(data, 'videos'));
    const frames = Array.from({ length: 6 }, (_, i) => ({
      width: 64,
      height: 48,
      data: new Uint8Array(64 * 48 * 3).map((_, k) => (k * 5 + i * 30) % 256),
    }));
    await lastValueFrom(encodeVideo(frames, join(data, 'videos', 'v.mp4'), { fps: 6 }), { defaultValue: undefined });
    const siglipModel = join(PROCESSORS, 'siglip');
    const config = validateRunConfig({ eval: { metrics: ['siglip'], siglipModel }, vision: { frames: 3 } }, 'test');
    const processor = await loadImageProcessor(siglipModel);
    const opened = vi.spyOn(FrameDecoders, 'openFrameDecoder');
    const pool = new ModelScorers(config, output().out, data);
    await pool.forEvaluation();
    expect(opened).not.toHaveBeenCalled(); // nothing decoded yet
    const source = given.options!.frames as SiglipFrameSource;
    const record = { id: 'a', video: 'v.mp4', prediction: '', reference: '' };
    const [a, b] = await Promise.all([source(record), source(record)]);
    expect(opened).toHaveBeenCalledTimes(1);
    const decoder = (await opened.mock.results[0]!.value) as FrameDecoder;
    const closed = vi.spyOn(decoder, 'close');
    // the pixels the processor gives the full frames (the decoder shrank them as they arrived)
    const expected = processor.preprocess(
      (await lastValueFrom(sampleVideo(join(data, 'videos', 'v.mp4'), { numFrames: 3 }))).frames,
    );
    for (const x of [a, b]) {
      if (!('pixels' in x)) throw new Error('expected pixels');
      expect(x.pixels.shape).toEqual(expected.shape);
      expect(Buffer.from(x.pixels.data.buffer).equals(Buffer.from(expected.data.buffer))).toBe(true);
    }
    await pool.dispose();
    expect(closed).toHaveBeenCalledTimes(1);
    opened.mockRestore();
  });
});

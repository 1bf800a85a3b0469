import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TensorboardLog } from '@kvc/train';
import type { TrainEvent } from '@kvc/train';
import { describe, expect, it } from 'vitest';
import { readEvents } from './helpers/read-tfevents.js';

const step = (globalStep: number, loss: number): TrainEvent => ({
  type: 'step',
  stage: 'stage1',
  epoch: 0,
  step: globalStep,
  globalStep,
  batch: globalStep - 1,
  batchesPerEpoch: 10,
  totalSteps: 10,
  loss,
  microLosses: [loss],
  lr: 1e-4 * globalStep,
  gradNorm: 0.5 + globalStep,
  tokens: 100,
  tokensPerS: 1000 + globalStep,
  memoryMB: 12,
  rssMB: 345,
  elapsedS: globalStep,
});

describe('TensorboardLog', () => {
  it('writes event files that the reference TFRecord reader and protobuf decoder accept', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'kvc-tb-')), 'tensorboard');
    const log = new TensorboardLog(dir);
    log.write({ type: 'run-start', runDir: dir, stages: ['stage1'] });
    log.write(step(1, 2.5));
    log.write(step(2, 2.25));
    log.write({ type: 'epoch', stage: 'stage1', epoch: 1, trainLoss: 2.375, lr: 2e-4, elapsedS: 2 });
    const captions = [
      { id: 'v1', prediction: '사람이 | 걷는다', reference: '사람이 걷는다' },
      { id: 'v2', prediction: 'a *b*\nc', reference: 'd' },
    ];
    const metrics = { meteor: 0.25, cider_d: 0.125 };
    log.write({ type: 'evaluation', stage: 'stage1', epoch: 1, metrics, details: { captions }, best: true });

    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^events\.out\.tfevents\.\d+\./);
    const events = await readEvents(join(dir, files[0]!));

    expect(events[0]!.fileVersion).toMatch(/^brain\.Event:/);
    const scalars = events
      .slice(1)
      .flatMap((e) =>
        (e.summary?.value ?? [])
          .filter((v) => v.simpleValue !== undefined)
          .map((v) => ({ step: e.step ?? 0, tag: v.tag, value: v.simpleValue! })),
      );
    const at = (tag: string) => scalars.filter((s) => s.tag === tag).map((s) => [s.step, s.value]);
    // simple_value is a proto float: compare with f32 rounding of what was logged.
    const f = Math.fround;
    expect(at('train/loss')).toEqual([
      [1, f(2.5)],
      [2, f(2.25)],
    ]);
    expect(at('train/lr')).toEqual([
      [1, f(1e-4)],
      [2, f(2e-4)],
    ]);
    expect(at('train/grad_norm')).toEqual([
      [1, f(1.5)],
      [2, f(2.5)],
    ]);
    expect(at('epoch/train_loss')).toEqual([[2, f(2.375)]]);
    expect(at('eval/meteor')).toEqual([[2, f(0.25)]]);
    expect(at('eval/cider_d')).toEqual([[2, f(0.125)]]);

    const text = events.flatMap((e) => (e.summary?.value ?? []).filter((v) => v.tensor));
    expect(text).toHaveLength(1);
    expect(text[0]!.tag).toBe('eval/captions');
    expect(text[0]!.metadata?.pluginData?.pluginName).toBe('text');
    expect(text[0]!.tensor!.dtype).toBe(7); // DT_STRING
    const md = Buffer.from(text[0]!.tensor!.stringVal[0]!).toString('utf8');
    expect(md).toContain('| v1 | 사람이 \\| 걷는다 | 사람이 걷는다 |');
    expect(md).toContain('a \\*b\\* c'); // markup escaped, newline folded: one table row per caption
  });

  it('a flipped byte is caught by the CRC check of the reference reader (the CRCs are real)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'kvc-tb-')), 'tb');
    const log = new TensorboardLog(dir);
    log.write(step(1, 1));
    const path = join(dir, readdirSync(dir)[0]!);
    const bytes = readFileSync(path);
    bytes[bytes.length - 1]! ^= 0xff; // corrupt the data CRC of the last record
    writeFileSync(path, bytes);
    await expect(readEvents(path)).rejects.toThrow(/CRC32C/);
  });
});

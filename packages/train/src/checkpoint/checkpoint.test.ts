import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointStore } from './checkpoint-store.js';
import { configDiff } from './config-diff.js';
import { appendTrainingLog, parseTrainingLog, trainingLogColumns } from '../logs/training-log.js';

describe('CheckpointStore', () => {
  it('writes complete checkpoints, points latest at the newest and prunes old ones but keeps best', async () => {
    const root = join(mkdtempSync(join(tmpdir(), 'kvc-ck-')), 'checkpoints');
    const store = new CheckpointStore(root);
    for (const step of [1, 2, 3]) {
      await store.write(
        `step-${String(step).padStart(6, '0')}`,
        async (dir) => writeFileSync(join(dir, 'w.bin'), String(step)),
        { step },
      );
    }
    await store.setPointer('best', 'step-000001');
    expect(await store.resolve()).toBe(join(root, 'step-000003'));
    expect(await store.readState(join(root, 'step-000003'))).toEqual({ step: 3 });
    await store.prune(1);
    expect(await store.list()).toEqual(['step-000001', 'step-000003']);
  });

  it('a failing write leaves no folder and keeps latest on the previous checkpoint', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kvc-ck-'));
    const store = new CheckpointStore(root);
    await store.write('a', async () => undefined, { ok: 1 });
    await expect(
      store.write(
        'b',
        async () => {
          throw new Error('disk full');
        },
        {},
      ),
    ).rejects.toThrow('disk full');
    expect(readdirSync(root).sort()).toEqual(['a', 'latest']);
    expect(await store.resolve()).toBe(join(root, 'a'));
  });

  it('ignores a checkpoint folder without state.json (interrupted by hand) and cleans temp leftovers', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kvc-ck-'));
    const store = new CheckpointStore(root);
    mkdirSync(join(root, 'half'));
    mkdirSync(join(root, '.tmp-x-1-2'));
    writeFileSync(join(root, 'latest'), 'half\n');
    expect(await store.resolve()).toBeUndefined();
    expect(await store.list()).toEqual([]);
    await store.prune(5);
    expect(existsSync(join(root, '.tmp-x-1-2'))).toBe(false);
  });
});

describe('configDiff', () => {
  it('names every differing key path and skips ignored ones', () => {
    const a = { train: { lr: 1, seed: 1 }, out: 'x', list: [1, 2] };
    const b = { train: { lr: 2, seed: 1 }, out: 'y', list: [1, 3], extra: true };
    expect(configDiff(a, b, ['out'])).toEqual(['extra', 'list', 'train.lr']);
    expect(configDiff(a, a)).toEqual([]);
  });
});

describe('training log', () => {
  const METRICS = [
    { key: 'siglip', column: 'siglip_score', seedColumn: true },
    { key: 'diversity', column: 'diversity', seedColumn: true },
    { key: 'cider_d', column: 'cider_d' },
  ];

  it('keeps the seed columns first and round-trips values with commas and quotes', async () => {
    const p = join(mkdtempSync(join(tmpdir(), 'kvc-log-')), 'training_log.csv');
    const cols = trainingLogColumns(METRICS);
    const row = { stage: 'stage1', epoch: 1, train_loss: 2.5, lr: 1e-3, timestamp: 't', cider_d: 0.25 };
    await appendTrainingLog(p, cols, row);
    await appendTrainingLog(p, cols, { stage: 'a,"b"', epoch: 2, siglip_score: NaN });
    const text = readFileSync(p, 'utf8');
    const header = text.split('\n')[0]!;
    expect(header.startsWith('stage,epoch,train_loss,siglip_score,diversity,lr,timestamp,step,cider_d')).toBe(true);
    const rows = parseTrainingLog(text);
    expect(rows[0]).toMatchObject({ stage: 'stage1', epoch: '1', train_loss: '2.5', lr: '0.001', cider_d: '0.25' });
    expect(rows[1]).toMatchObject({ stage: 'a,"b"', siglip_score: '' });
  });

  it('widens an older header instead of dropping a new column, keeping old rows and old-only columns', async () => {
    const p = join(mkdtempSync(join(tmpdir(), 'kvc-log-')), 'training_log.csv');
    await appendTrainingLog(p, ['stage', 'epoch', 'cider'], { stage: 'stage1', epoch: 1, cider: 0.5 });
    await appendTrainingLog(p, trainingLogColumns(METRICS), { stage: 'stage2', epoch: 1, cider_d: 0.75 });
    const rows = parseTrainingLog(readFileSync(p, 'utf8'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ stage: 'stage1', cider: '0.5', cider_d: '' });
    expect(rows[1]).toMatchObject({ stage: 'stage2', cider: '', cider_d: '0.75' });
  });

  it('refuses a metric column that clashes with another column', () => {
    expect(() => trainingLogColumns([{ key: 'lr', column: 'lr' }])).toThrow(/column\(s\) lr twice/);
  });
});

describe('CheckpointStore.recoverSwaps', () => {
  it('puts back a checkpoint moved aside by a replacement an exit interrupted, and drops a replaced one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kvc-ck-'));
    const store = new CheckpointStore(root);
    await store.write('best', async (dir) => writeFileSync(join(dir, 'w.bin'), 'old'), { v: 1 }, { setLatest: false });
    // The state an exit between write()'s two renames leaves: the old folder aside, the new one still hidden.
    renameSync(join(root, 'best'), join(root, '.swap-best-1700000000000'));
    mkdirSync(join(root, '.tmp-best-1-2'));
    await store.recoverSwaps();
    expect(readFileSync(join(root, 'best', 'w.bin'), 'utf8')).toBe('old');
    expect(readdirSync(root).filter((n) => n.startsWith('.swap-'))).toEqual([]);

    // After the second rename: the new one is in place, the old one is only a leftover.
    await store.write('best', async (dir) => writeFileSync(join(dir, 'w.bin'), 'new'), { v: 2 }, { setLatest: false });
    mkdirSync(join(root, '.swap-best-1700000000001'));
    await store.recoverSwaps();
    expect(readFileSync(join(root, 'best', 'w.bin'), 'utf8')).toBe('new');
    expect(existsSync(join(root, '.swap-best-1700000000001'))).toBe(false);
  });
});

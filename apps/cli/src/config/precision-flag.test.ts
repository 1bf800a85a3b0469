/**
 * `precision` (config key) and `--precision` (the same key as the last override) on every model
 * command: f16 with a backend that is never webgpu is refused when the config is validated (before
 * any data or model is touched), `auto` is checked once the backend is chosen, and the seed preset
 * resolves to f16.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCaptured } from '../commands/__tests__/run-captured.js';
import { gpuPoolLimit, setGpuPoolLimit } from '@kvc/models';
import { loadRunConfig } from './load-config.js';
import { gpuPoolLimitOf, initRunBackend, modelFlagOverrides, precisionOverride } from './precision-flag.js';
import { presets } from './presets.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kvc-cli-precision-'));
  await writeFile(join(dir, 'config.json'), '{}');
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('precision in the config', () => {
  it('defaults to f32; the seed preset (bf16 in the notebook) resolves to f16', () => {
    expect(loadRunConfig({}).precision).toBe('f32');
    expect(presets.seed.precision).toBe('f16');
    expect(loadRunConfig({ preset: 'seed' }).precision).toBe('f16');
    expect(loadRunConfig({ preset: 'demo' }).precision).toBe('f32');
  });

  it('the flag is the config key given last: it wins over the preset and earlier overrides', () => {
    expect(loadRunConfig({ preset: 'seed', overrides: precisionOverride('f32') }).precision).toBe('f32');
    const o = modelFlagOverrides({ backend: 'webgpu', precision: 'f16' });
    expect(o).toEqual(['backend=webgpu', 'precision=f16']);
    expect(loadRunConfig({ preset: 'demo', overrides: ['precision=f32', ...o] })).toMatchObject({
      backend: 'webgpu',
      precision: 'f16',
    });
    expect(modelFlagOverrides({})).toEqual([]);
  });

  it('refuses f16 with a backend that is never webgpu, saying what to do; refuses unknown precisions', () => {
    for (const backend of ['cpu', 'wasm', 'tensorflow']) {
      expect(() => loadRunConfig({ preset: 'seed', overrides: [`backend=${backend}`] })).toThrow(
        new RegExp(`precision: f16 needs backend webgpu .*not ${backend}: pass --precision f32`),
      );
    }
    expect(() => loadRunConfig({ overrides: ['precision=bf16'] })).toThrow(/precision/);
    expect(loadRunConfig({ preset: 'seed', overrides: ['backend=cpu', 'precision=f32'] }).backend).toBe('cpu');
  });

  it('initRunBackend: a chosen backend other than webgpu fails for f16 (E_PRECISION_BACKEND, a hint)', async () => {
    await expect(initRunBackend({ backend: 'cpu', precision: 'f16' }, 'inference')).rejects.toMatchObject({
      code: 'E_PRECISION_BACKEND',
      hint: expect.stringMatching(/--precision f32/),
    });
    await expect(initRunBackend({ backend: 'cpu', precision: 'f32' }, 'inference')).resolves.toMatchObject({
      backend: 'cpu',
    });
  });
});

describe('--precision on every model command', () => {
  const refused = async (argv: string[]) => {
    const r = await runCaptured([...argv, '--precision', 'f16', '--backend', 'cpu', '--json']);
    expect(r.code, argv[0]).toBe(1);
    const err = jsonLines(r.stdout).at(-1)!;
    expect(err, argv[0]).toMatchObject({ type: 'error', code: 'E_CONFIG_INVALID' });
    expect(String(err.message)).toMatch(/precision: f16 needs backend webgpu/);
  };
  it('train, cache, eval, caption and demo take it (and refuse f16 on cpu before touching anything)', async () => {
    await refused(['train', '--preset', 'demo', '--print-config']);
    await refused(['cache', '--preset', 'demo', '--data', join(dir, 'none')]);
    await refused(['eval', '--run', dir]);
    await refused(['caption', 'a.mp4', '--run', dir]);
    await refused(['demo', '--out', join(dir, 'demo')]);
  });

  it('kvc metrics (no config) takes it for its model scorers and checks it the same way', async () => {
    const preds = join(dir, 'p.jsonl');
    await writeFile(preds, JSON.stringify({ prediction: '빨간 공', reference: '빨간 공이 움직인다' }) + '\n');
    const args = ['metrics', '--predictions', preds, '--metrics', 'bertscore', '--json'];
    const cpu = await runCaptured([...args, '--precision', 'f16', '--backend', 'cpu']);
    expect(cpu.code).toBe(1);
    expect(jsonLines(cpu.stdout).at(-1)).toMatchObject({ type: 'error', code: 'E_PRECISION_BACKEND' });
    const bad = await runCaptured([...args, '--precision', 'bf16']);
    expect(jsonLines(bad.stdout).at(-1)).toMatchObject({ type: 'error', code: 'E_BAD_ARGUMENT' });
  });

  it('kvc train --print-config shows the resolved precision', async () => {
    const r = await runCaptured(['train', '--preset', 'demo', '--precision', 'f16', '--print-config', '--json']);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({ type: 'config', config: { precision: 'f16' } });
  });
});

describe('gpuPoolGiB and gpuMemoryGiB: the freed GPU buffers kept for reuse', () => {
  it('gpuPoolGiB defaults to 2 GiB; gpuMemoryGiB is unset unless given, 56 in the seed preset; values are checked', () => {
    expect(loadRunConfig({}).gpuPoolGiB).toBe(2);
    expect(loadRunConfig({}).gpuMemoryGiB).toBeUndefined();
    expect(loadRunConfig({ preset: 'seed' }).gpuPoolGiB).toBe(2);
    expect(loadRunConfig({ preset: 'seed' }).gpuMemoryGiB).toBe(56);
    expect(loadRunConfig({ preset: 'seed', overrides: ['gpuPoolGiB=4'] }).gpuPoolGiB).toBe(4);
    expect(loadRunConfig({ preset: 'seed', overrides: ['gpuMemoryGiB=40'] }).gpuMemoryGiB).toBe(40);
    expect(() => loadRunConfig({ overrides: ['gpuPoolGiB=-1'] })).toThrow(/gpuPoolGiB/);
    expect(() => loadRunConfig({ overrides: ['gpuMemoryGiB=-1'] })).toThrow(/gpuMemoryGiB/);
  });

  it('gpuMemoryGiB, when set, is the bound (kept buffers up to it), and gpuPoolGiB is not used', () => {
    expect(gpuPoolLimitOf({ gpuPoolGiB: 3 })).toEqual({ maxFreeBytes: 3 * 2 ** 30 });
    expect(gpuPoolLimitOf({ gpuPoolGiB: 3, gpuMemoryGiB: 64 })).toEqual({
      maxFreeBytes: Infinity,
      maxAllocatedBytes: 64 * 2 ** 30,
    });
    expect(gpuPoolLimitOf({})).toBeUndefined();
    // 0 turns the cap off (the seed preset sets one): gpuPoolGiB's bound again.
    expect(gpuPoolLimitOf({ gpuPoolGiB: 3, gpuMemoryGiB: 0 })).toEqual({ maxFreeBytes: 3 * 2 ** 30 });
    const seed = loadRunConfig({ preset: 'seed', overrides: ['gpuMemoryGiB=0', 'gpuPoolGiB=6'] });
    expect(gpuPoolLimitOf(seed)).toEqual({ maxFreeBytes: 6 * 2 ** 30 });
  });

  it('initRunBackend sets the pool bound before the backend starts, and leaves it alone when not given', async () => {
    const before = gpuPoolLimit();
    try {
      await initRunBackend({ backend: 'cpu', precision: 'f32', gpuPoolGiB: 5 }, 'inference');
      expect(gpuPoolLimit().maxFreeBytes).toBe(5 * 2 ** 30);
      await initRunBackend({ backend: 'cpu', precision: 'f32' }, 'inference');
      expect(gpuPoolLimit().maxFreeBytes).toBe(5 * 2 ** 30);
      await initRunBackend({ backend: 'cpu', precision: 'f32', gpuPoolGiB: 5, gpuMemoryGiB: 7 }, 'inference');
      expect(gpuPoolLimit()).toEqual({ maxFreeBytes: Infinity, maxAllocatedBytes: 7 * 2 ** 30 });
    } finally {
      setGpuPoolLimit(before);
    }
  });
});

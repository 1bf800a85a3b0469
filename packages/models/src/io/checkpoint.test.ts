import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Checkpoint } from './checkpoint.js';
import { SafetensorsFile } from './safetensors-file.js';
import { float32ToBf16Bits, writeSafetensors } from './write-safetensors.js';
import { findInHubCache, hubToken, resolveModelDir } from './resolve-model-dir.js';
import { WeightMismatchError } from '../errors.js';

const QWEN3_FIXTURE = new URL('../../../../test/fixtures/reference/qwen3/model/', import.meta.url).pathname;

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

describe('safetensors', () => {
  it('reads the HF-written fixture checkpoint and its header agrees with config.json', async () => {
    const cfg = JSON.parse(readFileSync(join(QWEN3_FIXTURE, 'config.json'), 'utf8')) as {
      hidden_size: number;
      vocab_size: number;
    };
    const ck = await Checkpoint.open(QWEN3_FIXTURE);
    try {
      const emb = ck.info('model.embed_tokens.weight');
      expect(emb.shape).toEqual([cfg.vocab_size, cfg.hidden_size]);
      const data = await ck.readFloat32('model.embed_tokens.weight');
      expect(data.length).toBe(cfg.vocab_size * cfg.hidden_size);
      expect(data.every((x) => Number.isFinite(x))).toBe(true);
    } finally {
      await ck.close();
    }
  });

  it('round-trips f32 exactly and builds and loads a sharded bf16 checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-st-'));
    const a = rand(6 * 4, 1);
    const b = rand(5, 2);
    await writeSafetensors(join(dir, 'one.safetensors'), { a: { dtype: 'F32', shape: [6, 4], data: a } });
    const f = await SafetensorsFile.open(join(dir, 'one.safetensors'));
    expect(Array.from(await f.readFloat32('a'))).toEqual(Array.from(a));
    await f.close();

    // Two bf16 shards + index, the way transformers' save_pretrained shards a model.
    const abf = float32ToBf16Bits(a);
    const bbf = float32ToBf16Bits(b);
    await writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), {
      'x.a': { dtype: 'BF16', shape: [6, 4], data: abf },
    });
    await writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), {
      'x.b': { dtype: 'BF16', shape: [5], data: bbf },
    });
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({
        metadata: {},
        weight_map: { 'x.a': 'model-00001-of-00002.safetensors', 'x.b': 'model-00002-of-00002.safetensors' },
      }),
    );
    const ck = await Checkpoint.open(dir);
    expect(ck.names().sort()).toEqual(['x.a', 'x.b']);
    const ra = await ck.readFloat32('x.a');
    const rb = await ck.readFloat32('x.b');
    // bf16 keeps 8 significant bits: relative error <= 2^-9.
    ra.forEach((v, i) => expect(Math.abs(v - a[i]!)).toBeLessThanOrEqual(Math.abs(a[i]!) * 2 ** -8));
    rb.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(Math.abs(b[i]!) * 2 ** -8));
    // bf16 → f32 is exact: the value's top 16 bits are the stored bits.
    const u = new Uint32Array(ra.buffer);
    u.forEach((bits, i) => expect(bits >>> 16).toBe(abf[i]));
    await ck.close();
  });

  it('reports missing, unexpected and mis-shaped tensors in one error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-st-'));
    await writeSafetensors(join(dir, 'model.safetensors'), {
      keep: { dtype: 'F32', shape: [2], data: new Float32Array(2) },
      extra: { dtype: 'F32', shape: [1], data: new Float32Array(1) },
      wrong: { dtype: 'F32', shape: [3], data: new Float32Array(3) },
    });
    const ck = await Checkpoint.open(dir);
    const expected = new Map<string, number[]>([
      ['keep', [2]],
      ['wrong', [4]],
      ['gone', [1]],
    ]);
    let err: unknown;
    try {
      ck.validate(expected);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WeightMismatchError);
    const w = err as WeightMismatchError;
    expect(w.missing).toEqual(['gone']);
    expect(w.unexpected).toEqual(['extra']);
    expect(w.misshaped.map((m) => m.name)).toEqual(['wrong']);
    expect(() => ck.validate(expected, { optional: (n) => n === 'gone', ignore: (n) => n === 'extra' })).toThrow(
      /mis-shaped/,
    );
    await ck.close();
  });

  it('rejects a truncated file with a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-st-'));
    const p = join(dir, 'model.safetensors');
    await writeSafetensors(p, { a: { dtype: 'F32', shape: [64], data: rand(64, 3) } });
    truncateSync(p, 100);
    await expect(SafetensorsFile.open(p)).rejects.toMatchObject({ code: 'E_SAFETENSORS_INVALID' });
  });
});

describe('resolveModelDir', () => {
  it('finds a hub id in a Hugging Face cache through refs/main, and never downloads by default', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'kvc-hub-'));
    const repo = join(cache, 'models--org--tiny');
    mkdirSync(join(repo, 'refs'), { recursive: true });
    mkdirSync(join(repo, 'snapshots', 'abc123'), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), 'abc123\n');
    expect(findInHubCache('org/tiny', { cacheDir: cache })).toBe(join(repo, 'snapshots', 'abc123'));
    expect(await resolveModelDir('org/tiny', { cacheDir: cache })).toBe(join(repo, 'snapshots', 'abc123'));
    await expect(resolveModelDir('org/absent', { cacheDir: cache })).rejects.toMatchObject({
      code: 'E_MODEL_NOT_CACHED',
      // Today's CLI name (`huggingface-cli download` is deprecated) and the token a gated model needs.
      hint: expect.stringMatching(/`hf download org\/absent`.*HF_TOKEN/),
    });
    await expect(resolveModelDir('./no/such/dir')).rejects.toMatchObject({ code: 'E_MODEL_NOT_FOUND' });
  });
});

describe('hubToken', () => {
  it("reads the token Python's huggingface_hub reads, HF_TOKEN first", () => {
    expect(hubToken({ HF_TOKEN: 'a', HF_HUB_TOKEN: 'b' })).toBe('a');
    expect(hubToken({ HF_HUB_TOKEN: 'b', HUGGING_FACE_HUB_TOKEN: 'c' })).toBe('b');
    expect(hubToken({ HUGGING_FACE_HUB_TOKEN: 'c' })).toBe('c');
    expect(hubToken({ HF_TOKEN: '' })).toBeUndefined();
  });
});

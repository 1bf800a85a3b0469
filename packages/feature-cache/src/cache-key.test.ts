import { describe, expect, it } from 'vitest';
import { writeFileSync, utimesSync, mkdtempSync, rmSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { featureKey } from './cache-key.js';
import type { FeatureRecipe } from './cache-key.js';
import { canonicalJson } from './canonical-json.js';
import { videoIdentity } from './video-identity.js';
import type { VideoIdentity } from './video-identity.js';

const recipe: FeatureRecipe = {
  encoderId: 'openai/clip-vit-large-patch14-336',
  encoderRevision: 'ce19dc912ca5cd21c8a653c79e251e808ccabcd1',
  layer: -2,
  frameCount: 8,
  sampling: 'uniform',
  preprocessingVersion: 'clip-336/1',
  dtype: 'float16',
};
const video: VideoIdentity = {
  kind: 'stat',
  path: '/data/videos/a.mp4',
  sizeBytes: 1234,
  mtimeNs: '1700000000000000000',
};

describe('featureKey', () => {
  const base = featureKey(video, recipe).key;

  it('is compact, deterministic and exposes its ingredients', () => {
    const k = featureKey(video, recipe);
    expect(k.key).toMatch(/^f1:[A-Za-z0-9_-]{43}$/);
    expect(featureKey({ ...video }, { ...recipe }).key).toBe(k.key);
    expect(k.ingredients).toEqual({ schema: 1, video, recipe });
    // It is the hash of the canonical JSON of the ingredients, field order irrelevant.
    expect(k.key).toBe('f1:' + createHash('sha256').update(canonicalJson(k.ingredients)).digest('base64url'));
    const reordered = Object.fromEntries(Object.entries(recipe).reverse()) as unknown as FeatureRecipe;
    expect(featureKey(video, reordered).key).toBe(k.key);
  });

  const recipeChanges: [keyof FeatureRecipe, unknown][] = [
    ['encoderId', 'google/siglip2-so400m-patch14-384'],
    ['encoderRevision', 'main'],
    ['layer', -1],
    ['frameCount', 16],
    ['sampling', { strategy: 'uniform', offset: 'start' }],
    ['preprocessingVersion', 'clip-336/2'],
    ['dtype', 'float32'],
  ];
  it.each(recipeChanges)('changes when %s changes', (field, value) => {
    expect(featureKey(video, { ...recipe, [field]: value } as FeatureRecipe).key).not.toBe(base);
  });

  const videoChanges: [string, VideoIdentity][] = [
    ['path', { ...video, path: '/data/videos/b.mp4' }],
    ['size', { ...video, sizeBytes: 1235 }],
    ['mtime', { ...video, mtimeNs: '1700000000000000001' }],
    ['identity kind', { kind: 'content', sha256: 'a'.repeat(64) }],
  ];
  it.each(videoChanges)('changes when the video %s changes', (_name, v) => {
    expect(featureKey(v, recipe).key).not.toBe(base);
  });

  it('changes with extra ingredients', () => {
    expect(featureKey(video, recipe, { cropPx: 336 }).key).not.toBe(base);
    expect(featureKey(video, recipe, { cropPx: 336 }).key).not.toBe(featureKey(video, recipe, { cropPx: 224 }).key);
  });

  it('validates the recipe at the boundary', () => {
    expect(() => featureKey(video, { ...recipe, frameCount: 0 })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
    expect(() => featureKey(video, { ...recipe, dtype: 'bfloat16' as never })).toThrow(/dtype/);
    expect(() => featureKey(video, { ...recipe, encoderId: '' })).toThrow(/encoderId/);
    expect(() => featureKey({ kind: 'content', sha256: 'xyz' }, recipe)).toThrow(/video identity/);
  });
});

describe('videoIdentity', () => {
  it('stat mode follows size and mtime; content mode follows the bytes and survives a rename', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-vid-'));
    try {
      const f = join(dir, 'a.mp4');
      writeFileSync(f, 'abc');
      const s1 = await videoIdentity(f);
      expect(s1).toMatchObject({ kind: 'stat', path: f, sizeBytes: 3 });
      expect(await videoIdentity(f)).toEqual(s1);
      const later = new Date(Date.now() + 5000);
      utimesSync(f, later, later);
      const s2 = await videoIdentity(f);
      expect(s2).not.toEqual(s1);

      const c1 = await videoIdentity(f, { mode: 'content' });
      expect(c1).toEqual({ kind: 'content', sha256: createHash('sha256').update('abc').digest('hex') });
      renameSync(f, join(dir, 'b.mp4'));
      expect(await videoIdentity(join(dir, 'b.mp4'), { mode: 'content' })).toEqual(c1);
      await expect(videoIdentity(f)).rejects.toMatchObject({ code: 'E_VIDEO_UNREADABLE', context: { file: f } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('canonicalJson', () => {
  it.each([
    [{ b: 1, a: [1, { d: 2, c: 'x' }] }, '{"a":[1,{"c":"x","d":2}],"b":1}'],
    [{ a: undefined, b: null }, '{"b":null}'],
    ['é', '"é"'],
  ])('%j → %s', (value, json) => expect(canonicalJson(value)).toBe(json));
  it('rejects non-finite numbers', () => expect(() => canonicalJson({ a: NaN })).toThrow(/NaN/));
});

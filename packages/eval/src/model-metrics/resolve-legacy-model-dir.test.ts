import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveLegacyModelDir } from './resolve-legacy-model-dir.js';

function cacheWith(...repos: string[]): string {
  const cache = mkdtempSync(join(tmpdir(), 'kvc-hub-'));
  for (const r of repos)
    mkdirSync(join(cache, `models--${r.replace('/', '--')}`, 'snapshots', 'abc123'), { recursive: true });
  return cache;
}

describe('resolveLegacyModelDir', () => {
  it('finds an org-less id as cached by bert_score, or under the org the hub moved it to', async () => {
    const a = cacheWith('bert-base-multilingual-cased');
    expect(await resolveLegacyModelDir('bert-base-multilingual-cased', { cacheDir: a })).toBe(
      join(a, 'models--bert-base-multilingual-cased', 'snapshots', 'abc123'),
    );
    const b = cacheWith('google-bert/bert-base-multilingual-cased');
    expect(await resolveLegacyModelDir('bert-base-multilingual-cased', { cacheDir: b })).toBe(
      join(b, 'models--google-bert--bert-base-multilingual-cased', 'snapshots', 'abc123'),
    );
  });

  it('says what it tried when the model is not cached, and passes org/name ids on', async () => {
    const empty = cacheWith();
    await expect(resolveLegacyModelDir('bert-base-multilingual-cased', { cacheDir: empty })).rejects.toMatchObject({
      code: 'E_MODEL_NOT_CACHED',
      context: {
        tried: expect.arrayContaining([
          'bert-base-multilingual-cased',
          'google-bert/bert-base-multilingual-cased',
        ]) as unknown,
      },
    });
    const c = cacheWith('klue/bert-base');
    expect(await resolveLegacyModelDir('klue/bert-base', { cacheDir: c })).toBe(
      join(c, 'models--klue--bert-base', 'snapshots', 'abc123'),
    );
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VOCAB_MAP_FILE, bundledQwen3TokenizerDir, loadTokenizer, readVocabMap, type TextTokenizer } from '@kvc/models';
import { writeCompactTokenizer, type CompactVocabulary } from './write-compact-tokenizer.js';

const captions = [
  '빨간 원이 검은 배경 위에서 오른쪽으로 움직인다.',
  '줄무늬 배경에서 파란색 세모가 위쪽으로 이동하고 있다.',
];
const prompt = '이 영상을 자세히 설명해주세요.';

describe('compact vocabulary through loadTokenizer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvc-vocab-'));
  let vocab: CompactVocabulary;
  let tok: TextTokenizer;
  let real: TextTokenizer;
  beforeAll(async () => {
    vocab = await writeCompactTokenizer(dir, [prompt, ...captions]);
    tok = await loadTokenizer(dir);
    real = await loadTokenizer(bundledQwen3TokenizerDir());
  });

  it("holds exactly the texts' ids plus eos, pad and <|im_start|>, ascending", async () => {
    const want = new Set([prompt, ...captions].flatMap((t) => real.encode(t)));
    for (const t of ['<|im_end|>', '<|endoftext|>', '<|im_start|>']) want.add(real.tokenToId(t)!);
    expect(vocab.originalIds).toEqual([...want].sort((a, b) => a - b));
    expect(await readVocabMap(dir)).toEqual(vocab.originalIds);
  });

  it('round-trips Korean captions exactly, with compact ids that map back to the real ones', () => {
    for (const text of [prompt, ...captions]) {
      const ids = tok.encode(text);
      expect(Math.max(...ids)).toBeLessThan(tok.vocabSize);
      expect(ids.map((i) => vocab.originalIds[i])).toEqual(real.encode(text));
      expect(tok.decode(ids)).toBe(text);
    }
  });

  it('reports compact eos / pad / vocab size and maps token strings', () => {
    expect(tok.vocabSize).toBe(vocab.originalIds.length);
    expect(tok.eosTokenId).toBe(vocab.eosTokenId);
    expect(tok.padTokenId).toBe(vocab.padTokenId);
    expect(vocab.originalIds[tok.eosTokenId!]).toBe(real.eosTokenId);
    expect(vocab.originalIds[tok.padTokenId!]).toBe(real.padTokenId);
    expect(tok.tokenToId('<|im_end|>')).toBe(tok.eosTokenId);
    expect(tok.decode([...tok.encode(captions[0]!), tok.eosTokenId!], { skipSpecialTokens: true })).toBe(captions[0]);
  });

  it('rejects text with a token outside the map, and compact ids outside the vocabulary', () => {
    expect(() => tok.encode('qzxv 완전히 다른 문장')).toThrow(
      expect.objectContaining({ code: 'E_TOKEN_NOT_IN_VOCAB' }),
    );
    expect(() => tok.decode([tok.vocabSize])).toThrow(expect.objectContaining({ code: 'E_TOKEN_NOT_IN_VOCAB' }));
  });

  it('a broken map or one without eos is a clear error', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'kvc-vocab-bad-'));
    await writeCompactTokenizer(bad, [prompt]);
    writeFileSync(join(bad, VOCAB_MAP_FILE), JSON.stringify({ original_ids: [1, 1] }));
    await expect(loadTokenizer(bad)).rejects.toMatchObject({ code: 'E_VOCAB_MAP_INVALID' });
    const ids = JSON.parse(await readFile(join(dir, VOCAB_MAP_FILE), 'utf8')) as { original_ids: number[] };
    writeFileSync(
      join(bad, VOCAB_MAP_FILE),
      JSON.stringify({ original_ids: ids.original_ids.filter((i) => i !== real.eosTokenId) }),
    );
    await expect(loadTokenizer(bad)).rejects.toMatchObject({ code: 'E_VOCAB_MAP_INVALID' });
  });
});

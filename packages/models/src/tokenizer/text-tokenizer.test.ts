import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundledQwen3TokenizerDir, loadTokenizer, type TextTokenizer } from './text-tokenizer.js';

describe('Qwen3 tokenizer (bundled, offline)', () => {
  let tok: TextTokenizer;
  beforeAll(async () => {
    tok = await loadTokenizer(bundledQwen3TokenizerDir());
  });

  it('eos is <|im_end|> and pad is <|endoftext|>, as tokenizer_config.json says', () => {
    const cfg = JSON.parse(readFileSync(join(bundledQwen3TokenizerDir(), 'tokenizer_config.json'), 'utf8')) as {
      eos_token: string;
      pad_token: string;
    };
    expect(tok.eosTokenId).toBe(tok.tokenToId(cfg.eos_token));
    expect(tok.padTokenId).toBe(tok.tokenToId(cfg.pad_token));
    expect(tok.eosTokenId).not.toBe(tok.padTokenId);
    expect(tok.vocabSize).toBeGreaterThan(tok.eosTokenId!);
  });

  it('encodes without special tokens and decodes with or without them', () => {
    const text = '영상은 맑고 화창한 날씨입니다.';
    const ids = tok.encode(text);
    expect(ids).not.toContain(tok.eosTokenId);
    expect(tok.decode(ids)).toBe(text);
    expect(tok.decode([...ids, tok.eosTokenId!], { skipSpecialTokens: true })).toBe(text);
    expect(tok.decode([...ids, tok.eosTokenId!])).toBe(`${text}<|im_end|>`);
    // A generation that stopped at once has no ids to decode (transformers.js would throw).
    expect(tok.decode([])).toBe('');
    expect(tok.decode([tok.eosTokenId!], { skipSpecialTokens: true })).toBe('');
  });

  it('a folder without tokenizer.json is a clear error', async () => {
    await expect(loadTokenizer(mkdtempSync(join(tmpdir(), 'kvc-tok-')))).rejects.toMatchObject({
      code: 'E_TOKENIZER_NOT_FOUND',
    });
  });
});

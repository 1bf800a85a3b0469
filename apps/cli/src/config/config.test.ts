import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyOverride, loadRunConfig } from './load-config.js';
import { presets } from './presets.js';

describe('run config', () => {
  it('the seed preset resolves to the notebook values', () => {
    const c = loadRunConfig({ preset: 'seed' });
    const p = presets.seed;
    expect(c.llm.model).toBe(p.llm.model);
    expect(c.train.stage1).toMatchObject(p.train.stage1);
    expect(c.train.stage2).toMatchObject(p.train.stage2);
    expect(c.generation.maxNewTokens).toBe(p.generation.maxNewTokens);
    expect(c.lora.targetModules).toEqual(p.lora.targetModules);
  });

  it('applies key=value overrides with YAML scalar parsing', () => {
    const c = loadRunConfig({
      preset: 'demo',
      overrides: [
        'train.stage1.lr=2e-3',
        'eval.metrics=meteor,cider',
        'llm.model=Qwen/Qwen3-0.6B',
        'vision.dropCls=false',
      ],
    });
    expect(c.train.stage1.lr).toBe(2e-3);
    expect(c.eval.metrics).toEqual(['meteor', 'cider']);
    expect(c.llm.model).toBe('Qwen/Qwen3-0.6B');
    expect(c.vision.dropCls).toBe(false);
  });

  it('rejects unknown keys with a suggestion, and bad values with their path', () => {
    expect(() => loadRunConfig({ overrides: ['train.stage1.lrr=1'] })).toThrow(
      /train\.stage1\.lrr: unknown key \(did you mean "lr"\?\)/,
    );
    expect(() => loadRunConfig({ overrides: ['trian.seed=1'] })).toThrow(/did you mean "train"/);
    expect(() => loadRunConfig({ overrides: ['train.batchSize=0'] })).toThrow(/train\.batchSize/);
    expect(() => loadRunConfig({ preset: 'sed' })).toThrow(/unknown preset/);
    expect(() => applyOverride({}, 'novalue')).toThrow(/key=value/);
    expect(() => loadRunConfig({ overrides: ['generation.kvCache=bf16'] })).toThrow(/generation\.kvCache/);
  });

  it('generation.kvCache: auto by default, f32 or f16 on request', () => {
    expect(loadRunConfig({}).generation.kvCache).toBe('auto');
    expect(loadRunConfig({ overrides: ['generation.kvCache=f16'] }).generation.kvCache).toBe('f16');
    expect(loadRunConfig({ overrides: ['generation.kvCache=f32'] }).generation.kvCache).toBe('f32');
  });

  it('refuses __proto__, constructor and prototype segments (no prototype pollution) and empty segments', () => {
    for (const o of [
      '__proto__.polluted=1',
      'constructor.prototype.polluted=1',
      'train.__proto__.polluted=1',
      'a.prototype=1',
    ]) {
      let err: unknown;
      try {
        loadRunConfig({ preset: 'demo', overrides: [o] });
      } catch (e) {
        err = e;
      }
      expect(err, o).toMatchObject({ code: 'E_CONFIG_OVERRIDE', context: { key: o.split('=')[0] } });
      expect((err as Error).message).toMatch(/is not a config key/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(() => applyOverride({}, 'train..lr=1')).toThrow(/empty segment/);
    // inherited names are not sections: toString.x is an unknown key, reported by validation
    expect(() => loadRunConfig({ overrides: ['toString.x=1'] })).toThrow(/toString: unknown key/);
  });

  it('refuses a maxTextLength that cannot hold prompt, caption and EOS at load time, with an input error', () => {
    const err = (() => {
      try {
        return loadRunConfig({ preset: 'demo', overrides: ['maxTextLength=2'] });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toMatchObject({ code: 'E_CONFIG_INVALID' });
    expect((err as Error).message).toMatch(/maxTextLength: 2 cannot hold the prompt/);
    expect(loadRunConfig({ preset: 'demo', overrides: ['maxTextLength=3'] }).maxTextLength).toBe(3);
    expect(loadRunConfig({ preset: 'demo', overrides: ['maxTextLength=2', 'prompt=""'] }).maxTextLength).toBe(2);
  });

  it('reads YAML and JSON files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-cfg-'));
    writeFileSync(join(dir, 'a.yaml'), 'name: mine\ntrain:\n  seed: 7\n');
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ lora: { r: 4 } }));
    writeFileSync(join(dir, 'bad.yaml'), 'train: [unclosed\n');
    expect(loadRunConfig({ file: join(dir, 'a.yaml') }).train.seed).toBe(7);
    expect(loadRunConfig({ file: join(dir, 'b.json') }).lora.r).toBe(4);
    expect(() => loadRunConfig({ file: join(dir, 'bad.yaml') })).toThrow(/cannot parse/);
    expect(() => loadRunConfig({ file: join(dir, 'none.yaml') })).toThrow(/not found/);
  });
});

import { describe, expect, it } from 'vitest';
import { loadRunConfig } from './load-config.js';
import { quantizationOverride } from './quantization-flag.js';

describe('llm.quantization and --quantization', () => {
  it('the seed preset quantizes the base to nf4; the default and demo keep it as loaded', () => {
    expect(loadRunConfig({ preset: 'seed' }).llm.quantization).toBe('nf4');
    expect(loadRunConfig({}).llm.quantization).toBe('none');
    expect(loadRunConfig({ preset: 'demo' }).llm.quantization).toBe('none');
  });

  it('the flag is the config key, given last so it wins over the preset and earlier overrides', () => {
    const c = loadRunConfig({ preset: 'seed', overrides: ['llm.quantization=nf4', ...quantizationOverride('none')] });
    expect(c.llm.quantization).toBe('none');
    expect(quantizationOverride(undefined)).toEqual([]);
  });

  it('refuses other values once, at validation, saying what the old 4bit is called now', () => {
    expect(() => loadRunConfig({ preset: 'demo', overrides: quantizationOverride('4bit') })).toThrow(
      expect.objectContaining({ code: 'E_CONFIG_INVALID', message: expect.stringMatching(/llm\.quantization.*nf4/) }),
    );
  });
});

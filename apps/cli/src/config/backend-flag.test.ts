import { describe, expect, it } from 'vitest';
import { backendOverride } from './backend-flag.js';
import { loadRunConfig } from './load-config.js';

describe('--backend', () => {
  it('is the config key backend, given last so it wins over the preset and earlier overrides', () => {
    expect(loadRunConfig({ preset: 'demo', overrides: ['backend=wasm'] }).backend).toBe('wasm');
    const flagged = loadRunConfig({ preset: 'demo', overrides: ['backend=wasm', ...backendOverride('cpu')] });
    expect(flagged.backend).toBe('cpu');
    expect(backendOverride(undefined)).toEqual([]);
  });

  it('refuses a backend that does not exist, as the config key does', () => {
    expect(() => loadRunConfig({ preset: 'demo', overrides: backendOverride('cuda') })).toThrow(
      expect.objectContaining({ code: 'E_CONFIG_INVALID' }),
    );
  });
});

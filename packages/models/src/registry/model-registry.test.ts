import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, registeredModelTypes, registerModel } from './model-registry.js';

describe('model registry', () => {
  it('dispatches on config.json model_type, and one registration adds an architecture', async () => {
    expect(registeredModelTypes()).toContain('qwen3');
    const dir = mkdtempSync(join(tmpdir(), 'kvc-reg-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'toy_test_model', size: 3 }));
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'E_MODEL_TYPE_UNSUPPORTED', context: { supported: expect.arrayContaining(['qwen3']) } });
    registerModel('toy_test_model', async (d, cfg) => ({ dir: d, size: cfg.size, dispose: () => undefined }));
    await expect(loadModel<{ dir: string; size: number; dispose(): void }>(dir)).resolves.toMatchObject({ dir, size: 3 });
  });
});

import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { flashAttentionVariant, setFusedAttentionDefault } from '../gpu/flash-attention.js';
import { webgpuForTests } from '../gpu/webgpu-for-tests.js';
import { formatParityReport } from './parity-report.js';
import { modelParityRunners } from './model-parity-runners.js';

const REF = new URL('../../../../test/fixtures/reference/', import.meta.url).pathname;
const gpu = await webgpuForTests();
await initBackend('cpu');

describe('qwen3 parity runners (what `kvc parity` runs)', () => {
  it('qwen3-vlm: logits, loss, every gradient and the generated ids match transformers/peft', async () => {
    const r = await modelParityRunners['qwen3-vlm'](join(REF, 'qwen3'), { backend: 'cpu' });
    console.log(formatParityReport(r));
    expect(r.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'logits_base',
        'logits_lora',
        'logits_vlm',
        'loss',
        'generated_ids',
        'grad.projector.weight',
      ]),
    );
    expect(r.checks.filter((c) => c.name.startsWith('grad.base_model.')).length).toBeGreaterThan(0);
    expect(r.checks.filter((c) => !c.pass)).toEqual([]);
    expect(r.pass).toBe(true);
  });

  it('qwen3-vlm passes on the wasm backend too (forward, gradients, generation)', async () => {
    const r = await modelParityRunners['qwen3-vlm'](join(REF, 'qwen3'), { backend: 'wasm' });
    expect(r.backend).toBe('wasm');
    expect(r.checks.filter((c) => !c.pass)).toEqual([]);
    await initBackend('cpu');
  });

  // Generation on webgpu runs the in-place KV cache kernel and the device-side penalty/argmax.
  it.skipIf(!gpu)(
    'qwen3-vlm passes on webgpu too (lavapipe in CI; generated ids exact)',
    async () => {
      const r = await modelParityRunners['qwen3-vlm'](join(REF, 'qwen3'), { backend: 'webgpu' });
      expect(r.backend).toBe('webgpu');
      expect(r.checks.find((c) => c.name === 'generated_ids')?.pass).toBe(true);
      expect(
        r.checks.filter((c) => !c.pass),
        formatParityReport(r),
      ).toEqual([]);
      await initBackend('cpu');
    },
    300_000,
  );

  // The fused kernels take the layers' padding bias with the causal flag (qwen3-decoder-layer.ts
  // keyBias) and skip the blocks above the diagonal; the prefix's left pads see nothing.
  it.skipIf(!gpu)(
    'qwen3-vlm passes on webgpu with attention on the fused kernels (causal blocks skipped)',
    async () => {
      setFusedAttentionDefault(true);
      try {
        const r = await modelParityRunners['qwen3-vlm'](join(REF, 'qwen3'), { backend: 'webgpu' });
        expect(flashAttentionVariant()).toBe('portable');
        expect(
          r.checks.filter((c) => !c.pass),
          formatParityReport(r),
        ).toEqual([]);
      } finally {
        setFusedAttentionDefault(false);
        await initBackend('cpu');
      }
    },
    300_000,
  );

  it('qwen3-vlm fails when the model is wrong (rope_theta changed in a copy of the case)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-parity-'));
    cpSync(join(REF, 'qwen3'), dir, { recursive: true });
    const cfgPath = join(dir, 'model', 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as {
      rope_parameters?: { rope_theta: number };
      rope_theta?: number;
    };
    if (cfg.rope_parameters) cfg.rope_parameters.rope_theta /= 100;
    else cfg.rope_theta = (cfg.rope_theta ?? 10000) / 100;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const r = await modelParityRunners['qwen3-vlm'](dir, { backend: 'cpu' });
    expect(r.pass).toBe(false);
    expect(r.checks.find((c) => c.name === 'logits_base')?.pass).toBe(false);
  });

  it('qwen3-tokenizer: the bundled real Qwen3 tokenizer reproduces the Python ids exactly', async () => {
    const r = await modelParityRunners['qwen3-tokenizer'](join(REF, 'tokenizer'));
    console.log(formatParityReport(r));
    expect(r.checks.length).toBeGreaterThan(0);
    expect(r.checks.filter((c) => !c.pass)).toEqual([]);
  });
});

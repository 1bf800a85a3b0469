import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { gemmVariant } from './gemm.js';
import { nf4GemmVariant } from './nf4-gemm.js';
import { selectGemmVariant } from './select-gemm-variant.js';
import { webgpuBackend } from './webgpu-internals.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

describe.skipIf(!gpu)('selectGemmVariant (start-up self-test)', () => {
  it('initBackend("webgpu") ran it and chose a variant the device has, for the f16 and the NF4 GEMM', () => {
    const hasSM = webgpuBackend().device.features.has('chromium-experimental-subgroup-matrix');
    expect(gemmVariant()).toBe(hasSM ? 'subgroup-matrix' : 'portable');
    expect(nf4GemmVariant()).toBe(hasSM ? 'subgroup-matrix' : 'portable');
  });

  it('falls back to the portable variant with a warning when the subgroup-matrix one fails', async () => {
    const device = webgpuBackend().device;
    // Only meaningful where subgroup matrices are missing (lavapipe): there that kernel cannot compile.
    if (device.features.has('chromium-experimental-subgroup-matrix')) return;
    const sel = await selectGemmVariant(['subgroup-matrix', 'portable']);
    expect(sel.variant).toBe('portable');
    expect(sel.nf4Variant).toBe('portable');
    expect(sel.warnings).toHaveLength(2);
    expect(sel.warnings[0]).toMatch(/^f16 GEMM subgroup-matrix variant failed its self-test.*falling back/);
    expect(sel.warnings[1]).toMatch(/^NF4 GEMM subgroup-matrix variant failed its self-test.*falling back/);
    expect(gemmVariant()).toBe('portable');
    expect(nf4GemmVariant()).toBe('portable');
  });
});

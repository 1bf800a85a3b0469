import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { modelParityRunners, type ModelParityKind } from '../parity/model-parity-runners.js';
import { formatParityReport } from '../parity/parity-report.js';
import { setFusedElementwiseDefault } from './fused-elementwise.js';
import { ownDispatchCount } from './webgpu-internals.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const REF = fileURLToPath(new URL('../../../../test/fixtures/reference/', import.meta.url));
const CASES: [string, ModelParityKind][] = [
  ['clip', 'clip-vision'],
  ['siglip', 'siglip'],
  ['bert', 'bert'],
];

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});
afterEach(() => setFusedElementwiseDefault(true));

describe.skipIf(!gpu)('the encoders on webgpu in f32 with the fused LayerNorm and GELU kernels', () => {
  for (const [folder, kind] of CASES) {
    it(`${kind}: HF reference within the parity tolerances, switched off and on (more kernels of ours)`, async () => {
      const dispatches: number[] = [];
      for (const on of [false, true]) {
        setFusedElementwiseDefault(on);
        const before = ownDispatchCount();
        const r = await modelParityRunners[kind](`${REF}${folder}`, { precision: 'f32' });
        dispatches.push(ownDispatchCount() - before);
        expect(tf.getBackend()).toBe('webgpu');
        expect(r.pass, formatParityReport(r)).toBe(true);
        if (on) console.log(formatParityReport(r));
      }
      expect(dispatches[1]).toBeGreaterThan(dispatches[0]!);
    }, 300_000);
  }
});

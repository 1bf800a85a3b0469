import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCaseJson } from './read-case.js';
import { modelParityRunners } from './model-parity-runners.js';

const REF = fileURLToPath(new URL('../../../../test/fixtures/reference/', import.meta.url));
const CASES = { clip: 'clip-vision', siglip: 'siglip', bert: 'bert', processors: 'image-processors' } as const;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('modelParityRunners (encoder cases; run-qwen3-parity.test.ts runs the qwen3 ones)', () => {
  it('dispatches each shared case by its case.json kind, and every one passes', async () => {
    for (const [folder, kind] of Object.entries(CASES)) {
      const dir = `${REF}${folder}`;
      expect((await readCaseJson(dir)).kind).toBe(kind);
      const r = await modelParityRunners[kind](dir);
      expect(r.kind).toBe(kind);
      expect(r.pass).toBe(true);
    }
  });
});

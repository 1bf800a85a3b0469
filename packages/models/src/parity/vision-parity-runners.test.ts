import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCaseJson } from './read-case.js';
import { visionParityRunners } from './vision-parity-runners.js';

const REF = fileURLToPath(new URL('../../../../test/fixtures/reference/', import.meta.url));
const CASES = { clip: 'clip-vision', siglip: 'siglip', bert: 'bert', processors: 'image-processors' } as const;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('visionParityRunners', () => {
  it('dispatches each shared case by its case.json kind, and every one passes', async () => {
    for (const [folder, kind] of Object.entries(CASES)) {
      const dir = `${REF}${folder}`;
      expect((await readCaseJson(dir)).kind).toBe(kind);
      const r = await visionParityRunners[kind](dir);
      expect(r.kind).toBe(kind);
      expect(r.pass).toBe(true);
    }
  });
});

/** Test helpers (not exported from the package): temp directories and deterministic tensors. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeatureTensor } from '../feature-cache.js';

/** A fresh temp directory and its cleanup. */
export function tempDir(prefix = 'kvc-fc-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A deterministic pseudo-random tensor (xorshift32; values spread over many magnitudes and signs). */
export function randomTensor(shape: readonly number[], seed = 1): FeatureTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    data[i] = ((s / 0xffffffff) * 2 - 1) * 2 ** ((s % 24) - 12);
  }
  return { data, shape };
}

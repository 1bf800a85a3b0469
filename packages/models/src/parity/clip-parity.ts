/**
 * Parity runner for the `clip-vision` case: CLIPVisionModel on the reference pixel values,
 * compared with HF's last_hidden_state, penultimate (hidden_states[-2]) and pooler_output.
 */
import * as tf from '@tensorflow/tfjs-core';
import { join, resolve } from 'node:path';
import type { ClipVisionConfig } from '../clip/clip-vision-config.js';
import { ClipVisionModel } from '../clip/clip-vision-model.js';
import type { Precision } from '../nn/precision.js';
import { precisionCompare } from './f16-parity-tolerance.js';
import { makeReport, type ParityReport } from './parity-report.js';
import { readCaseJson, readReferenceTensors } from './read-case.js';

/** Absolute tolerance on hidden states (float32 reimplementations reach ~1e-5). */
export const CLIP_PARITY_TOL = 1e-4;

export interface ClipParityOptions {
  /** Config overrides (mutation tests prove the runner can fail). */
  readonly config?: Partial<ClipVisionConfig>;
  /** Frozen linear weights in f16 on WebGPU: checked with the f16 tolerances (f16-parity-tolerance.ts). */
  readonly precision?: Precision;
}

export async function runClipVisionParity(caseDir: string, opts: ClipParityOptions = {}): Promise<ParityReport> {
  const dir = resolve(caseDir);
  const c = await readCaseJson(dir);
  const ref = await readReferenceTensors(dir);
  const model = await ClipVisionModel.load(join(dir, typeof c.model === 'string' ? c.model : 'model/'), {
    config: opts.config ?? {},
    precision: opts.precision ?? 'f32',
  });
  try {
    const px = need(ref, 'pixel_values');
    const pixels = tf.tensor4d(px.data, px.shape as [number, number, number, number]);
    const out = model.forward(pixels, { hiddenStates: [-2] });
    pixels.dispose();
    const checks = [];
    // f16 GEMMs on the way: the patch embedding, then 2 per attention and 2 per MLP of each layer.
    const L = model.config.numHiddenLayers;
    for (const [name, t, depth] of [
      ['last_hidden_state', out.lastHiddenState, 1 + 4 * L],
      ['penultimate', out.hiddenStates[0]!, 1 + 4 * (L - 1)],
      ['pooler_output', out.poolerOutput, 1 + 4 * L],
    ] as const) {
      const e = need(ref, name);
      const tol = { mode: 'abs', tolerance: CLIP_PARITY_TOL, depth } as const;
      checks.push(
        precisionCompare(opts.precision ?? 'f32', name, await t.data(), e.data, tol, {
          actual: t.shape,
          expected: e.shape,
        }),
      );
    }
    tf.dispose([out.lastHiddenState, out.poolerOutput, ...out.hiddenStates]);
    return makeReport('clip-vision', dir, checks, tf.getBackend());
  } finally {
    model.dispose();
  }
}

/** A reference tensor that must exist. */
export function need(
  ref: Map<string, { shape: number[]; data: Float32Array }>,
  name: string,
): { shape: number[]; data: Float32Array } {
  const t = ref.get(name);
  if (!t) throw new Error(`reference.safetensors has no tensor ${name}`);
  return t;
}

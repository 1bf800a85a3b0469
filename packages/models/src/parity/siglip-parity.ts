/**
 * Parity runner for the `siglip` case: SiglipModel on the reference pixels and ids (padded to
 * 64, no attention mask), compared with HF's logits, normalised embeddings and the seed's
 * per-caption score `score_text0`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { join, resolve } from 'node:path';
import { siglipCaptionScore } from '../siglip/siglip-caption-score.js';
import { SiglipModel, type SiglipLoadOptions } from '../siglip/siglip-model.js';
import { need } from './clip-parity.js';
import type { Precision } from '../nn/precision.js';
import { precisionCompare } from './f16-parity-tolerance.js';
import { makeReport, type ParityReport } from './parity-report.js';
import { readCaseJson, readReferenceTensors } from './read-case.js';

/** Absolute tolerance on logits, embeddings and the score. */
export const SIGLIP_PARITY_TOL = 1e-4;

export interface SiglipParityOptions {
  /** Config overrides (mutation tests prove the runner can fail). */
  readonly config?: SiglipLoadOptions['config'];
  /** Frozen linear weights in f16 on WebGPU: checked with the f16 tolerances (f16-parity-tolerance.ts). */
  readonly precision?: Precision;
}

export async function runSiglipParity(caseDir: string, opts: SiglipParityOptions = {}): Promise<ParityReport> {
  const dir = resolve(caseDir);
  const c = await readCaseJson(dir);
  const ref = await readReferenceTensors(dir);
  const model = await SiglipModel.load(join(dir, typeof c.model === 'string' ? c.model : 'model/'), {
    ...(opts.config ? { config: opts.config } : {}),
    precision: opts.precision ?? 'f32',
  });
  try {
    const px = need(ref, 'pixel_values');
    const ids = need(ref, 'input_ids');
    const out = tf.tidy(() =>
      model.forward(
        tf.tensor4d(px.data, px.shape as [number, number, number, number]),
        tf.tensor2d(Int32Array.from(ids.data), ids.shape as [number, number], 'int32'),
      ),
    );
    const checks = [];
    const precision = opts.precision ?? 'f32';
    // f16 GEMMs on the way: image = patch + 4 per layer + the pooling head's k/v, out_proj, fc1, fc2;
    // text = 4 per layer + its head; the logits compare the two, so their errors add.
    const dv = 1 + 4 * model.config.vision.numHiddenLayers + 4,
      dt = 4 * model.config.text.numHiddenLayers + 1;
    const tol = (depth: number) => ({ mode: 'abs', tolerance: SIGLIP_PARITY_TOL, depth }) as const;
    for (const [name, t, depth] of [
      ['logits_per_image', out.logitsPerImage, dv + dt],
      ['logits_per_text', out.logitsPerText, dv + dt],
      ['image_embeds', out.imageEmbeds, dv],
      ['text_embeds', out.textEmbeds, dt],
    ] as const) {
      const e = need(ref, name);
      checks.push(
        precisionCompare(precision, name, await t.data(), e.data, tol(depth), { actual: t.shape, expected: e.shape }),
      );
    }
    const score = siglipCaptionScore({ data: await out.logitsPerImage.data(), shape: out.logitsPerImage.shape }, 0);
    checks.push(precisionCompare(precision, 'score_text0', [score], need(ref, 'score_text0').data, tol(dv + dt)));
    tf.dispose([out.logitsPerImage, out.logitsPerText, out.imageEmbeds, out.textEmbeds]);
    return makeReport('siglip', dir, checks, tf.getBackend());
  } finally {
    model.dispose();
  }
}

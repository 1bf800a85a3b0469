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
import { compare } from './compare.js';
import { makeReport, type ParityReport } from './parity-report.js';
import { readCaseJson, readReferenceTensors } from './read-case.js';

/** Absolute tolerance on logits, embeddings and the score. */
export const SIGLIP_PARITY_TOL = 1e-4;

export interface SiglipParityOptions {
  /** Config overrides (mutation tests prove the runner can fail). */
  readonly config?: SiglipLoadOptions['config'];
}

export async function runSiglipParity(caseDir: string, opts: SiglipParityOptions = {}): Promise<ParityReport> {
  const dir = resolve(caseDir);
  const c = await readCaseJson(dir);
  const ref = await readReferenceTensors(dir);
  const model = await SiglipModel.load(
    join(dir, typeof c.model === 'string' ? c.model : 'model/'),
    opts.config ? { config: opts.config } : {},
  );
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
    for (const [name, t] of [
      ['logits_per_image', out.logitsPerImage],
      ['logits_per_text', out.logitsPerText],
      ['image_embeds', out.imageEmbeds],
      ['text_embeds', out.textEmbeds],
    ] as const) {
      const e = need(ref, name);
      checks.push(
        compare(name, await t.data(), e.data, 'abs', SIGLIP_PARITY_TOL, { actual: t.shape, expected: e.shape }),
      );
    }
    const score = siglipCaptionScore({ data: await out.logitsPerImage.data(), shape: out.logitsPerImage.shape }, 0);
    checks.push(compare('score_text0', score, need(ref, 'score_text0').data, 'abs', SIGLIP_PARITY_TOL));
    tf.dispose([out.logitsPerImage, out.logitsPerText, out.imageEmbeds, out.textEmbeds]);
    return makeReport('siglip', dir, checks, tf.getBackend());
  } finally {
    model.dispose();
  }
}

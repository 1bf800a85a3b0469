/**
 * Parity runner for the `bert` case: BertModel on the reference ids and attention mask (row 2
 * padded), every hidden state (embeddings + each layer) compared with HF's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { join, resolve } from 'node:path';
import type { BertConfig } from '../bert/bert-config.js';
import { BertModel } from '../bert/bert-model.js';
import { need } from './clip-parity.js';
import { compare } from './compare.js';
import type { Precision } from '../nn/precision.js';
import { precisionCompare } from './f16-parity-tolerance.js';
import { makeReport, type ParityReport } from './parity-report.js';
import { readCaseJson, readReferenceTensors } from './read-case.js';

/** Absolute tolerance on hidden states. */
export const BERT_PARITY_TOL = 1e-4;

export interface BertParityOptions {
  /** Config overrides (mutation tests prove the runner can fail). */
  readonly config?: Partial<BertConfig>;
  /** Drop the attention mask (mutation test: padding must matter). */
  readonly ignoreAttentionMask?: boolean;
  /** Frozen linear weights in f16 on WebGPU: checked with the f16 tolerances (f16-parity-tolerance.ts). */
  readonly precision?: Precision;
}

export async function runBertParity(caseDir: string, opts: BertParityOptions = {}): Promise<ParityReport> {
  const dir = resolve(caseDir);
  const c = await readCaseJson(dir);
  const ref = await readReferenceTensors(dir);
  const model = await BertModel.load(join(dir, typeof c.model === 'string' ? c.model : 'model/'), {
    ...(opts.config ? { config: opts.config } : {}),
    precision: opts.precision ?? 'f32',
  });
  try {
    const ids = need(ref, 'input_ids');
    const mask = need(ref, 'attention_mask');
    const hs = need(ref, 'hidden_states');
    const shape = ids.shape as [number, number];
    const states = tf.tidy(() =>
      model.allHiddenStates({
        inputIds: tf.tensor2d(Int32Array.from(ids.data), shape, 'int32'),
        ...(opts.ignoreAttentionMask ? {} : { attentionMask: tf.tensor2d(Int32Array.from(mask.data), shape, 'int32') }),
      }),
    );
    const per = hs.shape.slice(1);
    const size = per.reduce((a, b) => a * b, 1);
    const checks = [];
    const tol = (k: number) => ({ mode: 'abs', tolerance: BERT_PARITY_TOL, depth: 4 * k }) as const;
    for (let k = 0; k < hs.shape[0]!; k++) {
      const t = states[k];
      const e = hs.data.subarray(k * size, (k + 1) * size);
      checks.push(
        t
          ? // hidden_states[k] is reached through 4 f16 GEMMs per layer (2 attention, 2 MLP)
            precisionCompare(opts.precision ?? 'f32', `hidden_states[${k}]`, await t.data(), e, tol(k), {
              actual: t.shape,
              expected: per,
            })
          : compare(`hidden_states[${k}]`, [], e, 'abs', BERT_PARITY_TOL),
      );
    }
    tf.dispose(states);
    return makeReport('bert', dir, checks, tf.getBackend());
  } finally {
    model.dispose();
  }
}

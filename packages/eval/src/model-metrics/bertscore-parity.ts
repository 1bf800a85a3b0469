/**
 * Parity runner for `bertscore` reference cases (what `kvc parity <case-dir>` calls): encodes every
 * pair with our tokenizer path and BERT, scores it, and compares the token ids (exactly) and each
 * pair's P, R, F and their means (1e-4 absolute) with what bert_score 0.3.12 produced.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ParityCaseError } from '../errors.js';
import { makeReport, type ParityCheck, type ParityReport } from '@kvc/models/parity';
import { numericCheck, tokensCheck } from '../metrics/parity-checks.js';
import { computeBertScore } from './bert-score.js';
import { BertSentenceEncoder } from './bert-sentence-encoder.js';

/** Absolute tolerance of P, R, F. */
export const BERTSCORE_PARITY_TOLERANCE = 1e-4;

interface BertscoreCase {
  readonly candidate: string;
  readonly reference: string;
  readonly candidate_ids: readonly number[];
  readonly reference_ids: readonly number[];
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

interface BertscoreReference {
  readonly model?: string;
  readonly num_layers: number;
  readonly mean: { readonly precision: number; readonly recall: number; readonly f1: number };
  readonly cases: readonly BertscoreCase[];
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ParityCaseError(
      `cannot read ${file}`,
      { file, reason: (err as Error).message },
      'pass a folder made by make_bertscore_reference.py',
    );
  }
}

const ints = (v: unknown) => Array.isArray(v) && v.every((x) => Number.isInteger(x));
function isCase(c: unknown): c is BertscoreCase {
  const o = c as Record<string, unknown> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.candidate === 'string' &&
    typeof o.reference === 'string' &&
    ints(o.candidate_ids) &&
    ints(o.reference_ids) &&
    ['precision', 'recall', 'f1'].every((k) => typeof o[k] === 'number')
  );
}

/** Options of {@link runBertscoreParity}: overrides a mutation test uses to prove it can fail. */
export interface BertscoreParityOptions {
  /** Read this layer instead of the reference's `num_layers`. */
  readonly layer?: number;
}

/** Compare our BERTScore with the bert_score reference in `caseDir`. */
export async function runBertscoreParity(
  caseDir: string,
  options: BertscoreParityOptions = {},
): Promise<ParityReport & { readonly backend: string }> {
  const dir = resolve(caseDir);
  const caseJson = await readJson(join(dir, 'case.json'));
  if (caseJson.kind !== 'bertscore')
    throw new ParityCaseError('case.json is not a bertscore case', {
      file: join(dir, 'case.json'),
      kind: String(caseJson.kind),
    });
  const refFile = join(dir, typeof caseJson.reference === 'string' ? caseJson.reference : 'bertscore_reference.json');
  const ref = (await readJson(refFile)) as unknown as BertscoreReference;
  if (
    !Array.isArray(ref.cases) ||
    !ref.cases.every(isCase) ||
    !Number.isInteger(ref.num_layers) ||
    typeof ref.mean?.f1 !== 'number'
  ) {
    throw new ParityCaseError(
      'reference JSON lacks num_layers, mean {precision, recall, f1} or cases[] {candidate, reference, *_ids, precision, recall, f1}',
      { file: refFile },
    );
  }
  const modelDir = join(dir, typeof caseJson.model === 'string' ? caseJson.model : 'model/');
  const encoder = await BertSentenceEncoder.load(modelDir, { layer: options.layer ?? ref.num_layers });
  try {
    const checks: ParityCheck[] = [];
    const str = (ids: readonly number[]) => ids.map(String);
    ref.cases.forEach((c, i) => {
      checks.push(tokensCheck(`pair[${i}].candidate_ids`, str(encoder.encode(c.candidate)), str(c.candidate_ids)));
      checks.push(tokensCheck(`pair[${i}].reference_ids`, str(encoder.encode(c.reference)), str(c.reference_ids)));
    });
    const scores = await computeBertScore(
      encoder,
      ref.cases.map((c) => c.candidate),
      ref.cases.map((c) => c.reference),
    );
    const keys = ['precision', 'recall', 'f1'] as const;
    scores.forEach((s, i) =>
      keys.forEach((k) =>
        checks.push(numericCheck(`pair[${i}].${k}`, s[k], ref.cases[i]![k], BERTSCORE_PARITY_TOLERANCE)),
      ),
    );
    // torch means in float32; the tolerance covers the difference from a float64 mean.
    for (const k of keys)
      checks.push(
        numericCheck(
          `mean.${k}`,
          scores.reduce((a, s) => a + s[k], 0) / scores.length,
          ref.mean[k],
          BERTSCORE_PARITY_TOLERANCE,
        ),
      );
    return { ...makeReport('bertscore', dir, checks), backend: tf.getBackend() };
  } finally {
    encoder.dispose();
  }
}

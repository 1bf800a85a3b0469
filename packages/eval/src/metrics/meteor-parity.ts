/**
 * Parity runner for `meteor` reference cases (what `kvc parity <case-dir>` calls): tokenizes every
 * pair with the nltk port, scores it, and compares tokens (exactly), each pair's METEOR and the
 * corpus mean (1e-6 absolute) with what nltk 3.10.3 produced.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ParityCaseError } from '../errors.js';
import { nltkWordTokenize } from '../tokenize/nltk-word-tokenize.js';
import { type MeteorOptions, singleMeteorScore } from './meteor.js';
import { numpyMean } from './numpy-mean.js';
import { makeReport, type ParityCheck, type ParityReport } from '@kvc/models/parity';
import { numericCheck, tokensCheck } from './parity-checks.js';

/** Absolute tolerance of METEOR values. */
export const METEOR_PARITY_TOLERANCE = 1e-6;

interface MeteorCase {
  readonly prediction: string;
  readonly reference: string;
  readonly pred_tokens: readonly string[];
  readonly ref_tokens: readonly string[];
  readonly meteor: number;
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ParityCaseError(
      `cannot read ${file}`,
      { file, reason: (err as Error).message },
      'pass a folder made by the reference scripts',
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ParityCaseError(`${file} is not valid JSON`, { file, reason: (err as Error).message });
  }
}

function isMeteorCase(c: unknown): c is MeteorCase {
  const o = c as Record<string, unknown> | null;
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.prediction === 'string' &&
    typeof o.reference === 'string' &&
    strings(o.pred_tokens) &&
    strings(o.ref_tokens) &&
    typeof o.meteor === 'number'
  );
}

/**
 * Compare the TypeScript METEOR with the reference in `caseDir` (case.json `{kind: "meteor",
 * reference: "<file>.json"}`). `options` override METEOR's parameters (a mutation test uses them
 * to prove the comparison can fail).
 */
export async function runMeteorParity(caseDir: string, options: MeteorOptions = {}): Promise<ParityReport> {
  const caseJson = (await readJson(join(caseDir, 'case.json'))) as { kind?: unknown; reference?: unknown };
  if (caseJson.kind !== 'meteor') {
    throw new ParityCaseError('case.json is not a meteor case', {
      file: join(caseDir, 'case.json'),
      kind: String(caseJson.kind),
    });
  }
  const refFile = join(caseDir, typeof caseJson.reference === 'string' ? caseJson.reference : 'meteor_reference.json');
  const ref = (await readJson(refFile)) as { cases?: unknown; corpus_meteor?: unknown };
  if (!Array.isArray(ref.cases) || !ref.cases.every(isMeteorCase) || typeof ref.corpus_meteor !== 'number') {
    throw new ParityCaseError(
      'reference JSON lacks cases[] {prediction, reference, pred_tokens, ref_tokens, meteor} or corpus_meteor',
      {
        file: refFile,
      },
    );
  }
  const checks: ParityCheck[] = [];
  const scores = ref.cases.map((c, i) => {
    const pred = nltkWordTokenize(c.prediction);
    const refTokens = nltkWordTokenize(c.reference);
    checks.push(tokensCheck(`pair[${i}].pred_tokens`, pred, c.pred_tokens));
    checks.push(tokensCheck(`pair[${i}].ref_tokens`, refTokens, c.ref_tokens));
    const score = singleMeteorScore(refTokens, pred, options);
    checks.push(numericCheck(`pair[${i}].meteor`, score, c.meteor, METEOR_PARITY_TOLERANCE));
    return score;
  });
  checks.push(numericCheck('corpus_meteor', numpyMean(scores), ref.corpus_meteor, METEOR_PARITY_TOLERANCE));
  return makeReport('meteor', caseDir, checks);
}

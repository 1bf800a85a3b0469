/**
 * Parity runner for reference kind `adamw-cosine` (test/fixtures/reference/optim): replays the
 * Python procedure — per step: set grads, clip_grad_norm_(max_norm) over both params, record the
 * lr, AdamW step, scheduler step — and compares every pre-clip norm, every lr and the final
 * parameters with what torch produced. `kvc parity` calls this for that kind.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TrainError } from '../errors.js';
import { AdamW } from './adamw.js';
import { clipGradNorm } from './clip-grad-norm.js';
import { cosineWithWarmup } from './lr-lambda.js';
import { compare, makeReport, type ParityCheck, type ParityReport } from '@kvc/models/parity';
import { Scheduler } from './scheduler.js';
import type { SafetensorsTensor } from './testing/read-safetensors.js';
import { readSafetensorsFile } from './testing/read-safetensors.js';

/** Hyperparameters of the case (from case.json); overridable to prove the comparison can fail. */
export interface AdamwCosineHyperparameters {
  readonly lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly warmupSteps: number;
  readonly totalSteps: number;
  readonly maxGradNorm: number;
}

/** Tolerances: relative on norms and lrs (their scale varies), absolute on the O(1) parameters. */
export const ADAMW_COSINE_TOLERANCE = {
  norm: { mode: 'rel', value: 1e-6 },
  lr: { mode: 'rel', value: 1e-6 },
  param: { mode: 'abs', value: 1e-6 },
} as const;

/** Run the `adamw-cosine` case in `caseDir` and compare with its reference. */
export async function runAdamwCosineParity(
  caseDir: string,
  options: { readonly override?: Partial<AdamwCosineHyperparameters> } = {},
): Promise<ParityReport> {
  const hp = { ...(await readCase(caseDir)), ...options.override };
  const ref = await readSafetensorsFile(join(caseDir, 'reference.safetensors'));
  const get = (name: string): SafetensorsTensor => {
    const t = ref.get(name);
    if (t === undefined || !(t.data instanceof Float32Array))
      throw new TrainError('E_PARITY_CASE', `reference tensor "${name}" is missing or not F32`, {
        caseDir,
        tensor: name,
      });
    return t;
  };
  const gradsP = get('grads_p');
  const gradsQ = get('grads_q');
  const steps = gradsP.shape[0] ?? 0;
  const params = new Map([
    ['p', Float32Array.from(get('p0').data as Float32Array)],
    ['q', Float32Array.from(get('q0').data as Float32Array)],
  ]);
  const sizeP = params.get('p')!.length;
  const sizeQ = params.get('q')!.length;

  const optimizer = new AdamW({
    groups: [{ name: 'all', params: ['p', 'q'], lr: hp.lr, weightDecay: hp.weightDecay, betas: hp.betas, eps: hp.eps }],
  });
  const scheduler = new Scheduler(
    optimizer,
    cosineWithWarmup({ warmupSteps: hp.warmupSteps, totalSteps: hp.totalSteps }),
  );
  const norms: number[] = [];
  const lrs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const grads = new Map([
      ['p', (gradsP.data as Float32Array).slice(i * sizeP, (i + 1) * sizeP)],
      ['q', (gradsQ.data as Float32Array).slice(i * sizeQ, (i + 1) * sizeQ)],
    ]);
    norms.push(clipGradNorm(grads, hp.maxGradNorm));
    lrs.push(Math.fround(optimizer.lr('all'))); // the reference stores the lr as float32
    optimizer.step(params, grads);
    scheduler.step();
  }

  const expectedNorms = get('pre_clip_norms').data as Float32Array;
  const expectedLrs = get('lrs').data as Float32Array;
  const t = ADAMW_COSINE_TOLERANCE;
  const checks: ParityCheck[] = [];
  for (let i = 0; i < Math.max(steps, expectedNorms.length); i++) {
    checks.push(
      compare(`pre_clip_norms[${i}]`, norms.slice(i, i + 1), expectedNorms.slice(i, i + 1), t.norm.mode, t.norm.value),
    );
  }
  for (let i = 0; i < Math.max(steps, expectedLrs.length); i++) {
    checks.push(compare(`lrs[${i}]`, lrs.slice(i, i + 1), expectedLrs.slice(i, i + 1), t.lr.mode, t.lr.value));
  }
  checks.push(compare('p_final', params.get('p')!, get('p_final').data as Float32Array, t.param.mode, t.param.value));
  checks.push(compare('q_final', params.get('q')!, get('q_final').data as Float32Array, t.param.mode, t.param.value));
  return makeReport('adamw-cosine', caseDir, checks);
}

async function readCase(caseDir: string): Promise<AdamwCosineHyperparameters> {
  const file = join(caseDir, 'case.json');
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new TrainError(
      'E_PARITY_CASE',
      `cannot read ${file}`,
      { caseDir, file, reason: String(err) },
      'pass the folder that holds case.json and reference.safetensors',
    );
  }
  if (json.kind !== 'adamw-cosine')
    throw new TrainError('E_PARITY_CASE', `case kind is ${JSON.stringify(json.kind)}, not "adamw-cosine"`, {
      caseDir,
      kind: json.kind,
    });
  const num = (key: string): number => {
    const v = json[key];
    if (typeof v !== 'number')
      throw new TrainError('E_PARITY_CASE', `case.json: "${key}" must be a number`, { caseDir, key, value: v });
    return v;
  };
  const betas = json.betas;
  const [beta1, beta2] = Array.isArray(betas) ? (betas as unknown[]) : [];
  if (typeof beta1 !== 'number' || typeof beta2 !== 'number' || (betas as unknown[]).length !== 2) {
    throw new TrainError('E_PARITY_CASE', 'case.json: "betas" must be two numbers', { caseDir, betas });
  }
  return {
    lr: num('lr'),
    betas: [beta1, beta2],
    eps: num('eps'),
    weightDecay: num('weight_decay'),
    warmupSteps: num('warmup_steps'),
    totalSteps: num('total_steps'),
    maxGradNorm: num('max_grad_norm'),
  };
}

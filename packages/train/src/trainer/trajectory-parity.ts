/**
 * The `train-trajectory` reference through the real trainer: the case's micro-batches in order,
 * stage 1 (projector) then stage 2 (projector + LoRA), each one pass with a fresh AdamW and
 * warmup-cosine schedule. Compares every micro-batch loss, every pre-clip norm and LR, the
 * projector after stage 1 (read back from the stage-1 checkpoint) and projector + LoRA after
 * stage 2 (from the final checkpoint): so checkpoints are part of what is checked.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { firstValueFrom, toArray } from 'rxjs';
import { LoraAdapter, Projector, SafetensorsFile, initBackend, loadQwen3 } from '@kvc/models';
import { compare, makeReport, readReferenceTensors } from '@kvc/models/parity';
import type { BackendName, Precision } from '@kvc/models';
import type { ParityCheck, ParityReport } from '@kvc/models/parity';
import type { TrainBatch } from '../batching/batch-source.js';
import { train } from './train.js';
import type { TrainEvent, TrainerOptions } from './trainer-types.js';
import { ADAPTER_DIR, PROJECTOR_FILE } from './train-checkpoint.js';
import { f16TrajectoryTolerances, maxAbsLogit } from './f16-trajectory-tolerance.js';
import { TRAJECTORY_TOLERANCES } from './trajectory-tolerances.js';

interface TrajectoryCase {
  kind: string;
  model: string;
  adapter_init: string;
  projector_init: string;
  micro_batches: number;
  batch_size: number;
  gradient_accumulation: number;
  stage1: { lr: number };
  stage2: { lr: number };
  optimizer: { betas: [number, number]; eps: number; weight_decay: number };
  warmup_ratio: number;
  max_grad_norm: number;
}

export { TRAJECTORY_TOLERANCES } from './trajectory-tolerances.js';

export async function runTrainTrajectoryParity(
  caseDir: string,
  opts: { backend?: BackendName; precision?: Precision; override?: Partial<TrainerOptions> } = {},
): Promise<ParityReport> {
  const precision = opts.precision ?? 'f32';
  const dir = resolve(caseDir);
  const c = JSON.parse(await readFile(join(dir, 'case.json'), 'utf8')) as TrajectoryCase;
  const { backend } = await initBackend(opts.backend ?? 'cpu', { purpose: 'training' });
  const ref = await readReferenceTensors(dir);
  const get = (k: string) => {
    const t = ref.get(k);
    if (!t) throw new Error(`reference tensor ${k} missing`);
    return t;
  };
  const model = await loadQwen3(join(dir, c.model), { precision });
  const lora = await LoraAdapter.load(join(dir, c.adapter_init), model.linearModules());
  const projector = await Projector.load(join(dir, c.projector_init));
  const runDir = await mkdtemp(join(tmpdir(), 'kvc-trajectory-'));
  try {
    const batches: TrainBatch[] = Array.from({ length: c.micro_batches }, (_, i) => {
      const ids = get(`batch${i}.input_ids`);
      const [b, t] = ids.shape as [number, number];
      const vis = get(`batch${i}.vision_features`);
      return {
        batchSize: b,
        seqLength: t,
        inputIds: Int32Array.from(ids.data),
        attentionMask: Int32Array.from(get(`batch${i}.attention_mask`).data),
        labels: Int32Array.from(get(`batch${i}.labels`).data),
        ids: Array.from({ length: b }, (_, k) => `b${i}.${k}`),
        vision: { shape: vis.shape, data: vis.data },
        epoch: 0,
        index: i,
        batchesInEpoch: c.micro_batches,
      };
    });
    const layers = model.config.numHiddenLayers;
    const tol =
      precision === 'f16'
        ? f16TrajectoryTolerances(layers, await maxAbsLogit({ model, projector, lora }, batches[0]!))
        : { ...TRAJECTORY_TOLERANCES, paramsRel: () => TRAJECTORY_TOLERANCES.paramsRel };
    const options: TrainerOptions = {
      runDir,
      stages: [
        { name: 'stage1', epochs: 1, lr: c.stage1.lr, trainLora: false },
        { name: 'stage2', epochs: 1, lr: c.stage2.lr, trainLora: true },
      ],
      gradAccumulation: c.gradient_accumulation,
      maxGradNorm: c.max_grad_norm,
      warmupRatio: c.warmup_ratio,
      weightDecay: c.optimizer.weight_decay,
      betas: c.optimizer.betas,
      eps: c.optimizer.eps,
      seed: 0,
      keepCheckpoints: 10,
      config: { case: dir },
      // f16 trains as kvc train does in f16: with dynamic loss scaling (torch GradScaler defaults).
      ...(precision === 'f16' ? { lossScale: {} } : {}),
      ...opts.override,
    };
    const events = await firstValueFrom(
      train({
        options,
        parts: { model, projector, lora },
        data: {
          batchesPerEpoch: batches.length,
          async *batches(_stage, _epoch, start) {
            yield* batches.slice(start);
          },
        },
      }).pipe(toArray()),
    );
    const steps = events.filter((e): e is Extract<TrainEvent, { type: 'step' }> => e.type === 'step');
    const checks: ParityCheck[] = [];
    checks.push(
      compare(
        'losses (every micro-batch)',
        steps.flatMap((s) => s.microLosses),
        get('losses').data,
        'abs',
        tol.loss,
      ),
    );
    checks.push(
      compare(
        'pre_clip_norms (every step)',
        steps.map((s) => s.gradNorm),
        get('pre_clip_norms').data,
        'rel',
        tol.normRel,
      ),
    );
    checks.push(
      compare(
        'lrs (every step)',
        steps.map((s) => s.lr),
        get('lrs').data,
        'rel',
        tol.lrRel,
      ),
    );
    // Stage 1's result is the checkpoint written when stage 1 ended.
    const stage1Dir = events.find((e) => e.type === 'checkpoint' && e.stage === 'stage1' && e.reason === 'epoch') as
      | Extract<TrainEvent, { type: 'checkpoint' }>
      | undefined;
    const finalDir = events.find((e) => e.type === 'checkpoint' && e.reason === 'final') as
      | Extract<TrainEvent, { type: 'checkpoint' }>
      | undefined;
    if (!stage1Dir || !finalDir) throw new Error('the trainer wrote no stage-1 or final checkpoint');
    // The reference LRs each tensor's updates used (f16 tolerances grow with them).
    const lrs = Array.from(get('lrs').data);
    const stage1Steps = steps.filter((st) => st.stage === 'stage1').length;
    const lrSum = { stage1: sum(lrs.slice(0, stage1Steps)), stage2: sum(lrs), lora: sum(lrs.slice(stage1Steps)) };
    const paramsTol = (key: string, lrTotal: number) => {
      const e = get(key).data;
      return tol.paramsRel(e.length, Math.sqrt(sum(Array.from(e, (x) => x * x))), lrTotal);
    };
    for (const [stage, ck] of [
      ['stage1', stage1Dir.path],
      ['stage2', finalDir.path],
    ] as const) {
      const pf = await SafetensorsFile.open(join(ck, PROJECTOR_FILE));
      for (const n of ['weight', 'bias'])
        checks.push(
          compare(
            `${stage}.projector.${n}`,
            await pf.readFloat32(n),
            get(`${stage}.projector.${n}`).data,
            'rel-norm',
            paramsTol(`${stage}.projector.${n}`, lrSum[stage]),
          ),
        );
      await pf.close();
    }
    const af = await SafetensorsFile.open(join(finalDir.path, ADAPTER_DIR, 'adapter_model.safetensors'));
    for (const key of [...ref.keys()].filter((k) => k.startsWith('stage2.base_model.')).sort()) {
      checks.push(
        compare(
          key,
          await af.readFloat32(key.slice('stage2.'.length)),
          get(key).data,
          'rel-norm',
          paramsTol(key, lrSum.lora),
        ),
      );
    }
    await af.close();
    return makeReport(c.kind, dir, checks, backend);
  } finally {
    model.dispose();
    lora.dispose();
    projector.dispose();
    await rm(runDir, { recursive: true, force: true });
  }
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

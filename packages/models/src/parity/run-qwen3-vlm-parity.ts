/**
 * Parity runner of kind `qwen3-vlm`: loads the case's HF Qwen3 model and PEFT adapter from
 * disk and checks, against what transformers/peft computed: base logits, LoRA logits, the
 * seed's VLM logits and loss, every gradient (named as the reference names them), and the
 * greedy generation from embeddings with repetition penalty.
 */
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '../engine/init-backend.js';
import { readJsonConfig } from '../io/read-config.js';
import { LoraAdapter } from '../lora/lora-adapter.js';
import { eosList } from '../qwen3/qwen3-config.js';
import { loadQwen3 } from '../qwen3/load-qwen3.js';
import { Projector } from '../projector/projector.js';
import { vlmLogits, vlmLossAndGrads } from '../vlm/vlm-loss.js';
import { generateGreedy } from '../generation/generate-greedy.js';
import { existsSync } from 'node:fs';
import { compare } from './compare.js';
import type { Precision } from '../nn/precision.js';
import { f16RelTolerance, precisionCompare } from './f16-parity-tolerance.js';
import { makeReport, type ParityCheck, type ParityReport } from './parity-report.js';
import { readCaseJson, readReferenceTensors } from './read-case.js';

export interface ModelParityOptions {
  /** Backend to run on (default cpu: exact float32 kernels). */
  readonly backend?: BackendName;
  /** Frozen linear weights in f16 (webgpu only): checked with the f16 tolerances (f16-parity-tolerance.ts). */
  readonly precision?: Precision;
}

/** Tolerances: logits/loss absolute, gradients relative to their norm, ids exact. */
export const QWEN3_VLM_TOLERANCES = { logits: 1e-4, loss: 1e-4, grad: 1e-4 } as const;

export async function runQwen3VlmParity(caseDir: string, opts: ModelParityOptions = {}): Promise<ParityReport> {
  const dir = resolve(caseDir);
  const { backend } = await initBackend(opts.backend ?? 'cpu', { purpose: 'training' });
  const c = await readCaseJson(dir);
  const ref = await readReferenceTensors(dir);
  const need = (name: string) => {
    const t = ref.get(name);
    if (!t) throw new Error(`reference.safetensors of ${dir} has no tensor ${name}`);
    return t;
  };
  const modelDir = join(dir, String(c.model ?? 'model/'));
  const precision = opts.precision ?? 'f32';
  const model = await loadQwen3(modelDir, { precision });
  const adapter = await LoraAdapter.load(join(dir, String(c.adapter ?? 'adapter/')), model.linearModules());
  const projector = Projector.fromTensors(
    new Map([...ref].filter(([k]) => k.startsWith('projector.')).map(([k, v]) => [k, tf.tensor(v.data, v.shape)])),
    true,
  );
  const checks: ParityCheck[] = [];
  const ids = need('input_ids');
  const am = need('attention_mask');
  const labels = need('labels');
  const vf = need('vision_features');
  const inputIds = tf.tensor2d(Int32Array.from(ids.data), ids.shape as [number, number], 'int32');
  const attentionMask = tf.tensor2d(am.data, am.shape as [number, number]);
  const visionFeatures = tf.tensor3d(vf.data, vf.shape as [number, number, number]);
  const batch = { visionFeatures, inputIds, attentionMask, labels: Int32Array.from(labels.data) };
  const tol = QWEN3_VLM_TOLERANCES;
  // f16 GEMMs on the way (f16-parity-tolerance.ts): 4 per decoder layer (q/k/v → o, gate/up → down) and the
  // output head to the logits, plus the f16 embedding table (one rounding, counted as one more); the gradients
  // come back through them again.
  const depth = 4 * model.config.numHiddenLayers + 2;
  const check = async (name: string, t: tf.Tensor, mode: 'abs' | 'rel-norm', tolerance: number, d = depth) => {
    const e = need(name);
    const shapes = { actual: t.shape, expected: e.shape };
    checks.push(precisionCompare(precision, name, await t.data(), e.data, { mode, tolerance, depth: d }, shapes));
    t.dispose();
  };
  try {
    await check('logits_base', model.logits({ inputIds, attentionMask }), 'abs', tol.logits);
    await check('logits_lora', model.logits({ inputIds, attentionMask, lora: adapter }), 'abs', tol.logits);
    const parts = { model, projector, lora: adapter };
    await check('logits_vlm', vlmLogits(parts, batch), 'abs', tol.logits);
    const trainable = new Map([...projector.variables('projector.'), ...adapter.variables('default')]);
    const { loss, grads } = await vlmLossAndGrads(parts, batch, trainable);
    // The reference stores the scalar loss as shape [1].
    const lossT = tf.tidy(() => tf.reshape(loss, [1]));
    if (precision === 'f16') {
      // Cross-entropy moves by at most 2·max|δlogits| per row (and so on average): an absolute bound.
      const bound = tol.loss + 2 * f16RelTolerance(depth, 0) * maxAbs(need('logits_vlm').data);
      checks.push(compare('loss', await lossT.data(), need('loss').data, 'abs', bound));
      lossT.dispose();
    } else await check('loss', lossT, 'abs', tol.loss);
    loss.dispose();
    for (const name of [...ref.keys()].filter((k) => k.startsWith('grad.'))) {
      const g = grads.get(name.slice('grad.'.length));
      if (g) await check(name, g, 'rel-norm', tol.grad, 2 * depth);
      else
        checks.push({
          name,
          mode: 'rel-norm',
          tolerance: tol.grad,
          maxAbs: Infinity,
          maxRel: Infinity,
          error: Infinity,
          pass: false,
          detail: 'no such trainable tensor here',
        });
    }
    tf.dispose([...grads.values()]);
    checks.push(await checkGeneration(dir, c, modelDir, parts, batch, need('generated_ids').data));
  } finally {
    tf.dispose([inputIds, attentionMask, visionFeatures]);
    projector.dispose();
    adapter.dispose();
    model.dispose();
  }
  return makeReport(c.kind, dir, checks, backend);
}

async function checkGeneration(
  dir: string,
  c: Record<string, unknown>,
  modelDir: string,
  parts: { model: Awaited<ReturnType<typeof loadQwen3>>; projector: Projector; lora: LoraAdapter },
  batch: { visionFeatures: tf.Tensor3D; inputIds: tf.Tensor2D },
  expected: Float32Array,
): Promise<ParityCheck> {
  const promptLen = Number(c.prompt_len ?? batch.inputIds.shape[1]);
  const genCfg = existsSync(join(modelDir, 'generation_config.json'))
    ? await readJsonConfig(modelDir, 'generation_config.json')
    : {};
  const eos = eosList(genCfg.eos_token_id);
  const prompt = tf.tidy(() => {
    const vis = parts.projector.apply(tf.slice(batch.visionFeatures, [0, 0, 0], [1, -1, -1]));
    const txt = parts.model.embed(tf.slice(batch.inputIds, [0, 0], [1, promptLen]));
    return tf.squeeze(tf.concat([vis, txt], 1), [0]) as tf.Tensor2D;
  });
  try {
    const [res] = await generateGreedy(parts.model, [prompt], {
      // The reference ran to EOS or to max_new_tokens; its length bounds ours either way.
      maxNewTokens: Number(c.max_new_tokens ?? expected.length),
      // The case notes: repetition_penalty 1.2, the seed's value.
      repetitionPenalty: Number(c.repetition_penalty ?? 1.2),
      ...(eos.length ? { eosTokenId: eos } : {}),
      lora: parts.lora,
    });
    return compare('generated_ids', res!.ids, expected, 'exact', 0, {
      actual: [res!.ids.length],
      expected: [expected.length],
    });
  } finally {
    prompt.dispose();
    void dir;
  }
}

const maxAbs = (xs: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, Math.abs(xs[i]!));
  return m;
};

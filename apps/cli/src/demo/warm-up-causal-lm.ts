/**
 * Text-only warm-up of a whole (tiny) Qwen3 as a plain causal LM: a real LLM arrives
 * pretrained, the demo's tiny one must first learn the caption language. Every weight becomes
 * a variable; token embeddings are a one-hot matmul (wasm has no gather gradient) and the
 * loss a one-hot-weighted log-softmax, so the whole graph trains on wasm. @kvc/train's AdamW
 * with warmup + cosine decay and global-norm clipping 1.0 (HostAdamW); batches drawn with a
 * seeded RNG.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Qwen3ForCausalLM, SeededRandom, singleMatrix, type Qwen3Weights } from '@kvc/models';
import { CliError } from '../cli-error.js';
import { HostAdamW } from './host-adamw.js';

export interface WarmUpOptions {
  readonly steps: number;
  readonly batchSize: number;
  /** Peak learning rate (default 3e-3). */
  readonly lr?: number;
  /** Warmup fraction of the steps (default 0.1). */
  readonly warmupRatio?: number;
  readonly seed?: number;
  /** Stop early after this many seconds (the schedule still assumes `steps`). */
  readonly maxSeconds?: number;
  /** Pad id of the batches (never a target: padding is masked by position). */
  readonly padId: number;
  readonly onStep?: (s: { step: number; steps: number; loss: number; elapsedS: number }) => void;
}

export interface WarmUpResult {
  /** A model whose weights are the trained variables (the caller disposes it). */
  readonly model: Qwen3ForCausalLM;
  /** Mean loss on a fixed batch of the first sequences, before and after. */
  readonly lossBefore: number;
  readonly lossAfter: number;
  readonly steps: number;
  readonly seconds: number;
}

function asVariables(w: Qwen3Weights): { weights: Qwen3Weights; vars: tf.Variable[] } {
  const vars: tf.Variable[] = [];
  const v = <T extends tf.Tensor>(t: T): T => {
    const x = tf.variable(t, true);
    vars.push(x);
    return x as unknown as T;
  };
  const lin = (p: { weight: tf.Tensor2D; bias?: tf.Tensor1D }) => ({
    weight: v(p.weight),
    ...(p.bias ? { bias: v(p.bias) } : {}),
  });
  const layers = w.layers.map((l) => ({
    inputNorm: v(l.inputNorm),
    postAttentionNorm: v(l.postAttentionNorm),
    qNorm: v(l.qNorm),
    kNorm: v(l.kNorm),
    q: lin(l.q),
    k: lin(l.k),
    v: lin(l.v),
    o: lin(l.o),
    gate: lin(l.gate),
    up: lin(l.up),
    down: lin(l.down),
  }));
  // The warm-up trains tiny models only: their matrices are never split into row shards.
  const embedTokens = v(singleMatrix(w.embedTokens, 'warmUpCausalLm'));
  const lmHead = w.lmHead ? v(singleMatrix(w.lmHead, 'warmUpCausalLm')) : undefined;
  return { weights: { embedTokens, layers, norm: v(w.norm), lmHead }, vars };
}

/** Right-padded ids [B, T] and their mask. */
function pad(
  seqs: readonly (readonly number[])[],
  padId: number,
): { ids: Int32Array; mask: Float32Array; b: number; t: number } {
  const t = Math.max(...seqs.map((s) => s.length));
  const ids = new Int32Array(seqs.length * t).fill(padId);
  const mask = new Float32Array(seqs.length * t);
  seqs.forEach((s, b) =>
    s.forEach((id, i) => {
      ids[b * t + i] = id;
      mask[b * t + i] = 1;
    }),
  );
  return { ids, mask, b: seqs.length, t };
}

/** Mean next-token cross-entropy over real tokens; differentiable on wasm (no gather). */
export function causalLmLoss(model: Qwen3ForCausalLM, seqs: readonly (readonly number[])[], padId: number): tf.Scalar {
  const { ids, mask, b, t } = pad(seqs, padId);
  const V = model.config.vocabSize;
  return tf.tidy(() => {
    // int32 oneHot then cast: tfjs-backend-wasm 4.22 writes int bits into a float32 oneHot.
    const oh = tf.cast(tf.oneHot(tf.tensor1d(ids, 'int32'), V), 'float32') as tf.Tensor2D;
    const embeds = tf.reshape(tf.matMul(oh, singleMatrix(model.weights.embedTokens, 'warmUpCausalLm')), [
      b,
      t,
      -1,
    ]) as tf.Tensor3D;
    const m = tf.tensor2d(mask, [b, t]);
    const hidden = model.forward({ inputsEmbeds: embeds, attentionMask: m });
    const logits = tf.reshape(model.lmHead(tf.slice(hidden, [0, 0, 0], [b, t - 1, -1])), [b * (t - 1), V]);
    const target = tf.reshape(tf.slice(tf.reshape(oh, [b, t, V]), [0, 1, 0], [b, t - 1, V]), [b * (t - 1), V]);
    const w = tf.reshape(tf.slice(m, [0, 1], [b, t - 1]), [-1]);
    const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), target), 1));
    return tf.div(tf.sum(tf.mul(nll, w)), tf.maximum(tf.sum(w), 1)) as tf.Scalar;
  });
}

/** Trains every weight of `base` on `sequences` (token ids, EOS included). */
export async function warmUpCausalLm(
  base: Qwen3ForCausalLM,
  sequences: readonly (readonly number[])[],
  o: WarmUpOptions,
): Promise<WarmUpResult> {
  if (!sequences.length || sequences.some((s) => s.length < 2)) {
    throw new CliError('E_BAD_ARGUMENT', 'warm-up needs sequences of at least 2 tokens', {
      sequences: sequences.length,
    });
  }
  if (!(o.steps >= 0 && o.batchSize > 0)) {
    const context = { steps: o.steps, batchSize: o.batchSize };
    throw new CliError('E_BAD_ARGUMENT', 'warm-up steps must be >= 0 and batchSize > 0', context);
  }
  const { weights, vars } = asVariables(base.weights);
  const model = new Qwen3ForCausalLM(base.config, weights);
  const rng = new SeededRandom(o.seed ?? 0);
  const probe = sequences.slice(0, 64);
  const evalLoss = async () => {
    const l = causalLmLoss(model, probe, o.padId);
    const x = (await l.data())[0]!;
    l.dispose();
    return x;
  };
  const lossBefore = await evalLoss();
  const adam = new HostAdamW(vars, { lr: o.lr ?? 3e-3, totalSteps: o.steps, warmupRatio: o.warmupRatio ?? 0.1 });
  const t0 = Date.now();
  let step = 0;
  for (; step < o.steps; step++) {
    if (o.maxSeconds !== undefined && (Date.now() - t0) / 1000 > o.maxSeconds) break;
    const batch = Array.from({ length: o.batchSize }, () => sequences[Math.floor(rng.next() * sequences.length)]!);
    const { value, grads } = tf.variableGrads(() => causalLmLoss(model, batch, o.padId), vars);
    let loss: number;
    try {
      await adam.step(grads);
      loss = (await value.data())[0]!;
    } finally {
      tf.dispose([value, ...Object.values(grads)]);
    }
    o.onStep?.({ step: step + 1, steps: o.steps, loss, elapsedS: (Date.now() - t0) / 1000 });
  }
  const lossAfter = await evalLoss();
  return { model, lossBefore, lossAfter, steps: step, seconds: (Date.now() - t0) / 1000 };
}

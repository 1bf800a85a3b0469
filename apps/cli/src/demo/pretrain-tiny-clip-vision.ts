/**
 * Supervised pretraining of a (tiny) CLIP vision tower: a real CLIP arrives knowing shapes,
 * colors and where things are; a random tiny one does not, and its patch tokens then barely
 * separate what the captions name. Small linear heads read the PATCH tokens of the last hidden
 * state (the features a captioner gets: CLS dropped) and are discarded afterwards; the tower
 * learns to make per-frame labels linearly readable from those tokens. Generic: processed
 * frames plus per-frame (or per-patch) class labels and regression values in, the folder's
 * model.safetensors rewritten in place (same names and layout) out.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, type PixelBatch } from '@kvc/models';
import { CliError } from '../cli-error.js';
import { HostAdamW } from './host-adamw.js';
import { TrainableClipVision } from './trainable-clip-vision.js';
import { targetHeads, type VisionTarget } from './vision-target-heads.js';

export type { VisionTarget } from './vision-target-heads.js';

export interface VisionPretrainOptions {
  readonly steps: number;
  readonly batchSize: number;
  /** Peak learning rate (default 2e-3), linear warmup then cosine decay. */
  readonly lr?: number;
  readonly warmupRatio?: number;
  /** Decoupled (AdamW) weight decay (default 0). */
  readonly weightDecay?: number;
  readonly seed?: number;
  /** Stop early after this many seconds (the schedule still assumes `steps`). */
  readonly maxSeconds?: number;
  /** The last frames held out of training to measure before/after (default min(256, N/5)). */
  readonly holdOut?: number;
  readonly onStep?: (s: { step: number; steps: number; loss: number; elapsedS: number }) => void;
}

/** Held-out loss and, per target, accuracy (class) or mean squared error (regression). */
export type VisionPretrainMetrics = Readonly<Record<string, number>>;

export interface VisionPretrainResult {
  /** With the random heads, before any step (so `loss` is the untrained one). */
  readonly before: VisionPretrainMetrics;
  readonly after: VisionPretrainMetrics;
  readonly steps: number;
  readonly seconds: number;
}

/** Copies frames `idx` of an NCHW batch into one tensor. */
function gatherPixels(frames: PixelBatch, idx: readonly number[]): tf.Tensor4D {
  const [, c, h, w] = frames.shape;
  const per = c * h * w;
  const out = new Float32Array(idx.length * per);
  idx.forEach((i, k) => out.set(frames.data.subarray(i * per, (i + 1) * per), k * per));
  return tf.tensor4d(out, [idx.length, c, h, w]);
}

/**
 * Trains every weight of the tower in `dir` on `frames` and their `targets`, then rewrites
 * `dir/model.safetensors`. Deterministic for a seed (same data, same backend).
 */
export async function pretrainTinyClipVision(
  dir: string,
  frames: PixelBatch,
  targets: readonly VisionTarget[],
  o: VisionPretrainOptions,
): Promise<VisionPretrainResult> {
  const n = frames.shape[0];
  const holdOut = o.holdOut ?? Math.min(256, Math.floor(n / 5));
  if (!(o.steps >= 0 && o.batchSize > 0) || !targets.length || !(holdOut >= 1 && holdOut < n)) {
    throw new CliError(
      'E_BAD_ARGUMENT',
      'vision pretraining needs steps >= 0, batchSize > 0, at least one target and frames beyond the held-out ones',
      { steps: o.steps, batchSize: o.batchSize, targets: targets.length, frames: n, holdOut },
    );
  }
  const tower = await TrainableClipVision.load(dir);
  const rng = new SeededRandom(o.seed ?? 0);
  const patches = (tower.config.imageSize / tower.config.patchSize) ** 2;
  const heads = targetHeads(targets, { frames: n, patches, hidden: tower.config.hiddenSize, rng });
  const vars = [...tower.variables, ...heads.variables];
  const train = n - holdOut;
  const evaluate = async (): Promise<VisionPretrainMetrics> => {
    const sums: Record<string, number> = {};
    for (let s = train; s < n; s += 128) {
      const idx = Array.from({ length: Math.min(128, n - s) }, (_, k) => s + k);
      const tokens = tf.tidy(() => tower.patchTokens(gatherPixels(frames, idx)));
      const m = await heads.metrics(tokens, idx).finally(() => tokens.dispose());
      for (const [k, v] of Object.entries(m)) sums[k] = (sums[k] ?? 0) + v * idx.length;
    }
    return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / holdOut]));
  };
  try {
    const before = await evaluate();
    const adam = new HostAdamW(vars, {
      lr: o.lr ?? 2e-3,
      totalSteps: o.steps,
      warmupRatio: o.warmupRatio ?? 0.1,
      weightDecay: o.weightDecay ?? 0,
    });
    const t0 = Date.now();
    let step = 0;
    for (; step < o.steps; step++) {
      if (o.maxSeconds !== undefined && (Date.now() - t0) / 1000 > o.maxSeconds) break;
      const idx = Array.from({ length: o.batchSize }, () => Math.floor(rng.next() * train));
      const pixels = gatherPixels(frames, idx);
      const { value, grads } = tf.variableGrads(() => heads.loss(tower.patchTokens(pixels), idx), vars);
      let loss: number;
      try {
        await adam.step(grads);
        loss = (await value.data())[0]!;
      } finally {
        tf.dispose([pixels, value, ...Object.values(grads)]);
      }
      o.onStep?.({ step: step + 1, steps: o.steps, loss, elapsedS: (Date.now() - t0) / 1000 });
    }
    const after = await evaluate();
    await tower.save(dir);
    return { before, after, steps: step, seconds: (Date.now() - t0) / 1000 };
  } finally {
    tower.dispose();
    heads.dispose();
  }
}

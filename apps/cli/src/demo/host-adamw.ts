/**
 * The optimizer of the demo's pretraining loops (LM warm-up, tiny-CLIP pretraining): @kvc/train's
 * AdamW (torch semantics), its warmup + cosine schedule and global-norm clipping, run on host
 * copies of a list of tfjs variables. Each step reads the gradients to the CPU, clips, updates
 * the float32 master copies and writes them back: cheap for these tiny models, and the same
 * math as the captioner's trainer. It holds no tensors, so there is nothing to dispose. Every
 * read is asynchronous: webgpu in Node has no synchronous read (`dataSync` throws there).
 */
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, Scheduler, clipGradNorm, cosineWithWarmup, warmupStepsFromRatio, type ParamSet } from '@kvc/train';

export interface HostAdamWOptions {
  /** Peak learning rate (reached after the warmup, then cosine decay to 0 at `totalSteps`). */
  readonly lr: number;
  /** Optimizer steps the schedule spans (a loop stopped early just ends sooner). */
  readonly totalSteps: number;
  /** Warmup fraction of `totalSteps` (warmup steps = int(ratio × total), as the trainer). */
  readonly warmupRatio: number;
  /** Decoupled weight decay (default 0: the warm-up and pretraining never decayed). */
  readonly weightDecay?: number;
  /** Default [0.9, 0.98]: the faster second moment these short runs were tuned with. */
  readonly betas?: readonly [number, number];
  /** Default 1e-8. */
  readonly eps?: number;
  /** Global gradient-norm bound (default 1). */
  readonly maxGradNorm?: number;
}

async function readVariables(vars: readonly tf.Variable[]): Promise<ParamSet> {
  const out: ParamSet = new Map();
  for (const v of vars) out.set(v.name, Float32Array.from((await v.data()) as Float32Array));
  return out;
}

/** AdamW + warmup-cosine + clipping over `vars`, keyed by variable name (as `tf.variableGrads` keys gradients). */
export class HostAdamW {
  /** Master copies, read from the variables at the first step. */
  private params: ParamSet | undefined;
  private readonly optimizer: AdamW;
  private readonly scheduler: Scheduler;
  private readonly maxGradNorm: number;

  constructor(
    private readonly vars: readonly tf.Variable[],
    o: HostAdamWOptions,
  ) {
    this.optimizer = new AdamW({
      groups: [{ name: 'all', params: vars.map((v) => v.name), lr: o.lr }],
      weightDecay: o.weightDecay ?? 0,
      betas: o.betas ?? [0.9, 0.98],
      eps: o.eps ?? 1e-8,
    });
    const warmupSteps = warmupStepsFromRatio(o.warmupRatio, o.totalSteps);
    this.scheduler = new Scheduler(this.optimizer, cosineWithWarmup({ warmupSteps, totalSteps: o.totalSteps }));
    this.maxGradNorm = o.maxGradNorm ?? 1;
  }

  /** The lr the next step uses. */
  get lr(): number {
    return this.optimizer.lr('all');
  }

  /**
   * One update from `grads` (the caller still owns and disposes them); returns the lr used and
   * the gradient norm before clipping.
   */
  async step(grads: tf.NamedTensorMap): Promise<{ lr: number; gradNorm: number }> {
    const params = this.params ?? (this.params = await readVariables(this.vars));
    const host: ParamSet = new Map();
    for (const v of this.vars) {
      const g = grads[v.name];
      // A variable the loss does not reach gets no gradient: AdamW skips it, as torch does.
      if (g) host.set(v.name, Float32Array.from((await g.data()) as Float32Array));
    }
    const lr = this.lr;
    const gradNorm = clipGradNorm(host, this.maxGradNorm);
    this.optimizer.step(params, host);
    this.scheduler.step();
    for (const v of this.vars) {
      // A copy: the cpu backend keeps the array it is given, and the master copy changes next step.
      const p = params.get(v.name)!;
      tf.tidy(() => v.assign(tf.tensor(p.slice(), v.shape, 'float32')));
    }
    return { lr, gradNorm };
  }
}

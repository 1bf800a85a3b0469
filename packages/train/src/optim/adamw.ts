/**
 * AdamW with torch's semantics (`torch.optim.AdamW`, single-tensor path, float32): decoupled
 * weight decay, bias correction, eps added outside the sqrt. Per element, in torch's order:
 *   p  = p * (1 - lr*wd)                       (scalar in f64, cast to f32)
 *   m  = lerp(m, g, 1 - beta1)                 (FMA)
 *   v  = v * beta2;  v = v + (1-beta2) * g * g (FMA)
 *   denom = sqrt(v) / sqrt(1 - beta2^t) + eps
 *   p  = p + (-lr / (1 - beta1^t)) * m / denom
 * Bias corrections and the step size are Python floats in torch, so they stay float64 here and
 * are rounded to float32 only where torch hands them to a kernel.
 */
import { TrainError } from '../errors.js';
import { addcdivF32, addcmulF32, lerpF32 } from './f32-kernels.js';
import type { ParamSet, ReadonlyParamSet } from './param-set.js';
import type { AdamWGroupState, AdamWState } from './adamw-state.js';
import { ADAMW_STATE_FORMAT, restoreAdamWState } from './adamw-state.js';

const f = Math.fround;

/** One parameter group: its own lr (the scheduler scales it) and hyperparameters. */
export interface AdamWGroupConfig {
  readonly name: string;
  /** Names of the parameters (keys of the ParamSet passed to `step`). */
  readonly params: readonly string[];
  readonly lr: number;
  readonly weightDecay?: number;
  readonly betas?: readonly [number, number];
  readonly eps?: number;
}

/** Optimizer-wide defaults (torch's: betas .9/.999, eps 1e-8, weight decay 1e-2). */
export interface AdamWConfig {
  readonly groups: readonly AdamWGroupConfig[];
  readonly betas?: readonly [number, number];
  readonly eps?: number;
  readonly weightDecay?: number;
}

/** Per-parameter moments; `step` counts the updates this parameter received. */
export interface AdamWParamState {
  step: number;
  readonly expAvg: Float32Array;
  readonly expAvgSq: Float32Array;
}

function validateGroup(g: AdamWGroupState): void {
  const bad = (reason: string): never => {
    throw new TrainError('E_OPTIM_CONFIG', `invalid AdamW group "${g.name}": ${reason}`, { group: g.name, reason });
  };
  if (!(Number.isFinite(g.lr) && g.lr >= 0)) bad(`lr must be a finite number >= 0, got ${g.lr}`);
  if (!(Number.isFinite(g.weightDecay) && g.weightDecay >= 0)) bad(`weightDecay must be >= 0, got ${g.weightDecay}`);
  if (!(Number.isFinite(g.eps) && g.eps >= 0)) bad(`eps must be >= 0, got ${g.eps}`);
  for (const b of g.betas) if (!(b >= 0 && b < 1)) bad(`betas must be in [0, 1), got [${g.betas.join(', ')}]`);
}

/** AdamW over named parameter groups, with checkpointable state (`state()` / `loadState()`). */
export class AdamW {
  private groupStates: AdamWGroupState[];
  private readonly paramStates = new Map<string, AdamWParamState>();

  constructor(config: AdamWConfig) {
    const seen = new Set<string>();
    const names = new Set<string>();
    this.groupStates = config.groups.map((g) => {
      if (names.has(g.name))
        throw new TrainError('E_OPTIM_CONFIG', `duplicate AdamW group "${g.name}"`, { group: g.name });
      names.add(g.name);
      for (const p of g.params) {
        if (seen.has(p))
          throw new TrainError('E_OPTIM_CONFIG', `parameter "${p}" is in two AdamW groups`, {
            param: p,
            group: g.name,
          });
        seen.add(p);
      }
      const group: AdamWGroupState = {
        name: g.name,
        params: [...g.params],
        lr: g.lr,
        initialLr: g.lr,
        weightDecay: g.weightDecay ?? config.weightDecay ?? 1e-2,
        betas: [...(g.betas ?? config.betas ?? [0.9, 0.999])] as [number, number],
        eps: g.eps ?? config.eps ?? 1e-8,
      };
      validateGroup(group);
      return group;
    });
    if (this.groupStates.length === 0)
      throw new TrainError('E_OPTIM_CONFIG', 'AdamW needs at least one parameter group');
  }

  /** Group names in construction order. */
  groupNames(): readonly string[] {
    return this.groupStates.map((g) => g.name);
  }

  /** The lr a group was created with (torch's `initial_lr`: the scheduler's base lr). */
  initialLr(group: string): number {
    return this.group(group).initialLr;
  }

  /** The lr the next `step` will use for a group. */
  lr(group: string): number {
    return this.group(group).lr;
  }

  /** Set a group's lr (what a scheduler does). */
  setLr(group: string, lr: number): void {
    const g = this.group(group);
    if (!(Number.isFinite(lr) && lr >= 0))
      throw new TrainError('E_OPTIM_CONFIG', `lr must be >= 0, got ${lr}`, { group, lr });
    g.lr = lr;
  }

  /**
   * One optimizer step: updates `params` in place from `grads`. Parameters without a gradient
   * are skipped (like torch's `grad is None`), their step count does not advance.
   */
  step(params: ParamSet, grads: ReadonlyParamSet): void {
    for (const g of this.groupStates) {
      const [beta1, beta2] = g.betas;
      const decay = f(1 - g.lr * g.weightDecay);
      const w1 = f(1 - beta1);
      const b2 = f(beta2);
      const w2 = f(1 - beta2);
      const eps = f(g.eps);
      for (const name of g.params) {
        const grad = grads.get(name);
        if (grad === undefined) continue;
        const p = params.get(name);
        if (p === undefined)
          throw new TrainError('E_OPTIM_SHAPE', `AdamW: parameter "${name}" has a gradient but no values`, {
            param: name,
            group: g.name,
          });
        if (p.length !== grad.length) {
          throw new TrainError(
            'E_OPTIM_SHAPE',
            `AdamW: "${name}" has ${p.length} values but ${grad.length} gradients`,
            { param: name, values: p.length, grads: grad.length },
          );
        }
        const s = this.paramState(name, p.length);
        s.step += 1;
        const bc1 = 1 - beta1 ** s.step;
        const bc2 = 1 - beta2 ** s.step;
        const negStepSize = f(-(g.lr / bc1));
        const bc2Sqrt = f(Math.sqrt(bc2));
        const { expAvg: m, expAvgSq: v } = s;
        for (let i = 0; i < p.length; i++) {
          const gi = grad[i]!;
          if (decay !== 1) p[i] = f(p[i]! * decay);
          m[i] = lerpF32(m[i]!, gi, w1);
          v[i] = addcmulF32(f(v[i]! * b2), gi, gi, w2);
          const denom = f(f(f(Math.sqrt(v[i]!)) / bc2Sqrt) + eps);
          p[i] = addcdivF32(p[i]!, m[i]!, denom, negStepSize);
        }
      }
    }
  }

  /** A deep copy of everything needed to continue identically (checkpoint it). */
  state(): AdamWState {
    const params: Record<string, AdamWParamState> = {};
    for (const [name, s] of this.paramStates)
      params[name] = { step: s.step, expAvg: Float32Array.from(s.expAvg), expAvgSq: Float32Array.from(s.expAvgSq) };
    return {
      format: ADAMW_STATE_FORMAT,
      groups: this.groupStates.map((g) => ({ ...g, params: [...g.params], betas: [...g.betas] as [number, number] })),
      params,
    };
  }

  /** Restore `state()` output. Groups must match by name and parameter list; hyperparameters are restored too (as torch does). */
  loadState(state: AdamWState): void {
    const { groups, params } = restoreAdamWState(state, this.groupStates);
    groups.forEach(validateGroup);
    this.groupStates = groups;
    this.paramStates.clear();
    for (const [name, s] of params) this.paramStates.set(name, s);
  }

  private group(name: string): AdamWGroupState {
    const g = this.groupStates.find((x) => x.name === name);
    if (g === undefined)
      throw new TrainError('E_OPTIM_CONFIG', `no AdamW group "${name}"`, { group: name, groups: this.groupNames() });
    return g;
  }

  private paramState(name: string, length: number): AdamWParamState {
    let s = this.paramStates.get(name);
    if (s === undefined) {
      s = { step: 0, expAvg: new Float32Array(length), expAvgSq: new Float32Array(length) };
      this.paramStates.set(name, s);
    } else if (s.expAvg.length !== length) {
      throw new TrainError(
        'E_OPTIM_SHAPE',
        `AdamW: "${name}" has ${length} values but its moments have ${s.expAvg.length}`,
        { param: name, values: length, moments: s.expAvg.length },
      );
    }
    return s;
  }
}

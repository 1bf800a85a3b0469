/**
 * Dynamic loss scaling with torch's `GradScaler` semantics (torch/amp/grad_scaler.py and the
 * `_amp_update_scale_` kernel), for f16 training: the loss is multiplied by `scale` before the
 * backward pass so that small gradients survive f16's range (f16 GEMM inputs flush below 2⁻¹⁴),
 * the accumulated gradients are unscaled (× float32(1/scale)) before clipping, and a step whose
 * gradients hold an inf or NaN is skipped. Then `update`: after a skipped step the scale is
 * multiplied by `backoffFactor` and the count of good steps restarts; after `growthInterval`
 * good steps in a row it is multiplied by `growthFactor` (kept only if finite). Scale in float32,
 * as torch keeps it. Pure host math: no tensor library.
 */
import { TrainError } from '../errors.js';

const f = Math.fround;

export interface GradScalerOptions {
  /** torch `init_scale` (default 2^16). */
  readonly initScale?: number;
  /** torch `growth_factor` (default 2). */
  readonly growthFactor?: number;
  /** torch `backoff_factor` (default 0.5). */
  readonly backoffFactor?: number;
  /** torch `growth_interval`: good steps in a row before the scale grows (default 2000). */
  readonly growthInterval?: number;
}

/** What a checkpoint saves (torch's `state_dict()`: `scale` and `_growth_tracker`). */
export interface GradScalerState {
  readonly scale: number;
  readonly growthTracker: number;
}

export class GradScaler {
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly growthInterval: number;
  private s: number;
  private tracker = 0;

  constructor(o: GradScalerOptions = {}) {
    this.s = f(o.initScale ?? 2 ** 16);
    this.growthFactor = o.growthFactor ?? 2;
    this.backoffFactor = o.backoffFactor ?? 0.5;
    this.growthInterval = o.growthInterval ?? 2000;
    const ok =
      this.s > 0 &&
      Number.isFinite(this.s) &&
      this.growthFactor > 1 &&
      this.backoffFactor > 0 &&
      this.backoffFactor < 1 &&
      Number.isInteger(this.growthInterval) &&
      this.growthInterval >= 1;
    if (!ok) {
      throw new TrainError(
        'E_OPTIM_CONFIG',
        'GradScaler: needs initScale > 0, growthFactor > 1, 0 < backoffFactor < 1, integer growthInterval >= 1',
        { ...o },
        'torch defaults: initScale 65536, growthFactor 2, backoffFactor 0.5, growthInterval 2000',
      );
    }
  }

  /** The factor the next backward pass multiplies the loss by. */
  get scale(): number {
    return this.s;
  }

  /** Good steps since the last growth or backoff. */
  get growthTracker(): number {
    return this.tracker;
  }

  /**
   * In place: every gradient × float32(1/scale) (torch's `inv_scale = scale.double().reciprocal().float()`);
   * returns true when any value is inf or NaN (the step must then be skipped).
   */
  unscale(grads: Iterable<Float32Array>): boolean {
    const inv = f(1 / this.s);
    let foundInf = false;
    for (const g of grads) {
      for (let i = 0; i < g.length; i++) {
        const v = f(g[i]! * inv);
        g[i] = v;
        if (!Number.isFinite(v)) foundInf = true;
      }
    }
    return foundInf;
  }

  /** torch `_amp_update_scale_`: back off after a skipped step, grow after growthInterval good ones. */
  update(foundInf: boolean): void {
    if (foundInf) {
      this.s = f(this.s * this.backoffFactor);
      this.tracker = 0;
      return;
    }
    const successful = this.tracker + 1;
    if (successful === this.growthInterval) {
      const grown = f(this.s * this.growthFactor);
      if (Number.isFinite(grown)) this.s = grown;
      this.tracker = 0;
    } else {
      this.tracker = successful;
    }
  }

  state(): GradScalerState {
    return { scale: this.s, growthTracker: this.tracker };
  }

  loadState(st: GradScalerState): void {
    if (!(st.scale > 0) || !Number.isInteger(st.growthTracker) || st.growthTracker < 0) {
      throw new TrainError('E_OPTIM_STATE', 'invalid loss scaler state in the checkpoint', { ...st });
    }
    this.s = f(st.scale);
    this.tracker = st.growthTracker;
  }
}

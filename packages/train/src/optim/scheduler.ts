/**
 * torch `LambdaLR` over an optimizer's groups: on construction it sets every group's lr to
 * `initialLr * lambda(0)` (so with warmup the first optimizer step uses lr 0, as in torch);
 * each `step()` advances the counter and sets `initialLr * lambda(lastStep)`. Call it once per
 * optimizer step, after `optimizer.step()` — never per micro-batch (the seed's bug).
 */
import { TrainError } from '../errors.js';
import type { LrLambda } from './lr-lambda.js';

/** What a scheduler drives: the AdamW class implements this. */
export interface LrGroupsTarget {
  groupNames(): readonly string[];
  initialLr(group: string): number;
  setLr(group: string, lr: number): void;
}

/** Checkpointable scheduler state (torch's `last_epoch`). */
export interface SchedulerState {
  readonly lastStep: number;
}

/** LambdaLR: the lr of each group is its initial lr times `lambda(lastStep)`. */
export class Scheduler {
  private step_ = 0;

  constructor(
    private readonly target: LrGroupsTarget,
    private readonly lambda: LrLambda,
  ) {
    this.apply();
  }

  /** Number of `step()` calls so far (torch `last_epoch`); the next optimizer step uses `lambda(lastStep)`. */
  get lastStep(): number {
    return this.step_;
  }

  /** Advance by one optimizer step. */
  step(): void {
    this.step_ += 1;
    this.apply();
  }

  /** The lrs now set on the groups (torch `get_last_lr()`), by group name. */
  lastLr(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const g of this.target.groupNames()) out[g] = this.lrOf(g);
    return out;
  }

  state(): SchedulerState {
    return { lastStep: this.step_ };
  }

  /** Restore a saved counter and re-apply the lrs it implies. */
  loadState(state: SchedulerState): void {
    if (!(Number.isInteger(state.lastStep) && state.lastStep >= 0)) {
      throw new TrainError('E_OPTIM_STATE', `cannot load scheduler state: bad lastStep ${state.lastStep}`, {
        lastStep: state.lastStep,
      });
    }
    this.step_ = state.lastStep;
    this.apply();
  }

  private lrOf(group: string): number {
    return this.target.initialLr(group) * this.lambda(this.step_);
  }

  private apply(): void {
    for (const g of this.target.groupNames()) this.target.setLr(g, this.lrOf(g));
  }
}

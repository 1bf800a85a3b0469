/**
 * LR multipliers with the exact semantics of `transformers`' schedules
 * (`get_cosine_schedule_with_warmup`, `get_linear_schedule_with_warmup`,
 * `get_constant_schedule_with_warmup`): each is the `lr_lambda` handed to torch's `LambdaLR`,
 * i.e. a function of the scheduler step `k` (0-based), and the lr used by optimizer step `k` is
 * `base_lr * lambda(k)`. With `total` steps, optimizer steps use k = 0..total-1; the cosine and
 * linear lambdas reach exactly 0 at k = total, the value left after the last `scheduler.step()`.
 * Arithmetic is float64 in the same order as the Python code, so the values are identical.
 */
import { TrainError } from '../errors.js';

/** Scheduler step (0-based) → multiplier of the base lr. */
export type LrLambda = (step: number) => number;

/** Warmup and total length of a schedule, in optimizer steps (not micro-batches). */
export interface WarmupScheduleConfig {
  readonly warmupSteps: number;
  readonly totalSteps: number;
}

function check(config: WarmupScheduleConfig, kind: string): void {
  const { warmupSteps, totalSteps } = config;
  if (!(Number.isInteger(warmupSteps) && warmupSteps >= 0 && Number.isInteger(totalSteps) && totalSteps >= 0)) {
    throw new TrainError('E_SCHEDULE_CONFIG', `${kind}: warmupSteps and totalSteps must be integers >= 0`, {
      kind,
      warmupSteps,
      totalSteps,
    });
  }
}

function warmup(step: number, warmupSteps: number): number {
  return step / Math.max(1, warmupSteps);
}

/**
 * transformers `get_cosine_schedule_with_warmup` (numCycles 0.5 = half a cosine, from 1 to 0):
 * linear warmup `k / max(1, warmup)`, then `max(0, 0.5 * (1 + cos(pi * numCycles * 2 * progress)))`.
 */
export function cosineWithWarmup(config: WarmupScheduleConfig & { readonly numCycles?: number }): LrLambda {
  check(config, 'cosineWithWarmup');
  const { warmupSteps, totalSteps } = config;
  const numCycles = config.numCycles ?? 0.5;
  return (step) => {
    if (step < warmupSteps) return warmup(step, warmupSteps);
    const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * numCycles * 2 * progress)));
  };
}

/** transformers `get_linear_schedule_with_warmup`: warmup, then linear decay to 0 at `totalSteps`. */
export function linearWithWarmup(config: WarmupScheduleConfig): LrLambda {
  check(config, 'linearWithWarmup');
  const { warmupSteps, totalSteps } = config;
  return (step) => {
    if (step < warmupSteps) return warmup(step, warmupSteps);
    return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  };
}

/** transformers `get_constant_schedule_with_warmup`: warmup, then 1 forever. */
export function constantWithWarmup(config: Pick<WarmupScheduleConfig, 'warmupSteps'>): LrLambda {
  check({ warmupSteps: config.warmupSteps, totalSteps: 0 }, 'constantWithWarmup');
  const { warmupSteps } = config;
  return (step) => (step < warmupSteps ? warmup(step, warmupSteps) : 1);
}

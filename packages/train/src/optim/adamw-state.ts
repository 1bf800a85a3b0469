/**
 * The checkpointable state of {@link AdamW}: group hyperparameters (with the current lr) and
 * per-parameter moments. `adamWStateToTensors` / `adamWStateFromTensors` split it into named
 * float32 tensors (for a safetensors file) plus a small JSON-able header, so a checkpoint can
 * store moments without JSON-encoding millions of floats.
 */
import { TrainError } from '../errors.js';
import type { AdamWParamState } from './adamw.js';

/** Version tag of the state layout; bump it when the layout changes. */
export const ADAMW_STATE_FORMAT = 'kvc-adamw-v1';

/** A parameter group as stored in the state (lr is the current, scheduled one). */
export interface AdamWGroupState {
  readonly name: string;
  readonly params: readonly string[];
  lr: number;
  readonly initialLr: number;
  readonly weightDecay: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
}

/** Everything AdamW needs to continue exactly where it stopped. */
export interface AdamWState {
  readonly format: typeof ADAMW_STATE_FORMAT;
  readonly groups: readonly AdamWGroupState[];
  readonly params: Readonly<Record<string, AdamWParamState>>;
}

/** The JSON-able part of {@link AdamWState} (moments live in tensors). */
export interface AdamWStateHeader {
  readonly format: typeof ADAMW_STATE_FORMAT;
  readonly groups: readonly AdamWGroupState[];
  readonly steps: Readonly<Record<string, number>>;
}

function stateError(reason: string, context: Record<string, unknown> = {}): TrainError {
  return new TrainError(
    'E_OPTIM_STATE',
    `cannot load AdamW state: ${reason}`,
    { reason, ...context },
    'a checkpoint can only be resumed by an optimizer with the same groups and parameters',
  );
}

/** Validate `state` against the current groups and return deep copies to install. */
export function restoreAdamWState(
  state: AdamWState,
  current: readonly AdamWGroupState[],
): { groups: AdamWGroupState[]; params: Map<string, AdamWParamState> } {
  if (state.format !== ADAMW_STATE_FORMAT)
    throw stateError(`unknown format ${JSON.stringify(state.format)}`, { expected: ADAMW_STATE_FORMAT });
  const names = (gs: readonly AdamWGroupState[]): string => gs.map((g) => `${g.name}[${g.params.join(',')}]`).join(' ');
  if (names(state.groups) !== names(current))
    throw stateError('parameter groups differ', { saved: names(state.groups), current: names(current) });
  const groups = state.groups.map((g) => ({
    ...g,
    params: [...g.params],
    betas: [g.betas[0], g.betas[1]] as [number, number],
  }));
  const known = new Set(current.flatMap((g) => g.params));
  const params = new Map<string, AdamWParamState>();
  for (const [name, s] of Object.entries(state.params)) {
    if (!known.has(name)) throw stateError(`state for unknown parameter "${name}"`, { param: name });
    if (!(Number.isInteger(s.step) && s.step >= 0))
      throw stateError(`bad step ${s.step} for "${name}"`, { param: name });
    if (s.expAvg.length !== s.expAvgSq.length) throw stateError(`moment lengths differ for "${name}"`, { param: name });
    params.set(name, { step: s.step, expAvg: Float32Array.from(s.expAvg), expAvgSq: Float32Array.from(s.expAvgSq) });
  }
  return { groups, params };
}

/** Split a state into tensors `exp_avg.<param>` / `exp_avg_sq.<param>` and a JSON header. */
export function adamWStateToTensors(state: AdamWState): {
  header: AdamWStateHeader;
  tensors: Map<string, Float32Array>;
} {
  const tensors = new Map<string, Float32Array>();
  const steps: Record<string, number> = {};
  for (const [name, s] of Object.entries(state.params)) {
    tensors.set(`exp_avg.${name}`, s.expAvg);
    tensors.set(`exp_avg_sq.${name}`, s.expAvgSq);
    steps[name] = s.step;
  }
  return { header: { format: state.format, groups: state.groups, steps }, tensors };
}

/** Inverse of {@link adamWStateToTensors}. */
export function adamWStateFromTensors(
  header: AdamWStateHeader,
  tensors: ReadonlyMap<string, Float32Array>,
): AdamWState {
  const params: Record<string, AdamWParamState> = {};
  for (const [name, step] of Object.entries(header.steps)) {
    const expAvg = tensors.get(`exp_avg.${name}`);
    const expAvgSq = tensors.get(`exp_avg_sq.${name}`);
    if (expAvg === undefined || expAvgSq === undefined)
      throw stateError(`moments of "${name}" are missing`, { param: name });
    params[name] = { step, expAvg, expAvgSq };
  }
  return { format: header.format, groups: header.groups, params };
}

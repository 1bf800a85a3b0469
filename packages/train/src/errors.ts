/**
 * Errors of `@kvc/train`. Every error carries a stable `code` (the CLI prints `[code] message`),
 * a frozen `context` (what was being processed and why it failed), where it helps a `hint`, and
 * optionally a `cause`.
 */
import { KvcError } from '@kvc/errors';

/** Stable codes of {@link TrainError}; add new ones here rather than inventing strings inline. */
export type TrainErrorCode =
  | 'E_OPTIM_CONFIG' // invalid optimizer / group configuration
  | 'E_OPTIM_SHAPE' // a parameter, gradient or moment buffer has the wrong length or is missing
  | 'E_OPTIM_STATE' // a saved optimizer / scheduler / loss-scaler state does not fit what it is loaded into
  | 'E_GRAD_NONFINITE' // clipGradNorm with errorIfNonfinite saw an inf/nan total norm
  | 'E_SCHEDULE_CONFIG' // invalid LR schedule or accumulation arguments
  | 'E_PARITY_CASE' // a reference case folder is missing, malformed or of another kind
  | 'E_SAFETENSORS' // a safetensors file could not be parsed
  | 'E_CHECKPOINT_MISMATCH' // a checkpoint's tensors do not fit the model being trained
  | 'E_RESUME_CONFIG' // resuming with a config that changes what training computes
  | 'E_RUN_EXISTS' // a run folder already holds an unfinished run and --resume was not given
  | 'E_RUN_LOCKED' // another live process is training into the same run folder
  | 'E_NO_USABLE_CHECKPOINT' // a run folder holds checkpoints, but none is complete and readable
  | 'E_TRAIN_DATA' // the data source gave no batches or batches that do not fit
  | 'E_NONFINITE_LOSS' // the loss became NaN or infinite
  | 'E_NONFINITE_GRADIENTS' // gradients stayed inf/NaN (f16: the loss scaler could not recover; or checkNonFinite)
  | 'E_TRAIN_OPTIONS'; // trainer options that contradict each other (e.g. two log columns of one name)

/** The one error class of `@kvc/train` (see {@link KvcError}); its codes are typed. */
export class TrainError extends KvcError<TrainErrorCode> {}

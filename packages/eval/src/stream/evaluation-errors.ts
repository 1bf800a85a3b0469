/**
 * Errors of the evaluation stream, the predictions files and the model-based metrics. They extend
 * the package's {@link EvalError} (stable `code`, readonly `context`, optional `hint`); they live
 * here rather than in errors.ts so each area of the package owns its own error file.
 */
import { EvalError } from '../errors.js';

/** A predictions file that cannot be read (bad lines are not errors: they are reported and skipped). */
export class PredictionsFileError extends EvalError {
  constructor(message: string, context: Record<string, unknown> = {}, hint?: string) {
    super('E_PREDICTIONS_FILE', message, context, hint);
  }
}

/** A model-based scorer that failed to load or to score a batch; `cause` is the original error. */
export class ScorerError extends EvalError {
  constructor(message: string, context: Record<string, unknown> = {}, hint?: string, options?: { cause?: unknown }) {
    super('E_SCORER', message, context, hint);
    if (options && 'cause' in options) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** Bad input or configuration of a model-based metric (a layer out of range, no frames, ...). */
export class ModelMetricError extends EvalError {
  constructor(message: string, context: Record<string, unknown> = {}, hint?: string) {
    super('E_MODEL_METRIC', message, context, hint);
  }
}

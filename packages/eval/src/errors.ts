/**
 * Errors of @kvc/eval. Each has a stable `code`, a frozen `context` (file, metric, reason, ...),
 * where we know one a `hint` saying what to do about it, and optionally a `cause`. The CLI prints
 * `[code] message`, each context entry, the hint and the causes.
 */
import { KvcError } from '@kvc/errors';

/** Base class of every error raised by `@kvc/eval` (see {@link KvcError}). */
export class EvalError extends KvcError {}

/** Bad input to a metric: mismatched lengths, an unknown metric name, a bad option value. */
export class MetricInputError extends EvalError {
  constructor(message: string, context: Record<string, unknown> = {}, hint?: string) {
    super('E_METRIC_INPUT', message, context, hint);
  }
}

/** A parity case folder that cannot be read or has the wrong shape. */
export class ParityCaseError extends EvalError {
  constructor(message: string, context: Record<string, unknown> = {}, hint?: string) {
    super('E_PARITY_CASE', message, context, hint);
  }
}

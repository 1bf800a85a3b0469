/**
 * Errors of @kvc/eval. Each has a stable `code`, a readonly `context` (file, metric, reason, ...)
 * and, where we know one, a `hint` saying what to do about it. The CLI prints `[code] message`,
 * each context entry, and the hint.
 */
export class EvalError extends Error {
  readonly code: string;
  readonly context: Readonly<Record<string, unknown>>;
  readonly hint: string | undefined;
  constructor(code: string, message: string, context: Record<string, unknown> = {}, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
    this.hint = hint;
  }
}

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

/** Errors of the run report (part of @kvc/eval's error family: stable `code`, `context`, `hint`). */
import { EvalError } from '../errors.js';

/** The run folder does not exist or is not a folder. */
export class RunNotFoundError extends EvalError {
  constructor(runDir: string, reason: string) {
    super(
      'E_RUN_NOT_FOUND',
      `no run folder at ${runDir}`,
      { runDir, reason },
      'pass the folder a training run writes (it holds events.jsonl, training_log.csv, metrics.json, ...), e.g. `kvc report --run runs/<name>`',
    );
  }
}

/** A bad option value (sample count, thumbnail size, ...). */
export class ReportOptionError extends EvalError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('E_REPORT_OPTION', message, context);
  }
}

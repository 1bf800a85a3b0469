/**
 * Errors of @kvc/models. Each has a stable `code`, a frozen `context` (file, tensor names, ...),
 * where we know one a `hint` saying what to do about it, and optionally a `cause`.
 */
import { KvcError } from '@kvc/errors';

/** Base class of every error raised by `@kvc/models` (see {@link KvcError}). */
export class ModelsError extends KvcError {}

/** A file that is not a valid safetensors file (bad header, offsets out of range, ...). */
export class SafetensorsError extends ModelsError {}

/** A checkpoint whose tensors do not match what the architecture expects. */
export class WeightMismatchError extends ModelsError {
  constructor(
    readonly missing: readonly string[],
    readonly unexpected: readonly string[],
    readonly misshaped: readonly { name: string; expected: readonly number[]; actual: readonly number[] }[],
    context: Record<string, unknown> = {},
  ) {
    const parts: string[] = [];
    if (missing.length) parts.push(`${missing.length} missing`);
    if (unexpected.length) parts.push(`${unexpected.length} unexpected`);
    if (misshaped.length) parts.push(`${misshaped.length} mis-shaped`);
    const list = (xs: readonly string[]) =>
      xs.length > 20 ? [...xs.slice(0, 20), `... and ${xs.length - 20} more`] : xs;
    super(
      'E_WEIGHTS_MISMATCH',
      `checkpoint does not match the model: ${parts.join(', ')} tensor(s)`,
      {
        ...context,
        ...(missing.length ? { missing: list(missing) } : {}),
        ...(unexpected.length ? { unexpected: list(unexpected) } : {}),
        ...(misshaped.length
          ? {
              misshaped: misshaped
                .slice(0, 20)
                .map((m) => `${m.name}: expected [${m.expected.join(',')}], got [${m.actual.join(',')}]`),
            }
          : {}),
      },
      'check that config.json belongs to these weights and that model_type selects the right architecture',
    );
  }
}

/** A model folder or hub id that cannot be resolved to files on disk. */
export class ModelNotFoundError extends ModelsError {}

/** A config.json that is missing fields or has values the implementation does not support. */
export class ConfigError extends ModelsError {}

/** A backend that cannot be initialised, or lacks a kernel/gradient an operation needs. */
export class BackendError extends ModelsError {}

/**
 * KvcError: the one error base of every kvc package. Each package derives its own base from it
 * (`class VideoIoError extends KvcError {}`) so callers can tell packages apart with `instanceof`,
 * while code, context, hint and cause behave the same everywhere (they had drifted in six copies).
 */

/** Options of {@link KvcError}: what caused it (another error, or any thrown value). */
export interface KvcErrorOptions {
  readonly cause?: unknown;
}

/**
 * An error with a stable `code` (printed as `[code] message`), a frozen `context` (file, key,
 * reason, ...), an optional `hint` saying what to do, and an optional `cause` (the standard
 * `Error.cause`, so Node's inspector prints the chain too).
 */
export class KvcError<Code extends string = string> extends Error {
  readonly code: Code;
  /** A frozen shallow copy of what the thrower passed: later edits of that object do not leak in. */
  readonly context: Readonly<Record<string, unknown>>;
  readonly hint: string | undefined;

  constructor(
    code: Code,
    message: string,
    context: Record<string, unknown> = {},
    hint?: string,
    options: KvcErrorOptions = {},
  ) {
    // Pass `cause` only when given, so `'cause' in err` stays false for errors without one.
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.context = Object.freeze({ ...context });
    this.hint = hint;
  }
}

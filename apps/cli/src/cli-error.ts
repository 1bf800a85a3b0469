/**
 * Turn any thrown value into one clear message and an exit code. Package errors carry a stable
 * `code`, a frozen `context` (file, reason, ...), often a `hint` and sometimes a `cause`; they are
 * printed as such, with the cause chain one line per link (the root cause is often the useful part).
 */
import { type CauseLink, KvcError, causeChain } from '@kvc/errors';

export interface PrintableError {
  code: string;
  message: string;
  context: Record<string, unknown>;
  hint?: string;
  /** What caused it, nearest first (absent when nothing did). */
  causes?: CauseLink[];
}

export function toPrintableError(err: unknown): PrintableError {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; context?: unknown; hint?: unknown };
    const causes = causeChain(err);
    return {
      code: typeof e.code === 'string' ? e.code : 'E_UNEXPECTED',
      message: e.message,
      context: e.context && typeof e.context === 'object' ? (e.context as Record<string, unknown>) : {},
      ...(typeof e.hint === 'string' ? { hint: e.hint } : {}),
      ...(causes.length ? { causes } : {}),
    };
  }
  return { code: 'E_UNEXPECTED', message: String(err), context: {} };
}

/** A cause's message on one line, cut to a glance: the full text is in `--json` and `KVC_DEBUG`. */
const brief = (text: string): string => {
  const line = text.split('\n', 1)[0]!.trim();
  return line.length > 300 ? line.slice(0, 300) + '…' : line;
};

export function formatError(command: string, p: PrintableError): string {
  const lines = [`kvc ${command}: error [${p.code}] ${p.message}`];
  for (const [k, v] of Object.entries(p.context)) {
    if (v === undefined || k === 'hint') continue;
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    lines.push(`  ${k}: ${text.length > 2000 ? text.slice(-2000) : text}`);
  }
  for (const c of p.causes ?? []) lines.push(`  caused by: ${c.code ? `[${c.code}] ` : ''}${brief(c.message)}`);
  if (p.hint) lines.push(`  hint: ${p.hint}`);
  return lines.join('\n');
}

/**
 * Stable codes of {@link CliError}: add new ones here rather than inventing strings inline (bad
 * command-line arguments and options had drifted into two codes, E_BAD_ARGUMENT and E_BAD_OPTION).
 */
export type CliErrorCode =
  | 'E_BAD_ARGUMENT' // a command-line argument or option value is invalid
  | 'E_CASE_INVALID' // a parity case folder is malformed
  | 'E_CASE_NOT_FOUND' // a parity case folder does not exist
  | 'E_CHECKPOINT_INCOMPLETE' // a checkpoint folder lacks files it needs
  | 'E_CONFIG_ARGS' // --preset and --config together
  | 'E_CONFIG_FILE' // a config file cannot be read or parsed
  | 'E_CONFIG_INVALID' // a config fails validation
  | 'E_CONFIG_OVERRIDE' // a key=value override is malformed or names no key
  | 'E_DEMO_SIZE' // KVC_DEMO_SIZE is not a size the demo knows
  | 'E_FEATURES_MISSING' // a sample's cached features vanished
  | 'E_METRICS_UNKNOWN' // an unknown metric name
  | 'E_NO_CHECKPOINT' // the checkpoint asked for does not exist
  | 'E_NO_EOS' // the tokenizer has no end-of-sequence token
  | 'E_NO_EVAL_DATA' // no usable samples to evaluate
  | 'E_NO_PREDICTIONS' // no usable prediction lines
  | 'E_NO_TRAIN_DATA' // no usable samples to train on
  | 'E_PARITY_KIND' // an unknown parity case kind
  | 'E_PRECISION_BACKEND' // precision f16 on a backend other than webgpu
  | 'E_RUN_CONFIG' // a run folder's config cannot be read
  | 'E_RUN_NOT_FOUND' // no run folder where one was named
  | 'E_SCORER' // a model-based scorer failed
  | 'E_TOKENIZER_SPECIALS' // a tokenizer lacks the special tokens the demo's compact vocabulary keeps
  | 'E_UNKNOWN_PRESET'; // a preset name that does not exist

/** An error raised by the CLI itself (bad arguments and the like); see {@link KvcError}. */
export class CliError extends KvcError<CliErrorCode> {}

/**
 * Turn any thrown value into one clear message and an exit code. Package errors carry a stable
 * `code`, a readonly `context` (file, reason, ...) and often a `hint`; they are printed as such.
 */
export interface PrintableError {
  code: string;
  message: string;
  context: Record<string, unknown>;
  hint?: string;
}

export function toPrintableError(err: unknown): PrintableError {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; context?: unknown; hint?: unknown };
    return {
      code: typeof e.code === 'string' ? e.code : 'E_UNEXPECTED',
      message: e.message,
      context: e.context && typeof e.context === 'object' ? (e.context as Record<string, unknown>) : {},
      ...(typeof e.hint === 'string' ? { hint: e.hint } : {}),
    };
  }
  return { code: 'E_UNEXPECTED', message: String(err), context: {} };
}

export function formatError(command: string, p: PrintableError): string {
  const lines = [`kvc ${command}: error [${p.code}] ${p.message}`];
  for (const [k, v] of Object.entries(p.context)) {
    if (v === undefined || k === 'hint') continue;
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    lines.push(`  ${k}: ${text.length > 2000 ? text.slice(-2000) : text}`);
  }
  if (p.hint) lines.push(`  hint: ${p.hint}`);
  return lines.join('\n');
}

/** An error raised by the CLI itself (bad arguments and the like). */
export class CliError extends Error {
  readonly code: string;
  readonly context: Readonly<Record<string, unknown>>;
  readonly hint: string | undefined;
  constructor(code: string, message: string, context: Record<string, unknown> = {}, hint?: string) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.context = context;
    this.hint = hint;
  }
}

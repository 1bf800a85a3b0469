/** The shape every `kvc` command module exports, and the runner that gives it an Output. */
import type { Command } from 'commander';
import { Output } from './output.js';
import { formatError, toPrintableError } from './cli-error.js';

export interface CommandModule {
  /** Adds the command (name, options, action) to the program. */
  register(program: Command, runner: ActionRunner): void;
}

/** Wraps a command's action: builds the Output from `--json`, prints errors, sets the exit code. */
export type ActionRunner = <O extends { json?: boolean }>(
  name: string,
  action: (out: Output, opts: O, args: string[]) => Promise<number | void>,
) => (...raw: unknown[]) => Promise<void>;

export function makeRunner(setExit: (code: number) => void): ActionRunner {
  return (name, action) =>
    async (...raw: unknown[]) => {
      // commander passes positional args, then the options object, then the Command.
      const cmd = raw[raw.length - 1] as Command;
      const opts = cmd.opts() as { json?: boolean };
      const args = raw
        .slice(0, -2)
        .flatMap((a) => (Array.isArray(a) ? a.map(String) : a === undefined ? [] : [String(a)]));
      const out = new Output({ json: Boolean(opts.json) });
      try {
        const code = await action(out, opts as never, args);
        setExit(code ?? 0);
      } catch (err) {
        const p = toPrintableError(err);
        if (out.json) out.result({ type: 'error', ...p });
        process.stderr.write(formatError(name, p) + '\n');
        if (process.env.KVC_DEBUG && err instanceof Error) process.stderr.write(String(err.stack) + '\n');
        setExit(1);
      }
    };
}

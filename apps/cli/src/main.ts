/**
 * The `kvc` command line: builds the commander program from the command modules and runs it.
 * `run(argv)` returns the exit code instead of exiting, so tests can call it in-process.
 */
import { Command, CommanderError } from 'commander';
import { makeRunner } from './command.js';
import { commands } from './commands/index.js';

export async function run(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('kvc')
    .description('Train and evaluate LLaVA-style Korean video captioners (TypeScript, RxJS, TensorFlow.js)')
    .version('0.1.0')
    .showHelpAfterError('(run `kvc --help` for the commands)')
    .exitOverride();
  const runner = makeRunner((c) => {
    exitCode = c;
  });
  for (const c of commands) c.register(program, runner);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  return exitCode;
}

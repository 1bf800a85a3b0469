/** `kvc synth`: write the deterministic synthetic video dataset (AIHub layout) with a progress bar. */
import type { Command } from 'commander';
import { lastValueFrom, tap } from 'rxjs';
import { InvalidArgumentError, ffmpegWarningOnce, synthDataset, synthDefaults } from '@kvc/video-io';
import type { ActionRunner, CommandModule } from '../command.js';
import { CliError } from '../cli-error.js';

interface SynthOpts {
  json?: boolean;
  out: string;
  train?: string;
  val?: string;
  seed?: string;
  size?: string;
  frames?: string;
  fps?: string;
}

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new CliError('E_BAD_ARGUMENT', `--${name} must be a non-negative integer, got "${v}"`, {
      option: name,
      value: v,
    });
  return n;
}

/** video-io's bounds (SYNTH_LIMITS) as the CLI's input error, naming the flag. */
function checked<T>(resolveOptions: () => T): T {
  try {
    return resolveOptions();
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    const flag = Object.keys(err.context)[0];
    const message = flag ? `--${flag}: ${err.message}` : err.message;
    throw new CliError('E_BAD_ARGUMENT', message, { ...err.context }, err.hint, { cause: err });
  }
}

export const synthCommand: CommandModule = {
  register(program: Command, runner: ActionRunner): void {
    program
      .command('synth')
      .description(
        'write a synthetic Korean-captioned video dataset (colored shapes moving over backgrounds) in the AIHub layout',
      )
      .requiredOption('--out <dir>', 'dataset root to write (train/ and val/ are created inside)')
      .option('--train <n>', 'training samples (default 96)')
      .option('--val <n>', 'validation samples (default 24)')
      .option('--seed <n>', 'random seed: the same seed writes the same dataset (default 42)')
      .option('--size <px>', 'frame side in pixels, even (default 64)')
      .option('--frames <n>', 'frames per video (default 16)')
      .option('--fps <n>', 'frames per second (default 4)')
      .option('--json', 'print JSON lines only (the result last)')
      .action(
        runner<SynthOpts>('synth', async (out, opts) => {
          const fps = opts.fps === undefined ? undefined : Number(opts.fps);
          const given = {
            train: int('train', opts.train),
            val: int('val', opts.val),
            seed: int('seed', opts.seed),
            size: int('size', opts.size),
            frames: int('frames', opts.frames),
            fps,
          };
          const options = checked(() =>
            synthDefaults({
              out: opts.out,
              ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)),
            }),
          );
          const warning = ffmpegWarningOnce();
          if (warning) out.warn(warning);
          out.info(
            `writing ${options.train} train + ${options.val} val videos (${options.size}×${options.size}, ${options.frames} frames at ${options.fps} fps, seed ${options.seed}) to ${opts.out}`,
          );
          const bar = out.progress('synth', options.train + options.val);
          const start = Date.now();
          await lastValueFrom(synthDataset(options).pipe(tap((p) => bar.tick(1, p.id))), { defaultValue: undefined });
          bar.done();
          const { concurrency: _c, ...recorded } = options;
          const result = {
            type: 'result',
            command: 'synth',
            ...recorded,
            videos: options.train + options.val,
            elapsedMs: Date.now() - start,
          };
          out.result(
            result,
            `wrote ${result.videos} videos with labels to ${options.out} (train: ${options.train}, val: ${options.val}) in ${(result.elapsedMs / 1000).toFixed(1)} s`,
          );
          return 0;
        }),
      );
  },
};

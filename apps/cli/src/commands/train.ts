/**
 * `kvc train --preset demo|seed | --config FILE [--out DIR] [--resume [PATH]] [key=value ...]`:
 * cache → stage 1 → stage 2 (evaluated every epoch) → final evaluation, with progress bars
 * (or JSON events with --json). Ctrl-C or SIGTERM stops at the next step with a checkpoint
 * (a second one exits at once); `--resume` continues from it.
 */
import { BACKEND_FLAG } from '../config/backend-flag.js';
import { PRECISION_FLAG, modelFlagOverrides } from '../config/precision-flag.js';
import { QUANTIZATION_FLAG } from '../config/quantization-flag.js';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { ActionRunner, CommandModule } from '../command.js';
import { loadRunConfig } from '../config/load-config.js';
import { resumeTarget } from '../config/resume-target.js';
import { formatMetrics, runTrainPipeline } from '../pipeline/train-pipeline.js';

interface TrainOptions {
  preset?: string;
  config?: string;
  out?: string;
  resume?: boolean | string;
  printConfig?: boolean;
  json?: boolean;
  backend?: string;
  quantization?: string;
  precision?: string;
}

/** The signals that stop training: Ctrl-C, and what `kill`, systemd, Docker and Slurm send. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * First SIGINT or SIGTERM: abort `signal` (training stops at the next step boundary with a
 * checkpoint); a second one: exit at once (130 / 143) — checkpoints are written by rename, so the
 * previous one stays usable whenever that happens.
 */
export function abortOnSigint(onFirst: () => void): { signal: AbortSignal; dispose: () => void } {
  const ctrl = new AbortController();
  const handler = (sig: NodeJS.Signals): void => {
    if (ctrl.signal.aborted) process.exit(sig === 'SIGTERM' ? 143 : 130);
    onFirst();
    ctrl.abort();
  };
  for (const sig of STOP_SIGNALS) process.on(sig, handler);
  return { signal: ctrl.signal, dispose: () => STOP_SIGNALS.forEach((sig) => process.off(sig, handler)) };
}

export const trainCommand: CommandModule = {
  register(program: Command, runner: ActionRunner): void {
    program
      .command('train')
      .description(
        'train a captioner: cache features, stage 1 (projector), stage 2 (projector + LoRA) with per-epoch eval, final eval',
      )
      .argument('[overrides...]', 'config overrides as key=value (e.g. train.stage1.lr=1e-3)')
      .option('--preset <name>', 'demo | seed')
      .option('--config <file>', 'a YAML or JSON config file')
      .option('--out <dir>', 'run folder (default runs/<name>)')
      .option('--resume [path]', 'continue a run: the one in --out, a run folder, or one of its checkpoint folders')
      .option('--print-config', 'print the resolved config and exit')
      .option(...BACKEND_FLAG)
      .option(...PRECISION_FLAG)
      .option(...QUANTIZATION_FLAG)
      .option('--json', 'JSON events on stdout (the result last)')
      .action(
        runner<TrainOptions>('train', async (out, opts, overrides) => {
          const config = loadRunConfig({
            ...(opts.preset ? { preset: opts.preset } : {}),
            ...(opts.config ? { file: opts.config } : {}),
            overrides: [...overrides, ...modelFlagOverrides(opts)],
          });
          if (opts.printConfig) {
            out.result({ type: 'config', config }, JSON.stringify(config, null, 2));
            return 0;
          }
          const target = resumeTarget(opts.resume, opts.out);
          const runDir = target.runDir ?? resolve(join('runs', config.name));
          out.info(`run ${config.name} → ${runDir}`);
          const sig = abortOnSigint(() =>
            out.info('stopping at the next step with a checkpoint (Ctrl-C again to quit at once)...'),
          );
          try {
            const from = target.resumeFrom ? { resumeFrom: target.resumeFrom } : {};
            const resume = Boolean(opts.resume);
            const r = await runTrainPipeline({ config, runDir, resume, ...from, out, signal: sig.signal });
            const human =
              r.status === 'stopped'
                ? `stopped; resume with: kvc train ${opts.preset ? `--preset ${opts.preset}` : `--config ${opts.config}`} --out ${runDir} --resume`
                : `${r.status === 'skipped' ? 'already trained' : 'done'}: ${formatMetrics(r.metrics)}\nrun folder: ${runDir} (kvc report --run ${runDir})`;
            out.result({ type: 'result', command: 'train', ...r }, human);
            return 0;
          } finally {
            sig.dispose();
          }
        }),
      );
  },
};

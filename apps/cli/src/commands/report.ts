/**
 * `kvc report --run DIR [--out FILE] [--samples N] [--seed N] [--json]`: one self-contained HTML
 * page for a training run (final metric cards, loss / lr / grad-norm / throughput / per-epoch
 * metric charts, a gallery of predictions with frames, warnings, the config). Works on a run in
 * progress too: it shows what exists and lists what is missing.
 */
import type { Command } from 'commander';
import { writeRunReportWithSummary } from '@kvc/eval';
import type { RunReportSummary } from '@kvc/eval';
import type { ActionRunner, CommandModule } from '../command.js';
import { CliError } from '../cli-error.js';

interface ReportOpts {
  run: string;
  out?: string;
  samples: string;
  seed: string;
  frames: string;
  thumbSize: string;
  videoRoot?: string[];
  json?: boolean;
}

function int(option: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min)
    throw new CliError('E_BAD_ARGUMENT', `--${option} must be an integer >= ${min}, got "${value}"`, { option, value });
  return n;
}

/** The human-readable result. */
export function formatReportResult(path: string, s: RunReportSummary): string {
  const lines = [
    `report written: ${path}`,
    `  run      ${s.name} (${s.status})`,
    `  charts   ${s.charts}`,
    `  samples  ${s.samples}${s.samplesWithoutFrames ? ` (${s.samplesWithoutFrames} without frames)` : ''}`,
  ];
  if (s.missing.length) lines.push(`  missing  ${s.missing.join(', ')}`);
  if (s.skippedLines) lines.push(`  skipped  ${s.skippedLines} unreadable line${s.skippedLines === 1 ? '' : 's'}`);
  return lines.join('\n');
}

export const reportCommand: CommandModule = {
  register(program: Command, runner: ActionRunner): void {
    program
      .command('report')
      .description('write one self-contained HTML report of a training run (metrics, charts, sample gallery, config)')
      .requiredOption(
        '--run <dir>',
        'the run folder (events.jsonl, training_log.csv, predictions.jsonl, metrics.json, config.json)',
      )
      .option('--out <file>', 'where to write the page (default <run>/report.html)')
      .option('--samples <n>', 'predictions shown in the gallery', '12')
      .option('--seed <n>', 'seed of the gallery choice', '0')
      .option('--frames <n>', 'frames per gallery sample', '3')
      .option('--thumb-size <px>', 'short side of each thumbnail', '96')
      .option('--video-root <dir...>', 'folders to look for relative video paths in (after the run folder and the cwd)')
      .option('--json', 'print one JSON line instead of text')
      .action(
        runner<ReportOpts>('report', async (out, opts) => {
          const { path, summary } = await writeRunReportWithSummary(opts.run, {
            ...(opts.out !== undefined ? { out: opts.out } : {}),
            samples: int('samples', opts.samples, 0),
            seed: int('seed', opts.seed, 0),
            framesPerSample: int('frames', opts.frames, 1),
            thumbnailPx: int('thumb-size', opts.thumbSize, 16),
            videoRoots: opts.videoRoot ?? [],
          });
          if (summary.samplesWithoutFrames > 0)
            out.warn(
              `${summary.samplesWithoutFrames} of ${summary.samples} gallery samples have no frames (the report says why for each)`,
            );
          out.result(
            {
              type: 'result',
              command: 'report',
              report: path,
              charts: summary.charts,
              samples: summary.samples,
              missing: summary.missing,
              status: summary.status,
              skippedLines: summary.skippedLines,
            },
            formatReportResult(path, summary),
          );
          return 0;
        }),
      );
  },
};

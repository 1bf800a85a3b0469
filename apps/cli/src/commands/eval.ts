/**
 * `kvc eval --run DIR [--checkpoint best|last|PATH] [--split val] [key=value ...] [--json]`:
 * loads the run's config, its base models and the chosen checkpoint (projector + LoRA), captions
 * the split from cached features (caching missing ones), scores the captions, and writes
 * `<run>/eval/<checkpoint>-<split>/predictions.jsonl` + `metrics.json`. Overrides change what
 * may differ at evaluation time (data.root, generation.*, eval.*).
 */
import { BACKEND_FLAG } from '../config/backend-flag.js';
import { PRECISION_FLAG, modelFlagOverrides } from '../config/precision-flag.js';
import { QUANTIZATION_FLAG } from '../config/quantization-flag.js';
import type { Command } from 'commander';
import { formatMetric, sortMetrics } from '@kvc/eval';
import type { ActionRunner, CommandModule } from '../command.js';
import { evaluateRun } from '../pipeline/evaluate-run.js';
import type { EvaluateRunResult } from '../pipeline/evaluate-run.js';
import { openTrainedRun } from '../pipeline/trained-run.js';

interface EvalOptions {
  run: string;
  checkpoint: string;
  split: string;
  json?: boolean;
  backend?: string;
  quantization?: string;
  precision?: string;
}

/** The human-readable metrics table: in the metric registry's order, counts as integers. */
export function formatEvalTable(r: EvaluateRunResult): string {
  const m = r.metrics;
  const keys = sortMetrics(Object.keys(m)).filter((k) => k !== 'count');
  const w = Math.max(6, ...keys.map((k) => k.length));
  const lines = [
    `checkpoint ${r.checkpoint} on ${r.split}: ${m.count ?? 0} captions${r.skipped ? ` (${r.skipped} samples skipped)` : ''}`,
    `  ${'metric'.padEnd(w)}  value`,
  ];
  for (const k of keys) lines.push(`  ${k.padEnd(w)}  ${formatMetric(k, m[k]!, 'table')}`);
  lines.push(`wrote ${r.files.predictions} and ${r.files.metrics}`);
  return lines.join('\n');
}

export const evalCommand: CommandModule = {
  register(program: Command, runner: ActionRunner): void {
    program
      .command('eval')
      .description("caption a split with a trained run's checkpoint and score the captions")
      .argument('[overrides...]', 'config overrides as key=value (e.g. generation.maxNewTokens=256 data.root=DIR)')
      .requiredOption('--run <dir>', 'run folder written by kvc train')
      .option('--checkpoint <which>', 'best | last | a checkpoint folder', 'best')
      .option('--split <name>', 'dataset split to caption', 'val')
      .option(...BACKEND_FLAG)
      .option(...PRECISION_FLAG)
      .option(...QUANTIZATION_FLAG)
      .option('--json', 'JSON events on stdout (the result last)')
      .action(
        runner<EvalOptions>('eval', async (out, opts, overrides) => {
          const run = await openTrainedRun(opts.run, opts.checkpoint, [...overrides, ...modelFlagOverrides(opts)]);
          out.info(`evaluating ${run.checkpoint.dir} on ${run.config.data.root}/${opts.split}`);
          const r = await evaluateRun(run, opts.split, out);
          out.result({ type: 'result', command: 'eval', run: run.runDir, ...r }, formatEvalTable(r));
          return 0;
        }),
      );
  },
};

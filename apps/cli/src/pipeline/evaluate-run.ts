/**
 * `kvc eval` as a function: a trained run's checkpoint captions one split from cached vision
 * features (missing ones are decoded, encoded and cached first, undecodable videos reported and
 * skipped), and the captions are scored with the run's metrics. Writes
 * `<run>/eval/<checkpoint>-<split>/predictions.jsonl` + `metrics.json`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Output } from '../output.js';
import { generateCaptions } from './generate-captions.js';
import { withPipelineSetup } from './pipeline-setup.js';
import { loadRunModels } from './run-models.js';
import { scoreCaptions } from './score-captions.js';
import type { TrainedRun } from './trained-run.js';

export interface EvaluateRunResult {
  readonly checkpoint: string;
  readonly split: string;
  readonly dir: string;
  readonly metrics: Record<string, number>;
  readonly files: { predictions: string; metrics: string };
  /** Samples left out (bad labels, undecodable videos). */
  readonly skipped: number;
}

export async function evaluateRun(run: TrainedRun, split: string, out: Output): Promise<EvaluateRunResult> {
  const { config } = run;
  const splits = [{ role: split, split, maxSamples: config.eval.maxSamples || config.data.maxSamples }];
  const setupOptions = { config, out, purpose: 'inference', splits, noDataCode: 'E_NO_EVAL_DATA' } as const;
  return withPipelineSetup(setupOptions, async (setup) => {
    const data = setup.splits[0]!;
    const models = await loadRunModels(config, setup.visionDim, out, run.checkpoint.dir);
    try {
      const label = `captions ${run.checkpoint.name} ${split}`;
      const { cache } = setup;
      const { samples, keys } = data;
      const records = await generateCaptions({ samples, keys, cache, models, config, out, label });
      const dir = join(run.runDir, 'eval', `${run.checkpoint.name}-${split}`);
      await mkdir(dir, { recursive: true });
      const scored = await scoreCaptions({ records, config, dir, out, dataRoot: join(setup.root, split) });
      const skipped = data.labelSkips + data.skipped.length;
      return { checkpoint: run.checkpoint.name, split, dir, metrics: scored.metrics, files: scored.files, skipped };
    } finally {
      models.dispose();
    }
  });
}

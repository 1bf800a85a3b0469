#!/usr/bin/env node
// Score a predictions file with two metrics — METEOR (nltk-exact) and CIDEr-D — through the
// @kvc/eval evaluation stream, offline (pure metrics: no model, no download), then list the
// captions METEOR liked least: what `kvc metrics` does not print, and where to look first when a
// run's numbers disappoint.
//
// A predictions file is JSON lines with "prediction" and "reference" (and optionally "id",
// "video", "eos_reached"), e.g. the predictions.jsonl of a `kvc train` run. Bad lines are
// reported with their line number and skipped.
//
// Run (after `npm install` at the repository root):
//   node examples/score-predictions.mjs runs/demo/predictions.jsonl [--worst 3]
import { parseArgs } from 'node:util';
import { filter, from, lastValueFrom } from 'rxjs';
import { evaluateCaptions, readPredictionsFile } from '@kvc/eval';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { worst: { type: 'string', default: '3' } },
});
const file = positionals[0];
if (!file) {
  console.error('usage: node examples/score-predictions.mjs <predictions.jsonl> [--worst N]');
  process.exit(2);
}

const parsed = await readPredictionsFile(file);
for (const issue of parsed.issues) console.error(`skipped line ${issue.line}: ${issue.reason}`);

// The stream: caption records in; progress, per-sample and final `metrics` events out.
const result = await lastValueFrom(
  from(parsed.records).pipe(
    evaluateCaptions({ pureMetrics: ['meteor', 'cider-d'], total: parsed.records.length }),
    filter((e) => e.type === 'metrics'),
  ),
);

const { pure, count } = result.aggregate;
console.log(`${count} captions from ${file} (${parsed.issues.length} line(s) skipped)`);
console.log(`meteor   ${pure.meteor.toFixed(4)}`);
console.log(`cider_d  ${pure.ciderD.toFixed(4)}`);

const worst = [...result.samples].sort((a, b) => a.metrics.meteor - b.metrics.meteor).slice(0, Number(values.worst));
if (worst.length) console.log(`lowest METEOR:`);
for (const s of worst) {
  console.log(`  ${s.id}  meteor ${s.metrics.meteor.toFixed(4)}  cider_d ${s.metrics.cider_d.toFixed(4)}`);
  console.log(`    prediction: ${s.prediction}`);
  console.log(`    reference:  ${s.reference}`);
}

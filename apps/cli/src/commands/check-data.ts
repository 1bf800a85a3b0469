/**
 * `kvc check-data`: read one split of a dataset (AIHub folder, JSONL manifests or Hugging Face
 * folder: the layout is detected), probe every video, and report the layout, counts, a probe
 * summary and every skipped sample with its code and reason (bad labels or rows, video paths
 * outside the dataset, missing, undecodable or absurdly sized videos).
 */
import type { Command } from 'commander';
import { from, lastValueFrom, tap, toArray } from 'rxjs';
import { datasetSource, ffmpegWarningOnce, probeSamples, resolveDataset } from '@kvc/video-io';
import type { SampleEvent, SkipEvent, VideoProbe } from '@kvc/video-io';
import type { ActionRunner, CommandModule } from '../command.js';
import { CliError } from '../cli-error.js';

interface CheckOpts {
  json?: boolean;
  data: string;
  split?: string;
  concurrency: string;
  allowAbsolutePaths?: boolean;
}

function summarize(probes: readonly VideoProbe[]): Record<string, unknown> {
  if (probes.length === 0) return {};
  const frames = probes.map((p) => p.frameCount);
  const count = <T>(xs: readonly T[]): Record<string, number> =>
    xs.reduce<Record<string, number>>((m, x) => ({ ...m, [String(x)]: (m[String(x)] ?? 0) + 1 }), {});
  return {
    frames: {
      min: Math.min(...frames),
      max: Math.max(...frames),
      mean: frames.reduce((a, b) => a + b, 0) / frames.length,
    },
    fps: count(probes.map((p) => Math.round(p.fps * 100) / 100)),
    sizes: count(probes.map((p) => `${p.width}x${p.height}`)),
    codecs: count(probes.map((p) => p.codec)),
    rotated: probes.filter((p) => p.rotationDeg !== 0).length,
    totalDurationSec: probes.reduce((a, p) => a + (Number.isFinite(p.durationSec) ? p.durationSec : 0), 0),
  };
}

/** Skip codes the probe gives (the progress bar counts them as probed). */
const PROBE_CODES: ReadonlySet<string> = new Set(['E_VIDEO_UNDECODABLE', 'E_VIDEO_DIMENSIONS']);

const LAYOUT_NAMES = { aihub: 'AIHub folder', manifest: 'JSONL manifest', hf: 'Hugging Face folder' } as const;

export const checkDataCommand: CommandModule = {
  register(program: Command, runner: ActionRunner): void {
    program
      .command('check-data')
      .description(
        'check a dataset split: read every label, probe every video, list every sample that cannot be used and why',
      )
      .requiredOption('--data <path>', 'dataset: AIHub folder, <split>.jsonl manifest(s), or Hugging Face folder')
      .option('--split <name>', 'split to check (default train; for a manifest file, that manifest)')
      .option('--concurrency <n>', 'ffprobe processes at once', '2')
      .option('--allow-absolute-paths', 'manifests and metadata files may name videos by absolute path')
      .option('--json', 'print JSON lines only (the result last)')
      .action(
        runner<CheckOpts>('check-data', async (out, opts) => {
          const concurrency = Number(opts.concurrency);
          if (!Number.isInteger(concurrency) || concurrency < 1)
            throw new CliError('E_BAD_ARGUMENT', `--concurrency must be a positive integer, got "${opts.concurrency}"`);
          const dataset = await resolveDataset(opts.data, opts.split);
          const { root, split, layout } = dataset;
          const warning = ffmpegWarningOnce();
          if (warning) out.warn(warning);
          const source = datasetSource({ path: opts.data, split, allowAbsolute: opts.allowAbsolutePaths ?? false });
          const labelled = await lastValueFrom(source.pipe(toArray()));
          const toProbe = labelled.filter((e) => e.type === 'sample').length;
          const bar = out.progress('probing', toProbe);
          const events = await lastValueFrom(
            from(labelled).pipe(
              probeSamples({ concurrency }),
              tap((e) => {
                if (e.type === 'sample' || PROBE_CODES.has(e.code)) bar.tick(1, e.id);
              }),
              toArray(),
            ),
          );
          bar.done();
          const samples = events.filter((e): e is SampleEvent => e.type === 'sample');
          const skips = events.filter((e): e is SkipEvent => e.type === 'skip');
          const usable = samples.map((s) => {
            const { file: _file, ...probe } = s.probe!;
            return { id: s.id, video: s.video, caption: s.caption, ...probe };
          });
          const skipped = skips.map(({ id, file, code, reason }) => ({ id, file, code, reason }));
          const summary = {
            labels: labelled.length,
            usable: usable.length,
            skipped: skipped.length,
            byCode: skipped.reduce<Record<string, number>>((m, s) => ({ ...m, [s.code]: (m[s.code] ?? 0) + 1 }), {}),
            probe: summarize(samples.map((s) => s.probe!)),
          };
          const lines = [
            `${root} [${split}] (${LAYOUT_NAMES[layout]}: ${dataset.source})`,
            `  ${labelled.length} ${layout === 'aihub' ? 'labels' : 'rows'}, ` +
              `${usable.length} usable, ${skipped.length} skipped`,
          ];
          const p = summary.probe as {
            frames?: { min: number; max: number; mean: number };
            fps?: object;
            sizes?: object;
            rotated?: number;
            totalDurationSec?: number;
          };
          if (p.frames) {
            lines.push(
              `  frames per video: min ${p.frames.min}, mean ${p.frames.mean.toFixed(1)}, max ${p.frames.max}; total ${p.totalDurationSec!.toFixed(1)} s`,
            );
            lines.push(
              `  fps: ${JSON.stringify(p.fps)}  sizes (displayed): ${JSON.stringify(p.sizes)}  rotated: ${p.rotated}`,
            );
          }
          for (const s of skipped) lines.push(`  skip ${s.id}: [${s.code}] ${s.reason}\n      ${s.file}`);
          out.result(
            {
              type: 'result',
              command: 'check-data',
              root,
              split,
              layout,
              source: dataset.source,
              summary,
              usable,
              skipped,
            },
            lines.join('\n'),
          );
          return 0;
        }),
      );
  },
};

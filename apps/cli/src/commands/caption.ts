/**
 * `kvc caption <video...> --run DIR [--checkpoint best|last|PATH] [--json]`: the notebook's
 * "load for inference" — the trained projector + LoRA with their base models — on any video
 * ffmpeg reads. Prints `video<TAB>caption` per video (JSON: one
 * {"type":"caption","video","caption","eos_reached","tokens"} line each, then the result). A video
 * that cannot be read is reported (file, reason, hint) and the others are still captioned; the
 * exit code is 1 when any failed.
 */
import { BACKEND_FLAG } from '../config/backend-flag.js';
import { PRECISION_FLAG, initRunBackend, modelFlagOverrides } from '../config/precision-flag.js';
import { QUANTIZATION_FLAG } from '../config/quantization-flag.js';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { lastValueFrom, tap } from 'rxjs';
import type { ActionRunner, CommandModule } from '../command.js';
import { formatError } from '../cli-error.js';
import { captionVideos } from '../pipeline/caption-videos.js';
import type { CaptionEvent } from '../pipeline/caption-videos.js';
import { loadRunModels } from '../pipeline/run-models.js';
import { openTrainedRun } from '../pipeline/trained-run.js';
import { loadVisionEncoder } from '../pipeline/vision-encoder.js';

interface CaptionOptions {
  run: string;
  checkpoint: string;
  json?: boolean;
  backend?: string;
  quantization?: string;
  precision?: string;
}

type Failed = Extract<CaptionEvent, { type: 'failed' }>;

export const captionCommand: CommandModule = {
  register(program: Command, runner: ActionRunner): void {
    program
      .command('caption')
      .description('caption video files with a trained run (projector + LoRA over their base models)')
      .argument('<videos...>', 'video files (any format ffmpeg reads)')
      .requiredOption('--run <dir>', 'run folder written by kvc train')
      .option('--checkpoint <which>', 'best | last | a checkpoint folder', 'best')
      .option(...BACKEND_FLAG)
      .option(...PRECISION_FLAG)
      .option(...QUANTIZATION_FLAG)
      .option('--json', 'JSON lines on stdout: one per video, the result last')
      .action(
        runner<CaptionOptions>('caption', async (out, opts, videos) => {
          const run = await openTrainedRun(opts.run, opts.checkpoint, modelFlagOverrides(opts));
          const { config } = run;
          const choice = await initRunBackend(config, 'inference');
          out.info(`backend ${choice.backend} (${choice.reason}); checkpoint ${run.checkpoint.dir}`);
          const encoder = await loadVisionEncoder(config);
          const failed: Failed[] = [];
          let captioned = 0;
          let eos = 0;
          try {
            const models = await loadRunModels(config, encoder.model.config.hiddenSize, out, run.checkpoint.dir);
            try {
              const bar = out.progress('captions', videos.length);
              await lastValueFrom(
                captionVideos(
                  videos.map((v) => resolve(v)),
                  { encoder, models, config },
                ).pipe(
                  tap((e) => {
                    bar.tick(1);
                    if (e.type === 'failed') {
                      failed.push(e);
                      out.event('failed', {
                        video: e.video,
                        code: e.code,
                        reason: e.reason,
                        ...(e.hint ? { hint: e.hint } : {}),
                      });
                      out.info(
                        formatError('caption', {
                          code: e.code,
                          message: `cannot caption ${e.video}: ${e.reason}`,
                          context: { file: e.video },
                          ...(e.hint ? { hint: e.hint } : {}),
                        }),
                      );
                      return;
                    }
                    captioned++;
                    if (e.eosReached) eos++;
                    out.event('caption', {
                      video: e.video,
                      caption: e.caption,
                      eos_reached: e.eosReached,
                      tokens: e.tokens,
                    });
                    if (!out.json) out.print(`${e.video}\t${e.caption}`);
                  }),
                ),
                { defaultValue: undefined },
              );
              bar.done();
            } finally {
              models.dispose();
            }
          } finally {
            encoder.dispose();
          }
          const summary = `${captioned} captioned (${eos} ended with EOS), ${failed.length} failed`;
          out.result(
            {
              type: 'result',
              command: 'caption',
              run: run.runDir,
              checkpoint: run.checkpoint.name,
              captioned,
              eos_reached: eos,
              failed: failed.map((f) => ({
                video: f.video,
                code: f.code,
                reason: f.reason,
                ...(f.hint ? { hint: f.hint } : {}),
              })),
            },
            undefined,
          );
          if (!out.json) out.info(summary);
          return failed.length ? 1 : 0;
        }),
      );
  },
};

/** `kvc frames <video>`: sample frames uniformly (as training does), write them as PNG, report what was read. */
import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { ffmpegWarningOnce, probeVideo, sampleVideo, writePng } from '@kvc/video-io';
import type { ResizeSpec } from '@kvc/video-io';
import type { ActionRunner, CommandModule } from '../command.js';
import { CliError } from '../cli-error.js';

interface FramesOpts {
  json?: boolean;
  n: string;
  size?: string;
  out?: string;
}

/** `--size 336` → shortest side 336 + center crop; `--size 320x240` → exact size. */
function parseSize(v: string | undefined): ResizeSpec | undefined {
  if (v === undefined) return undefined;
  const exact = /^(\d+)x(\d+)$/i.exec(v);
  if (exact) return { mode: 'exact', width: Number(exact[1]), height: Number(exact[2]) };
  if (/^\d+$/.test(v) && Number(v) > 0) return { mode: 'shortest', size: Number(v) };
  throw new CliError('E_BAD_ARGUMENT', `--size must be a side in pixels (336) or WxH (320x240), got "${v}"`, {
    option: 'size',
    value: v,
  });
}

export const framesCommand: CommandModule = {
  register(program: Command, runner: ActionRunner): void {
    program
      .command('frames')
      .description('sample N frames uniformly from a video (numpy.linspace, like training) and write them as PNG')
      .argument('<video>', 'the video file')
      .option('-n, --n <count>', 'number of frames', '8')
      .option('--size <S|WxH>', 'resize: shortest side S + center crop, or exactly WxH')
      .option('--out <dir>', 'folder for the PNG files (default ./<video name>-frames)')
      .option('--json', 'print JSON lines only (the result last)')
      .action(
        runner<FramesOpts>('frames', async (out, opts, args) => {
          const video = resolve(args[0] ?? '');
          const n = Number(opts.n);
          if (!Number.isInteger(n) || n < 1)
            throw new CliError('E_BAD_ARGUMENT', `-n must be a positive integer, got "${opts.n}"`, {
              option: 'n',
              value: opts.n,
            });
          const resize = parseSize(opts.size);
          const warning = ffmpegWarningOnce();
          if (warning) out.warn(warning);
          const probe = await firstValueFrom(probeVideo(video));
          const sampled = await firstValueFrom(
            sampleVideo(video, { numFrames: n, probe, ...(resize ? { resize } : {}) }),
          );
          const stem = basename(video, extname(video));
          const dir = resolve(opts.out ?? `${stem}-frames`);
          await mkdir(dir, { recursive: true });
          const frames: string[] = [];
          for (const [k, f] of sampled.frames.entries()) {
            const file = join(
              dir,
              `frame_${String(k).padStart(2, '0')}_idx${String(sampled.indices[k]).padStart(5, '0')}.png`,
            );
            await writePng(f, file);
            frames.push(file);
          }
          if (sampled.substituted.length)
            out.warn(
              `frames at positions ${sampled.substituted.join(', ')} could not be decoded and repeat the last good frame`,
            );
          const result = {
            type: 'result',
            command: 'frames',
            video,
            totalFrames: sampled.totalFrames,
            indices: sampled.indices,
            width: probe.width,
            height: probe.height,
            outputWidth: sampled.width,
            outputHeight: sampled.height,
            rotationDeg: probe.rotationDeg,
            fps: probe.fps,
            durationSec: probe.durationSec,
            substituted: sampled.substituted,
            frames,
          };
          const human = [
            `${video}`,
            `  ${probe.frameCount} frames (${probe.frameCountSource}), ${probe.fps.toFixed(2)} fps, ${probe.durationSec.toFixed(2)} s, ${probe.width}×${probe.height} as displayed${probe.rotationDeg ? ` (rotated ${probe.rotationDeg}°)` : ''}`,
            `  sampled indices: ${sampled.indices.join(', ')}`,
            `  wrote ${frames.length} PNG (${sampled.width}×${sampled.height}) to ${dir}`,
          ].join('\n');
          out.result(result, human);
          return 0;
        }),
      );
  },
};

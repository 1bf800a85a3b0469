/**
 * Decoding throughput of `kvc cache`'s decode stage alone (kvc #15): 8 uniformly sampled frames of every
 * video in a manifest folder (cache-bench.sh's `videos`), each shrunk by a CLIP image processor (resize to
 * 336 + center crop, as kvc cache does), `concurrency` videos at once. Modes (KVC_DECODE_MODES, default all):
 * `workers` (seeking, in video-io's DecodePool with the CLI's processor mapper: what `kvc cache` does),
 * `seek` (seeking, all in the main thread: `features.decodeIn=main`), `scan` (every frame decoded, main
 * thread). Prints videos/s and, per video, the CPU seconds of this process (all its threads), of its ffmpeg and
 * ffprobe children, and the main thread's busy time (its event loop's active time): the thread that also feeds
 * the GPU in `kvc cache`.
 * Usage (bench/demo/run.sh, after `npx turbo run build`: the workers run the built dist/ files):
 *   decode-bench.ts DATA_DIR CLIP_DIR [concurrency=cores] [limit]
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { from, lastValueFrom, mergeMap, toArray } from 'rxjs';
import { DecodePool, sampleVideo } from '@kvc/video-io';
import { loadImageProcessor } from '@kvc/models';

const [data, clipDir, conc, limitArg] = process.argv.slice(2);
if (!data || !clipDir) {
  console.error('usage: decode-bench.ts DATA_DIR CLIP_DIR [concurrency] [limit]');
  process.exit(2);
}
const concurrency = Number(conc ?? availableParallelism());
const lines = (await readFile(join(data, 'train.jsonl'), 'utf8')).split('\n').filter(Boolean);
const videos = lines
  .map((l) => join(data, (JSON.parse(l) as { video: string }).video))
  .slice(0, Number(limitArg ?? lines.length));
const processor = await loadImageProcessor(clipDir);
const mapFrame = (f: { width: number; height: number; data: Uint8Array }) => {
  const img = processor.resizeAndCrop(f);
  return { width: img.width, height: img.height, data: img.data };
};
const cpu = () => {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1e6;
};
// The built files the workers run (a bundle of this script has neither beside it); bench/demo/run.sh runs in the
// repository's root.
const dist = (p: string) => pathToFileURL(join(process.cwd(), p));
const modes = (process.env.KVC_DECODE_MODES ?? 'workers,seek,scan').split(',');
for (const mode of modes) {
  const pool =
    mode === 'workers'
      ? await DecodePool.open({
          size: concurrency,
          workerUrl: dist('packages/video-io/dist/decode-worker.js'),
          mapper: {
            module: dist('apps/cli/dist/pipeline/processor-frame.js').href,
            name: 'processorFrameMapper',
            args: { config: processor.config, flavor: processor.flavor },
          },
        })
      : undefined;
  const c0 = cpu();
  const children0 = await childrenCpu();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  await lastValueFrom(
    from(videos).pipe(
      mergeMap(
        (v) =>
          pool ? pool.sample(v, { numFrames: 8 }) : sampleVideo(v, { numFrames: 8, mapFrame, seek: mode !== 'scan' }),
        concurrency,
      ),
      toArray(),
    ),
  );
  const secs = (performance.now() - t0) / 1000;
  const busy = performance.eventLoopUtilization(elu0).active / 1000;
  const node = cpu() - c0;
  const ff = (await childrenCpu()) - children0;
  await pool?.close();
  const per = (x: number) => (x / videos.length).toFixed(3);
  console.log(
    `${mode}: ${videos.length} videos in ${secs.toFixed(1)} s = ${(videos.length / secs).toFixed(2)} videos/s; ` +
      `per video: main thread busy ${per(busy)} s, node CPU (all threads) ${per(node)} s, ffmpeg/ffprobe ${per(ff)} s ` +
      `(${concurrency} at once, ${availableParallelism()} cores)`,
  );
}

/** CPU seconds of this process's finished children (ffmpeg, ffprobe), from /proc (Linux). */
async function childrenCpu(): Promise<number> {
  const f = (await readFile('/proc/self/stat', 'utf8')).split(') ')[1]!.split(' ');
  // fields after the command: state(0) … cutime is field 16, cstime 17 (1-based in proc(5)), here 13 and 14
  return (Number(f[13]) + Number(f[14])) / 100;
}

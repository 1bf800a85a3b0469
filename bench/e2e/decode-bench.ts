/**
 * Decoding throughput of `kvc cache`'s decode stage alone (kvc #15): 8 uniformly sampled frames of every
 * video in a manifest folder (cache-bench.sh's `videos`), each shrunk by a CLIP image processor (resize to
 * 336 + center crop, as kvc cache does), `concurrency` videos at once, by seeking (the default) and by
 * scanning every frame. Prints videos/s and the process tree's CPU seconds per video for each.
 * Usage (bench/demo/run.sh): decode-bench.ts DATA_DIR CLIP_DIR [concurrency=cores] [limit]
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, mergeMap, toArray } from 'rxjs';
import { sampleVideo } from '@kvc/video-io';
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
for (const seek of [true, false]) {
  const c0 = cpu();
  const children0 = await childrenCpu();
  const t0 = performance.now();
  await lastValueFrom(
    from(videos).pipe(
      mergeMap((v) => sampleVideo(v, { numFrames: 8, mapFrame, seek }), concurrency),
      toArray(),
    ),
  );
  const secs = (performance.now() - t0) / 1000;
  const node = cpu() - c0;
  const ff = (await childrenCpu()) - children0;
  console.log(
    `${seek ? 'seek' : 'scan'}: ${videos.length} videos in ${secs.toFixed(1)} s = ${(videos.length / secs).toFixed(2)} videos/s; ` +
      `CPU per video: node ${(node / videos.length).toFixed(3)} s, ffmpeg/ffprobe ${(ff / videos.length).toFixed(3)} s ` +
      `(${concurrency} at once, ${availableParallelism()} cores)`,
  );
}

/** CPU seconds of this process's finished children (ffmpeg, ffprobe), from /proc (Linux). */
async function childrenCpu(): Promise<number> {
  const f = (await readFile('/proc/self/stat', 'utf8')).split(') ')[1]!.split(' ');
  // fields after the command: state(0) … cutime is field 16, cstime 17 (1-based in proc(5)), here 13 and 14
  return (Number(f[13]) + Number(f[14])) / 100;
}

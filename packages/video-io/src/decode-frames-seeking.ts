/**
 * The sampled frames of a video decoded by seeking (seek-plan.ts) instead of scanning every frame:
 * the packets are listed (a demux, no decoding), and one ffmpeg run decodes every segment: the file
 * is an input once per segment, each seeking to its keyframe (`-noaccurate_seek`: decoding starts
 * there); each input's frames pass `trim` (it ends the input past the segment's last wanted pts, so
 * no more of it is decoded) and `select=eq(pts,…)` (`-copyts`: the filters see the stream's own
 * timestamps), `concat` puts the segments in order, then the same resize and rotation as the scan.
 * One process a video instead of one a segment: spawning one cost the decode worker ~19 ms of CPU.
 * Emits undefined, never a wrong frame, when seeking is not worth it or the run does not yield
 * exactly the wanted frames: the caller then scans (sample-video.ts).
 */
import type { Observable } from 'rxjs';
import { concat, defer, map, mergeMap, of, toArray } from 'rxjs';
import { runFfmpeg, runFfprobeJson } from './ffmpeg-process.js';
import { framesOf, rawFramesOutput } from './selected-frames.js';
import type { ResizePlan } from './resize-plan.js';
import type { RgbFrame } from './rgb-frame.js';
import { packetListing, planSeeks, type PacketListing, type SeekSegment } from './seek-plan.js';

/** The video stream's packets, its time base and the container's start time (ffprobe, demux only). */
export function listVideoPackets(file: string): Observable<PacketListing> {
  const args = ['-select_streams', 'v:0', '-show_entries', 'packet=pts,dts,flags:stream=time_base:format=start_time'];
  return runFfprobeJson(file, args).pipe(map(packetListing));
}

/**
 * Segments one ffmpeg run decodes at most: the seed's 8 frames in one process, and a long sampling (64 frames)
 * in a few, so that the decoders one process opens stay few.
 */
export const SEGMENTS_PER_RUN = 8;

/** The segments' frames, in order, in one ffmpeg run (see the module comment). */
function decodeSegments(file: string, segments: readonly SeekSegment[], plan: ResizePlan): Observable<RgbFrame> {
  // One decoding thread an input: a segment is a few dozen frames, and frame threads would only add latency.
  const input = (seg: SeekSegment) => ({
    input: file,
    inputOptions: ['-threads', '1', '-ss', seg.seekSec.toFixed(6), '-noaccurate_seek'],
  });
  const chains = segments.map((seg, i) => {
    const last = Math.max(...seg.pts);
    return `[${i}:v:0]trim=end_pts=${last + 1},select=${seg.pts.map((p) => `eq(pts\\,${p})`).join('+')}[s${i}]`;
  });
  const joined = `${segments.map((_, i) => `[s${i}]`).join('')}concat=n=${segments.length}:v=1:a=0`;
  const graph = [...chains, [joined, ...plan.filters].join(',') + '[out]'].join(';');
  const [first, ...rest] = segments.map(input);
  const count = segments.reduce((n, seg) => n + seg.pts.length, 0);
  const chunks = runFfmpeg({
    ...first!,
    moreInputs: rest,
    outputOptions: ['-copyts', '-filter_complex', graph, '-map', '[out]', ...rawFramesOutput(count)],
  });
  return framesOf(chunks, plan.width, plan.height);
}

/**
 * The frames at `uniqueIndices` (strictly increasing) by seeking, each passed through `mapFrame` as
 * it arrives, or undefined: seeking would not pay, the packets do not map onto `totalFrames`
 * frames, or a segment gave other than its frames. `listing`: the packets the probe already read
 * (probeVideo's `listPackets`), else they are listed here.
 */
export function decodeFramesSeeking(
  file: string,
  uniqueIndices: readonly number[],
  totalFrames: number,
  plan: ResizePlan,
  mapFrame: (frame: RgbFrame) => RgbFrame,
  listing?: PacketListing,
): Observable<RgbFrame[] | undefined> {
  return (listing ? of(listing) : listVideoPackets(file)).pipe(
    mergeMap(({ packets, timeBase, startSec }) => {
      const segments = planSeeks(packets, uniqueIndices, totalFrames, timeBase, startSec);
      if (!segments) return of(undefined);
      const count = segments.reduce((n, seg) => n + seg.pts.length, 0);
      const groups: SeekSegment[][] = [];
      for (let i = 0; i < segments.length; i += SEGMENTS_PER_RUN) groups.push(segments.slice(i, i + SEGMENTS_PER_RUN));
      return concat(...groups.map((g) => defer(() => decodeSegments(file, g, plan)))).pipe(
        map(mapFrame),
        toArray(),
        map((frames) => (frames.length === count ? frames : undefined)),
      );
    }),
  );
}

/**
 * The sampled frames of a video decoded by seeking (seek-plan.ts) instead of scanning every frame:
 * the packets are listed (a demux, no decoding), each segment is one ffmpeg run that seeks to its
 * keyframe (`-noaccurate_seek`: decoding starts there) and keeps the frames whose pts it wants
 * (`-copyts`: the filter sees the stream's own timestamps; `select=eq(pts,…)`), with the same resize
 * and rotation as the scan. Emits undefined, never a wrong frame, when seeking is not worth it or a
 * segment does not yield exactly its frames: the caller then scans (sample-video.ts).
 */
import type { Observable } from 'rxjs';
import { concat, defer, map, mergeMap, of, toArray } from 'rxjs';
import { runFfprobeJson } from './ffmpeg-process.js';
import { selectedFrames } from './selected-frames.js';
import type { ResizePlan } from './resize-plan.js';
import type { RgbFrame } from './rgb-frame.js';
import { packetListing, planSeeks, type PacketListing, type SeekSegment } from './seek-plan.js';

/** The video stream's packets, its time base and the container's start time (ffprobe, demux only). */
export function listVideoPackets(file: string): Observable<PacketListing> {
  const args = ['-select_streams', 'v:0', '-show_entries', 'packet=pts,dts,flags:stream=time_base:format=start_time'];
  return runFfprobeJson(file, args).pipe(map(packetListing));
}

/** One segment's frames: seek to its keyframe, keep its pts. */
function decodeSegment(file: string, seg: SeekSegment, plan: ResizePlan): Observable<RgbFrame> {
  const select = `select=${seg.pts.map((p) => `eq(pts\\,${p})`).join('+')}`;
  // One decoding thread: a segment is a few dozen frames, and frame threads would only add latency.
  const seek = ['-threads', '1', '-ss', seg.seekSec.toFixed(6), '-noaccurate_seek', '-copyts'];
  return selectedFrames(file, select, seg.pts.length, plan, seek);
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
      return concat(
        ...segments.map((seg) =>
          defer(() => decodeSegment(file, seg, plan)).pipe(
            map(mapFrame),
            toArray(),
            map((frames) => (frames.length === seg.pts.length ? frames : undefined)),
          ),
        ),
      ).pipe(
        toArray(),
        map((parts) => (parts.every((p) => p !== undefined) ? parts.flat() : undefined)),
      );
    }),
  );
}

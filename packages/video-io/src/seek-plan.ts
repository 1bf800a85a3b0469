/**
 * Where to seek to decode a few frames of a long video without decoding all of it. Frame n (in
 * display order, as `select=eq(n,…)` counts) is the packet with the n-th smallest pts; it decodes
 * correctly from the last keyframe that is shown no later than it and decoded no later than it
 * (the second condition keeps a leading B-frame of an open GOP with the keyframe before it). Each
 * segment is one input of an ffmpeg run: seek to its keyframe, decode, keep only the frames whose pts
 * are wanted (decode-frames-seeking.ts; a run that yields other than exactly its frames makes
 * sample-video.ts scan instead, so a wrong seek never passes for a frame).
 *
 * Seeking pays when the frames decoded from the keyframes, plus a fixed cost each, are well
 * below the whole video: 8 frames of a 28 s 720p clip with a keyframe every 2 s took 1.25 s of
 * CPU against 2.5 s for the scan (measured with ffmpeg 4.1 on the CPU machine, 2026-11-28).
 */

/** A video packet as ffprobe lists it: pts and dts in the stream's time base, keyframe flag. */
export interface VideoPacket {
  readonly pts: number;
  readonly dts: number;
  readonly key: boolean;
}

/** A video stream's packets with what turns their pts into seconds (ffprobe `-show_entries packet=…`). */
export interface PacketListing {
  readonly packets: readonly VideoPacket[];
  /** Seconds per pts unit (the stream's time base). */
  readonly timeBase: number;
  /** The container's start time, which ffmpeg adds to `-ss`. */
  readonly startSec: number;
}

/** The listing in ffprobe's JSON (`packets`, the first stream's `time_base`, `format.start_time`). */
export function packetListing(json: unknown): PacketListing {
  const j = json as {
    packets?: { pts?: number; dts?: number; flags?: string }[];
    streams?: { time_base?: string }[];
    format?: { start_time?: string };
  };
  const [num, den] = (j.streams?.[0]?.time_base ?? '').split('/').map(Number);
  const packets = (j.packets ?? []).map((p) => ({
    pts: p.pts ?? NaN,
    dts: p.dts ?? NaN,
    key: (p.flags ?? '').startsWith('K'),
  }));
  return { packets, timeBase: num! / den!, startSec: Number(j.format?.start_time ?? 0) };
}

/** One ffmpeg run of a seek plan: seek to `seekSec` (input seconds), keep the frames with these pts. */
export interface SeekSegment {
  readonly seekSec: number;
  readonly pts: readonly number[];
}

/**
 * What one more segment costs beyond its frames, in decoded frames: set when each segment was a process start;
 * an input of a shared run (decode-frames-seeking.ts) costs less, so the plan errs toward scanning.
 */
export const SEGMENT_COST_FRAMES = 30;
/** Seek only when the plan's cost is below this share of decoding every frame. */
export const SEEK_WORTH = 0.6;

/**
 * How much earlier than -ss ffmpeg seeks in a video with B-frames (ffmpeg.c's `dts_heuristic`, 3/23 s, in 4.1
 * as in 7.x). Unallowed for, every seek landed a keyframe early: a 720p segment decoded 60 frames for 30, 0.22 s
 * of CPU for 0.16 (measured with ffmpeg 4.1 on the CPU machine, 2026-11-28).
 */
export const FFMPEG_SEEK_BACKOFF_SEC = 3 / 23;

/**
 * The segments that decode `indices` (strictly increasing display indices), or undefined when the
 * packets cannot stand for the frames (count differs from `totalFrames`, a pts is missing or
 * repeated) or when scanning the whole video costs about as much. `timeBase` is the stream's
 * (seconds per pts unit); `startSec` the container's start time, which ffmpeg adds to `-ss`.
 */
export function planSeeks(
  packets: readonly VideoPacket[],
  indices: readonly number[],
  totalFrames: number,
  timeBase: number,
  startSec: number,
): SeekSegment[] | undefined {
  if (packets.length !== totalFrames || indices.length === 0 || !(timeBase > 0) || !Number.isFinite(startSec))
    return undefined;
  if (packets.some((p) => !Number.isInteger(p.pts) || !Number.isInteger(p.dts))) return undefined;
  const byPts = [...packets].sort((a, b) => a.pts - b.pts);
  for (let i = 1; i < byPts.length; i++) if (byPts[i]!.pts === byPts[i - 1]!.pts) return undefined;
  const displayIndex = new Map(byPts.map((p, i) => [p.pts, i]));
  const keys = packets.filter((p) => p.key);
  const segments: { key: VideoPacket; pts: number[] }[] = [];
  let cost = 0;
  for (const n of indices) {
    const target = byPts[n];
    if (!target) return undefined;
    let key: VideoPacket | undefined;
    for (const k of keys) if (k.pts <= target.pts && k.dts <= target.dts && (!key || k.pts > key.pts)) key = k;
    if (!key) return undefined;
    const last = segments.at(-1);
    if (last?.key === key) last.pts.push(target.pts);
    else {
      segments.push({ key, pts: [target.pts] });
      cost += SEGMENT_COST_FRAMES;
    }
    cost += n - displayIndex.get(key.pts)! + 1;
  }
  // Frames of one segment are counted from its keyframe each: an upper bound on what it decodes.
  if (cost >= SEEK_WORTH * totalFrames) return undefined;
  // ffmpeg seeks to the last keyframe at or before -ss (+ the start time it adds): a hair past the
  // keyframe's own time lands on it whatever the rounding to microseconds. Where the video has B-frames, ffmpeg
  // first moves the seek FFMPEG_SEEK_BACKOFF_SEC earlier, onto the keyframe before: so the seek goes that much
  // later, where that still lands before the next keyframe (were ffmpeg not to move it, on ours all the same).
  const keysByDts = [...keys].sort((a, b) => a.dts - b.dts);
  return segments.map((s) => {
    const at = s.key.pts * timeBase - startSec + 5e-4;
    const next = keysByDts.find((k) => k.dts > s.key.dts);
    const late = at + FFMPEG_SEEK_BACKOFF_SEC;
    const room = next === undefined || next.dts * timeBase - startSec > late + 5e-4;
    return { seekSec: Math.max(0, room ? late : at), pts: s.pts };
  });
}

/**
 * Probing a video with ffprobe: frame count, fps, duration, and the display size after rotation
 * metadata (the display matrix side data, or an old-style `rotate` tag): 90/270 degrees swap width
 * and height.
 *
 * The frame count is the stream's packets (`-count_packets`: the file is read, nothing decoded),
 * because containers lie or omit nb_frames. A video packet is one frame in every ordinary stream, and
 * counting them costs ~1/50 of decoding: on a 28-second 720p H.264 clip 0.05 s against 2.3 s of
 * `-count_frames`, which made probing half of `kvc cache`'s decode time. Where the packet count
 * disagrees with fps × duration (field-coded or damaged streams, where packets and frames differ),
 * the stream is decoded and its frames counted instead, as before.
 */
import type { Observable } from 'rxjs';
import { stat } from 'node:fs/promises';
import { catchError, defer, map, mergeMap, of, throwError } from 'rxjs';
import { runFfprobeJson } from './ffmpeg-process.js';
import { ProbeError, VideoIoError } from './errors.js';
import { fileKind } from './file-kind.js';
import { packetListing, type PacketListing } from './seek-plan.js';

/** What a video looks like to the decoder. */
export interface VideoProbe {
  readonly file: string;
  /** Frames in the first video stream (counted when `countFrames`, else the container's). */
  readonly frameCount: number;
  /** Where `frameCount` came from: frames decoded, packets read, the container's header, fps × duration. */
  readonly frameCountSource: 'decoded' | 'packets' | 'container' | 'estimated';
  readonly fps: number;
  readonly durationSec: number;
  /** Size as displayed (after rotation). */
  readonly width: number;
  readonly height: number;
  /** Size as stored in the stream. */
  readonly codedWidth: number;
  readonly codedHeight: number;
  /** Counterclockwise display rotation in degrees, normalized to 0, 90, 180 or 270. */
  readonly rotationDeg: number;
  readonly codec: string;
  /** The stream's packets, when probed with `listPackets` (the seeking decoder's plan reads them). */
  readonly packets?: PacketListing;
}

/** Options of {@link probeVideo}. */
export interface ProbeOptions {
  /**
   * Count the stream's frames (its packets, or its decoded frames where those disagree with fps ×
   * duration) instead of trusting the container. Default true.
   */
  readonly countFrames?: boolean;
  /**
   * Also list the packets (pts, dts, keyframe) in the same ffprobe run, for the seeking decoder:
   * one demux instead of two. Default false.
   */
  readonly listPackets?: boolean;
}

interface RawStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  nb_frames?: string;
  nb_read_frames?: string;
  nb_read_packets?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  duration?: string;
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number | string }[];
}

function parseRate(r: string | undefined): number {
  if (!r) return NaN;
  const [n, d] = r.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n)) return NaN;
  if (d === undefined) return n;
  return d > 0 ? n / d : NaN;
}

function positiveInt(s: string | undefined): number | undefined {
  const n = Number(s);
  return s !== undefined && s !== '' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** Rotation as a counterclockwise angle in {0, 90, 180, 270} (display matrix, else `rotate` tag). */
export function rotationOf(stream: Pick<RawStream, 'tags' | 'side_data_list'>): number {
  const matrix = stream.side_data_list?.find((s) => s.side_data_type === 'Display Matrix' && s.rotation !== undefined);
  let ccw = 0;
  if (matrix) ccw = Number(matrix.rotation);
  else if (stream.tags?.rotate !== undefined) ccw = -Number(stream.tags.rotate); // the tag is clockwise
  if (!Number.isFinite(ccw)) return 0;
  const r = Math.round(ccw / 90) * 90;
  return ((r % 360) + 360) % 360;
}

/** Turn ffprobe's JSON (`-show_streams -show_format`) into a {@link VideoProbe}. Pure. */
export function parseProbeJson(file: string, json: unknown): VideoProbe {
  const j = json as { streams?: RawStream[]; format?: { duration?: string } };
  const s = j.streams?.find((x) => x.codec_type === 'video');
  if (!s || !s.width || !s.height) {
    throw new ProbeError(
      'E_NO_VIDEO_STREAM',
      'no video stream in file',
      { file, reason: 'ffprobe found no video stream with a size' },
      'is this a video file?',
    );
  }
  const fps = [parseRate(s.avg_frame_rate), parseRate(s.r_frame_rate)].find((x) => Number.isFinite(x) && x > 0) ?? NaN;
  const durationSec = Number(s.duration ?? j.format?.duration ?? NaN);
  const decoded = positiveInt(s.nb_read_frames);
  const packets = positiveInt(s.nb_read_packets);
  const container = positiveInt(s.nb_frames);
  let frameCount: number;
  let frameCountSource: VideoProbe['frameCountSource'];
  if (decoded !== undefined) [frameCount, frameCountSource] = [decoded, 'decoded'];
  else if (packets !== undefined) [frameCount, frameCountSource] = [packets, 'packets'];
  else if (container !== undefined && container > 0) [frameCount, frameCountSource] = [container, 'container'];
  else
    [frameCount, frameCountSource] = [
      Number.isFinite(fps * durationSec) ? Math.round(fps * durationSec) : 0,
      'estimated',
    ];
  const rotationDeg = rotationOf(s);
  const swap = rotationDeg === 90 || rotationDeg === 270;
  return {
    file,
    frameCount,
    frameCountSource,
    fps,
    durationSec,
    width: swap ? s.height : s.width,
    height: swap ? s.width : s.height,
    codedWidth: s.width,
    codedHeight: s.height,
    rotationDeg,
    codec: s.codec_name ?? 'unknown',
  };
}

/**
 * Whether a packet count can stand for the frame count: within 1 % (and 2 frames) of fps ×
 * duration. Rounding of either and a trailing frame stay inside; a field-coded stream (two packets
 * a frame) or one with a run of damaged packets does not.
 */
export function packetCountPlausible(p: VideoProbe): boolean {
  const expected = p.fps * p.durationSec;
  if (p.frameCountSource !== 'packets' || !Number.isFinite(expected) || expected <= 0) return false;
  return Math.abs(p.frameCount - expected) <= Math.max(2, 0.01 * expected);
}

/** Probe one video (cold: ffprobe runs on subscribe, is killed on unsubscribe). */
export function probeVideo(file: string, options: ProbeOptions = {}): Observable<VideoProbe> {
  const base = ['-select_streams', 'v:0', '-show_streams', '-show_format'];
  const count = options.countFrames ?? true;
  const probeWith = (counting: string[]) =>
    runFfprobeJson(file, [...counting, ...base]).pipe(map((json) => parseProbeJson(file, json)));
  // Listing the packets reads them all, so ffprobe reports their count as -count_packets would.
  const first = options.listPackets
    ? runFfprobeJson(file, ['-show_entries', 'packet=pts,dts,flags', ...base]).pipe(
        map((json) => ({ ...parseProbeJson(file, json), packets: packetListing(json) })),
      )
    : probeWith(count ? ['-count_packets'] : []);
  // A FIFO would block ffprobe forever and a directory is no video: say what the path is instead.
  const regularFile = defer(() => stat(file)).pipe(
    mergeMap((st) => {
      if (st.isFile()) return of(undefined);
      const kind = fileKind(st);
      const hint = 'pass the path of a video file';
      return throwError(
        () =>
          new ProbeError('E_NOT_A_FILE', `cannot probe ${kind}`, { file, reason: `${kind}, not a regular file` }, hint),
      );
    }),
  );
  return regularFile.pipe(
    mergeMap(() => first),
    mergeMap((p) => (!count || packetCountPlausible(p) ? of(p) : probeWith(['-count_frames']))),
    catchError((err: unknown) => {
      if (err instanceof ProbeError) return throwError(() => err);
      const ctx = err instanceof VideoIoError ? err.context : {};
      return throwError(
        () =>
          new ProbeError(
            'E_PROBE_FAILED',
            `cannot probe video: ${(err as Error).message}`,
            { file, reason: (err as Error).message, ...ctx },
            'check that the file exists and is a complete, decodable video',
            { cause: err },
          ),
      );
    }),
  );
}

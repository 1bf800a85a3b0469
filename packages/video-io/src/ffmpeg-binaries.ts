/**
 * Finding the ffmpeg and ffprobe binaries: `FFMPEG_PATH`/`FFPROBE_PATH`, else the system's (on
 * PATH), else the static builds shipped in `@ffmpeg-installer/ffmpeg` / `@ffprobe-installer/ffprobe`.
 * Each candidate is checked by running `-version` once; the answer is cached for the process.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { FfmpegNotFoundError } from './errors.js';

/** Where a binary came from. */
export type BinarySource = 'env' | 'system' | 'embedded';

/** A working binary. */
export interface ResolvedBinary {
  readonly path: string;
  readonly source: BinarySource;
  /** First line of `-version`. */
  readonly version: string;
}

type Tool = 'ffmpeg' | 'ffprobe';
const cache = new Map<Tool, ResolvedBinary>();
let warned = false;
const require = createRequire(import.meta.url);

function embeddedPath(tool: Tool): string | undefined {
  try {
    const mod = require(tool === 'ffmpeg' ? '@ffmpeg-installer/ffmpeg' : '@ffprobe-installer/ffprobe') as {
      path?: string;
    };
    return mod.path;
  } catch {
    return undefined; // the optional platform package is not installed for this OS/arch
  }
}

function tryVersion(path: string): string | undefined {
  const r = spawnSync(path, ['-version'], { encoding: 'utf8', timeout: 15_000, windowsHide: true });
  if (r.error || r.status !== 0) return undefined;
  return (r.stdout.split('\n')[0] ?? '').trim();
}

function resolve(tool: Tool): ResolvedBinary {
  const hit = cache.get(tool);
  if (hit) return hit;
  const envName = tool === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH';
  const candidates: { path: string; source: BinarySource }[] = [];
  const fromEnv = process.env[envName];
  if (fromEnv) candidates.push({ path: fromEnv, source: 'env' });
  candidates.push({ path: tool, source: 'system' });
  const embedded = embeddedPath(tool);
  if (embedded) candidates.push({ path: embedded, source: 'embedded' });
  for (const c of candidates) {
    const version = tryVersion(c.path);
    if (version !== undefined) {
      const found: ResolvedBinary = { ...c, version };
      cache.set(tool, found);
      return found;
    }
  }
  throw new FfmpegNotFoundError(
    'E_FFMPEG_NOT_FOUND',
    `no working ${tool} binary found`,
    { tried: candidates.map((c) => `${c.path} (${c.source})`).join(', ') },
    `install ${tool} (e.g. apt-get install ffmpeg), set ${envName} to a working binary, or reinstall @ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe`,
  );
}

/** The ffmpeg binary to run (cached after the first successful check). */
export function resolveFfmpeg(): ResolvedBinary {
  return resolve('ffmpeg');
}

/** The ffprobe binary to run (cached after the first successful check). */
export function resolveFfprobe(): ResolvedBinary {
  return resolve('ffprobe');
}

/**
 * The warning to show once when the embedded ffmpeg (a 2018 FFmpeg 4.1 static build) is in use;
 * `undefined` when a system/env ffmpeg is used or the warning was already taken.
 */
export function ffmpegWarningOnce(): string | undefined {
  if (warned) return undefined;
  const ff = resolveFfmpeg();
  if (ff.source !== 'embedded') return undefined;
  warned = true;
  return `using the ffmpeg shipped in @ffmpeg-installer/ffmpeg (FFmpeg 4.1 from 2018: fine for decoding, but old); install a recent ffmpeg or set FFMPEG_PATH to use another (${ff.path})`;
}

/** Forget the cached binaries (tests that change FFMPEG_PATH). */
export function resetFfmpegBinaries(): void {
  cache.clear();
  warned = false;
}

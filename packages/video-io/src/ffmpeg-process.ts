/**
 * The one module that starts ffmpeg/ffprobe processes, with node's `spawn`. Each run is a cold Observable:
 * subscribing starts the process, unsubscribing kills it (SIGKILL), failures carry stderr's tail.
 * ffmpeg went through fluent-ffmpeg until it was found to fail good decodes under load: it reports "Output stream
 * closed" when the process's exit comes more than 20 ms after its stdout closes (ffmpeg-process.test.ts shows
 * the case), which skipped valid videos in busy runs.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { Observable } from 'rxjs';
import { resolveFfmpeg, resolveFfprobe } from './ffmpeg-binaries.js';
import { VideoIoError, stderrTail } from './errors.js';

/** One ffmpeg invocation: an input (file path or a readable stream fed to stdin) and options. */
export interface FfmpegRun {
  readonly input: string | Readable;
  readonly inputOptions?: readonly string[];
  /** Further input files, each with its own options (a filter graph reads them as [1:v], [2:v], ...). */
  readonly moreInputs?: readonly { readonly input: string; readonly inputOptions?: readonly string[] }[];
  readonly outputOptions: readonly string[];
  /** Output file; when absent the output goes to stdout and is emitted as chunks. */
  readonly output?: string;
}

/** Failure of an ffmpeg/ffprobe process (`E_FFMPEG_FAILED`); callers rewrap it with their context. */
export class FfmpegProcessError extends VideoIoError {
  readonly stderrTail: string;
  constructor(message: string, stderr: string, context: Record<string, unknown> = {}) {
    super('E_FFMPEG_FAILED', message, { ...context, stderrTail: stderrTail(stderr) });
    this.stderrTail = stderrTail(stderr);
  }
}

/** The command line: input options, the input (stdin for a stream), `-y` before a file output, output options. */
export function ffmpegArgs(run: FfmpegRun): string[] {
  return [
    ...(run.inputOptions ?? []),
    '-i',
    typeof run.input === 'string' ? run.input : 'pipe:0',
    ...(run.moreInputs ?? []).flatMap((i) => [...(i.inputOptions ?? []), '-i', i.input]),
    '-hide_banner',
    '-nostdin',
    ...(run.output !== undefined ? ['-y'] : []),
    ...run.outputOptions,
    run.output ?? 'pipe:1',
  ];
}

/** ffmpeg's own error: the first of the last run of stderr lines that do not start with a space or `[`. */
function errorLine(stderr: string): string {
  let run: string[] = [];
  for (const line of stderr.split(/\r\n|\r|\n/)) {
    if (line.startsWith(' ') || line.startsWith('[')) run = [];
    else run.push(line);
  }
  return (run.find((l) => l.trim() !== '') ?? '').trim();
}

/**
 * Run ffmpeg. Emits stdout chunks (only when no output file is given) and completes when ffmpeg
 * exited with 0 and stdout was drained; errors with an {@link FfmpegProcessError} otherwise.
 */
export function runFfmpeg(run: FfmpegRun): Observable<Buffer> {
  return new Observable<Buffer>((subscriber) => {
    let bin: string;
    try {
      bin = resolveFfmpeg().path;
    } catch (err) {
      subscriber.error(err);
      return;
    }
    const toStdout = run.output === undefined;
    const stdin = typeof run.input === 'string' ? 'ignore' : 'pipe';
    const child = spawn(bin, ffmpegArgs(run), {
      stdio: [stdin, toStdout ? 'pipe' : 'ignore', 'pipe'],
      windowsHide: true,
    });
    let done = false;
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => {
      stderr = (stderr + c).slice(-8000);
    });
    if (toStdout) child.stdout!.on('data', (chunk: Buffer) => !done && subscriber.next(chunk));
    if (typeof run.input !== 'string') {
      const input = run.input;
      input.on('error', (e) => {
        if (done) return;
        done = true;
        child.kill('SIGKILL');
        subscriber.error(new FfmpegProcessError(`input stream error: ${e.message}`, stderr));
      });
      // ffmpeg closing its stdin early (it failed, or needs no more) shows in its exit status, not here.
      child.stdin!.on('error', () => undefined);
      input.pipe(child.stdin!);
    }
    child.on('error', (e) => {
      if (done) return;
      done = true;
      subscriber.error(new FfmpegProcessError(`ffmpeg could not start: ${e.message}`, stderr));
    });
    // 'close': the process exited and its stdout and stderr are drained, in whatever order those came.
    child.on('close', (code, signal) => {
      if (done) return;
      done = true;
      if (code === 0) return subscriber.complete();
      const what = signal ? `ffmpeg was killed with signal ${signal}` : `ffmpeg exited with code ${code}`;
      const line = errorLine(stderr);
      subscriber.error(new FfmpegProcessError(`${what}${line ? `: ${line}` : ''}`, stderr));
    });
    return () => {
      if (!done) {
        done = true;
        child.kill('SIGKILL');
      }
    };
  });
}

/** Run ffprobe with `-of json` on a file and emit the parsed JSON once. */
export function runFfprobeJson(file: string, args: readonly string[]): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    let bin: string;
    try {
      bin = resolveFfprobe().path;
    } catch (err) {
      subscriber.error(err);
      return;
    }
    const child = spawn(bin, ['-v', 'error', ...args, '-of', 'json', '--', file], { windowsHide: true });
    const out: Buffer[] = [];
    let err = '';
    let done = false;
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => {
      err = (err + c).slice(-8000);
    });
    child.on('error', (e) => {
      done = true;
      subscriber.error(new FfmpegProcessError(`ffprobe could not start: ${e.message}`, err));
    });
    child.on('close', (code, signal) => {
      if (done) return;
      done = true;
      if (code !== 0) {
        const last = err.trim().split('\n').at(-1)?.trim();
        subscriber.error(
          new FfmpegProcessError(`ffprobe exited with ${signal ?? `code ${code}`}${last ? `: ${last}` : ''}`, err),
        );
        return;
      }
      try {
        subscriber.next(JSON.parse(Buffer.concat(out).toString('utf8')));
        subscriber.complete();
      } catch (e) {
        subscriber.error(new FfmpegProcessError(`ffprobe printed invalid JSON: ${(e as Error).message}`, err));
      }
    });
    return () => {
      if (!done) {
        done = true;
        child.kill('SIGKILL');
      }
    };
  });
}

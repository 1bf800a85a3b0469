/**
 * The one module that starts ffmpeg/ffprobe processes (ffmpeg through fluent-ffmpeg, which is
 * archived upstream: swapping it means rewriting only this file). Each run is a cold Observable:
 * subscribing starts the process, unsubscribing kills it (SIGKILL), failures carry stderr's tail.
 */
import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';
import { Observable } from 'rxjs';
import { resolveFfmpeg, resolveFfprobe } from './ffmpeg-binaries.js';
import { VideoIoError, stderrTail } from './errors.js';

/** One ffmpeg invocation: an input (file path or a readable stream fed to stdin) and options. */
export interface FfmpegRun {
  readonly input: string | Readable;
  readonly inputOptions?: readonly string[];
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
    let closed = false;
    const cmd = ffmpeg({ stdoutLines: 60 }).setFfmpegPath(bin).input(run.input);
    if (run.inputOptions?.length) cmd.inputOptions([...run.inputOptions]);
    cmd.outputOptions(['-hide_banner', '-nostdin', ...run.outputOptions]);
    let ended = false;
    let drained = run.output !== undefined;
    const finish = (): void => {
      if (ended && drained && !closed) subscriber.complete();
    };
    if (run.output !== undefined) {
      cmd.output(run.output);
    } else {
      const sink = new PassThrough();
      sink.on('data', (chunk: Buffer) => {
        if (!closed) subscriber.next(chunk);
      });
      sink.on('end', () => {
        drained = true;
        finish();
      });
      cmd.output(sink, { end: true });
    }
    cmd.on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
      if (closed) return; // killed because the subscriber left: nobody to tell
      closed = true;
      subscriber.error(new FfmpegProcessError(err.message.split('\n')[0] ?? 'ffmpeg failed', stderr ?? ''));
    });
    cmd.on('end', () => {
      ended = true;
      finish();
    });
    cmd.run();
    return () => {
      if (!ended || !drained) {
        closed = true;
        cmd.kill('SIGKILL');
      }
      closed = true;
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

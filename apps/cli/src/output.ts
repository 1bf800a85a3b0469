/**
 * Output: the one place that decides where things are printed.
 * With `--json`, stdout carries only JSON lines (events, the final result last) and everything
 * meant for people (logs, progress bars) goes to stderr. Without it, results are printed for
 * people on stdout and progress bars with ETA are drawn on stderr when it is a terminal.
 */
import { formatDuration, progressLine, progressRate } from './progress-line.js';

export interface Progress {
  /** Advance by `n` units (default 1), optionally with a short status text. */
  tick(n?: number, status?: string): void;
  /** Set the total once it is known. */
  setTotal(total: number): void;
  done(): void;
}

export class Output {
  readonly json: boolean;
  private readonly stdout: NodeJS.WritableStream;
  private readonly stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  private barVisible = false;

  constructor(opts: { json: boolean; stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream }) {
    this.json = opts.json;
    this.stdout = opts.stdout ?? process.stdout;
    this.stderr = opts.stderr ?? process.stderr;
  }

  private get stderrIsTTY(): boolean {
    return Boolean((this.stderr as NodeJS.WriteStream).isTTY);
  }

  /** A JSON event (only printed with --json). */
  event(type: string, data: Record<string, unknown> = {}): void {
    if (this.json) this.writeOut(JSON.stringify({ type, ...data }) + '\n');
  }

  /** The final result: a JSON line with --json, else the human text (if given). */
  result(data: unknown, human?: string): void {
    if (this.json) this.writeOut(JSON.stringify(data) + '\n');
    else if (human !== undefined) this.writeOut(human.endsWith('\n') ? human : human + '\n');
  }

  /** Human text for stdout (or stderr with --json, so stdout stays pure JSON). */
  print(text: string): void {
    const line = text.endsWith('\n') ? text : text + '\n';
    if (this.json) this.writeErr(line);
    else this.writeOut(line);
  }

  /** A log line for people: always stderr. */
  info(text: string): void {
    this.writeErr(text + '\n');
  }

  warn(text: string): void {
    this.writeErr(`warning: ${text}\n`);
    this.event('warning', { message: text });
  }

  progress(label: string, total = 0): Progress {
    const start = Date.now();
    let current = 0;
    let lastDraw = 0;
    let lastEvent = 0;
    let status = '';
    const draw = (force: boolean): void => {
      const now = Date.now();
      if (this.json) {
        if (force || now - lastEvent > 1000) {
          lastEvent = now;
          // The same rate and ETA the bar shows (etaMs only once it is known).
          const { perSecond, etaMs } = progressRate({ current, total, elapsedMs: now - start });
          const eta = Number.isFinite(etaMs) ? { etaMs: Math.round(etaMs) } : {};
          const rate = { perSecond: Math.round(perSecond * 100) / 100 };
          this.event('progress', { label, current, total, elapsedMs: now - start, ...rate, ...eta });
        }
        return;
      }
      if (!this.stderrIsTTY) return;
      if (!force && now - lastDraw < 100) return;
      lastDraw = now;
      const cols = (this.stderr as NodeJS.WriteStream).columns ?? 80;
      this.stderr.write(
        '\r' + progressLine({ label, current, total, elapsedMs: now - start, status, width: cols }) + '\x1b[K',
      );
      this.barVisible = true;
    };
    return {
      tick: (n = 1, s?: string) => {
        current += n;
        if (s !== undefined) status = s;
        draw(false);
      },
      setTotal: (t: number) => {
        total = t;
        draw(false);
      },
      done: () => {
        draw(true);
        if (this.barVisible) {
          this.stderr.write('\n');
          this.barVisible = false;
        } else if (!this.json && !this.stderrIsTTY && current > 0) {
          this.writeErr(`${label}: ${current}${total ? `/${total}` : ''} in ${formatDuration(Date.now() - start)}\n`);
        }
      },
    };
  }

  private writeOut(text: string): void {
    this.clearBar();
    this.stdout.write(text);
  }

  private writeErr(text: string): void {
    this.clearBar();
    this.stderr.write(text);
  }

  private clearBar(): void {
    if (this.barVisible) {
      this.stderr.write('\r\x1b[K');
      this.barVisible = false;
    }
  }
}

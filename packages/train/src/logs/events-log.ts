/** `events.jsonl`: every training event as one JSON line, appended as it happens. */
import { appendFileSync } from 'node:fs';

export class EventsLog {
  constructor(readonly path: string) {}

  /** Synchronous append: an event logged before a crash is on disk. */
  write(event: Record<string, unknown>): void {
    appendFileSync(this.path, JSON.stringify({ time: new Date().toISOString(), ...event }) + '\n');
  }
}

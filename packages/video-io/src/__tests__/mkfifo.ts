/** Create a named pipe (tests only; Linux/macOS). */
import { execFileSync } from 'node:child_process';

export function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

/**
 * `--backend`, the same on every command that runs a model: the flag is the config key `backend`
 * given on the command line, so it goes in as the last override and wins over a config file or
 * preset (and a trained run's saved config, for eval and caption).
 */
import { BACKEND_NAMES } from '@kvc/models';

export const BACKEND_FLAG = [
  '--backend <name>',
  `tensor backend: ${BACKEND_NAMES.join(' | ')} (config key backend)`,
] as const;

/** The override that `--backend NAME` stands for (none when the flag is absent). */
export function backendOverride(backend: string | undefined): string[] {
  return backend === undefined ? [] : [`backend=${backend}`];
}

/** Every `kvc` command, in the order `kvc --help` lists them. Each command lives in its own file. */
import type { CommandModule } from '../command.js';

export const commands: readonly CommandModule[] = [];

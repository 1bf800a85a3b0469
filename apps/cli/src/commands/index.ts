/** Every `kvc` command, in the order `kvc --help` lists them. Each command lives in its own file. */
import type { CommandModule } from '../command.js';
import { demoCommand } from './demo.js';
import { synthCommand } from './synth.js';
import { checkDataCommand } from './check-data.js';
import { framesCommand } from './frames.js';
import { cacheStatsCommand } from './cache-stats.js';
import { parityCommand } from './parity.js';
import { trainCommand } from './train.js';
import { reportCommand } from './report.js';
import { metricsCommand } from './metrics.js';
import { cacheCommand } from './cache.js';
import { evalCommand } from './eval.js';
import { captionCommand } from './caption.js';

export const commands: readonly CommandModule[] = [
  demoCommand,
  synthCommand,
  checkDataCommand,
  framesCommand,
  cacheCommand,
  cacheStatsCommand,
  parityCommand,
  metricsCommand,
  reportCommand,
  trainCommand,
  evalCommand,
  captionCommand,
];

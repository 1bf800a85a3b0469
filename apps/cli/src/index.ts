/** @kvc/cli: the `kvc` program, usable in-process through `run(argv)`. */
export { run } from './main.js';
export { Output } from './output.js';
export type { Progress } from './output.js';
export { CliError } from './cli-error.js';

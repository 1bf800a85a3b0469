/**
 * The `kvc` CLI as one bundle entry for machines without npm (bench/e2e/bundle.sh bundles it with esbuild, as
 * bench/gpu/pack.sh does the benches): the same `run(argv)` that apps/cli/bin/kvc.js calls. It exits
 * explicitly: a Dawn device still referenced would keep Node alive past the end of the command and burn the
 * device call's time (stdout goes to files here, which Node writes synchronously, so nothing is lost).
 */
import { run } from '../../apps/cli/src/main.js';

process.exit(await run(process.argv.slice(2)));

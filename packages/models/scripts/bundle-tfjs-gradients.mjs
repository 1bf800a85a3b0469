// Builds dist/vendor/tfjs-gradients.js (the subpath @kvc/models/tfjs-gradients): tfjs-core's gradient functions registered in one ESM file
// Node can import. tfjs-core ships them only as an ESM tree with extensionless imports (which
// Node refuses) or inside the @tensorflow/tfjs bundle, whose layers, converter, data and webgl
// packages cost ~220 MB of node_modules that kvc never uses. The bundle keeps
// '@tensorflow/tfjs-core' itself external; the gradient code it inlines reaches the one engine
// and the one gradient registry through tfjs' globals, as the @tensorflow/tfjs bundle's copy does.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(
  dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/package.json')),
  'dist',
  'register_all_gradients.js',
);
await build({
  entryPoints: [entry],
  outfile: join(here, '..', 'dist', 'vendor', 'tfjs-gradients.js'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@tensorflow/tfjs-core', 'seedrandom', 'long'],
  legalComments: 'inline',
  logLevel: 'warning',
});

#!/usr/bin/env bash
# Bundles bench/e2e entries (the kvc CLI, the stage report) for Node 20 with esbuild, as
# bench/gpu/pack.sh does: workspace TypeScript sources via the `source` condition; webgpu, lmdb and
# msgpackr stay external (native code: pack-e2e.sh ships them); tfjs-node and the hub client are
# never loaded by these runs. Usage: bash bench/e2e/bundle.sh OUTDIR entry.ts...
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1; shift
# CommonJS code inside the ESM bundle (tfjs-backend-wasm's emscripten loader finds its .wasm files
# through __dirname) needs require, __filename and __dirname.
banner="import { createRequire as __kvcRequire } from 'module'; import { fileURLToPath as __kvcPath } from 'url';
const require = __kvcRequire(import.meta.url); const __filename = __kvcPath(import.meta.url);
const __dirname = __kvcPath(new URL('.', import.meta.url));"
for entry in "$@"; do
  npx esbuild "$entry" --bundle --platform=node --format=esm --target=node20 \
    --outfile="$out/$(basename "$entry" .ts).mjs" \
    --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
    --external:@huggingface/hub --external:lmdb --external:msgpackr --conditions=source \
    --banner:js="$banner" \
    --log-level=warning
done

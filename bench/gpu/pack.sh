#!/usr/bin/env bash
# Packs what a GPU-machine run needs into .gpu/ (ignored by git, carried by the device tool):
# the node binary (the GPU machine has none), one esbuild bundle per entry script, and the
# `webgpu` package (Dawn, linux-x64 only). The repo's tracked files (fixtures) travel anyway.
# Usage: bash bench/gpu/pack.sh bench/gpu/webgpu-parity.ts [more entries...]
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gpu/app/node_modules/webgpu/dist
[ -f .gpu/node.xz ] || xz -6 -T2 -c "$(command -v node)" > .gpu/node.xz
for entry in "$@"; do
  name=$(basename "$entry" .ts)
  npx esbuild "$entry" --bundle --platform=node --format=esm --target=node20 \
    --outfile=".gpu/app/$name.mjs" \
    --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
    --external:@huggingface/hub \
    --external:lmdb --external:msgpackr --conditions=source \
    --banner:js="import { createRequire as __kvcCreateRequire } from 'module'; const require = __kvcCreateRequire(import.meta.url);" \
    --log-level=warning
done
cp node_modules/webgpu/index.js node_modules/webgpu/package.json .gpu/app/node_modules/webgpu/
rm -rf .gpu/app/node_modules/webgpu/dist/linux-x64
mkdir -p .gpu/app/node_modules/webgpu/dist/linux-x64
# Compressed to stay well inside the 64 MiB the device tool carries; run-on-gpu.sh unpacks it.
xz -6 -T2 -c node_modules/webgpu/dist/linux-x64/dawn.node > .gpu/app/node_modules/webgpu/dist/linux-x64/dawn.node.xz
# tfjs-backend-wasm loads its .wasm files next to the bundle.
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm .gpu/app/ 2>/dev/null || true
du -sh .gpu

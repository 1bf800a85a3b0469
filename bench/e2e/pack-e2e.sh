#!/usr/bin/env bash
# Packs what `bench/e2e/seed-e2e.sh prep|real` need on the GPU machine (no Node, no npm, no ffmpeg,
# no internet there) into three ignored folders, each carried by the device tool (64 MiB a call):
#   .e2e/ff    ffmpeg + ffprobe static builds (xz)                       → call 1 (prep)
#   .e2e/prep  model folders without weights (configs, tokenizers, random-weights.json manifests for
#              Qwen3-8B at 36 layers and at $E2E_SHORT_LAYERS) + the seed-like dataset, one tar.xz → call 1
#   .e2e/app   node (xz), the `kvc` CLI bundled by esbuild, tfjs wasm files, and the node_modules the
#              bundle keeps external: webgpu (Dawn, xz), lmdb + its native build for Node 20, msgpackr
#              and their small deps                                                → call 2 (real)
#   .e2e/data  only with E2E_EVAL_VAL=N: a dataset of 8 training and N validation videos (tar, ~0.3 MB a
#              video), too large to travel beside either of the above    → its own call (`seed-e2e.sh data`)
# ffmpeg + ffprobe (37 MB xz) do not fit beside node + Dawn (31 MB) in one call, hence two calls.
# Also makes sure .gl/ holds the Vulkan loader debs (bench/gpu's run-on-gpu.sh reads them).
# Usage: bash bench/e2e/pack-e2e.sh        (env: E2E_TRAIN=8 E2E_VAL=4 E2E_SHORT_LAYERS=4 E2E_EVAL_VAL=)
set -euo pipefail
cd "$(dirname "$0")/../.."
TS="bash bench/demo/run.sh"
rm -rf .e2e/app/node_modules .e2e/prep && mkdir -p .e2e/app/node_modules .e2e/ff .e2e/prep

# --- app: node, the kvc bundle, the external packages
[ -f .e2e/app/node.xz ] || xz -6 -T2 -c "$(command -v node)" > .e2e/app/node.xz
# decode-worker.mjs and processor-frame.mjs sit beside kvc.mjs: `kvc cache`'s decode workers load them.
bash bench/e2e/bundle.sh .e2e/app bench/e2e/kvc.ts bench/e2e/stage-report.ts bench/e2e/write-tiny-clip.ts \
  packages/video-io/src/decode-worker.ts apps/cli/src/pipeline/processor-frame.ts
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm .e2e/app/
nm=.e2e/app/node_modules
# Packages copied whole, without source maps, type declarations, C sources or benchmarks.
tar -C node_modules -cf - --exclude='*.map' --exclude='*.ts' --exclude='*.cts' --exclude='lmdb/src' \
  --exclude='lmdb/dependencies' --exclude='msgpackr/benchmark*' --exclude='*/test*' \
  lmdb msgpackr ordered-binary weak-lru-cache node-gyp-build-optional-packages detect-libc \
  @harperfast/extended-iterable | tar -C "$nm" -xf -
# lmdb's native build: Node 20 (ABI 115) glibc, and N-API as the fallback it tries next.
mkdir -p "$nm/@lmdb/lmdb-linux-x64"
cp node_modules/@lmdb/lmdb-linux-x64/{package.json,index.js,node.abi115.glibc.node,node.napi.glibc.node} \
  "$nm/@lmdb/lmdb-linux-x64/"
mkdir -p "$nm/webgpu/dist/linux-x64"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$nm/webgpu/"
xz -6 -T2 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$nm/webgpu/dist/linux-x64/dawn.node.xz"

# --- ff: the static ffmpeg / ffprobe kvc's deps ship (FFmpeg 4.1, linux-x64)
[ -f .e2e/ff/ffmpeg.xz ] || xz -6 -T2 -c node_modules/@ffmpeg-installer/linux-x64/ffmpeg > .e2e/ff/ffmpeg.xz
[ -f .e2e/ff/ffprobe.xz ] || xz -6 -T2 -c node_modules/@ffprobe-installer/linux-x64/ffprobe > .e2e/ff/ffprobe.xz

# --- prep: model skeletons (real shapes) and the dataset, made here (the dataset once, kept in .e2e-work)
stage=.e2e-work/pack
mkdir -p $stage
rm -rf $stage/models
$TS bench/e2e/write-models.ts $stage/models real manifest
$TS bench/e2e/write-models.ts $stage/models real manifest "${E2E_SHORT_LAYERS:-4}"
[ -d $stage/data/val ] || $TS bench/e2e/make-dataset.ts $stage/data "${E2E_TRAIN:-8}" "${E2E_VAL:-4}" 42
tar -C $stage -cf - models data | xz -6 -T2 > .e2e/prep/prep.tar.xz
# --- data: the evaluation-scale dataset (H.264 does not compress further: a plain tar)
rm -rf .e2e/data
if [ -n "${E2E_EVAL_VAL:-}" ]; then
  big=.e2e-work/pack-eval$E2E_EVAL_VAL
  [ -d $big/data/val ] || $TS bench/e2e/make-dataset.ts $big/data 8 "$E2E_EVAL_VAL" 42
  mkdir -p .e2e/data && tar -C $big -cf .e2e/data/data.tar data
fi

# --- .gl: the Vulkan loader and GLVND (the NVIDIA ICD needs both), as bench/gpu expects
if ! ls .gl/libvulkan1_*.deb >/dev/null 2>&1; then
  mkdir -p .gl && (cd .gl && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi

# --- the sizes each call carries (the device tool's limit: 64 MiB a call)
du -sh .e2e/app .e2e/ff .e2e/prep .gl $([ -d .e2e/data ] && echo .e2e/data)
mib() { du -cm "$@" | tail -1 | cut -f1; }
tree=$(( $(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1) / 1048576 ))
echo "call 1 (prep): .e2e/ff + .e2e/prep = $(mib .e2e/ff .e2e/prep) MiB, + the tracked tree $tree MiB (limit 64)"
echo "call 2 (real): .e2e/app + .gl = $(mib .e2e/app .gl) MiB, + the tracked tree $tree MiB (limit 64)"
[ -d .e2e/data ] && echo "the data call: .e2e/data = $(mib .e2e/data) MiB, + the tracked tree $tree MiB (limit 64)"

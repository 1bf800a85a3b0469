#!/usr/bin/env bash
# Feature caching at corpus scale on the GPU machine (kvc issue #15): seed-like videos made with ffmpeg
# there, `kvc cache` with CLIP ViT-L/14-336 (random bf16 weights in the real shapes, f16 on webgpu) into
# LMDB in videos/s, and beside it the seed's own way (cv2 seeks + CLIP in PyTorch, one video at a time)
# and PyTorch with a parallel decoder (bench/e2e/cache-baseline.py).
#
# The videos: 1280×720, 30 fps, H.264 (libx264 veryfast, CRF 23, a keyframe every 2 s), 20–60 s. Each is a
# 2-second segment of its own (testsrc2, hue turned per video, temporal noise, so about 3–6 Mbit/s like
# camera footage rather than a flat synthetic picture) looped by stream copy to its length: decoding costs
# what a real 720p video of that bitrate costs, making them costs a few seconds of the device's time.
#
# Modes (same warm machine, after bench/e2e/seed-e2e.sh's `prep`, which unpacks ffmpeg and writes CLIP's
# random weights into .e2e-work/real):
#   videos [N=200]   call 1 (carry .e2e/ff, .e2e/prep with seed-e2e prep): N videos + a JSONL manifest
#   run              call 2 (carry .e2e/app, .gl): kvc cache (default settings, then 16 decodes and 8 videos
#                    a batch), a decode-bound run (a 2-layer 336-pixel tower), then the PyTorch baselines
# Results: $OUT/cache-bench.md (the table), the kvc --json logs, the baselines' output.
# Env: CACHE_BENCH_N (only the first N videos), CACHE_BENCH_TIMEOUT (s per kvc run, default 300).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
W=${E2E_WORK:-$ROOT/.e2e-work/real}
C=$W/cachebench
FF=$W/bin/ffmpeg
mode=${1:-}
now() { date +%s%3N; }

case "$mode" in
  videos)
    n=${2:-200}
    [ -x "$FF" ] || { echo "no $FF: run bench/e2e/seed-e2e.sh prep first" >&2; exit 1; }
    rm -rf "$C/data" && mkdir -p "$C/data/videos"
    make_one() { # ffmpeg index dir
      local ff=$1 i=$2 d=$3
      local name
      name=$(printf 'v%04d' "$i")
      local seconds=$(( 20 + 2 * ((i * 7919) % 21) )) # 20–60 s, even
      "$ff" -nostdin -loglevel error -y -f lavfi \
        -i "testsrc2=s=1280x720:r=30:d=2,hue=h=$(( (i * 37) % 360 )),noise=alls=12:allf=t+u:all_seed=$i" \
        -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -g 60 -threads 1 "$d/$name.seg.mp4" &&
        "$ff" -nostdin -loglevel error -y -stream_loop $(( seconds / 2 - 1 )) -i "$d/$name.seg.mp4" -c copy \
          -movflags +faststart "$d/$name.mp4" && rm "$d/$name.seg.mp4"
    }
    export -f make_one
    s=$(now)
    seq 0 $(( n - 1 )) | xargs -P "$(nproc)" -I{} bash -c 'make_one "$@"' _ "$FF" {} "$C/data/videos"
    # The manifest `kvc cache --data` reads (train.jsonl: the `train` split), paths relative to it.
    for f in "$C"/data/videos/*.mp4; do
      printf '{"video": "videos/%s", "caption": "합성 시험 영상"}\n' "$(basename "$f")"
    done > "$C/data/train.jsonl"
    echo "$(wc -l < "$C/data/train.jsonl") videos in $(( ($(now) - s) / 1000 )) s; $(du -sh "$C/data/videos" | cut -f1)"
    "$W/bin/ffprobe" -v error -show_entries format=duration,bit_rate -of csv=p=0 "$C/data/videos/v0000.mp4"
    exit 0
    ;;
  run) ;;
  *) echo "usage: $0 videos [N] | run" >&2; exit 2 ;;
esac

# --- run: node, Dawn and the Vulkan loader as seed-e2e.sh's real mode
[ -f "$C/data/train.jsonl" ] || { echo "run '$0 videos' first (call 1)" >&2; exit 1; }
source bench/e2e/gpu-node.sh
export FFMPEG_PATH=$FF FFPROBE_PATH=$W/bin/ffprobe
NODE=/tmp/kvc-node/node
KVC=($NODE .e2e/app/kvc.mjs)
# CACHE_BENCH_N: only the first N videos (a shorter call); the manifest for them is written beside the full one.
N=$(wc -l < "$C/data/train.jsonl")
if [ -n "${CACHE_BENCH_N:-}" ] && [ "$CACHE_BENCH_N" -lt "$N" ]; then
  mkdir -p "$C/data-$CACHE_BENCH_N" && ln -sfn "$C/data/videos" "$C/data-$CACHE_BENCH_N/videos"
  head -n "$CACHE_BENCH_N" "$C/data/train.jsonl" > "$C/data-$CACHE_BENCH_N/train.jsonl"
  DATA=$C/data-$CACHE_BENCH_N
  N=$CACHE_BENCH_N
else
  DATA=$C/data
fi
OUTD=${OUT:-$C/out}
mkdir -p "$OUTD"
echo "$N videos, $(nproc) cores"
table=$OUTD/cache-bench.md
{
  echo "| run | videos | wall s | videos/s |"
  echo "|---|---|---|---|"
} > "$table"

kvc_cache() { # label vision-model extra-overrides...
  local label=$1 model=$2; shift 2
  local cache=$C/cache-$label
  rm -rf "$cache"
  local s e
  s=$(now)
  timeout "${CACHE_BENCH_TIMEOUT:-300}" "${KVC[@]}" cache --data "$DATA" --split train --preset seed --backend webgpu \
    "vision.model=$model" "features.cacheDir=$cache" "$@" --json > "$OUTD/kvc-$label.jsonl" 2> "$OUTD/kvc-$label.err"
  local rc=$?
  e=$(now)
  local secs
  secs=$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
  echo "kvc $label: exit $rc, $secs s"
  grep -v -E '^Compilation log|^ *\^|^\s*$|warning' "$OUTD/kvc-$label.err" | tail -5
  tail -1 "$OUTD/kvc-$label.jsonl" | cut -c1-400
  echo "| kvc cache, $label | $N | $secs | $(awk -v n="$N" -v t="$secs" 'BEGIN { printf "%.2f", n / t }') |" >> "$table"
}

# The seed preset's defaults (decodes = min(cores, 8), 4 videos a batch), then 16 decodes and 8 videos a batch.
kvc_cache clip-l-default "$W/models/clip"
kvc_cache clip-l-16dec-8vid "$W/models/clip" features.decodeConcurrency=16 features.batchVideos=8
# Decode-bound: a 2-layer 64-wide tower on the same 336-pixel frames (decode + resize + LMDB, almost no GPU).
[ -d "$C/tiny-clip" ] || $NODE .e2e/app/write-tiny-clip.mjs "$C/tiny-clip"
kvc_cache tiny-336-16dec "$C/tiny-clip" features.decodeConcurrency=16 features.batchVideos=8

# PyTorch beside it: the parallel decoder over every video, the seed's way over the first 24.
python3 bench/e2e/cache-baseline.py "$DATA" "$W/models/clip" "$FF" parallel 2>&1 | tee "$OUTD/torch-parallel.txt" | tail -4
python3 bench/e2e/cache-baseline.py "$DATA" "$W/models/clip" "$FF" seed 24 2>&1 | tee "$OUTD/torch-seed.txt" | tail -4
grep -h '^| ' "$OUTD"/torch-*.txt >> "$table"
cat "$table"

#!/usr/bin/env bash
# `kvc train --preset seed` end to end (kvc issue #13): seed-like videos → `kvc cache` → `kvc train`
# (stage 1 → stage 2 with its per-epoch evaluation → final evaluation with SigLIP2, BERTScore,
# METEOR) on random-weight models in the seed's real shapes, then each stage's wall time and device
# peak (bench/e2e/stage-report.ts → <run>/e2e-stages.md/.json) against the notebook's numbers.
#
# Modes:
#   tiny   here, on the CPU: tiny configs of the same four models, wasm, f32, the preset's NF4,
#          seed-like 720p videos (8 train + 4 val), one optimizer step per stage. The CLI is bundled
#          afresh and run beside the packed node_modules (.e2e/app, copied outside the repository so only
#          what travels is found) when pack-e2e.sh has run. E2E_TINY_BACKEND=webgpu: webgpu, f16 and NF4 as in
#          `real`, on Mesa lavapipe. E2E_WRITER=ts: weights from write-models.ts instead of the Python writer.
#   prep   GPU machine, call 1: unpack ffmpeg/ffprobe (.e2e/ff) and the model skeletons + dataset
#          (.e2e/prep) into .e2e-work/real, then write random bf16 weights with torch on the GPU
#          (write-random-weights.py): CLIP ViT-L/14-336, SigLIP2 so400m, BERT-base multilingual and
#          Qwen3-8B with E2E_LAYERS layers (default 4: 4.0 GB; 36 = the full 16.4 GB model).
#   data   GPU machine, between prep and real (only for a dataset packed with E2E_EVAL_VAL=N, carry .e2e/data):
#          replaces the prepared dataset by that one (8 training + N validation videos).
#   real   GPU machine, call 2: webgpu, the preset's f16 and NF4, the seed's batch 4 × accumulation 2,
#          768 text tokens, 128 new tokens; one optimizer step per stage (8 training videos, one epoch
#          each), 4 validation captions. E2E_LAYERS=36: the full Qwen3-8B, whose steps take minutes: the
#          run checkpoints every step, is stopped (SIGTERM) E2E_DEADLINE_S (540) after the call starts,
#          and the same call again resumes it (the stage table adds up every call's share).
#
# The GPU machine has no Node, npm, ffmpeg or internet, and the device tool carries ≤ 64 MiB a call:
# ffmpeg + ffprobe (36 MiB xz) and node + Dawn + the bundle (43 MiB) do not fit together, hence two
# calls on one warm machine (ignored outputs such as .e2e-work/ stay while it is warm; it is released
# ~30 s after a call ends, so issue call 2 at once; a fresh machine makes `real` exit asking for `prep`).
#
# Next session, from the worktree root:
#   here:   bash bench/e2e/pack-e2e.sh           (≈40 s once xz'd binaries exist; prints each call's MiB)
#   device: run(command="bash bench/e2e/seed-e2e.sh prep", carry=[".e2e/ff", ".e2e/prep"], timeout_s=300)
#   device: run(command="bash bench/e2e/seed-e2e.sh real", carry=[".e2e/app", ".gl"], timeout_s=600)
#           → $OUT/e2e-stages.md (the table), train.jsonl(.err), cache.jsonl(.err), phases.tsv,
#             run/{events.jsonl,final_metrics.json,training_log.csv,...}
#   the full 8B, if device time is left (same warm machine):
#           run(command="E2E_LAYERS=36 bash bench/e2e/seed-e2e.sh prep", carry=[".e2e/ff", ".e2e/prep"],
#               timeout_s=300)
#           run(command="E2E_LAYERS=36 bash bench/e2e/seed-e2e.sh real", carry=[".e2e/app", ".gl"], timeout_s=600)
#           repeated while train.jsonl's result says "stopped".
#   If the call's limit_s is below 600 (little device time left), pass E2E_DEADLINE_S=<limit - 60>.
# The seed's whole evaluation (97 validation videos) at all 36 layers (kvc #14), one optimizer step of stage 1 on
# 2 videos before it (stage 2 skipped, so the 97 captions are written once, by the final evaluation):
#   here:   E2E_EVAL_VAL=97 bash bench/e2e/pack-e2e.sh
#   device: E2E_LAYERS=36 … prep (as above); run(command="bash bench/e2e/seed-e2e.sh data", carry=[".e2e/data"]);
#           run(command="E2E_LAYERS=36 E2E_EVAL_SAMPLES=97 E2E_OVERRIDES='train.stage2.epochs=0 train.batchSize=1
#               data.maxSamples=2' bash bench/e2e/seed-e2e.sh real", carry=[".e2e/app", ".gl"])
# Env: E2E_WORK (default .e2e-work/<mode>), E2E_OVERRIDES (more key=value for kvc train, e.g.
#      kernels.attention=tensor-cores), E2E_EVAL_SAMPLES (validation captions an evaluation writes, default 4),
#      E2E_DEADLINE_S.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
mode=${1:-}
TS="bash bench/demo/run.sh"
now() { date +%s%3N; }

case "$mode" in
  tiny) W=${E2E_WORK:-$ROOT/.e2e-work/tiny} ;;
  prep | data | real) W=${E2E_WORK:-$ROOT/.e2e-work/real} ;;
  *) echo "usage: $0 tiny|prep|data|real" >&2; exit 2 ;;
esac
mkdir -p "$W"
# The Qwen3-8B folder of the real modes: all 36 layers (`qwen3`) or a Qwen3-8B of E2E_LAYERS layers (`qwen3-L<n>`,
# packed for E2E_SHORT_LAYERS, default 4).
layers=${E2E_LAYERS:-4}
REAL_LLM=$([ "$layers" = 36 ] && echo qwen3 || echo "qwen3-L$layers")

if [ "$mode" = prep ]; then
  set -e
  mkdir -p "$W/bin"
  for t in ffmpeg ffprobe; do xz -dc ".e2e/ff/$t.xz" > "$W/bin/$t" && chmod +x "$W/bin/$t"; done
  "$W/bin/ffmpeg" -version | head -1
  [ -d "$W/models/bert" ] || xz -dc .e2e/prep/prep.tar.xz | tar -C "$W" -xf -
  [ -d "$W/models/$REAL_LLM" ] || { echo "no $REAL_LLM in the pack: E2E_SHORT_LAYERS=$layers pack-e2e.sh" >&2; exit 1; }
  python3 bench/e2e/write-random-weights.py "$W/models" 1 "clip,siglip,bert,$REAL_LLM"
  du -sh "$W"/models/* "$W/data"; df -h "$W" | tail -1
  exit 0
fi

if [ "$mode" = data ]; then
  set -e
  [ -f .e2e/data/data.tar ] || { echo "no .e2e/data/data.tar: E2E_EVAL_VAL=N bash bench/e2e/pack-e2e.sh here first" >&2; exit 1; }
  [ -d "$W/models" ] || { echo "run '$0 prep' first" >&2; exit 1; }
  # The features of the earlier dataset would be found under the same ids: start the cache and runs afresh too.
  rm -rf "$W/data" "$W/cache" "$W"/run-* "$W"/phases.tsv "$W"/memory.tsv
  tar -C "$W" -xf .e2e/data/data.tar
  echo "dataset: $(ls "$W"/data/train/videos | wc -l) training, $(ls "$W"/data/val/videos | wc -l) validation videos"
  exit 0
fi

# --- models, data and the kvc command for this mode
if [ "$mode" = tiny ]; then
  [ -d "$W/data/val" ] || $TS bench/e2e/make-dataset.ts "$W/data" 8 4 42 || exit 1
  if [ ! -f "$W/models/bert/model.safetensors.index.json" ] && [ ! -f "$W/models/bert/model.safetensors" ]; then
    if [ "${E2E_WRITER:-python}" = ts ]; then
      $TS bench/e2e/write-models.ts "$W/models" tiny weights || exit 1
    else # the GPU path (manifest + write-random-weights.py), with numpy here instead of torch
      $TS bench/e2e/write-models.ts "$W/models" tiny manifest || exit 1
      python3 bench/e2e/write-random-weights.py "$W/models" || exit 1
    fi
  fi
  # The packed app's node_modules and wasm files (what travels), copied outside the repository so that nothing
  # else is found, with the bundles built afresh from the current sources.
  app=$(mktemp -d /tmp/kvc-e2e-app.XXXXXX)
  trap 'rm -rf "$app"' EXIT
  if [ -d .e2e/app/node_modules ]; then
    dawn=$app/node_modules/webgpu/dist/linux-x64/dawn.node
    cp -r .e2e/app/node_modules .e2e/app/*.wasm "$app/" && xz -dc "$dawn.xz" > "$dawn"
    echo "kvc: the packed app's modules (.e2e/app) in $app"
  else
    echo "kvc: .e2e/app missing (bash bench/e2e/pack-e2e.sh packs it): modules from the repository" >&2
    app=$ROOT/.e2e-work/app
  fi
  bash bench/e2e/bundle.sh "$app" bench/e2e/kvc.ts bench/e2e/stage-report.ts || exit 1
  KVC=(node "$app/kvc.mjs")
  REPORT=(node "$app/stage-report.mjs")
  export FFMPEG_PATH=$ROOT/node_modules/@ffmpeg-installer/linux-x64/ffmpeg
  export FFPROBE_PATH=$ROOT/node_modules/@ffprobe-installer/linux-x64/ffprobe
  LLM=qwen3
  # wasm in f32 by default; E2E_TINY_BACKEND=webgpu runs the real mode's path (webgpu, the preset's f16 + NF4)
  # on Mesa lavapipe (VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.json).
  tb=${E2E_TINY_BACKEND:-wasm}
  BACKEND=(--backend "$tb" $([ "$tb" = webgpu ] || echo --precision f32))
  SIZES=(maxTextLength=256 generation.maxNewTokens=8)
  # lavapipe binds at most 128 MiB and the chunked cross-entropy's logit chunks are 256 MB (441 rows of the
  # 151936-token vocabulary): one short sequence a batch (≤ 220 rows) fits; 2 videos = 1 step at accumulation 2.
  [ "$tb" = webgpu ] && SIZES=(maxTextLength=64 generation.maxNewTokens=8 train.batchSize=1 data.maxSamples=2)
  DEADLINE=${E2E_DEADLINE_S:-3000}
else
  [ -f "$W/models/bert/model.safetensors.index.json" ] || { echo "run '$0 prep' first (call 1)" >&2; exit 1; }
  source bench/e2e/gpu-node.sh
  KVC=(/tmp/kvc-node/node .e2e/app/kvc.mjs)
  REPORT=(/tmp/kvc-node/node .e2e/app/stage-report.mjs)
  export FFMPEG_PATH=$W/bin/ffmpeg FFPROBE_PATH=$W/bin/ffprobe
  LLM=$REAL_LLM
  BACKEND=(--backend webgpu) # the preset's precision f16 and quantization nf4
  SIZES=(train.checkpointEverySteps=1)
  DEADLINE=${E2E_DEADLINE_S:-540}
fi

M=$W/models
RUN=$W/run-$LLM
COMMON=(--preset seed "${BACKEND[@]}" "data.root=$W/data" "features.cacheDir=$W/cache" "vision.model=$M/clip"
  "llm.model=$M/$LLM" "eval.siglipModel=$M/siglip" "eval.bertModel=$M/bert")
# One optimizer step per stage: 8 training videos = 2 batches of 4 = 1 step at accumulation 2; one epoch each.
EVAL_SAMPLES=${E2E_EVAL_SAMPLES:-4}
TRAIN=("${SIZES[@]}" train.stage1.epochs=1 train.stage2.epochs=1 "eval.maxSamples=$EVAL_SAMPLES" ${E2E_OVERRIDES:-})
VIDEOS=$(ls "$W"/data/*/videos/*.mp4 | wc -l)
echo "work $W, run $RUN, $VIDEOS videos, ${KVC[*]}"

# --- device memory: nvidia-smi's used MiB where there is a GPU, else the kvc process's RSS
sample_memory() { # pid
  while kill -0 "$1" 2>/dev/null; do
    if command -v nvidia-smi >/dev/null; then
      echo "$(now) $(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1)"
    else
      # `timeout` and its child (node): their resident memory together.
      echo "$(now) $(ps -o rss= -p "$1" --ppid "$1" | awk '{ s += $1 } END { print int(s / 1024) }')"
    fi
    sleep 0.25
  done >> "$W/memory.tsv"
}
START=$(now)
phase() { # name logfile command...
  local name=$1 log=$2; shift 2
  local s left
  s=$(now)
  left=$(( DEADLINE - (s - START) / 1000 ))
  # (`timeout 0` would mean no limit at all)
  [ "$left" -gt 10 ] || { echo "[$name] not started: the deadline ($DEADLINE s) has passed"; return 124; }
  # SIGTERM stops kvc train at the next step with a checkpoint; KILL 45 s later (each step is checkpointed).
  timeout -s TERM -k 45 "$left" "$@" > "$log" 2> "$log.err" &
  local pid=$!
  sample_memory "$pid" &
  local sampler=$!
  local rc
  wait "$pid"; rc=$?
  wait "$sampler" 2>/dev/null
  echo "$name $s $(now)" >> "$W/phases.tsv"
  echo "[$name] exit $rc after $(( ($(now) - s) / 1000 )) s"; tail -3 "$log.err" | sed 's/^/    /'
  return $rc
}

# A resumed run (events.jsonl there) finds its features cached: timing the hits again would dilute the cache row.
if [ ! -f "$RUN/events.jsonl" ]; then
  phase cache "$W/cache.jsonl" "${KVC[@]}" cache --data "$W/data" "${COMMON[@]}" --json || exit 1
fi
phase train "$W/train.jsonl" "${KVC[@]}" train --out "$RUN" --resume "${COMMON[@]}" "${TRAIN[@]}" --json
rc=$?
"${REPORT[@]}" "$W" "$RUN" "$VIDEOS" "$EVAL_SAMPLES" "seed e2e, $mode, $LLM, $(date -u +%F)"
tail -1 "$W/train.jsonl"
# Done only when the final evaluation scored with every model-based metric (a missing scorer is only a warning in
# kvc); `skipped` is a run finished by an earlier call whose final evaluation is there (or was redone now).
"${KVC[0]}" -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").pop());
  const need = ["siglip", "bertscore_f1", "meteor", "eos_rate"];
  const miss = need.filter((k) => r.metrics?.[k] === undefined);
  if (r.status === "stopped" || miss.length) {
    console.error(`not done: status ${r.status}, missing [${miss}]; a stopped run resumes: run this again`);
    process.exit(1);
  }
  console.log("e2e ok: " + need.map((k) => `${k} ${r.metrics[k].toFixed(3)}`).join("  "));
' "$W/train.jsonl" 2>&1 || rc=1
if [ -n "${OUT:-}" ]; then # the device tool's output folder
  cp "$RUN"/e2e-stages.* "$W"/*.jsonl "$W"/phases.tsv "$W"/memory.tsv "$OUT/" 2>/dev/null
  # stderr without Dawn's shader-compilation chatter (it can run to megabytes), its last 400 lines
  for f in "$W"/*.err; do grep -v -E '^Compilation log|^ *\^|^\s*$' "$f" | tail -400 > "$OUT/$(basename "$f")"; done
  mkdir -p "$OUT/run" && cp "$RUN"/*.json* "$RUN"/*.csv "$OUT/run/" 2>/dev/null
fi
exit $rc

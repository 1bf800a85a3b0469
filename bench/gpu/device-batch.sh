#!/usr/bin/env bash
# The GPU-machine runs still owed, grouped so that each group is one device call (≤ 600 s) and
# PyTorch runs beside kvc in the same call. Each run's output goes to $OUT/<name>.txt, without
# Dawn's shader warnings; the last lines are echoed.
# Here first: bash bench/gpu/pack.sh bench/gpu/flash-attn-bench.ts bench/gpu/seed-sequence.ts \
#   bench/gpu/f16-train-check.ts bench/gpu/speed-bench.ts, then `xz -6 -T2 -f .gpu/app/*.mjs` (the carry limit is 64 MiB).
# Device tool (carry [".gpu", ".gl"]): bash bench/gpu/device-batch.sh check   (then: attention, gemm-tiles, pool, pool-8b, step-8b)
# Results of 2026-11-28 (H200): bench/results/2026-11-28-tensor-core-attention-h200.md (session 6),
# bench/results/2026-11-28-direct-attention-h200.md (session 7: direct kernels, the buffer pool).
set -u
for f in .gpu/app/*.mjs.xz; do xz -dkf "$f"; done
run() { # name timeout command...
  local name=$1 t=$2; shift 2
  echo "=== $name: $*" | tee "$OUT/$name.txt"
  local s=$(date +%s)
  timeout "$t" "$@" 2>&1 | grep -v -E 'warning|^$|^Compilation log|^ *\^' >> "$OUT/$name.txt"
  echo "exit ${PIPESTATUS[0]} after $(( $(date +%s) - s )) s" >> "$OUT/$name.txt"
  tail -12 "$OUT/$name.txt"
}
# Commands, not functions: `timeout` and `env` run programs.
KVC="bash bench/gpu/run-on-gpu.sh"
PEAK="bash bench/gpu/with-peak-memory.sh"
# PyTorch bf16 beside a step: Qwen3-8B (36 layers) and Qwen3-0.6B at the seed's batch, peak memory sampled; $1: timeout
torch_8b() {
  run torch-8b "$1" env KVC_TORCH_DTYPES=bf16 PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True \
    $PEAK torch-8b python3 bench/gpu/seed-sequence-baseline.py 8b 36
}
torch_06b() { run torch-0.6b "$1" env KVC_TORCH_DTYPES=bf16 $PEAK torch-0.6b python3 bench/gpu/seed-sequence-baseline.py 0.6b; }
case "${1:-}" in
  check) # correctness first: the tensor-core attention against the CPU, the f16 training trajectory
    run flash-check 120 $KVC flash-attn-bench check
    run f16-train-check 200 $KVC f16-train-check test/fixtures/reference
    ;;
  attention) # the tensor-core fused attention: first on the hardware (check), then speed; torch SDPA beside
    run flash-check 120 $KVC flash-attn-bench check
    run flash-speed 300 env KVC_FLASH_SKIP_TFJS=1 $KVC flash-attn-bench clip,seed
    run flash-torch 90 python3 bench/gpu/flash-attn-baseline.py
    ;;
  attention-ab) # this build's attention against an earlier build's bundle (.gpu/app/flash-attn-bench-old.mjs.xz, built by hand from the
    # earlier commit), alternated twice in one call; then the 0.6B step keeping the attention results; torch beside
    run flash-check 120 $KVC flash-attn-bench check
    for n in 1 2; do
      run flash-speed-$n 200 env KVC_FLASH_VARIANTS=subgroup-matrix KVC_FLASH_SKIP_TFJS=1 $KVC flash-attn-bench clip,seed
      [ -f .gpu/app/flash-attn-bench-old.mjs ] && run flash-speed-old-$n 200 env KVC_FLASH_VARIANTS=subgroup-matrix KVC_FLASH_SKIP_TFJS=1 $KVC flash-attn-bench-old clip,seed
    done
    run flash-torch 90 python3 bench/gpu/flash-attn-baseline.py
    run seed-0.6b-keep-attn 200 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=16 KVC_BENCH_CHECKPOINT=keep-attention $PEAK kvc-0.6b-keep-attn $KVC seed-sequence webgpu 0.6b 0 3 f16 none
    torch_06b 120
    ;;
  forward) # the direct tensor-core forward at key blocks 16/32/64; torch beside
    run flash-check 150 $KVC flash-attn-bench check
    run flash-forward 300 env KVC_FLASH_VARIANTS=subgroup-matrix KVC_FLASH_SKIP_TFJS=1 KVC_FLASH_FORWARD_BC=16,64 $KVC flash-attn-bench clip,seed
    run flash-torch 90 python3 bench/gpu/flash-attn-baseline.py
    ;;
  step) # the 0.6B seed step with attention on the tensor-core kernels; torch bf16 beside
    run seed-0.6b-tc 320 env KVC_BENCH_FUSED=tensor-cores $PEAK kvc-0.6b-tc $KVC seed-sequence webgpu 0.6b 0 2 f16 none
    torch_06b 120
    ;;
  gemm-tiles) # the tile-major GEMM (constant offsets) checked, timed, and against the same loads with computed offsets; torch beside
    run gemm-tiles 300 env KVC_BENCH_SM=4x4,4x4s $KVC gemm-bench warm,check,tiles,raw 4096
    run gemm-torch 120 python3 bench/gpu/gemm-baseline.py
    ;;
  staged) # the staged GEMM with tile-major workgroup memory (loads by tile index), on 1 and 2×2 subgroups, against direct; torch beside
    run gemm-staged 300 env KVC_BENCH_SM=4x4,4x4s,4x4s2x2,2x4s2x2,4x2s2x2,2x2s2x2 $KVC gemm-bench warm,check,raw 4096
    run gemm-torch 120 python3 bench/gpu/gemm-baseline.py
    ;;
  gemm-ramp) # #12 (session 21): the GEMM kernels, each ramped for 400 ms before it is timed (the clocks), with the MMA-only
             # ceiling; GEMM_SM / GEMM_PHASES choose (e.g. 4x4p = direct prefetching, 4x4m2x2 = copies on 2x2 subgroups);
             # then Qwen3-8B's linear shapes (KVC_BENCH_LINEAR=8b); torch beside both
    run gemm-ramp 300 env KVC_BENCH_SM=${GEMM_SM:-4x4,4x4p,4x4m2x2,2x4,2x42x2,2x22x2,2x4m4x2k64} $KVC gemm-bench ${GEMM_PHASES:-ceiling,raw} 4096
    run gemm-torch 90 python3 bench/gpu/gemm-baseline.py
    run gemm-8b 330 env KVC_BENCH_LINEAR=8b KVC_BENCH_SM=${GEMM_8B_SM:-4x4,4x4p,4x4m2x2} $KVC gemm-bench linear
    run gemm-torch-8b 90 python3 bench/gpu/gemm-baseline.py 8b
    ;;
  gemm-next) # #12/#13 (prepared in session 21, not run yet): the blocks walked in groups of 8 block rows (L2 reuse; tiling.swizzle)
             # for both default tilings, checked, at 4096³ and at Qwen3-8B's linear shapes; torch beside
    GEMM_SM=${GEMM_SM:-4x4p,4x4pg8,4x4m2x2,4x4m2x2g8} GEMM_PHASES=check,raw GEMM_8B_SM=${GEMM_8B_SM:-4x4p,4x4pg8,4x4m2x2,4x4m2x2g8} \
      bash "$0" gemm-ramp
    ;;
  gemm-copy) # the GEMM staged by subgroup-matrix copies (few accumulators a subgroup, a large shared block) against direct 4x4
    # and the halves-staged kernel; torch beside
    # (GEMM_SM and GEMM_PHASES choose other tilings and phases)
    run gemm-copy 300 env KVC_BENCH_SM=${GEMM_SM:-4x4,2x2m4x4,2x4m4x2,4x2m2x4,4x4m2x2,2x2m2x2,2x2s4x4} $KVC gemm-bench ${GEMM_PHASES:-warm,check,raw} 4096
    run gemm-torch 120 python3 bench/gpu/gemm-baseline.py
    ;;
  probe) # result-matrix loads and stores (bench/gpu/acc-load-probe.mjs; copy it into .gpu/app first), then the attention
    # check and speed of the branch one-pass-forward's bundle (.gpu/app/flash-attn-bench-onepass.mjs.xz: pack.sh in its
    # worktree, then renamed) beside this build's
    run acc-load-probe 60 $KVC acc-load-probe
    [ -f .gpu/app/flash-attn-bench-onepass.mjs ] && run flash-check-onepass 120 $KVC flash-attn-bench-onepass check
    [ -f .gpu/app/flash-attn-bench-onepass.mjs ] && run flash-speed-onepass 200 env KVC_FLASH_VARIANTS=subgroup-matrix KVC_FLASH_SKIP_TFJS=1 $KVC flash-attn-bench-onepass clip,seed
    run flash-speed 200 env KVC_FLASH_VARIANTS=subgroup-matrix KVC_FLASH_SKIP_TFJS=1 $KVC flash-attn-bench clip,seed
    ;;
  pool) # the 0.6B step at the seed preset's pool (16 GiB), then also keeping stage inputs; torch bf16 beside
    run seed-0.6b-pool16 300 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=16 $PEAK kvc-0.6b-pool16 $KVC seed-sequence webgpu 0.6b 0 2 f16 none
    run seed-0.6b-keep 200 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=16 KVC_BENCH_CHECKPOINT=keep-stage-inputs $PEAK kvc-0.6b-keep $KVC seed-sequence webgpu 0.6b 0 2 f16 none
    torch_06b 120
    ;;
  keep) # the 0.6B step at the preset's pool, checkpointing that keeps stage inputs, then also the attention results; torch beside
    run seed-0.6b-keep 200 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=16 KVC_BENCH_CHECKPOINT=keep-stage-inputs $PEAK kvc-0.6b-keep $KVC seed-sequence webgpu 0.6b 0 3 f16 none
    run seed-0.6b-keep-attn 200 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=16 KVC_BENCH_CHECKPOINT=keep-attention $PEAK kvc-0.6b-keep-attn $KVC seed-sequence webgpu 0.6b 0 3 f16 none
    torch_06b 120
    ;;
  pool-8b) # the 8B NF4 step at the seed preset's pool (16 GiB): does it fit and how fast (torch: step-8b)
    run seed-8b-pool16 500 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=16 $PEAK kvc-8b-pool16 $KVC seed-sequence webgpu 8b 36 2 f16 nf4
    ;;
  pool-8b-series) # the 8B step at a 16 GiB pool (ran out of the H200's 141 GB in session 8) with the device memory sampled
    # every 250 ms into $OUT/mem-8b-pool16.txt: does it climb while the host records ahead of the GPU?
    run seed-8b-pool16 400 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=16 KVC_PEAK_SERIES=$OUT/mem-8b-pool16.txt $PEAK kvc-8b-pool16 $KVC seed-sequence webgpu 8b 36 2 f16 nf4
    ;;
  step-8b) # Qwen3-8B NF4, all 36 layers, attention on the tensor-core kernels; torch bf16 beside
    run seed-8b-tc 430 env KVC_BENCH_FUSED=tensor-cores $PEAK kvc-8b-tc $KVC seed-sequence webgpu 8b 36 1 f16 nf4
    torch_8b 150
    ;;
  clip) # CLIP-L/14-336 per video, f16 weights, attention on tensor cores and on the tfjs op; torch beside
    run clip-f16-tc 150 env KVC_BENCH_PRECISION=f16 KVC_BENCH_FUSED=tensor-cores $KVC speed-bench webgpu clip
    run clip-f16 120 env KVC_BENCH_PRECISION=f16 $KVC speed-bench webgpu clip
    run clip-torch 90 python3 bench/gpu/speed-baseline.py clip
    ;;
  clip-breakdown) # where CLIP-L's forward spends its time (bench/gpu/clip-breakdown.ts), 8 and 64 frames; the tower in torch beside
    run clip-breakdown 240 $KVC clip-breakdown 8,64
    run clip-torch 90 python3 bench/gpu/speed-baseline.py clip
    ;;
  gen) # #14: the subgroup-matrix kernels against the CPU on the hardware (the attention; the model cases through the
       # f16 GEMM), then greedy generation after the seed's 4620-token prefix (0.6B shapes, f16, LoRA r16 unmerged,
       # batch 1, 8 and 32 × 128 new tokens, device peak from nvidia-smi, each step split into host recording and
       # waiting); HF generate in bf16 and fp32 beside (session 10 ran batch 1 and 8 in 320 s)
    run flash-check 40 $KVC flash-attn-bench check
    run parity-f16 60 $KVC webgpu-parity test/fixtures/reference webgpu f16
    # the model cases again with the fused attention in f32 (portable: the tensor-core kernels compute in f16, past
    # the f32 tolerances): qwen3-vlm's generated ids through the key-split decode kernels and replayed steps
    run parity-fused 60 env KVC_BENCH_FUSED=1 $KVC webgpu-parity test/fixtures/reference webgpu f32
    run gen 300 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $PEAK gen $KVC gen-bench webgpu 0.6b 1,8,32 128 f16
    run gen-torch 120 python3 bench/gpu/gen-baseline.py 1,8 128 bfloat16,float32
    # fp32 at batch 32 would need ~140 GiB (35 GiB at batch 8, session 10): bf16 only
    run gen-torch-32 60 python3 bench/gpu/gen-baseline.py 32 128 bfloat16
    ;;
  gen-512) # #14: 512 new tokens after the seed's prefix (its captions need ~400-700), kvc at batch 8 (a step cost the
           # same at batch 1 in session 10); HF at batch 1 and 8 beside
    run gen-512 360 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $PEAK gen-512 $KVC gen-bench webgpu 0.6b 8 512 f16
    run gen-512-torch 150 python3 bench/gpu/gen-baseline.py 1,8 512 bfloat16
    ;;
  gen-final) # #14 in one call: the model cases with the fused attention, then 128 new tokens at batch 1 and 8 and
             # 512 at batch 8, HF bf16 beside (session 11, after the decode kernels and the capacity rounding)
    run parity-fused 60 env KVC_BENCH_FUSED=1 $KVC webgpu-parity test/fixtures/reference webgpu f32
    run gen 200 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $PEAK gen $KVC gen-bench webgpu 0.6b 1,8 128 f16
    run gen-512 120 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $PEAK gen-512 $KVC gen-bench webgpu 0.6b 8 512 f16
    run gen-torch 90 python3 bench/gpu/gen-baseline.py 1,8 128 bfloat16
    run gen-512-torch 90 python3 bench/gpu/gen-baseline.py 8 512 bfloat16
    ;;
  gen-step-profile) # #14: a replayed decoding step's GPU time by kernel (RecordedStep.profile: timestamp queries, one
                    # pass per dispatch) at batch 1 and 8, then the run itself: where the 22-45 ms a step go (session 11)
    run gen-step-profile 200 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_PROFILE_STEP=1 \
      $KVC gen-bench webgpu 0.6b 1,8 16 f16
    ;;
  gen-gemv) # #14 (session 12): the f16 GEMV with LoRA fused and the vec4 decode attention, checked on the hardware
            # (the f16 model cases decode through the GEMV; the f32 ones with fused attention through the decode
            # kernels), then a replayed step's profile and 128 new tokens at batch 1 and 8; HF bf16 beside
    run parity-f16 60 $KVC webgpu-parity test/fixtures/reference webgpu f16
    run parity-fused 60 env KVC_BENCH_FUSED=1 $KVC webgpu-parity test/fixtures/reference webgpu f32
    run gen-step-profile 150 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_PROFILE_STEP=1 \
      $KVC gen-bench webgpu 0.6b 1,8 16 f16
    run gen 200 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $PEAK gen $KVC gen-bench webgpu 0.6b 1,8 128 f16
    run gen-torch 90 python3 bench/gpu/gen-baseline.py 1,8 128 bfloat16
    ;;
  gen-final12) # #14 (session 12) in one call: the model cases (f16 decodes through the GEMV; f32 with the fused
                # attention through the decode kernels), then 128 new tokens at batch 1, 8 and 32 and 512 at batch 8;
                # HF bf16 beside
    run parity-f16 60 $KVC webgpu-parity test/fixtures/reference webgpu f16
    run parity-fused 60 env KVC_BENCH_FUSED=1 $KVC webgpu-parity test/fixtures/reference webgpu f32
    run gen 240 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $PEAK gen $KVC gen-bench webgpu 0.6b 1,8,32 128 f16
    run gen-512 120 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $PEAK gen-512 $KVC gen-bench webgpu 0.6b 8 512 f16
    run gen-torch 90 python3 bench/gpu/gen-baseline.py 1,8,32 128 bfloat16
    run gen-512-torch 60 python3 bench/gpu/gen-baseline.py 8 512 bfloat16
    ;;
  gen-prefill-profile) # #14 (session 12): the first prefill chunk's GPU time by kernel (RecordedStep.profile of a
                       # captured chunk) at batch 1, 8 and 32, after a short run each (its prefill split into
                       # recording and waiting)
    run gen-prefill-profile 300 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_PROFILE_PREFILL=1 \
      $KVC gen-bench webgpu 0.6b 1,8,32 2 f16
    ;;
  gen-lowrank) # #14 (session 12, last call): the prefill's LoRA branches in one kernel after x·Aᵀ; 128 new tokens at
               # batch 1 and 8 with the prefill chunk's profile, HF bf16 beside
    run gen 240 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_PROFILE_PREFILL=1 $PEAK gen \
      $KVC gen-bench webgpu 0.6b 1,8 128 f16
    run gen-torch 90 python3 bench/gpu/gen-baseline.py 1,8 128 bfloat16
    ;;
  gen-prof) # #14: a CPU profile (node --cpu-prof; NODE_OPTIONS may not carry it) of the prefill and first tokens at batch KVC_PROF_BATCH (1), to see where its
            # host time goes (sessions 11, 12); the profile comes back xz-compressed in $OUT/prof/
    mkdir -p "$OUT/prof"
    run gen-prof 150 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_NODE_FLAGS="--cpu-prof --cpu-prof-dir=$OUT/prof" \
      $KVC gen-bench webgpu 0.6b ${KVC_PROF_BATCH:-1} 4 f16
    xz -6 -T4 "$OUT"/prof/*.cpuprofile 2>/dev/null
    ls -la "$OUT/prof"
    ;;
  onepass) # #12/#14 (session 13): the one-pass tensor-core forward, its workgroup variables 16-byte sized. The probe
           # (bench/gpu/acc-load-probe.mjs, copied in here: a left load beside a lone u32 shows the cause), the kernels
           # and the model cases against the CPU on the hardware; the attention against the two-pass bundle
           # (.gpu/app/flash-attn-bench-old.mjs.xz, packed from the previous commit) and torch SDPA; 128 new tokens at
           # batch 1 and 8 and HF bf16; the 0.6B seed step keeping attention results and torch bf16
    cp bench/gpu/acc-load-probe.mjs .gpu/app/
    run acc-load-probe 60 $KVC acc-load-probe
    run flash-check 90 $KVC flash-attn-bench check
    run parity-f16 60 $KVC webgpu-parity test/fixtures/reference webgpu f16
    run parity-fused 60 env KVC_BENCH_FUSED=1 $KVC webgpu-parity test/fixtures/reference webgpu f32
    run flash-speed 90 env KVC_FLASH_VARIANTS=subgroup-matrix KVC_FLASH_SKIP_TFJS=1 $KVC flash-attn-bench clip,seed
    [ -f .gpu/app/flash-attn-bench-old.mjs ] && run flash-speed-old 90 env KVC_FLASH_VARIANTS=subgroup-matrix KVC_FLASH_SKIP_TFJS=1 $KVC flash-attn-bench-old clip,seed
    run flash-torch 60 python3 bench/gpu/flash-attn-baseline.py
    run gen 150 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_PROFILE_PREFILL=1 $PEAK gen $KVC gen-bench webgpu 0.6b 1,8 128 f16
    run gen-torch 90 python3 bench/gpu/gen-baseline.py 1,8 128 bfloat16
    run seed-0.6b-keep-attn 150 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=16 KVC_BENCH_CHECKPOINT=keep-attention $PEAK kvc-0.6b-keep-attn $KVC seed-sequence webgpu 0.6b 0 3 f16 none
    torch_06b 100
    ;;
  add-norm) # #14 (session 13): the residual add fused into the MLP's RMSNorm at inference. The model cases on the
            # hardware (qwen3-vlm's ids exact), then 128 new tokens at batch 1 and 8 with this build and with the
            # previous commit's bundle (.gpu/app/gen-bench-old.mjs.xz); HF bf16 beside
    run parity-f16 60 $KVC webgpu-parity test/fixtures/reference webgpu f16
    run gen 100 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $KVC gen-bench webgpu 0.6b 1,8 128 f16
    [ -f .gpu/app/gen-bench-old.mjs ] && run gen-old 100 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $KVC gen-bench-old webgpu 0.6b 1,8 128 f16
    run gen-torch 60 python3 bench/gpu/gen-baseline.py 1,8 128 bfloat16
    ;;
  gemv-profile) # #14 (session 14): the decoding step's 196 GEMVs alone in one pass per tiling (gemv-bench.ts), then
                # the recorded step at batch 1 and 8: its kernels in separate passes, and the whole step in one pass
                # without each of the largest (RecordedStep.timeInOnePass); then 128 new tokens at batch 1 and 8 with
                # session 14's dispatch cuts (q/k norm + RoPE, gated SwiGLU GEMV), HF bf16 beside
    run gemv 150 env KVC_GEMV_TILINGS=16x1,8x1,16x8,8x4,16x4r2,16x4r4,8x4r2,16x8r4 $KVC gemv-bench 1,8,32
    run gen-step-profile 150 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_PROFILE_STEP=1 \
      $KVC gen-bench webgpu 0.6b 1,8 16 f16
    run gen 100 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $KVC gen-bench webgpu 0.6b 1,8 128 f16
    run gen-torch 60 python3 bench/gpu/gen-baseline.py 1,8 128 bfloat16
    ;;
  gen-tuned) # #14 (session 15): the GEMV's tuned split (TUNED_GEMV_TILING) in the decoding step: the step's split at B1
             # and B8, 128 new tokens at B1, B8 and B32 with HF bf16 beside, then the f16 parity (generated_ids exact)
    run gen-step-profile 150 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_PROFILE_STEP=1 \
      $KVC gen-bench webgpu 0.6b 1,8 16 f16
    run gen 150 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $KVC gen-bench webgpu 0.6b 1,8,32 128 f16
    run gen-torch 150 python3 bench/gpu/gen-baseline.py 1,8,32 128 bfloat16
    run parity-f16 120 $KVC webgpu-parity test/fixtures/reference webgpu f16
    ;;
  gen-kv) # #14 (session 15): the f16 KV cache (generation's default with f16 weights): the step's split at B1 and B8,
          # 128 new tokens at B1, B8 and B32, then B8 and B32 with the f32 cache in the same call; HF bf16 beside;
          # the f16 parity (generated_ids exact)
    run gen-step-profile 150 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_PROFILE_STEP=1 \
      $KVC gen-bench webgpu 0.6b 1,8 16 f16
    run gen 150 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $KVC gen-bench webgpu 0.6b 1,8,32 128 f16
    run gen-f32-kv 120 env KVC_BENCH_KV=f32 KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $KVC gen-bench webgpu 0.6b 8,32 128 f16
    run gen-torch 150 python3 bench/gpu/gen-baseline.py 1,8,32 128 bfloat16
    run parity-f16 120 $KVC webgpu-parity test/fixtures/reference webgpu f16
    ;;
  gen-decode) # #14 (session 15): the decode attention over whole 128-key runs (tree statistics), f16 KV cache: the step's
              # split at B1 and B8, then B8's with the GEMV at 16x1 and 16x4r2; 128 new tokens at B1, B8, B32; HF bf16
              # beside; the f16 parity (generated_ids exact)
    run gen-step-profile 150 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_PROFILE_STEP=1 \
      $KVC gen-bench webgpu 0.6b 1,8 16 f16
    for t in 16x1 16x4r2; do
      run gen-step-profile-$t 100 env KVC_GEMV_TILING=$t KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 \
        KVC_BENCH_PROFILE_STEP=1 $KVC gen-bench webgpu 0.6b 8 16 f16
    done
    run gen 150 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $KVC gen-bench webgpu 0.6b 1,8,32 128 f16
    run gen-torch 150 python3 bench/gpu/gen-baseline.py 1,8,32 128 bfloat16
    run parity-f16 120 $KVC webgpu-parity test/fixtures/reference webgpu f16
    ;;
  gen-decode16) # #14 (session 15): the decode attention's 16-byte loads: the step's split at B1 and B8 (f16 cache),
                # B8's with the f32 cache; 128 new tokens at B1, B8, B32, and B8 with the f32 cache; HF bf16 beside;
                # the f16 parity (generated_ids exact)
    run gen-step-profile 150 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_PROFILE_STEP=1 \
      $KVC gen-bench webgpu 0.6b 1,8 16 f16
    run gen-step-profile-f32kv 100 env KVC_BENCH_KV=f32 KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 \
      KVC_BENCH_PROFILE_STEP=1 $KVC gen-bench webgpu 0.6b 8 16 f16
    run gen 150 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $KVC gen-bench webgpu 0.6b 1,8,32 128 f16
    run gen-f32kv 60 env KVC_BENCH_KV=f32 KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $KVC gen-bench webgpu 0.6b 8 128 f16
    run gen-torch 150 python3 bench/gpu/gen-baseline.py 1,8,32 128 bfloat16
    run parity-f16 120 $KVC webgpu-parity test/fixtures/reference webgpu f16
    ;;
  gen-merged) # #14 (session 15): what the LoRA branches cost a decoding step: the step's split at B1 and B8 with LoRA
              # merged into the f16 weights (no branch), then unmerged (as generation runs it), in one call
    run gen-step-profile-merged 100 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_PROFILE_STEP=1 \
      $KVC gen-bench webgpu 0.6b 1,8 16 f16 4620 merged
    run gen-step-profile 100 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_PROFILE_STEP=1 \
      $KVC gen-bench webgpu 0.6b 1,8 16 f16
    ;;
  gen-shared) # #14 (session 15): the LoRA branches' x·Aᵀ once for q/k/v and for gate/up (from 4 rows): the step's split
              # at B1 and B8; 128 new tokens at B1, B8, B32 with HF bf16 beside; the f16 parity (generated_ids exact)
    run gen-step-profile 100 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_PROFILE_STEP=1 \
      $KVC gen-bench webgpu 0.6b 1,8 16 f16
    run gen 120 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $KVC gen-bench webgpu 0.6b 1,8,32 128 f16
    run gen-torch 120 python3 bench/gpu/gen-baseline.py 1,8,32 128 bfloat16
    run parity-f16 60 $KVC webgpu-parity test/fixtures/reference webgpu f16
    ;;
  gen-shared2) # #14 (session 15): o and down also take their x·Aᵀ from one dispatch: B8's step split; 128 new tokens
               # at B8 and B32 with HF bf16 beside; the f16 parity
    run gen-step-profile 60 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_PROFILE_STEP=1 \
      $KVC gen-bench webgpu 0.6b 8 16 f16
    run gen 70 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $KVC gen-bench webgpu 0.6b 8,32 128 f16
    run gen-torch 60 python3 bench/gpu/gen-baseline.py 8,32 128 bfloat16
    run parity-f16 40 $KVC webgpu-parity test/fixtures/reference webgpu f16
    ;;
  train-check) # the f16 training trajectory against the f32 references (never run on the H100 yet)
    run f16-train-check 200 $KVC f16-train-check test/fixtures/reference
    ;;
  gen-nf4) # #14/#13 (session 16): Qwen3-8B with NF4 weights (the seed's LLM), decoding steps on the NF4 GEMV; 128 new
           # tokens after the 4620-token prefix at B1 and B8; HF bf16 8B beside (no bitsandbytes on this machine)
    run gen-8b-nf4 330 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=16 $PEAK gen-8b-nf4 $KVC gen-bench webgpu 8b 1,8 128 nf4
    run gen-8b-torch 200 $PEAK gen-8b-torch python3 bench/gpu/gen-baseline.py 1,8 128 bfloat16 4620 8b
    ;;
  gen-nf4-rows) # #14/#13 (session 16): the NF4 GEMV with 2 (default) / 4 / 1 weight rows an invocation and every 8B product's
                # x·Aᵀ shared; HF bf16 8B beside; the 0.6B f16 runs (B1, B8) and the f16 parity after the refactor
    run gen-8b-nf4 200 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=16 $PEAK gen-8b-nf4 $KVC gen-bench webgpu 8b 1,8 128 nf4
    run gen-8b-nf4-r4 200 env KVC_GEMV_TILING=16x2r4 KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=16 $KVC gen-bench webgpu 8b 1,8 128 nf4
    run gen-8b-nf4-r1 200 env KVC_GEMV_TILING=8x4r1 KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=16 $KVC gen-bench webgpu 8b 1,8 128 nf4
    run gen-8b-torch 200 python3 bench/gpu/gen-baseline.py 1,8 128 bfloat16 4620 8b
    run gen-0.6b 100 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $KVC gen-bench webgpu 0.6b 1,8 128 f16
    run gen-0.6b-torch 100 python3 bench/gpu/gen-baseline.py 1,8 128 bfloat16
    run parity-f16 60 $KVC webgpu-parity test/fixtures/reference webgpu f16
    ;;
  gen-nf4-b32) # #14 (session 16): Qwen3-8B NF4 at batch 32 (the 97-video evaluation's generation: 3 such batches and one of 1),
               # the default split and 4 rows an invocation; HF bf16 8B beside
    run gen-8b-nf4-b32 240 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=16 $PEAK gen-8b-nf4-b32 $KVC gen-bench webgpu 8b 32 128 nf4
    run gen-8b-nf4-b32-r4 200 env KVC_GEMV_TILING=16x2r4 KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=16 $KVC gen-bench webgpu 8b 32 128 nf4
    run gen-8b-torch-b32 140 $PEAK gen-8b-torch-b32 python3 bench/gpu/gen-baseline.py 32 128 bfloat16 4620 8b
    ;;
  gen-nf4-profile) # #14 (session 16): where a Qwen3-8B NF4 decoding step's GPU time goes at B8 (RecordedStep.profile)
    run gen-8b-nf4-profile 170 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=16 KVC_BENCH_PROFILE_STEP=1 $KVC gen-bench webgpu 8b 8 16 nf4
    ;;
  gen-nf4-final) # #14 (session 16): x·Aᵀ's loads batched; 8B NF4 B1/B8 and 0.6B f16 B8 × 128 tokens, HF bf16 beside each
    run gen-8b-nf4 120 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=16 $KVC gen-bench webgpu 8b 1,8 128 nf4
    run gen-8b-torch 100 python3 bench/gpu/gen-baseline.py 1,8 128 bfloat16 4620 8b
    run gen-0.6b 60 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 $KVC gen-bench webgpu 0.6b 8 128 f16
    run gen-0.6b-torch 60 python3 bench/gpu/gen-baseline.py 8 128 bfloat16
    ;;
  decode-split) # #14/#13 (session 18): the decode attention's keys a workgroup (decode-bench: every layer's partial and
                # combine in one pass, per split) for 0.6B at B1/B8/B32 and 8B at B1/B8; the 8B NF4 step at 8 layers with the
                # host's time inside WebGPU's buffer, submit and read-back calls, and a CPU profile (xz) in $OUT/prof/
    run decode-06b 150 $KVC decode-bench 0.6b 1,8,32
    run decode-8b 100 $KVC decode-bench 8b 1,8
    mkdir -p "$OUT/prof"
    run seed-8b-host 300 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_HOST_CALLS=1 \
      KVC_NODE_FLAGS="--cpu-prof --cpu-prof-dir=$OUT/prof" $KVC seed-sequence webgpu 8b 8 2 f16 nf4
    xz -6 -T4 "$OUT"/prof/*.cpuprofile 2>/dev/null
    ls -la "$OUT/prof"
    ;;
  pool-cap) # #13/#14 (session 18): the 8B NF4 step at 8 layers under the 6 GiB free-bytes pool, then pools capped by allocated
            # bytes (48, 64 GiB), host calls timed, device memory sampled every 250 ms into $OUT/mem-pool-cap.txt; then B8 × 128
            # tokens (0.6B f16) with the decode attention at 128 and 256 keys a workgroup, the step profiled; HF bf16 beside
    run seed-8b-cap 330 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_POOL_CAP_GIB=48,64 KVC_BENCH_HOST_CALLS=1 \
      KVC_PEAK_SERIES=$OUT/mem-pool-cap.txt $PEAK kvc-8b-cap $KVC seed-sequence webgpu 8b 8 2 f16 nf4
    run gen-split128 100 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_PROFILE_STEP=1 $KVC gen-bench webgpu 0.6b 8 128 f16
    run gen-split256 100 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_GIB=6 KVC_BENCH_PROFILE_STEP=1 KVC_DECODE_SPLIT=256 \
      $KVC gen-bench webgpu 0.6b 8 128 f16
    run gen-torch 80 python3 bench/gpu/gen-baseline.py 8 128 bfloat16
    ;;
  pool-cap-36) # #13 (session 18): the seed's 8B NF4 step, all 36 layers, under a pool capped at 64 GiB allocated (fits an 80 GB
               # card), host calls timed, device memory sampled into $OUT/mem-8b-36-cap.txt; PyTorch bf16 beside
    run seed-8b-36-cap 420 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_CAP_GIB=64 KVC_BENCH_HOST_CALLS=1 \
      KVC_PEAK_SERIES=$OUT/mem-8b-36-cap.txt $PEAK kvc-8b-36-cap $KVC seed-sequence webgpu 8b 36 3 f16 nf4
    torch_8b 150
    ;;
  pool-cap-06b) # #12 (session 18): the 0.6B seed step (keep-attention) with 16 GiB of free buffers kept, then under a 40 GiB cap on
                # allocated bytes, host calls timed; torch bf16 beside
    run seed-0.6b-cap 260 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_CHECKPOINT=keep-attention KVC_BENCH_POOL_GIB=16 \
      KVC_BENCH_POOL_CAP_GIB=40 KVC_BENCH_HOST_CALLS=1 $PEAK kvc-0.6b-cap $KVC seed-sequence webgpu 0.6b 0 3 f16 none
    torch_06b 120
    ;;
  attn-keep) # #12/#13 (session 19): the tensor-core attention with other tiles, checked, then timed at the 0.6B and 8B
             # seed shapes; torch beside. Call 1 ran it at commit 1fb818d, whose FlashTiles.keep (loop-invariant operand
             # tiles kept in registers) was taken out again: it was no faster. Its default now (not run yet): the dq kernel in
             # blocks of 16 query rows, alternating with 32
    run flash-keep 300 env KVC_FLASH_VARIANTS=subgroup-matrix KVC_FLASH_SKIP_TFJS=1 \
      KVC_FLASH_TILES=${FLASH_TILES:-dq.br=16,dq.br=32,dq.br=16,dq.br=32} \
      $KVC flash-attn-bench ${FLASH_PHASES:-check,seed,seed8b}
    run flash-torch 90 python3 bench/gpu/flash-attn-baseline.py
    ;;
  dkdv16) # #12/#13 (session 19): the dk/dv kernel's query blocks of 16 as the default: checked, then the 8B step (36 layers,
          # cap 56 GiB) and the 0.6B step (keep-attention, cap 40 GiB), PyTorch bf16 beside both
    run flash-check 120 env KVC_FLASH_VARIANTS=subgroup-matrix $KVC flash-attn-bench check
    run seed-8b-36-dkdv16 220 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_CAP_GIB=56 \
      KVC_PEAK_SERIES=$OUT/mem-8b-36-dkdv16.txt $PEAK kvc-8b-36-dkdv16 $KVC seed-sequence webgpu 8b 36 3 f16 nf4
    run seed-0.6b-dkdv16 150 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_CHECKPOINT=keep-attention KVC_BENCH_POOL_CAP_GIB=40 \
      $PEAK kvc-0.6b-dkdv16 $KVC seed-sequence webgpu 0.6b 0 3 f16 none
    torch_8b 100
    torch_06b 80
    ;;
  dkdv-split) # #12/#13 (session 20): the dk/dv kernel split over subgroups (dv and dk each on its own subgroup; 32 keys on 4), at
              # query blocks of 16 and 32, checked, then timed at the 0.6B and 8B seed shapes against the default, twice; torch beside
    run flash-split 300 env KVC_FLASH_VARIANTS=subgroup-matrix KVC_FLASH_SKIP_TFJS=1 \
      KVC_FLASH_TILES=${FLASH_TILES:-dkdv.sg=2,dkdv.bc=32+dkdv.sg=4,dkdv.br=32+dkdv.sg=2,dkdv.br=32+dkdv.bc=32+dkdv.sg=4,dkdv.sg=2,dkdv.bc=32+dkdv.sg=4} \
      $KVC flash-attn-bench ${FLASH_PHASES:-check,seed,seed8b}
    run flash-torch 90 python3 bench/gpu/flash-attn-baseline.py
    ;;
  split-step) # #12/#13 (session 20): the dk/dv kernel split over 2 subgroups, query blocks of 32, as the default: checked, then
              # the 8B step (36 layers, cap 56 GiB) and the 0.6B step (keep-attention, cap 40 GiB), PyTorch bf16 beside both
    run flash-check 120 env KVC_FLASH_VARIANTS=subgroup-matrix $KVC flash-attn-bench check
    run seed-8b-36-split 220 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_CAP_GIB=56 \
      KVC_PEAK_SERIES=$OUT/mem-8b-36-split.txt $PEAK kvc-8b-36-split $KVC seed-sequence webgpu 8b 36 3 f16 nf4
    run seed-0.6b-split 150 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_CHECKPOINT=keep-attention KVC_BENCH_POOL_CAP_GIB=40 \
      $PEAK kvc-0.6b-split $KVC seed-sequence webgpu 0.6b 0 3 f16 none
    torch_8b 100
    torch_06b 80
    ;;
  dq-split) # #12/#13 (session 20): the dq kernel split over 2 subgroups (score and dP strips side by side, half of dq's head tiles
            # each), 16 and 32 rows, alternating with the default; then the 8B step keeping the attention results (no forward
            # recompute) under the 56 GiB cap, device memory sampled
    run flash-dq-split 200 env KVC_FLASH_VARIANTS=subgroup-matrix KVC_FLASH_SKIP_TFJS=1 \
      KVC_FLASH_TILES=${FLASH_TILES:-dq.sg=2,dq.br=32+dq.sg=2,dq.sg=2,dq.br=32+dq.sg=2} \
      $KVC flash-attn-bench ${FLASH_PHASES:-check,seed,seed8b}
    run seed-8b-36-keep 240 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_CAP_GIB=56 KVC_BENCH_CHECKPOINT=keep-attention \
      KVC_PEAK_SERIES=$OUT/mem-8b-36-keep.txt $PEAK kvc-8b-36-keep $KVC seed-sequence webgpu 8b 36 3 f16 nf4
    ;;
  fwd-split) # #12/#13 (session 20): the forward split over 2 subgroups (a 16-row tile of the score strip and half of o's head
             # tiles each), key blocks of 32 and 16, alternating; torch beside
    run flash-fwd-split 200 env KVC_FLASH_VARIANTS=subgroup-matrix KVC_FLASH_SKIP_TFJS=1 \
      KVC_FLASH_TILES=${FLASH_TILES:-forward.sg=2,forward.sg=2+forward.bc=16,forward.sg=2,forward.sg=2+forward.bc=16} \
      $KVC flash-attn-bench ${FLASH_PHASES:-check,seed,seed8b,clip}
    run flash-torch 90 python3 bench/gpu/flash-attn-baseline.py
    ;;
  profile-steps) # #12/#13 (session 20): where the step's GPU time goes outside our own kernels: tf.profile over the last step
                 # (tfjs' kernels only; the fused attention, GEMMs and other WGSL of our own are not in it), Qwen3-8B NF4 at 8
                 # layers and Qwen3-0.6B keeping the attention results
    run seed-8b-8-profile 200 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_PROFILE=1 $KVC seed-sequence webgpu 8b 8 3 f16 nf4
    run seed-0.6b-profile 200 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_PROFILE=1 KVC_BENCH_CHECKPOINT=keep-attention \
      $KVC seed-sequence webgpu 0.6b 0 3 f16 none
    ;;
  profile-steps-own) # #12/#13 (prepared in session 21) in one call (~300 s): the 8B and 0.6B steps with our kernels'
                     # profile (KVC_BENCH_PROFILE=own; the steps also time the heads swap kernel), PyTorch bf16 beside
                     # both, then the GEMM's L2 grouping at 4096³ (checked first). Pack seed-sequence and gemm-bench.
    run seed-8b-36-own 200 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_CAP_GIB=56 KVC_BENCH_PROFILE=own \
      KVC_PEAK_SERIES=$OUT/mem-8b-36-own.txt $PEAK kvc-8b-36-own $KVC seed-sequence webgpu 8b 36 3 f16 nf4
    run seed-0.6b-own 120 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_CHECKPOINT=keep-attention KVC_BENCH_POOL_CAP_GIB=40 \
      KVC_BENCH_PROFILE=own $PEAK kvc-0.6b-own $KVC seed-sequence webgpu 0.6b 0 3 f16 none
    torch_8b 100
    torch_06b 80
    run gemm-next 120 env KVC_BENCH_SM=4x4p,4x4pg8,4x4m2x2,4x4m2x2g8 $KVC gemm-bench check,raw 4096
    run gemm-torch 60 python3 bench/gpu/gemm-baseline.py
    ;;
  attention-next) # #12/#13 (prepared in session 21, not run yet): where the attention forward's time goes (the kernel with its
                  # softmax, its rescale or both cut out), then the forward with its key bias staged (FlashTiles.sb)
                  # checked and alternated with the default; torch SDPA beside. Pack flash-attn-bench.
    run flash-ablate 120 env KVC_FLASH_VARIANTS=subgroup-matrix KVC_FLASH_SKIP_TFJS=1 KVC_FLASH_ABLATE=1 \
      $KVC flash-attn-bench seed,seed8b
    run flash-sb 200 env KVC_FLASH_VARIANTS=subgroup-matrix KVC_FLASH_SKIP_TFJS=1 \
      KVC_FLASH_TILES=forward.sb=1,forward.sb=0,forward.sb=1,forward.sb=0 $KVC flash-attn-bench check,seed,seed8b
    run flash-torch 90 python3 bench/gpu/flash-attn-baseline.py
    ;;
  profile-own) # #12/#13 (prepared in session 21, not run yet: no device time was left): where the step's GPU time goes in our own
               # kernels (own-kernel-profile.ts: timestamps on every pass of ours, the step otherwise as it runs), the 8B
               # step at 36 layers (cap 56 GiB) and the 0.6B step (keep-attention, cap 40 GiB); the rest of each step's
               # wall time is tfjs's kernels and gaps. Then 8 layers of the 8B step with tf.profile beside it (=1).
               # Also the first timing of the heads swap kernel (swap-axes-wgsl.ts, session 21): the steps against
               # session 21's 12.08 s and 2.26–2.34 s (run lora-step for PyTorch beside them)
    run seed-8b-36-own 200 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_CAP_GIB=56 KVC_BENCH_PROFILE=own \
      $KVC seed-sequence webgpu 8b 36 3 f16 nf4
    run seed-0.6b-own 120 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_CHECKPOINT=keep-attention KVC_BENCH_POOL_CAP_GIB=40 \
      KVC_BENCH_PROFILE=own $KVC seed-sequence webgpu 0.6b 0 3 f16 none
    run seed-8b-8-both 200 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_CAP_GIB=56 KVC_BENCH_PROFILE=1 \
      $KVC seed-sequence webgpu 8b 8 2 f16 nf4
    ;;
  lora-step) # #12/#13 (session 20): the LoRA branch's add (lowRankAdd) and weight gradients (lowRankGrad) on kernels of our own
             # in training: the 8B step (36 layers, cap 56 GiB) and the 0.6B step (keep-attention, cap 40 GiB), PyTorch bf16
             # beside both
    run seed-8b-36-lora 220 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_CAP_GIB=56 \
      KVC_PEAK_SERIES=$OUT/mem-8b-36-lora.txt $PEAK kvc-8b-36-lora $KVC seed-sequence webgpu 8b 36 3 f16 nf4
    run seed-0.6b-lora 150 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_CHECKPOINT=keep-attention KVC_BENCH_POOL_CAP_GIB=40 \
      $PEAK kvc-0.6b-lora $KVC seed-sequence webgpu 0.6b 0 3 f16 none
    torch_8b 100
    torch_06b 80
    ;;
  fwd16) # #12/#13 (prepared in session 20, not run yet): the forward in 16-row blocks (one row tile: half the accumulators,
         # twice the workgroups), alternating with the default 32; torch beside. Then run lora-step: lowRankProject
         # (x·Aᵀ and dy·B, committed after session 20's last call) against that session's 13.07–13.15 s and 2.26 s
    run flash-fwd16 200 env KVC_FLASH_VARIANTS=subgroup-matrix KVC_FLASH_SKIP_TFJS=1 \
      KVC_FLASH_TILES=${FLASH_TILES:-forward.br=16,forward.br=32,forward.br=16,forward.br=32} \
      $KVC flash-attn-bench ${FLASH_PHASES:-check,seed,seed8b,clip}
    run flash-torch 90 python3 bench/gpu/flash-attn-baseline.py
    ;;
  pace-tight) # #13 (prepared in session 19, not run yet: no device time was left): the pacer where the pool must destroy buffers: 8 layers of the 8B step under a 24 GiB cap (below
              # its ~31 GiB live peak; session 18's tight caps ran out of the H200), with at most 4 GiB of destroyed buffers in
              # flight, then unpaced; device memory sampled (steps print when they ended, to place them in the series)
    run seed-8b-tight 130 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_CAP_GIB=24 KVC_BENCH_INFLIGHT_GIB=4,inf \
      KVC_PEAK_SERIES=$OUT/mem-8b-tight.txt $PEAK kvc-8b-tight $KVC seed-sequence webgpu 8b 8 2 f16 nf4
    ;;
  pace) # #13 (session 19): the seed's 8B NF4 step, all 36 layers, with the streamed backward paced on the GPU (at most 4 GiB of
        # destroyed buffers in flight, gpu/gpu-pacer.ts), under pools capped at 56 and 64 GiB allocated; device memory sampled;
        # PyTorch bf16 beside
    run seed-8b-36-pace56 240 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_CAP_GIB=56 KVC_BENCH_HOST_CALLS=1 \
      KVC_PEAK_SERIES=$OUT/mem-8b-36-pace56.txt $PEAK kvc-8b-36-pace56 $KVC seed-sequence webgpu 8b 36 3 f16 nf4
    run seed-8b-36-pace64 200 env KVC_BENCH_FUSED=tensor-cores KVC_BENCH_POOL_CAP_GIB=64 KVC_BENCH_HOST_CALLS=1 \
      KVC_PEAK_SERIES=$OUT/mem-8b-36-pace64.txt $PEAK kvc-8b-36-pace64 $KVC seed-sequence webgpu 8b 36 3 f16 nf4
    torch_8b 150
    ;;
  *) echo "usage: $0 check|attention|attention-ab|forward|gemm-tiles|staged|gemm-copy|probe|step|pool|keep|pool-8b|pool-8b-series|step-8b|clip|clip-breakdown|gen|gen-512|gen-final|gen-step-profile|gen-gemv|gen-final12|gen-prefill-profile|gen-lowrank|gen-prof|onepass|add-norm|gemv-profile|gen-tuned|gen-kv|gen-decode|gen-decode16|gen-merged|gen-shared|gen-shared2|gen-nf4|gen-nf4-rows|gen-nf4-b32|gen-nf4-profile|gen-nf4-final|decode-split|pool-cap|pool-cap-36|pool-cap-06b|pace|pace-tight|attn-keep|dkdv16|train-check" >&2; exit 2 ;;
esac

/**
 * The GPU bench tools run on lavapipe as they run on the GPU machine (bundled by bench/demo/run.sh), so that
 * they never rot between device sessions, and each one's point is checked on its own output:
 * - compile-census: generating again, and with a prompt one token longer, compiles none of our pipelines;
 * - decode-dispatches: counts a decode step's kernels with every fused kernel on (bench-attention.ts's
 *   fuseEverything selects the attention variant the device has);
 * - gen-bench: generation with the fused attention (applyBenchAttention), replayed decoding steps and the
 *   recorded step's GPU profile (RecordedStep.profile, and the step in one pass without each kernel:
 *   RecordedStep.timeInOnePass);
 *   With f16 weights, the f16 KV cache and a GEMV split chosen by environment (at batch 4: the shared x·Aᵀ);
 *   at Qwen3-8B's widths with NF4 weights.
 * - gemv-bench: the decoding step's GEMVs in one pass per tiling, each tiling's outputs against the first's.
 * - gemm-bench: its check and kernel-alone timing phases (the portable GEMM here), and its tiling specs.
 * - decode-bench: the decode attention per split, each split's output against the first's.
 * - seed-sequence: the host's time inside WebGPU's calls (host-call-timer.ts) under a capped pool, the backward paced.
 * Their subgroup-matrix branches need the GPU machine (bench/gpu/device-batch.sh); lavapipe has none.
 */
import { describe, expect, it } from 'vitest';
import { runProcess } from './helpers/tiny-setup.js';

const onGpu = process.env.KVC_REQUIRE_WEBGPU === '1' || Boolean(process.env.VK_DRIVER_FILES);

/** A bench entry bundled and run as on the GPU machine; stdout and stderr together. */
async function bench(args: readonly string[], env: Record<string, string> = {}) {
  const r = await runProcess('bash', ['bench/demo/run.sh', ...args], { env });
  return { code: r.code, out: r.stdout + r.stderr };
}

describe.skipIf(!onGpu)('GPU bench tools on lavapipe', () => {
  it('compile-census: a repeated and a one-token-longer prompt compile none of our pipelines', async () => {
    const r = await bench(['bench/gpu/compile-census.ts', '40', '3', '2']);
    expect(r.code, r.out.slice(-3000)).toBe(0);
    const ours = [...r.out.matchAll(/^prompt (\d+): (\d+) of our pipelines/gm)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    expect(ours.map(([p]) => p)).toEqual([40, 40, 41]);
    expect(ours[0]![1]).toBeGreaterThan(0);
    expect(ours.slice(1).map(([, n]) => n)).toEqual([0, 0]);
  });

  it('decode-dispatches: counts one decode step of a 1-layer model with every fused kernel on', async () => {
    const r = await bench(['bench/gpu/decode-dispatches.ts', 'webgpu', '1']);
    expect(r.code, r.out.slice(-3000)).toBe(0);
    expect(r.out).toMatch(/^fused attention (portable|subgroup-matrix)$/m);
    const m = /one decode step = ([\d.]+) tfjs kernels \+ ([\d.]+) own/.exec(r.out);
    expect(m, r.out.slice(-2000)).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(0);
  });

  it('gen-bench: fused attention, replayed steps, the recorded step and prefill chunk profiles', async () => {
    const r = await bench(['bench/gpu/gen-bench.ts', 'webgpu', 'tiny', '2', '8'], {
      KVC_BENCH_FUSED: '1',
      KVC_BENCH_PROFILE_STEP: '1',
      KVC_BENCH_PROFILE_PREFILL: '1',
    });
    expect(r.code, r.out.slice(-3000)).toBe(0);
    expect(r.out).toMatch(/fused attention variant (portable|subgroup-matrix) \(on\)/);
    expect(r.out).toMatch(/B2: \d+ dispatches, [\d.]+ ms of GPU time in separate passes/);
    // The tiny prefix (40 tokens) is one chunk; its profile lists the flash forward among its kernels.
    expect(r.out).toMatch(/prefill chunk B2 × 40 tokens: \d+ dispatches, [\d.]+ ms of GPU time in separate passes/);
    expect(r.out).toMatch(/\d+× {2}Q,K,V,Bias→O,ST/);
    expect(r.out).toMatch(/B2: the whole step in one pass: [\d.]+ ms of GPU time/);
    expect(r.out).toMatch(/without +\d+× .+: [\d.]+ ms \(its share -?[\d.]+ ms\)/);
    const replayed = /RESULT kvc webgpu .*, (\d+) of 7 replayed/.exec(r.out);
    expect(replayed, r.out.slice(-2000)).not.toBeNull();
    expect(Number(replayed![1])).toBe(4); // steps 1-3 run (one warm-up, two recorded), 4-7 replayed
  });

  it('gen-bench: f16 weights with the f16 KV cache and a chosen GEMV split (KVC_BENCH_KV, KVC_GEMV_TILING)', async () => {
    const r = await bench(['bench/gpu/gen-bench.ts', 'webgpu', 'tiny', '4', '6', 'f16'], {
      KVC_BENCH_FUSED: '1',
      KVC_BENCH_KV: 'f16',
      KVC_GEMV_TILING: '16x4',
    });
    expect(r.code, r.out.slice(-3000)).toBe(0);
    expect(r.out).toMatch(/KV cache f16, GEMV split \{"features":16,"loadBatch":4,"rows":1\}/);
    const replayed = /RESULT kvc webgpu f16 B4 .*, (\d+) of 5 replayed/.exec(r.out);
    expect(replayed, r.out.slice(-2000)).not.toBeNull();
    expect(Number(replayed![1])).toBe(2); // steps 1-3 run (one warm-up, two recorded), 4-5 replayed
    const bad = await bench(['bench/gpu/gen-bench.ts', 'webgpu', 'tiny', '1', '2'], { KVC_BENCH_KV: 'bf16' });
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/KVC_BENCH_KV: f32 or f16, not bf16/);
  });

  // The NF4 GEMVs a step takes are counted in generate-f16.test.ts; the step's profile at these widths (9 more runs
  // of it) took lavapipe over 2 minutes.
  it('gen-bench: Qwen3-8B widths with NF4 weights (1 layer, a small head), embedding and head in f16 row shards', async () => {
    const r = await bench(['bench/gpu/gen-bench.ts', 'webgpu', '8b', '1', '4', 'nf4', '16'], {
      KVC_BENCH_FUSED: '1',
      KVC_BENCH_LAYERS: '1',
      KVC_BENCH_VOCAB: '1000',
    });
    expect(r.code, r.out.slice(-3000)).toBe(0);
    expect(r.out).toMatch(/Qwen3 8b nf4, LoRA unmerged, prefix 16/);
    expect(r.out).toMatch(/lm_head.weight: 1000×4096 in 1 f16 row shards/);
    expect(r.out).toMatch(/RESULT kvc webgpu nf4 B1 new 4 prefix 16: [\d.]+ s, [\d.]+ tok\/s \(4 ids\)/);
  }, 240_000);

  it('gemm-bench: check and kernel-alone timing of the portable GEMM; tiling specs parsed, a bad one refused', async () => {
    // The subgroup-matrix tilings named here (direct, and staged by matrix copies with K slices of 64) only run on the
    // GPU machine (device-batch.sh gemm-copy); their WGSL runs emulated in packages/models' batched-gemm.test.ts.
    const r = await bench(['bench/gpu/gemm-bench.ts', 'check,raw', '128'], { KVC_BENCH_SM: '4x4,2x2m4x4k64' });
    expect(r.code, r.out.slice(-3000)).toBe(0);
    const checks = [...r.out.matchAll(/^check portable \d+x\d+x\d+ tA=\d tB=\d: error\/bound (\S+)$/gm)];
    expect(checks).toHaveLength(6);
    for (const m of checks) expect(Number(m[1]), m[0]).toBeLessThanOrEqual(1);
    expect([...r.out.matchAll(/^raw portable 128x128x128 tA=\d tB=\d: [\d.]+ [\d.]+ [\d.]+ TFLOP\/s$/gm)]).toHaveLength(
      6,
    );
    expect(r.out).not.toMatch(/GPU ERROR/);
    const bad = await bench(['bench/gpu/gemm-bench.ts', 'check', '128'], { KVC_BENCH_SM: '2x2q4x4' });
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/KVC_BENCH_SM: 2x2q4x4 is not like/);
  });

  it('gemv-bench: every tiling of the decoding step’s GEMVs agrees with the first, with and without LoRA', async () => {
    const r = await bench(['bench/gpu/gemv-bench.ts', '3'], {
      KVC_GEMV_LAYERS: '1',
      KVC_GEMV_TILINGS: '16x1,8x4,16x2r4',
      KVC_GEMV_ROUNDS: '1',
    });
    expect(r.code, r.out.slice(-3000)).toBe(0);
    const lines = [
      ...r.out.matchAll(/^B(\d+) (plain|lora) tiling (\d+x\d+r\d): [\d.]+ ms a step .* max rel diff vs first (\S+)$/gm),
    ];
    expect(lines).toHaveLength(2 * 3);
    // The same sums in other orders: f32 rounding apart (K ≤ 3072 terms), never more.
    for (const m of lines) expect(Number(m[4]), m[0]).toBeLessThan(1e-5);
    expect(r.out).not.toMatch(/GPU ERROR/);
  });

  it('decode-bench: every split of the decode attention agrees with the first; one over workgroup memory is skipped', async () => {
    const r = await bench(['bench/gpu/decode-bench.ts', 'tiny', '1,3'], {
      KVC_DECODE_SPLITS: '32,128,1024',
      KVC_DECODE_KEYS: '512',
      KVC_DECODE_ROUNDS: '1',
    });
    expect(r.code, r.out.slice(-3000)).toBe(0);
    const lines = [...r.out.matchAll(/^B(\d+) split (\d+): .* ms a step .* max rel diff vs first (\S+)$/gm)];
    expect(lines.map((m) => `${m[1]}/${m[2]}`)).toEqual(['1/32', '1/128', '3/32', '3/128']);
    for (const m of lines) expect(Number(m[3]), m[0]).toBeLessThan(1e-5);
    // 1024 keys at 2 query heads a kv head need 53.8 KB of workgroup memory, over lavapipe's 32 KiB.
    expect(r.out).toMatch(/^B1 split 1024: not taken/m);
    expect(r.out).not.toMatch(/GPU ERROR|NOT FINITE/);
  });

  it('seed-sequence: host calls timed (KVC_BENCH_HOST_CALLS) under a pool capped by allocated bytes, the backward paced', async () => {
    // A 2 MiB cap destroys buffers every step, and no destroyed byte may stay in flight: the backward waits on the GPU.
    const r = await bench(['bench/gpu/seed-sequence.ts', 'webgpu', 'tiny', '0', '2', 'f16', 'nf4'], {
      KVC_BENCH_FUSED: '1',
      KVC_BENCH_HOST_CALLS: '1',
      KVC_BENCH_POOL_CAP_GIB: '0.002',
      KVC_BENCH_INFLIGHT_GIB: '0',
    });
    expect(r.code, r.out.slice(-3000)).toBe(0);
    expect(r.out).toMatch(/^GPU pool keeps freed buffers up to 0.002 GiB allocated; destroyed in flight: 0 GiB$/m);
    const paced = [...r.out.matchAll(/^ {2}paced backward: (\d+) fences, (\d+) waits on the GPU/gm)];
    expect(paced.length).toBe(2);
    for (const m of paced) expect(Math.min(Number(m[1]), Number(m[2])), m[0]).toBeGreaterThan(1);
    const calls = [...r.out.matchAll(/^ {2}host calls in step (\d): (.*)$/gm)];
    expect(calls.map((m) => m[1])).toEqual(['0', '1']);
    for (const m of calls) {
      expect(m[2]).toMatch(/createBuffer ×\d+ \d+ ms \([\d.]+ GiB\)/);
      expect(m[2]).toMatch(/queue\.submit ×\d+ \d+ ms/);
    }
  });
});

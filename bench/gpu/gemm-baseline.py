# PyTorch baseline for bench/gpu/gemm-bench.ts, same device call: torch.matmul fp16 (fp32
# accumulation, cuBLAS) at 4096^3 in the three layouts and the linear layer's three products at
# the Qwen3-0.6B shapes (M = 4*5376 tokens). TFLOP/s = 2*M*N*K / time. Each product first runs alone for
# KVC_BENCH_RAMP_MS (default 400) of wall time, as gemm-bench's kernels do (the clocks ramp up).
import os, time, torch
dev = 'cuda'
print('torch', torch.__version__, torch.cuda.get_device_name(0), flush=True)
def bench(f, flop, reps=None):
    reps = reps or max(3, min(50, round(2e12 / flop)))
    f(); f(); torch.cuda.synchronize(); t0 = time.perf_counter()
    while time.perf_counter() - t0 < float(os.environ.get('KVC_BENCH_RAMP_MS', 400)) / 1000:
        f(); torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(reps): f()
    torch.cuda.synchronize(); ms = (time.perf_counter() - t0) / reps * 1000
    return ms, flop / ms / 1e9
def r(*s): return torch.rand(*s, device=dev, dtype=torch.float16) * 2 - 1
S = 4096
a, b = r(S, S), r(S, S)
for name, f in [('tA=0 tB=0', lambda: a @ b), ('tA=0 tB=1', lambda: a @ b.t()), ('tA=1 tB=0', lambda: a.t() @ b)]:
    ms, tf = bench(f, 2 * S ** 3)
    print(f'torch fp16 {S}^3 {name}: {ms:.3f} ms {tf:.1f} TFLOP/s', flush=True)
M = 4 * 5376
import sys
LAYERS = {
    '0.6b': [('q_proj', 1024, 2048), ('k/v_proj', 1024, 1024), ('o_proj', 2048, 1024), ('gate/up_proj', 1024, 3072), ('down_proj', 3072, 1024)],
    # argv[1] == 8b: Qwen3-8B's shapes (gemm-bench's KVC_BENCH_LINEAR=8b)
    '8b': [('q/o_proj', 4096, 4096), ('k/v_proj', 4096, 1024), ('gate/up_proj', 4096, 12288), ('down_proj', 12288, 4096)],
}
for name, din, dout in LAYERS[sys.argv[1] if len(sys.argv) > 1 else '0.6b']:
    x, w, dy = r(M, din), r(dout, din), r(M, dout)
    fl = 2 * M * din * dout
    y = bench(lambda: x @ w.t(), fl)[1]; dx = bench(lambda: dy @ w, fl)[1]; dw = bench(lambda: dy.t() @ x, fl)[1]
    print(f'torch fp16 linear {name} M={M} in={din} out={dout}: y=x.Wt {y:.1f}, dx=dy.W {dx:.1f}, dW=dyt.x {dw:.1f} TFLOP/s', flush=True)

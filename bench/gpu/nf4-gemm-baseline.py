# PyTorch baseline for bench/gpu/nf4-gemm-bench.ts, same shapes (M = 4*5376 tokens, Qwen3-8B's linear
# layers, and 4096^3): torch.matmul bf16 (cuBLAS, fp32 accumulation) for y = x.Wt and dx = dy.W, and,
# as the closest thing to bitsandbytes (not installed on the GPU machine), NF4 dequantize-then-matmul
# in bf16: codes packed two per byte (bitsandbytes' order, high nibble first), one fp32 absmax per
# 64-element block, table lookup x absmax -> bf16 W, then the matmul; timed together per call.
# Usage: python3 nf4-gemm-baseline.py [4096,q,kv,gateup,down]. TFLOP/s = 2*M*N*K / time.
import sys, time, torch
dev = 'cuda'
print('torch', torch.__version__, torch.cuda.get_device_name(0), flush=True)
NF4 = torch.tensor([-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
                    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
                    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
                    0.7229568362236023, 1.0], device=dev)

def bench(f, flop):
    reps = max(3, min(50, round(1e13 / flop)))
    f(); f(); torch.cuda.synchronize(); t0 = time.perf_counter()
    for _ in range(reps): f()
    torch.cuda.synchronize(); ms = (time.perf_counter() - t0) / reps * 1000
    return ms, flop / ms / 1e9

def dequant(packed, absmax, out, inp):
    codes = torch.stack([packed >> 4, packed & 15], dim=1).reshape(-1).long()
    return (NF4[codes].reshape(-1, 64) * absmax[:, None]).reshape(out, inp).to(torch.bfloat16)

M = 4 * 5376
table = {'4096': ('4096^3', 4096, 4096, 4096), 'q': ('q/o_proj', M, 4096, 4096),
         'kv': ('k/v_proj', M, 1024, 4096), 'gateup': ('gate/up_proj', M, 12288, 4096),
         'down': ('down_proj', M, 4096, 12288)}
for key in (sys.argv[1] if len(sys.argv) > 1 else '4096,q,kv,gateup,down').split(','):
    name, m, out, inp = table[key]
    packed = torch.randint(0, 256, (out * inp // 2,), device=dev, dtype=torch.uint8)
    absmax = torch.rand(out * inp // 64, device=dev) + 0.5
    w = dequant(packed, absmax, out, inp)
    x = torch.rand(m, inp, device=dev, dtype=torch.bfloat16) * 2 - 1
    dy = torch.rand(m, out, device=dev, dtype=torch.bfloat16) * 2 - 1
    fl = 2 * m * out * inp
    wq = lambda: dequant(packed, absmax, out, inp)
    for pname, f, g, n, k in [('y=x.Wt', lambda: x @ w.t(), lambda: x @ wq().t(), out, inp),
                              ('dx=dy.W', lambda: dy @ w, lambda: dy @ wq(), inp, out)]:
        ms, tf = bench(f, fl)
        ms2, tf2 = bench(g, fl)
        print(f'torch {name} {pname} {m}x{n}x{k}: bf16 matmul {ms:.3f} ms {tf:.1f} TFLOP/s; '
              f'NF4 dequantize+matmul bf16 {ms2:.3f} ms {tf2:.1f} TFLOP/s', flush=True)
    del x, dy, w, packed, absmax
    torch.cuda.empty_cache()

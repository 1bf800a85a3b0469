# PyTorch baseline for bench/gpu/flash-attn-bench.ts: torch scaled_dot_product_attention, bf16 and
# fp32 (TF32 off), forward and forward+backward, at the same shapes: the seed's Qwen3-0.6B step
# (B4, H16, Hkv8, T=S=5376, d=128, causal; GQA through enable_gqa, no padding mask: an explicit
# mask would take SDPA off its flash kernels) and CLIP-L (B8, H16, T=577, d=64, bidirectional).
import time, torch
import torch.nn.functional as F
dev = 'cuda'
torch.backends.cuda.matmul.allow_tf32 = False
def T(): torch.cuda.synchronize(); return time.perf_counter()
print('torch', torch.__version__, torch.cuda.get_device_name(0), flush=True)
SHAPES = [('seed Qwen3-0.6B', 4, 16, 8, 5376, 128, True), ('seed Qwen3-8B', 4, 32, 8, 5376, 128, True), ('CLIP-L', 8, 16, 16, 577, 64, False)]
for name, b, h, hkv, t, d, causal in SHAPES:
    for dt in [torch.bfloat16, torch.float32]:
        q = torch.randn(b, h, t, d, device=dev, dtype=dt, requires_grad=True)
        k = torch.randn(b, hkv, t, d, device=dev, dtype=dt, requires_grad=True)
        v = torch.randn(b, hkv, t, d, device=dev, dtype=dt, requires_grad=True)
        dy = torch.randn(b, h, t, d, device=dev, dtype=dt)
        f = lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=hkv != h)
        reps = 5 if t > 1000 else 20
        try:
            with torch.no_grad():
                f(); t0 = T()
                for _ in range(reps): f()
                fwd = (T() - t0) / reps * 1000
            f().backward(dy); t0 = T()
            for _ in range(reps): q.grad = k.grad = v.grad = None; f().backward(dy)
            both = (T() - t0) / reps * 1000
            peak = torch.cuda.max_memory_allocated() / 2**30
            print(f'torch sdpa {name} {str(dt)[6:]}: forward {fwd:.2f} ms, forward+backward {both:.2f} ms '
                  f'(backward {both - fwd:.2f} ms), peak {peak:.1f} GiB', flush=True)
        except Exception as e:
            print(f'torch sdpa {name} {str(dt)[6:]}: FAILED {str(e).splitlines()[0]}', flush=True)
        del q, k, v, dy; torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()

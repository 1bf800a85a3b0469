# PyTorch baseline for bench/gpu/seed-sequence.ts, same shapes, same session: LoRA r16 (7 modules) +
# linear projector, loss + backward of batch 4 x (4608 vision + 768 text) tokens, gradient
# checkpointing, SDPA attention, random weights. fp32 (TF32 off: kvc's math) and bf16 (the seed's).
# Usage: python3 bench/gpu/seed-sequence-baseline.py 0.6b | 8b [layers]
import sys, time, torch
from transformers import Qwen3Config, Qwen3ForCausalLM
from peft import LoraConfig, get_peft_model
dev = 'cuda'
torch.backends.cuda.matmul.allow_tf32 = False
def T(): torch.cuda.synchronize(); return time.perf_counter()
size = sys.argv[1] if len(sys.argv) > 1 else '0.6b'
layers = int(sys.argv[2]) if len(sys.argv) > 2 else 4
print('torch', torch.__version__, torch.cuda.get_device_name(0), flush=True)
if size == '8b':
    cfg = Qwen3Config(vocab_size=151936, hidden_size=4096, intermediate_size=12288, num_hidden_layers=layers, num_attention_heads=32, num_key_value_heads=8, head_dim=128, rope_theta=1000000, tie_word_embeddings=False)
else:
    cfg = Qwen3Config(vocab_size=151936, hidden_size=1024, intermediate_size=3072, num_hidden_layers=28, num_attention_heads=16, num_key_value_heads=8, head_dim=128, rope_theta=1000000, tie_word_embeddings=True)
cfg._attn_implementation = 'sdpa'
B, NV, NT = 4, 4608, 768
# KVC_TORCH_DTYPES=bf16: the bf16 step only (8B in fp32 does not fit the 80 GB card).
import os
DTYPES = {'fp32': torch.float32, 'bf16': torch.bfloat16}
for dt in [DTYPES[d] for d in os.environ.get('KVC_TORCH_DTYPES', 'fp32,bf16').split(',')]:
    torch.cuda.reset_peak_memory_stats()
    with torch.device(dev):
        llm = Qwen3ForCausalLM(cfg).to(dt)
    llm = get_peft_model(llm, LoraConfig(r=16, lora_alpha=32, lora_dropout=float(os.environ.get('KVC_BENCH_LORA_DROPOUT', '0.05')), target_modules=['q_proj','k_proj','v_proj','o_proj','gate_proj','up_proj','down_proj'], task_type='CAUSAL_LM'))
    llm.gradient_checkpointing_enable(gradient_checkpointing_kwargs={'use_reentrant': False}); llm.enable_input_require_grads()
    proj = torch.nn.Linear(1024, cfg.hidden_size, device=dev, dtype=dt)
    feats = torch.randn(B, NV, 1024, device=dev, dtype=dt); ids = torch.randint(0, 151000, (B, NT), device=dev)
    for it in range(3):
        t0 = T()
        emb = torch.cat([proj(feats), llm.get_input_embeddings()(ids)], 1)
        labels = torch.cat([torch.full((B, NV), -100, device=dev), ids], 1)
        loss = llm(inputs_embeds=emb, labels=labels).loss; loss.backward()
        ms = (T() - t0) * 1000
        print(f'torch Qwen3-{size}{f" ({layers} layers)" if size == "8b" else ""} LoRA r16 step {dt} batch {B} x ({NV}+{NT}), checkpointing: {ms:.0f} ms, loss {loss.item():.4f}, peak {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB', flush=True)
        llm.zero_grad(set_to_none=True); proj.zero_grad(set_to_none=True)
    del llm, proj, feats; torch.cuda.empty_cache()

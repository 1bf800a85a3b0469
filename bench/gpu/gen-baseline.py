# Baseline for gen-bench.ts (kvc issue #14): HF generate, Qwen3-0.6B shapes (random weights), LoRA r16
# (peft, unmerged), 4620-token embedding prefix, greedy, repetition_penalty 1.2, min_new_tokens = max_new_tokens
# (random weights never stop), sdpa attention. Per batch: a short warm-up, then a timed run per new-token count;
# peak = torch.cuda.max_memory_allocated of that run (nvidia-smi's device peak: with-peak-memory.sh).
# Usage: python3 bench/gpu/gen-baseline.py [BATCHES=1,8,32] [NEW_TOKENS=128,512] [DTYPES=float32,bfloat16] [PREFIX=4620] [SIZE=0.6b|8b]
# 8b: Qwen3-8B's shapes (the seed's LLM, untied head); bitsandbytes is not on the GPU machine, so its NF4 is not run.
import sys, time, torch
from transformers import Qwen3Config, Qwen3ForCausalLM
from peft import LoraConfig, get_peft_model

args = sys.argv[1:] + [None] * 5
batches = [int(x) for x in (args[0] or '1,8,32').split(',')]
new_tokens = [int(x) for x in (args[1] or '128,512').split(',')]
dtypes = [getattr(torch, d) for d in (args[2] or 'float32,bfloat16').split(',')]
prefix = int(args[3] or 4620)
torch.backends.cuda.matmul.allow_tf32 = False  # fp32 = kvc's math


def now():
    torch.cuda.synchronize()
    return time.perf_counter()


size = args[4] or '0.6b'
cfg = Qwen3Config(vocab_size=151936, hidden_size=1024, intermediate_size=3072, num_hidden_layers=28,
                  num_attention_heads=16, num_key_value_heads=8, head_dim=128, rope_theta=1000000,
                  tie_word_embeddings=True) if size == '0.6b' else \
    Qwen3Config(vocab_size=151936, hidden_size=4096, intermediate_size=12288, num_hidden_layers=36,
                num_attention_heads=32, num_key_value_heads=8, head_dim=128, rope_theta=1000000,
                tie_word_embeddings=False)
hidden = cfg.hidden_size
cfg._attn_implementation = 'sdpa'
print(f'torch {torch.__version__}, {torch.cuda.get_device_name()}', flush=True)
for dt in dtypes:
    torch.manual_seed(0)
    with torch.device('cuda'):
        llm = Qwen3ForCausalLM(cfg).to(dt)
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, task_type='CAUSAL_LM',
                      target_modules=['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'])
    llm = get_peft_model(llm, lora).eval()
    for b in batches:
        emb = torch.randn(b, prefix, hidden, device='cuda', dtype=dt) * 0.02
        mask = torch.ones(b, prefix, device='cuda', dtype=torch.long)
        with torch.no_grad():
            for n in [2] + new_tokens:  # 2: the warm-up
                torch.cuda.reset_peak_memory_stats()
                t0 = now()
                o = llm.generate(inputs_embeds=emb, attention_mask=mask, max_new_tokens=n, min_new_tokens=n,
                                 do_sample=False, repetition_penalty=1.2, pad_token_id=151643)
                s = now() - t0
                peak = torch.cuda.max_memory_allocated() / 2**30
                made = o.shape[0] * o.shape[1]
                if n != 2 or new_tokens == [2]:
                    print(f'RESULT HF {size} {str(dt).replace("torch.", "")} B{b} new {n} prefix {prefix}: {s:.2f} s, '
                          f'{made / s:.1f} tok/s ({made} ids), peak allocated {peak:.2f} GiB', flush=True)
                del o
        del emb, mask
        torch.cuda.empty_cache()
    del llm
    torch.cuda.empty_cache()

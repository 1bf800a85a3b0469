# PyTorch baseline for bench/gpu/speed-bench.ts, same shapes, same session: CLIP ViT-L/14-336 fp32
# (TF32 off and on) and bf16 over 8 and 64 frames; Qwen3-0.6B LoRA r16 train step fp32 and bf16, batch 1 x
# (4608 + 768) tokens with gradient checkpointing. Random weights (speed does not depend on them).
import sys, time, torch
from transformers import CLIPVisionConfig, CLIPVisionModel, Qwen3Config, Qwen3ForCausalLM
from peft import LoraConfig, get_peft_model
dev = 'cuda'
def T(): torch.cuda.synchronize(); return time.perf_counter()
print('torch', torch.__version__, torch.cuda.get_device_name(0), flush=True)
clip = CLIPVisionModel(CLIPVisionConfig(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16, image_size=336, patch_size=14)).to(dev).eval()
for tf32 in [False, True]:
    torch.backends.cuda.matmul.allow_tf32 = tf32
    for n, reps in [(8, 10), (64, 3)]:
        x = torch.randn(n, 3, 336, 336, device=dev)
        with torch.no_grad():
            clip(pixel_values=x); t0 = T()
            for _ in range(reps): clip(pixel_values=x)
        ms = (T() - t0) / reps * 1000
        print(f'torch CLIP-L/14-336 fp32 tf32={tf32} {n} frames: {ms:.1f} ms ({ms / (n / 8):.1f} ms/video)', flush=True)
clip = clip.to(torch.bfloat16)
for n, reps in [(8, 10), (64, 3)]:
    x = torch.randn(n, 3, 336, 336, device=dev, dtype=torch.bfloat16)
    with torch.no_grad():
        clip(pixel_values=x); t0 = T()
        for _ in range(reps): clip(pixel_values=x)
    ms = (T() - t0) / reps * 1000
    print(f'torch CLIP-L/14-336 bf16 {n} frames: {ms:.1f} ms ({ms / (n / 8):.1f} ms/video)', flush=True)
del clip; torch.cuda.empty_cache()
if sys.argv[1:] == ['clip']: sys.exit(0)
torch.backends.cuda.matmul.allow_tf32 = False
cfg = Qwen3Config(vocab_size=151936, hidden_size=1024, intermediate_size=3072, num_hidden_layers=28, num_attention_heads=16, num_key_value_heads=8, head_dim=128, rope_theta=1000000, tie_word_embeddings=True)
for dt in [torch.float32, torch.bfloat16]:
    cfg._attn_implementation = 'sdpa'
    with torch.device(dev):
        llm = Qwen3ForCausalLM(cfg).to(dt)
    llm = get_peft_model(llm, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=['q_proj','k_proj','v_proj','o_proj','gate_proj','up_proj','down_proj'], task_type='CAUSAL_LM'))
    llm.gradient_checkpointing_enable(gradient_checkpointing_kwargs={'use_reentrant': False}); llm.enable_input_require_grads()
    proj = torch.nn.Linear(1024, 1024, device=dev, dtype=dt)
    feats = torch.randn(1, 4608, 1024, device=dev, dtype=dt); ids = torch.randint(0, 151000, (1, 768), device=dev)
    for it in range(3):
        t0 = T()
        emb = torch.cat([proj(feats), llm.get_input_embeddings()(ids)], 1)
        labels = torch.cat([torch.full((1, 4608), -100, device=dev), ids], 1)
        loss = llm(inputs_embeds=emb, labels=labels).loss; loss.backward()
        ms = (T() - t0) * 1000
        if it > 0: print(f'torch Qwen3-0.6B LoRA r16 train step {dt} batch 1 x (4608+768), checkpointing: {ms:.0f} ms, peak {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB', flush=True)
        llm.zero_grad(set_to_none=True)
    del llm; torch.cuda.empty_cache()

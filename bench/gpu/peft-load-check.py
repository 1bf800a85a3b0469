# Does Python peft load an adapter that kvc saved, and give the reference's LoRA logits?
# Run: node bench/gpu/peft-save.mjs (writes .gpu/peft-check/adapter with kvc), then on the device
# (carry .gpu): python3 bench/gpu/peft-load-check.py
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM
from peft import PeftModel
ref = 'test/fixtures/reference/qwen3'
r = load_file(f'{ref}/reference.safetensors')
base = AutoModelForCausalLM.from_pretrained(f'{ref}/model', torch_dtype=torch.float32)
m = PeftModel.from_pretrained(base, '.gpu/peft-check/adapter').eval()
with torch.no_grad():
    out = m(input_ids=r['input_ids'], attention_mask=r['attention_mask']).logits
d = (out - r['logits_lora']).abs().max().item()
print('peft loaded kvc adapter; max |logits - reference logits_lora| =', d)
print('PASS' if d < 1e-4 else 'FAIL')

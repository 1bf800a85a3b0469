"""Fills model folders written by write-models.ts (manifest mode) with random bf16 weights.

Each folder's random-weights.json lists every tensor kvc's loader expects (name, shape, init:
"ones" or normal(0, std)); this writes them as safetensors shards of at most 2 GB plus
model.safetensors.index.json (written last: a folder that has it is done), the layout of a
Hugging Face download. Normals are drawn by torch on the GPU when there is one (Qwen3-8B in
seconds), else by numpy (tested on the CPU machine with the tiny manifest); one tensor at a time,
so memory stays at one shard. The safetensors format is written here (8-byte header length, JSON
header, raw little-endian bytes) so both paths share it and nothing beyond numpy is needed.
Usage: python3 write-random-weights.py MODELS_ROOT [seed] [only,these,folders]
"""
import json
import os
import sys
import time

import numpy as np

SHARD_BYTES = 2 * 1024**3

try:
    import torch

    DEVICE = "cuda" if torch.cuda.is_available() else None
except ImportError:
    torch, DEVICE = None, None


def bf16_bytes_numpy(rng, shape, std):
    x = (rng.standard_normal(int(np.prod(shape)), dtype=np.float32) * np.float32(std)).view(np.uint32)
    # Round to nearest even, as torch's float32 -> bfloat16 does.
    x = x + np.uint32(0x7FFF) + ((x >> np.uint32(16)) & np.uint32(1))
    return (x >> np.uint32(16)).astype("<u2").tobytes()


def bf16_bytes_torch(gen, shape, std):
    x = torch.randn(tuple(shape), generator=gen, device=DEVICE, dtype=torch.float32).mul_(std).to(torch.bfloat16)
    return x.view(torch.int16).cpu().numpy().tobytes()  # little-endian on x86, as safetensors wants


def save_shard(path, tensors):
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, (shape, data) in tensors.items():
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(len(raw).to_bytes(8, "little"))
        f.write(raw)
        for _, data in tensors.values():
            f.write(data)
    os.replace(path + ".tmp", path)


def write_folder(folder, seed):
    manifest = json.load(open(os.path.join(folder, "random-weights.json")))
    assert manifest["dtype"] == "BF16"
    std = manifest["std"]
    gen = torch.Generator(device=DEVICE).manual_seed(seed) if DEVICE else None
    rng = np.random.default_rng(seed)
    ones_bf16 = np.uint16(0x3F80).tobytes()
    shards, current, size = [], {}, 0
    for t in manifest["tensors"]:
        shape, n = t["shape"], int(np.prod(t["shape"]))
        if t["init"] == "ones":
            data = ones_bf16 * n
        else:
            data = bf16_bytes_torch(gen, shape, std) if DEVICE else bf16_bytes_numpy(rng, shape, std)
        if current and size + len(data) > SHARD_BYTES:
            shards.append(current)
            current, size = {}, 0
        current[t["name"]] = (shape, data)
        size += len(data)
        if size > SHARD_BYTES:  # one tensor over the limit gets a shard of its own
            shards.append(current)
            current, size = {}, 0
    if current:
        shards.append(current)
    weight_map, total = {}, 0
    for i, shard in enumerate(shards):
        name = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        save_shard(os.path.join(folder, name), shard)
        for k, (_, data) in shard.items():
            weight_map[k] = name
            total += len(data)
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    index_file = os.path.join(folder, "model.safetensors.index.json")
    with open(index_file + ".tmp", "w") as f:
        json.dump(index, f, indent=1)
    os.replace(index_file + ".tmp", index_file)
    return len(manifest["tensors"]), total, len(shards)


def main():
    root = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    only = set(sys.argv[3].split(",")) if len(sys.argv) > 3 else None
    print(f"drawing normals with {'torch on ' + DEVICE if DEVICE else 'numpy on the CPU'}", flush=True)
    for i, name in enumerate(sorted(os.listdir(root))):
        folder = os.path.join(root, name)
        if not os.path.isfile(os.path.join(folder, "random-weights.json")) or (only and name not in only):
            continue
        if os.path.isfile(os.path.join(folder, "model.safetensors.index.json")):
            print(f"{name}: weights already there", flush=True)
            continue
        start = time.time()
        n, total, shards = write_folder(folder, seed + i)
        took = time.time() - start
        print(f"{name}: {n} tensors, {total / 1e9:.2f} GB bf16, {shards} shard(s), {took:.1f} s", flush=True)


if __name__ == "__main__":
    main()

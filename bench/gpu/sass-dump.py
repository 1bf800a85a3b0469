"""Carves the compiled shader binaries out of NVIDIA's driver cache and disassembles them (#12: what the
driver makes of Tint's SPIR-V for the subgroup-matrix kernels; the GEMM's 2026-11-29 results left it open).

The driver keeps Vulkan pipelines in __GL_SHADER_DISK_CACHE_PATH (run the kernels with it set, and
__GL_SHADER_DISK_CACHE_SKIP_CLEANUP=1). Its entries are not documented; this scans every file for ELF
headers, cuts each ELF by its section table's end, and runs nvdisasm (or cuobjdump) on it, both from
Triton's bundled CUDA tools when the machine has no toolkit.

Usage: python3 bench/gpu/sass-dump.py CACHE_DIR OUT_DIR
Writes OUT_DIR/elf-N.bin, OUT_DIR/elf-N.sass and prints an instruction histogram per binary.
"""

import collections
import glob
import os
import re
import shutil
import struct
import subprocess
import sys


def tool(name):
    found = shutil.which(name)
    if found:
        return found
    try:
        import triton  # noqa: PLC0415 (optional: only for its bundled CUDA tools)

        for p in glob.glob(os.path.join(os.path.dirname(triton.__file__), "backends", "nvidia", "bin", name)):
            return p
    except ImportError:
        pass
    for p in glob.glob(f"/usr/local/cuda*/bin/{name}"):
        return p
    return None


def elves(data):
    at = 0
    while True:
        at = data.find(b"\x7fELF", at)
        if at < 0:
            return
        if at + 64 <= len(data) and data[at + 4] == 2:  # ELFCLASS64
            shoff = struct.unpack_from("<Q", data, at + 0x28)[0]
            shentsize, shnum = struct.unpack_from("<HH", data, at + 0x3A)
            machine = struct.unpack_from("<H", data, at + 0x12)[0]
            end = at + shoff + shentsize * shnum
            if 0 < shoff and end <= len(data) and shnum < 10000:
                yield machine, data[at:end]
        at += 4


def main():
    cache, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    disasm = tool("nvdisasm")
    cuobjdump = tool("cuobjdump")
    print(f"nvdisasm: {disasm}; cuobjdump: {cuobjdump}")
    n = 0
    for path in sorted(glob.glob(os.path.join(cache, "**", "*"), recursive=True)):
        if not os.path.isfile(path):
            continue
        data = open(path, "rb").read()
        magics = data.count(b"\x7fELF")
        print(f"{path}: {len(data)} bytes, {magics} ELF magics")
        for machine, elf in elves(data):
            name = os.path.join(out, f"elf-{n}")
            open(name + ".bin", "wb").write(elf)
            text = ""
            for cmd in ([disasm, "-c", name + ".bin"] if disasm else None, [cuobjdump, "-sass", name + ".bin"] if cuobjdump else None):
                if not cmd:
                    continue
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode == 0 and r.stdout.strip():
                    text = r.stdout
                    break
                text += f"# {' '.join(cmd)}: rc {r.returncode} {r.stderr[:300]}\n"
            open(name + ".sass", "w").write(text)
            ops = collections.Counter(
                m.group(1) for m in re.finditer(r"^\s*(?:/\*[0-9a-f]+\*/)?\s*(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_.]+)", text, re.M)
            )
            top = ", ".join(f"{k} {v}" for k, v in ops.most_common(25))
            print(f"  elf-{n}: machine {machine}, {len(elf)} bytes; {sum(ops.values())} instructions: {top}")
            n += 1
    print(f"{n} binaries")


main()

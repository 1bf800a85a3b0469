#!/usr/bin/env bash
# Runs a packed entry on the GPU machine: Vulkan loader from .gl/*.deb, node from .gpu/node.xz.
# Usage (device tool, carry [".gpu", ".gl"]): bash bench/gpu/run-on-gpu.sh webgpu-parity [args...]
set -uo pipefail
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/kvc-node && xz -dc .gpu/node.xz > /tmp/kvc-node/node && chmod +x /tmp/kvc-node/node
export PATH=/tmp/kvc-node:$PATH
d=.gpu/app/node_modules/webgpu/dist/linux-x64
[ -f $d/dawn.node ] || xz -dc $d/dawn.node.xz > $d/dawn.node
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
entry=$1; shift
# KVC_NODE_FLAGS: flags node refuses from NODE_OPTIONS (--cpu-prof ...).
node ${KVC_NODE_FLAGS:-} ".gpu/app/$entry.mjs" "$@"

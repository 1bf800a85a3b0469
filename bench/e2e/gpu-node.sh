# Sourced by seed-e2e.sh (real) and cache-bench.sh (run) on the GPU machine: the Vulkan loader from
# .gl/*.deb, the NVIDIA ICD, node unpacked to /tmp/kvc-node/node, and Dawn unpacked beside the packed
# app (.e2e/app, made by pack-e2e.sh); prints the GPU.
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/kvc-node && xz -dc .e2e/app/node.xz > /tmp/kvc-node/node && chmod +x /tmp/kvc-node/node
d=.e2e/app/node_modules/webgpu/dist/linux-x64
[ -f $d/dawn.node ] || xz -dc $d/dawn.node.xz > $d/dawn.node
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

#!/usr/bin/env bash
# Runs a command while sampling the GPU's used memory every 250 ms (nvidia-smi: the whole
# device, so it sees Dawn's and PyTorch's allocations alike); prints the peak after it.
# KVC_PEAK_SERIES=FILE also keeps every sample there, one MiB value per line, 250 ms apart from the start (printed
# first, in ms since the epoch).
# Usage: bash bench/gpu/with-peak-memory.sh LABEL command [args...]
set -uo pipefail
label=$1; shift
log=$(mktemp)
[ -n "${KVC_PEAK_SERIES:-}" ] && echo "[$label] samples from $(date +%s%3N) ms"
nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 250 > "$log" &
sampler=$!
"$@"; rc=$?
kill $sampler 2>/dev/null; wait $sampler 2>/dev/null
[ -n "${KVC_PEAK_SERIES:-}" ] && cp "$log" "$KVC_PEAK_SERIES"
echo "[$label] exit $rc, peak GPU memory used: $(sort -n "$log" | tail -1) MiB (nvidia-smi, sampled every 250 ms)"
exit $rc

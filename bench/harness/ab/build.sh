#!/bin/bash
# Builds emitted calls side by side for an A/B run on the GPU host: each DIR holds what gen.sh wrote (body.cu, pro.cu,
# call.inc), perhaps with hand-made variants body_*.cu / pro_*.cu beside them; each gets its cubins and its call.cu
# binary (pdl = 1, as the tuner takes it). From the repository root, with nvcc, for DIRs named ROOT/ROW/NAME:
#   bench/harness/gen.sh ROOT/A3/new 1 12 197 64 BLOCK_M=32 ...; bench/harness/ab/variants.py ROOT/A3/new 1 2 4   (optional)
#   bench/harness/ab/build.sh ROOT/*/*
# Then on the GPU host: bench/harness/ab/run.sh ROOT (bench/results/harness-s25-ab.txt is such a run).
set -e
root=$(cd "$(dirname "$0")/../../.." && pwd)
. "$root/bench/harness/nvcc.sh"
for dir in "$@"; do
  out=$(cd "$dir" && pwd)
  qf_cubins $(cd "$out" && ls body*.cu pro*.cu | sed 's/\.cu$//')
  qf_call call -DQF_PDL=1
  echo "built $dir"
done

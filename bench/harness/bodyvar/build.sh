#!/bin/bash
# Builds one emitted call (pdl = 1, the per-head prologue) with each body variant of variants.py beside the emitted
# body. From the repository root after a build, with nvcc:   bench/harness/bodyvar/build.sh OUT Z H N D [TUNABLE=VALUE ...]
# Then on the GPU host: (cd OUT && for b in body*.cubin; do ./call $b pro.cubin ${b%.cubin}; done); every variant
# not marked (bits) in variants.py must print the emitted body's hash.
set -e
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../../.." && pwd)
out=$1; shift; mkdir -p "$out"; out=$(cd "$out" && pwd)
"$here/../gen.sh" "$out" "$@"
python3 "$here/variants.py" "$out"
cd "$out"
for f in pro body*.cu; do nvcc -cubin -arch=sm_90a -fmad=false -std=c++17 ${f%.cu}.cu -o ${f%.cu}.cubin 2>/dev/null; done
nvcc -O2 -std=c++17 -arch=sm_90a -I. -DCALL_INC='"call.inc"' -DQF_PDL=1 "$root/bench/harness/call.cu" -o call
rm -f *.cu
echo "built $out"

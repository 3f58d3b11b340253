#!/bin/bash
# Builds one emitted call (call.cu) with each prologue variant of variants.py beside the emitted one. From the
# repository root after a build, with nvcc:   bench/harness/provar/build.sh OUT Z H N D [TUNABLE=VALUE ...]
# Then on the GPU host: (cd OUT && for p in pro*.cubin; do ./call body.cubin $p ${p%.cubin}; done)
set -e
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../../.." && pwd)
out=$1; shift; mkdir -p "$out"; out=$(cd "$out" && pwd)
"$here/../gen.sh" "$out" "$@"
python3 "$here/variants.py" "$out"
cd "$out"
for f in body pro*; do nvcc -cubin -arch=sm_90a -fmad=false -std=c++17 ${f%.cu}.cu -o ${f%.cu}.cubin; done
nvcc -O2 -std=c++17 -arch=sm_90a -I. -DCALL_INC='"call.inc"' "$root/bench/harness/call.cu" -o call
rm -f *.cu
echo "built $out"

#!/bin/bash
# Builds one emitted call two ways for timing: as the runtime launches it (call.cu: a graph of the prologue and the
# body) and joined into one kernel by fuse.py (call_fused.cu). Run from the repository root after a build, with nvcc:
#   bench/harness/fused/build.sh OUT Z H N D [TUNABLE=VALUE ...]
# Then on the GPU host: (cd OUT && ./call body.cubin pro.cubin two && ./call_fused fused.cubin fused); the hashes must agree.
set -e
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../../.." && pwd)
out=$1; shift; mkdir -p "$out"; out=$(cd "$out" && pwd)
"$here/../gen.sh" "$out" "$@"
python3 "$here/fuse.py" "$out"
cd "$out"
for f in body pro fused; do nvcc -cubin -arch=sm_90a -fmad=false -std=c++17 $f.cu -o $f.cubin; done
# more forms of the join for timing (FUSE_VARIANTS="name:WAIT:SLEEP[:1 to stamp[:ROLE]] ..."), each as fused_name.cubin
for v in $FUSE_VARIANTS; do IFS=: read -r n w z st r <<< "$v"
  FUSE_WAIT=$w FUSE_SLEEP=$z FUSE_STAMP=$st FUSE_ROLE=${r:-ticket} python3 "$here/fuse.py" "$out" > /dev/null
  nvcc -cubin -arch=sm_90a -fmad=false -std=c++17 fused.cu -o fused_$n.cubin
done
nvcc -O2 -std=c++17 -arch=sm_90a -I. -DCALL_INC='"call.inc"' "$root/bench/harness/call.cu" -o call
nvcc -O2 -std=c++17 -arch=sm_90a -I. -DCALL_INC='"call.inc"' "$here/call_fused.cu" -o call_fused
rm -f *.cu
echo "built $out"

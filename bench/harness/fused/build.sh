#!/bin/bash
# Builds one emitted call two ways for timing: as the runtime launches it (call.cu: a graph of the prologue and the
# body) and joined into one kernel by fuse.py (call_fused.cu). Run from the repository root after a build, with nvcc:
#   bench/harness/fused/build.sh OUT Z H N D [TUNABLE=VALUE ...]
# Then on the GPU host: (cd OUT && ./call body.cubin pro.cubin two && ./call_fused fused.cubin fused); the hashes must agree.
. "$(dirname "$0")/../common.sh" "$@"
python3 "$here/fuse.py" "$out"
qf_cubins body pro fused
cd "$out"
# more forms of the join for timing (FUSE_VARIANTS="name:WAIT:SLEEP[:1 to stamp[:ROLE]] ..."), each as fused_name.cubin
for v in $FUSE_VARIANTS; do IFS=: read -r n w z st r <<< "$v"
  FUSE_WAIT=$w FUSE_SLEEP=$z FUSE_STAMP=$st FUSE_ROLE=${r:-ticket} python3 "$here/fuse.py" "$out" > /dev/null
  cp fused.cu fused_$n.cu && qf_cubins fused_$n
done
qf_call call
nvcc -O2 -std=c++17 -arch=sm_90a -I. -DCALL_INC='"call.inc"' "$here/call_fused.cu" -o call_fused
rm -f *.cu
echo "built $out"

#!/bin/bash
# Builds one emitted int8 call (pdl = 1, the per-head prologue, D = 64) with the cluster prototype pro_cluster.cuh beside
# the emitted prologue. From the repository root after a build, with nvcc:
#   bench/harness/cluster/build.sh OUT 1 12 197 64 BLOCK_M=32 BLOCK_N=128 warps=8 stages=2 ksplit=4 pro_blocks=4 pdl=1
# Then on the GPU host: (cd OUT && ./call body.cubin pro.cubin emitted && ./call body.cubin pro_cluster.cubin cluster);
# both must print the same output hash.
. "$(dirname "$0")/../common.sh" "$@"
cb=$(grep -o "const int qf_sub = qf_part % [0-9]*" "$out/pro.cu" | grep -o "[0-9]*$")
kg=$(grep -o "const int qf_groups = (n_N + [0-9]*) / [0-9]*" "$out/pro.cu" | head -1 | grep -o "[0-9]*$")
[ -n "$cb" ] && [ -n "$kg" ] || { echo "not a per-head int8 prologue with K and V staged: $out/pro.cu" >&2; exit 2; }
{ sed '/^#define QF_THREADS/,$d' "$out/pro.cu"; echo "#define QF_CB $cb"; echo "#define QF_KG $kg"; cat "$here/pro_cluster.cuh"; } > "$out/pro_cluster.cu"
qf_cubins body pro pro_cluster
qf_call call -DQF_PDL=1
rm -f "$out"/*.cu
echo "built $out (QF_CB=$cb, QF_KG=$kg)"

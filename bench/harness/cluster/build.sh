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
# the emitted prelude, the prototype's constants, the prototype with the emitted Q branch in place of its marker line
python3 - "$out/pro.cu" "$here/pro_cluster.cuh" "$cb" "$kg" > "$out/pro_cluster.cu" <<'PY'
import sys
pro, proto, cb, kg = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3], sys.argv[4]
light = pro[pro.index("  else {\n    // %Q.q"):pro.index("  // pdl = 1")]
marker = next(l for l in proto.splitlines(True) if "// QF_LIGHT_TRACK" in l)
print(pro[:pro.index("#define QF_THREADS")] + "#define QF_CB %s\n#define QF_KG %s\n" % (cb, kg) + proto.replace(marker, light), end="")
PY
qf_cubins body pro pro_cluster
qf_call call -DQF_PDL=1
rm -f "$out"/*.cu
echo "built $out (QF_CB=$cb, QF_KG=$kg)"

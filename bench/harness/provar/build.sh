#!/bin/bash
# Builds one emitted call (call.cu) with each prologue variant of variants.py beside the emitted one. From the
# repository root after a build, with nvcc:   bench/harness/provar/build.sh OUT Z H N D [TUNABLE=VALUE ...]
# Then on the GPU host: (cd OUT && for p in pro*.cubin; do ./call body.cubin $p ${p%.cubin}; done)
. "$(dirname "$0")/../common.sh" "$@"
python3 "$here/variants.py" "$out"
qf_cubins body $(cd "$out" && ls pro*.cu | sed 's/\.cu$//')
qf_call call
rm -f "$out"/*.cu
echo "built $out"

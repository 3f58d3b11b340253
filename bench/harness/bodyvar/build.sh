#!/bin/bash
# Builds one emitted call (pdl = 1, the per-head prologue) with each body variant of variants.py beside the emitted
# body. From the repository root after a build, with nvcc:   bench/harness/bodyvar/build.sh OUT Z H N D [TUNABLE=VALUE ...]
# Then on the GPU host: (cd OUT && for b in body*.cubin; do ./call $b pro.cubin ${b%.cubin}; done); every variant
# not marked (bits) in variants.py must print the emitted body's hash.
. "$(dirname "$0")/../common.sh" "$@"
python3 "$here/variants.py" "$out"
qf_cubins pro $(cd "$out" && ls body*.cu | sed 's/\.cu$//')
qf_call call -DQF_PDL=1
rm -f "$out"/*.cu
echo "built $out"

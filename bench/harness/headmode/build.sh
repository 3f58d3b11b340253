#!/bin/bash
# Builds the small-batch prototype (session 19) for one shape and schedule next to the emitted call it is
# compared with. Run from the repository root after a build, with nvcc on the PATH:
#   bench/harness/headmode/build.sh OUT Z H N D THREADS BLOCKS_PER_HEAD -- BLOCK_M=32 BLOCK_N=64 warps=4 ksplit=2
# OUT gets body.cu / pro.cu (as emitted) and call (bench/harness/call.cu on them); bodypre.cu (the body with
# the launch constants computed in its preamble: pre.cuh), headpro.cu (headpro.cuh) and protocall.
# Then on the GPU host: (cd OUT && ./call body.cubin pro.cubin emitted && ./protocall bodypre.cubin headpro.cubin proto)
# Timing only: the two print their output hash, which must agree.
set -e
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../../.." && pwd)
out=$1; Z=$2; H=$3; N=$4; D=$5; PT=$6; B=$7; shift 8   # past the --
mkdir -p "$out"; out=$(cd "$out" && pwd)
declare -A tune; for kv in "$@"; do tune[${kv%%=*}]=${kv#*=}; done
BM=${tune[BLOCK_M]:-64}; KB=${tune[BLOCK_N]:-64}   # the K block of the int8 quantization is BLOCK_N tokens
"$here/../gen.sh" "$out" $Z $H $N $D "$@"
sed -n '1,/Helpers of the prologue kernel/p' "$out/pro.cu" > "$out/headpro.cu"
printf '#define QF_PT %s\n#define QF_KB %s\n#define QF_D %s\n#define QF_B %s\n#include "%s"\n' $PT $KB $D $B "$here/headpro.cuh" >> "$out/headpro.cu"
# the body's i64 launch constant is named after its IR value; the preamble writes it under that name
r=$(grep -o 'i64\* __restrict__ p_[0-9]*_arg' "$out/body.cu" | head -1 | sed 's/.*p_\([0-9]*\)_arg/\1/')
sed "s/p_128_arg/p_${r}_arg/g" "$here/pre.cuh" > "$out/pre.cuh"
sed -e "s/f16\* __restrict__ p_O) {/f16* __restrict__ p_O, float* __restrict__ pre_Qs, float* __restrict__ pre_Ks, float* __restrict__ pre_kpart, float pre_scale) {/" \
    -e "/extern __shared__ __align__(16) unsigned char qf_smem\[\];/a QF_PRE($BM)" \
    -e "/^extern \"C\" __global__/i #include \"pre.cuh\"" "$out/body.cu" > "$out/bodypre.cu"
cd "$out"
for f in bodypre headpro body pro; do nvcc -cubin -arch=sm_90a -fmad=false -std=c++17 $f.cu -o $f.cubin 2>/dev/null; done
nvcc -O2 -std=c++17 -arch=sm_90a -I. -DCALL_INC='"call.inc"' -DZZ=$Z -DHH=$H -DNN=$N -DDD=$D -DPT=$PT -DQB=$B -DPSM=2 "$here/protocall.cu" -o protocall 2>/dev/null
nvcc -O2 -std=c++17 -arch=sm_90a -I. -DCALL_INC='"call.inc"' "$root/bench/harness/call.cu" -o call 2>/dev/null
echo "built $out"

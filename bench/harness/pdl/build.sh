#!/bin/bash
# Builds one emitted call twice for bench/harness/call.cu: as the runtime launches it, and with the body as a
# programmatic dependent launch (PDL) of the prologue: griddepcontrol.launch_dependents at the prologue's start,
# griddepcontrol.wait at the body's. Run from the repository root after a build, with nvcc on the PATH:
#   bench/harness/pdl/build.sh OUT Z H N D [TUNABLE=VALUE ...]
# Then on the GPU host: (cd OUT && ./call body.cubin pro.cubin emitted && ./call_pdl body_pdl.cubin pro_pdl.cubin pdl
#   && ./call_pdl body_pdl.cubin pro_pdlend.cubin pdl-end)
# The two print their output hash, which must agree.
. "$(dirname "$0")/../common.sh" "$@"
sed '/extern __shared__ __align__(16) unsigned char qf_smem\[\];/a asm volatile("griddepcontrol.wait;" ::: "memory");' "$out/body.cu" > "$out/body_pdl.cu"
awk '{ print } /^extern "C" __global__/ && !done { print "asm volatile(\"griddepcontrol.launch_dependents;\");"; done = 1 }' "$out/pro.cu" > "$out/pro_pdl.cu"
# the trigger at the end instead (the body's blocks are launched as the last prologue blocks finish, not at its start)
awk '{ l[NR] = $0 } /^}$/ { last = NR } END { for (i = 1; i <= NR; i++) { if (i == last) print "asm volatile(\"griddepcontrol.launch_dependents;\");"; print l[i] } }' "$out/pro.cu" > "$out/pro_pdlend.cu"
grep -q launch_dependents "$out/pro_pdlend.cu"
grep -q griddepcontrol.wait "$out/body_pdl.cu" && grep -q launch_dependents "$out/pro_pdl.cu"
qf_cubins body body_pdl pro pro_pdl pro_pdlend
qf_call call
qf_call call_pdl -DQF_PDL=1
echo "built $out"

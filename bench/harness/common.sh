# What every harness build.sh does around its own edits, written once. Sourced from a build.sh with its arguments:
#   . "$(dirname "$0")/../common.sh" "$@"      (OUT Z H N D [TUNABLE=VALUE ...])
# sets here (the build.sh's folder), root (the repository) and out (OUT, absolute), and writes body.cu, pro.cu and
# call.inc of that emitted int8 call into out (gen.sh). Then:
#   qf_cubins NAME...         out/NAME.cu -> out/NAME.cubin, as the runtime compiles (sm_90a, no FMA contraction)
#   qf_call EXE [NVCC ARG...] bench/harness/call.cu on out/call.inc -> out/EXE (e.g. -DQF_PDL=1)
set -e
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../../.." && pwd)
out=$1; shift; mkdir -p "$out"; out=$(cd "$out" && pwd)
"$root/bench/harness/gen.sh" "$out" "$@"
qf_cubins() { (cd "$out" && for f in "$@"; do nvcc -cubin -arch=sm_90a -fmad=false -std=c++17 "$f.cu" -o "$f.cubin"; done); }
qf_call() { local exe=$1; shift; (cd "$out" && nvcc -O2 -std=c++17 -arch=sm_90a -I. -DCALL_INC='"call.inc"' "$@" "$root/bench/harness/call.cu" -o "$exe"); }

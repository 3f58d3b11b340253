# The harness's two nvcc builds, written once (sourced by common.sh and ab/build.sh; root is the repository, out the
# directory the call's files are in):
#   qf_cubins NAME...         out/NAME.cu -> out/NAME.cubin, as the runtime compiles (sm_90a, no FMA contraction)
#   qf_call EXE [NVCC ARG...] bench/harness/call.cu on out/call.inc -> out/EXE (e.g. -DQF_PDL=1)
qf_cubins() { (cd "$out" && for f in "$@"; do nvcc -cubin -arch=sm_90a -fmad=false -std=c++17 "$f.cu" -o "$f.cubin"; done); }
qf_call() { local exe=$1; shift; (cd "$out" && nvcc -O2 -std=c++17 -arch=sm_90a -I. -DCALL_INC='"call.inc"' "$@" "$root/bench/harness/call.cu" -o "$exe"); }

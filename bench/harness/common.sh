# What every harness build.sh does around its own edits, written once. Sourced from a build.sh with its arguments:
#   . "$(dirname "$0")/../common.sh" "$@"      (OUT Z H N D [TUNABLE=VALUE ...])
# sets here (the build.sh's folder), root (the repository) and out (OUT, absolute), and writes body.cu, pro.cu and
# call.inc of that emitted int8 call into out (gen.sh). Then qf_cubins and qf_call (nvcc.sh) build in out.
set -e
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../../.." && pwd)
out=$1; shift; mkdir -p "$out"; out=$(cd "$out" && pwd)
"$root/bench/harness/gen.sh" "$out" "$@"
. "$root/bench/harness/nvcc.sh"

#!/bin/bash
# Writes body.cu, pro.cu and call.inc of one emitted int8 call into OUT (GenCall.java on the built jars): where each
# harness build.sh starts. From the repository root after a build:   bench/harness/gen.sh OUT Z H N D [TUNABLE=VALUE ...]
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$1; shift; mkdir -p "$out"
"${JAVA_HOME:-/usr}"/bin/java -cp "$root/runtime/target/qflash-runtime.jar:$root/runtime/target/lib/*" \
  "$root/bench/harness/GenCall.java" "$root/samples/flash_attention.tile" "$out" "$@"

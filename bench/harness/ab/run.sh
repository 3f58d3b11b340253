#!/bin/bash
# Two rounds over every body x prologue pairing of each directory build.sh built, as ROOT/ROW/NAME (on the GPU host):
#   bench/harness/ab/run.sh ROOT
cd "$1"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
for round in 1 2; do
  echo "## round $round"
  for dir in */*/; do dir=${dir%/}
    (cd $dir && for b in body*.cubin; do for p in pro*.cubin; do ./call $b $p "$dir ${b%.cubin} ${p%.cubin}"; done; done)
  done
done

#!/bin/sh
# bench/run.sh: runs every benchmark script bench/*/run.sh (make bench).
# Each prints its own table with ratios against the peers its issue names,
# measured in the same run on this machine.
set -u
cd "$(dirname "$0")/.." || exit 2
rc=0
for b in bench/*/run.sh; do
  [ -f "$b" ] || continue
  echo "==== $b"
  sh "$b" || { echo "bench $b failed"; rc=1; }
done
exit $rc

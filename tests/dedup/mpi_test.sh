#!/bin/sh
# mpi_test.sh: `mpirun -np 3 corpusd dedup` (each rank signs a share of the
# inputs, band records and pairs move with MPI_Alltoallv) gives byte for byte
# the outputs and rejects of a single-process run, in batch mode and when
# adding a snapshot to an index built by a single process.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUSD=${CORPUSD:-$ROOT/bin/corpusd}
PYTHON=${PYTHON:-python3}
command -v mpirun >/dev/null || { echo "mpirun not installed (apt-get install openmpi-bin libopenmpi-dev)"; exit 77; }
[ -f "$ROOT/lib/corpusd-mpi.so" ] || { echo "lib/corpusd-mpi.so not built (no mpicc at build time)"; exit 77; }
[ -d /usr/share/common-licenses ] || { echo "no /usr/share/common-licenses for real prose"; exit 77; }
export CORPUSD_MPI_PLUGIN="$ROOT/lib/corpusd-mpi.so"
# Open MPI's own allocations are not ours to leak-check.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
CFG="$ROOT/configs/dedup-fineweb.yaml"
"$PYTHON" "$ROOT/tests/dedup/gen_neardup.py" "$T/a" --pairs-per-bucket 60 --exact 100 --files 5 --seed 1
# Snapshot b: the same texts under other ids, in 4 files, plus a few new ones.
mkdir -p "$T/b"
cat "$T"/a/in-*.jsonl | sed 's/"id": "/"id": "B/' | split -n r/4 - "$T/b/in-"
for f in "$T"/b/in-*; do mv "$f" "$f.jsonl"; done
MPI="mpirun --allow-run-as-root --oversubscribe -np 3"
"$CORPUSD" dedup "$T"/a/in-*.jsonl -o "$T/one" --config "$CFG" --rejects "$T/one/rej.jsonl" --threads 1
$MPI "$CORPUSD" dedup "$T"/a/in-*.jsonl -o "$T/three" --config "$CFG" --rejects "$T/three/rej.jsonl" --threads 1
for f in "$T"/one/*.jsonl.zst "$T/one/rej.jsonl"; do
  cmp "$f" "$T/three/$(basename "$f")" || { echo "MPI output differs: $(basename "$f")"; exit 1; }
done
# Incremental: snapshot a by one process, snapshot b (the texts of a again)
# by one process or by three ranks.
for how in one three; do
  "$CORPUSD" dedup "$T"/a/in-*.jsonl -o "$T/i$how-a" --config "$CFG" --index "$T/idx-$how" --snapshot A
done
"$CORPUSD" dedup "$T"/b/in-*.jsonl -o "$T/ione-b" --config "$CFG" --index "$T/idx-one" --snapshot B \
  --rejects "$T/ione-b/rej.jsonl"
$MPI "$CORPUSD" dedup "$T"/b/in-*.jsonl -o "$T/ithree-b" --config "$CFG" --index "$T/idx-three" --snapshot B \
  --rejects "$T/ithree-b/rej.jsonl"
for f in "$T"/ione-b/*.jsonl.zst "$T/ione-b/rej.jsonl"; do
  cmp "$f" "$T/ithree-b/$(basename "$f")" || { echo "MPI incremental output differs: $(basename "$f")"; exit 1; }
done
n=$(wc -l < "$T/ione-b/rej.jsonl")
[ "$n" -gt 1000 ] || { echo "snapshot b should be mostly duplicates of a (removed $n)"; exit 1; }
echo "identical outputs; snapshot b removed $n documents"

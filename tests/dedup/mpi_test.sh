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
# Long duplicate chains across ranks: document i is {x_i, x_i+1} (word
# 1-grams), similar (J = 1/3) only to i-1 and i+1, so with 64 bands of 1 row
# each removed document duplicates the previous one and the chain's root is
# its first document. Chains of 2400 and 300 plus 300 unrelated documents:
# the long chain crosses all three ranks' blocks of gids, so its roots need
# two rounds of pointer jumping. Also with the signature check (threshold
# 0.05: J = 1/3 pairs pass, the check's records are read across ranks).
"$PYTHON" - "$T/chain.jsonl" <<'PY'
import json, random, sys
rng = random.Random(7)
def w(c, i):   # letters only: normalization maps every digit run to 0
    s = ""
    for _ in range(4):
        s += chr(97 + i % 26)
        i //= 26
    return "w" + "abc"[c] + s
with open(sys.argv[1], "w") as f:
    for c, n in ((0, 2400), (1, 300)):
        for i in range(n):
            f.write(json.dumps({"id": "c%d-%05d" % (c, i), "text": w(c, i) + " " + w(c, i + 1)}) + "\n")
    for i in range(300):
        f.write(json.dumps({"id": "u%04d" % i, "text": "u%s v%s" % (w(0, i), w(1, i))}) + "\n")
PY
split -n l/4 "$T/chain.jsonl" "$T/chain-"
for f in "$T"/chain-a?; do mv "$f" "$f.jsonl"; done
CHAIN_MODES="none signature"
[ "${CORPUSD_MODE:-rel}" = san ] && CHAIN_MODES=signature   # time budget under the sanitizers
for chk in $CHAIN_MODES; do
  printf 'dedup:\n  preset: fineweb\n  ngram: 1\n  bands: 64\n  rows: 1\n  exact: false\n  jaccard_check: %s\n  jaccard_threshold: 0.05\n' $chk > "$T/chain.yaml"
  "$CORPUSD" dedup "$T"/chain-a?.jsonl -o "$T/c1-$chk" --config "$T/chain.yaml" --rejects "$T/c1-$chk/rej.jsonl" --threads 1
  $MPI "$CORPUSD" dedup "$T"/chain-a?.jsonl -o "$T/c3-$chk" --config "$T/chain.yaml" --rejects "$T/c3-$chk/rej.jsonl" --threads 1
  for f in "$T"/c1-$chk/*.jsonl.zst "$T/c1-$chk/rej.jsonl"; do
    cmp "$f" "$T/c3-$chk/$(basename "$f")" || { echo "MPI chain output differs ($chk): $(basename "$f")"; exit 1; }
  done
  "$PYTHON" - "$T/c3-$chk/rej.jsonl" <<'PY'
import json, sys
rej = {}
for l in open(sys.argv[1]):
    d = json.loads(l)
    rej[d["id"]] = d["metadata"]
# Every chain document but the first is removed, duplicating its predecessor,
# in the cluster of the chain's first document.
for c, n in ((0, 2400), (1, 300)):
    for i in range(1, n):
        m = rej.get("c%d-%05d" % (c, i))
        assert m, "c%d-%05d kept" % (c, i)
        assert m["duplicate_of"] == "c%d-%05d" % (c, i - 1), (i, m)
        assert m["dedup_cluster"] == "c%d-00000" % c, (i, m)
assert len(rej) == 2399 + 299, len(rej)
print("chains: %d removed, roots resolved across ranks" % len(rej))
PY
done
# Incremental with the exact check: snapshot a by one process, b by one
# process or three ranks, which verify against a's records in the index.
printf 'dedup:\n  preset: fineweb\n  jaccard_check: exact\n  jaccard_threshold: 0.8\n  jaccard_candidates: 2\n' > "$T/chk.yaml"
for how in one three; do
  "$CORPUSD" dedup "$T"/a/in-*.jsonl -o "$T/k$how-a" --config "$T/chk.yaml" --index "$T/kidx-$how" --snapshot A
done
"$CORPUSD" dedup "$T"/b/in-*.jsonl -o "$T/kone-b" --config "$T/chk.yaml" --index "$T/kidx-one" --snapshot B \
  --rejects "$T/kone-b/rej.jsonl"
$MPI "$CORPUSD" dedup "$T"/b/in-*.jsonl -o "$T/kthree-b" --config "$T/chk.yaml" --index "$T/kidx-three" --snapshot B \
  --rejects "$T/kthree-b/rej.jsonl"
for f in "$T"/kone-b/*.jsonl.zst "$T/kone-b/rej.jsonl"; do
  cmp "$f" "$T/kthree-b/$(basename "$f")" || { echo "MPI incremental output with the check differs: $(basename "$f")"; exit 1; }
done
echo "identical outputs; snapshot b removed $n documents"

#!/bin/sh
# incremental_test.sh: six snapshots ingested one at a time into a
# persistent index keep exactly the documents (and duplicate_of links) that
# deduplicating all six in one batch keeps (default policy: oldest first).
# The same holds with jaccard_check: exact. The fifth ingest compacts the runs (LSM); then a corrupted run file must be
# detected by its checksum and refused, and a snapshot name cannot be reused.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUSD=${CORPUSD:-$ROOT/bin/corpusd}
PYTHON=${PYTHON:-python3}
[ -d /usr/share/common-licenses ] || { echo "no /usr/share/common-licenses for real prose"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
CFG="$ROOT/configs/dedup-fineweb.yaml"
"$PYTHON" - "$T" <<'PY'
import json, os, random, re, sys
out = sys.argv[1]
rng = random.Random(3)
words = []
for f in sorted(os.listdir("/usr/share/common-licenses")):
    p = os.path.join("/usr/share/common-licenses", f)
    if os.path.isfile(p):
        words += [w.lower() for w in open(p, errors="replace").read().split() if re.match(r"^[A-Za-z]+$", w)]
def fresh(n): return [words[rng.randrange(len(words))] for _ in range(n)]
made = []   # texts of every earlier document
for s in range(1, 7):
    docs = []
    for i in range(300):
        r = rng.random()
        if made and r < 0.15:     # exact copy of an earlier document, case changed
            t = rng.choice(made).upper()
        elif made and r < 0.35:   # near copy: a few words changed
            w = rng.choice(made).split()
            for _ in range(2):
                w[rng.randrange(len(w))] = rng.choice(words)
            t = " ".join(w)
        else:
            t = " ".join(fresh(80))
        docs.append({"id": "S%d/%04d" % (s, rng.randrange(10000) * 10 + i % 10), "text": t, "metadata": {"snapshot": "S%d" % s}})
        made.append(t)
    seen = set()
    with open(os.path.join(out, "s%d.jsonl" % s), "w") as f:
        for d in docs:
            if d["id"] in seen: d["id"] += "x"
            seen.add(d["id"])
            f.write(json.dumps(d) + "\n")
PY
# The same with the exact Jaccard check (threshold 0.8, K = 2 earliest per
# bucket): old snapshots are verified from the records kept in the index.
printf 'dedup:\n  preset: fineweb\n  bands: 20\n  rows: 5\n  jaccard_check: exact\n  jaccard_threshold: 0.8\n  jaccard_candidates: 2\n' > "$T/chk.yaml"
for V in "" chk; do
[ -n "$V" ] && CFG="$T/chk.yaml"
"$CORPUSD" dedup "$T"/s1.jsonl "$T"/s2.jsonl "$T"/s3.jsonl "$T"/s4.jsonl "$T"/s5.jsonl "$T"/s6.jsonl \
  -o "$T/batch$V" --config "$CFG" --rejects "$T/batch$V/rej.jsonl"
for s in 1 2 3 4 5 6; do
  "$CORPUSD" dedup "$T/s$s.jsonl" -o "$T/inc$V$s" --config "$CFG" --index "$T/idx$V" --snapshot "S$s" \
    --rejects "$T/inc$V$s/rej.jsonl" --memory 64M
done
ls "$T"/idx$V/snap-000005/merged.run >/dev/null || { echo "no compaction happened"; exit 1; }
"$PYTHON" - "$T" "$V" <<'PY'
import json, subprocess, sys
T = sys.argv[1]; V = sys.argv[2]
def kept(paths):
    ids = []
    for p in paths:
        data = subprocess.run(["zstd", "-dc", p], capture_output=True, check=True).stdout.decode()
        ids += [json.loads(l)["id"] for l in data.splitlines()]
    return ids
def rej(paths):
    r = {}
    for p in paths:
        for l in open(p):
            d = json.loads(l)
            r[d["id"]] = (d["metadata"]["duplicate_of"], d["metadata"]["dedup_cluster"])
    return r
b = kept(["%s/batch%s/s%d.jsonl.zst" % (T, V, s) for s in range(1, 7)])
i = kept(["%s/inc%s%d/s%d.jsonl.zst" % (T, V, s, s) for s in range(1, 7)])
rb, ri = rej([T + "/batch" + V + "/rej.jsonl"]), rej(["%s/inc%s%d/rej.jsonl" % (T, V, s) for s in range(1, 7)])
print(V or "fineweb", "batch kept %d removed %d; incremental kept %d removed %d" % (len(b), len(rb), len(i), len(ri)))
assert len(rb) > 300, "too few duplicates planted to mean anything"
assert b == i, "kept documents differ"
assert rb == ri, "duplicate_of / dedup_cluster differ"
PY
done
CFG="$ROOT/configs/dedup-fineweb.yaml"
# A corrupt run is detected and refused; nothing is written.
run=$(ls "$T"/idx/snap-*/*.run | head -1)
printf 'X' | dd of="$run" bs=1 seek=100 conv=notrunc 2>/dev/null
if "$CORPUSD" dedup "$T/s1.jsonl" -o "$T/bad" --config "$CFG" --index "$T/idx" --snapshot S7 2>"$T/err"; then
  echo "a corrupt index was used"; exit 1
fi
grep -q "corrupt" "$T/err" || { cat "$T/err"; exit 1; }
[ ! -e "$T/bad/s1.jsonl.zst" ] || { echo "output written from a corrupt index"; exit 1; }
cat "$T/err"
# Reusing a snapshot name is refused.
if "$CORPUSD" dedup "$T/s1.jsonl" -o "$T/again" --config "$CFG" --index "$T/batch/.dedup-index" --snapshot snapshot-1 2>"$T/err"; then
  echo "snapshot ingested twice"; exit 1
fi
grep -q "already in index" "$T/err"
echo ok

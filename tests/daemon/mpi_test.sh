#!/bin/sh
# Multi-node batch build: `mpirun -np 3 corpusd run CONFIG` splits the inputs
# across ranks (input i to rank i mod 3, one ledger per rank under
# STATE/rank-R, outputs under OUT/rank-R) and runs the global dedup over MPI
# (dedup_mpi_launch) and then the shards on rank 0. The kept documents and
# the token shards equal those of a single-process run, also after a second
# run that adds inputs (a second batch against the same index).
. "$(dirname "$0")/../core/common.sh"
ROOT=$(pwd)
command -v mpirun >/dev/null || skip "mpirun not installed (apt-get install openmpi-bin libopenmpi-dev)"
[ -f "$ROOT/lib/corpusd-mpi.so" ] || skip "lib/corpusd-mpi.so not built (no mpicc at build time)"
command -v zstd >/dev/null || skip "zstd CLI not installed"
export CORPUSD_MPI_PLUGIN="$ROOT/lib/corpusd-mpi.so"
# Open MPI's own allocations are not ours to leak-check.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
T=$TESTDIR
MPI="mpirun --allow-run-as-root --oversubscribe -np 3"
$PYTHON tests/shards/megatron_reader.py make-tokenizer "$T/tok.json" 0
$PYTHON tests/core/gen_corpus.py "$T/all" 6 400 >/dev/null
mkdir -p "$T/in"
for f in "$T"/all/part00[0-4]*; do cp "$f" "$T/in/"; done
# exact duplicates under other ids, so that dedup has work across ranks
sed 's/"id": "f000/"id": "dup000/' "$T/all/part000.jsonl" > "$T/in/dup000.jsonl"
cat > "$T/c.yaml" <<YAML
seed: 1
inputs: ["$T/in/*"]
stages:
  - select: {expr: 'metadata.quality > 0.05'}
output: {compression: zst, rejects: true}
dedup: {config: $ROOT/configs/dedup-fineweb.yaml, memory: 128M}
shards: {tokenizer: $T/tok.json, format: megatron, max_tokens: 50000}
YAML
run1() { "$CORPUSD" run "$T/c.yaml" --state "$T/s1" --output "$T/o1" --corpus "$T/c1" --threads 1 --quiet; }
run3() { $MPI "$CORPUSD" run "$T/c.yaml" --state "$T/s3" --output "$T/o3" --corpus "$T/c3" --threads 1 --quiet; }
compare() {
  $PYTHON - "$T/c1" "$T/c3" "$T/s3" "$1" <<'PY' || exit 1
import glob, json, os, sqlite3, subprocess, sys
c1, c3, s3, nb = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def ids(c):
    out = []
    for p in sorted(glob.glob(f"{c}/docs/*/*.jsonl.zst")):
        out += [json.loads(l)["id"] for l in subprocess.run(["zstd", "-dc", p], capture_output=True,
                                                             check=True).stdout.splitlines() if l.strip()]
    return out
a, b = ids(c1), ids(c3)
if sorted(a) != sorted(b): sys.exit(f"FAIL: kept ids differ: {len(a)} vs {len(b)}")
if len(b) != len(set(b)): sys.exit("FAIL: a document twice")
m1, m3 = json.load(open(f"{c1}/manifest.json")), json.load(open(f"{c3}/manifest.json"))
if len(m3["batches"]) != nb: sys.exit(f"FAIL: {len(m3['batches'])} batches, expected {nb}")
for x, y in zip(m1["batches"], m3["batches"]):
    if (x["docs_kept"], x["removed"], x["tokens"]) != (y["docs_kept"], y["removed"], y["tokens"]):
        sys.exit(f"FAIL: batch {x} vs {y}")
s1 = {f["path"]: f["checksum"] for f in m1["files"] if f["kind"] == "shard"}
s3_ = {f["path"]: f["checksum"] for f in m3["files"] if f["kind"] == "shard"}
if s1 != s3_: sys.exit(f"FAIL: shards differ: {sorted(s1.items())[:2]} vs {sorted(s3_.items())[:2]}")
on_disk = sorted(os.path.relpath(p, c3) for p in glob.glob(f"{c3}/**/*", recursive=True)
                 if os.path.isfile(p) and not p.endswith("manifest.json"))
if on_disk != sorted(f["path"] for f in m3["files"]): sys.exit("FAIL: manifest != files on disk")
per_rank = [sqlite3.connect(f"{s3}/rank-{r}/ledger.sqlite").execute(
    "SELECT COUNT(*) FROM inputs WHERE status='done'").fetchone()[0] for r in range(3)]
n = sum(per_rank)
if n != len(glob.glob(os.path.dirname(s3) + "/in/*")): sys.exit(f"FAIL: {n} inputs done over the ranks")
if max(per_rank) - min(per_rank) > 1: sys.exit(f"FAIL: inputs per rank {per_rank}")
removed = sum(x["removed"] for x in m3["batches"])
if removed < 300 or (nb == 2 and m3["batches"][1]["removed"] < 1): sys.exit(f"FAIL: only {removed} duplicates removed")
print(f"3 ranks == 1 process: {len(b)} kept, {removed} removed, {len(s3_)} identical shard files, "
      f"inputs per rank {per_rank}")
PY
}
run1 || fail "single-process run"
run3 || fail "mpirun -np 3 run"
compare 1
# a second batch: one more input, sorted first (finished inputs keep their
# rank and are not redone), against the same index
# (with a few duplicates of the first batch, removed against the index)
for f in "$T"/all/part005*; do cp "$f" "$T/in/a-extra${f#$T/all/part005}"; done
head -3 "$T/all/part000.jsonl" | sed 's/"id": "f000/"id": "again000/' > "$T/in/again.jsonl"
run1 || fail "single-process run, second batch"
run3 || fail "mpirun -np 3 run, second batch"
compare 2
"$CORPUSD" status --state "$T/s3" | grep -q "rank ledger $T/s3/rank-2" || fail "status does not show the rank ledgers"
echo PASS

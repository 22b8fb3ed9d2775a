#!/bin/sh
# SIGTERM while the daemon is inside the global steps (a long dedup: the
# CORPUSD_FAULT_DEDUP_DELAY hook holds it there) still exits within the
# grace period, with exit code 0; the batch is finished by the next start,
# and its kept documents equal those of one uninterrupted `corpusd run`.
. "$(dirname "$0")/../core/common.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cat > "$TESTDIR/gen.py" <<'PY'
import json, random, sys
random.seed(7)
words = open("/usr/share/common-licenses/GPL-3").read().split() if len(sys.argv) < 3 else []
if not words:
    words = [f"w{i}" for i in range(5000)]
docs = []
for i in range(300):
    start = random.randrange(0, len(words) - 200)
    docs.append(" ".join(words[start:start + 150]))
for f in range(3):
    with open(f"{sys.argv[1]}/in-{f}.jsonl", "w") as out:
        for i in range(100):
            t = docs[(f * 100 + i) % len(docs)] if i % 5 else docs[i]   # every 5th repeats an earlier text
            out.write(json.dumps({"id": f"f{f}-{i}", "text": t}) + "\n")
PY
mkdir -p "$TESTDIR/drop"
$PYTHON "$TESTDIR/gen.py" "$TESTDIR/drop"
cat > "$TESTDIR/c.yaml" <<YAML
seed: 1
inputs: ["$TESTDIR/drop/*.jsonl"]
stages: []
output: {compression: zst}
dedup: {config: $ROOT/configs/dedup-fineweb.yaml, memory: 64M}
daemon: {interval: 0.2, grace: 1, metrics: "off"}
YAML
# Reference: one batch run.
"$CORPUSD" run "$TESTDIR/c.yaml" --state "$TESTDIR/rstate" --output "$TESTDIR/rout" --corpus "$TESTDIR/rcorpus" \
  --quiet 2>"$TESTDIR/run.log" || { cat "$TESTDIR/run.log"; fail "batch run"; }
CORPUSD_FAULT_DEDUP_DELAY=60 "$CORPUSD" daemon "$TESTDIR/c.yaml" --state "$TESTDIR/state" --output "$TESTDIR/out" \
  --corpus "$TESTDIR/corpus" 2>"$TESTDIR/d.log" &
pid=$!
# Wait until the batch is open (the daemon is inside the global steps).
n=0
until [ "$($PYTHON -c "
import sqlite3,sys
try: print(sqlite3.connect(sys.argv[1], timeout=5).execute(\"select count(*) from global_batches where status='open'\").fetchone()[0])
except Exception: print(0)" "$TESTDIR/state/ledger.sqlite")" = 1 ]; do
  n=$((n + 1)); [ $n -lt 300 ] || { kill -9 $pid; cat "$TESTDIR/d.log"; fail "the daemon never opened a batch"; }
  sleep 0.1
done
t0=$($PYTHON -c 'import time; print(time.time())')
kill -TERM $pid
rc=0; wait $pid || rc=$?
dt=$($PYTHON -c "import time; print(round(time.time() - $t0, 2))")
[ "$rc" = 0 ] || { tail -5 "$TESTDIR/d.log"; fail "daemon exit code $rc after SIGTERM"; }
$PYTHON -c "import sys; sys.exit(0 if $dt <= 1 + 3 else 1)" || fail "SIGTERM during the global steps took ${dt}s (grace 1s)"
grep -q "grace period over during the global steps" "$TESTDIR/d.log" || { tail -5 "$TESTDIR/d.log"; fail "no log line about the global steps"; }
# The next start finishes the batch.
"$CORPUSD" daemon "$TESTDIR/c.yaml" --state "$TESTDIR/state" --output "$TESTDIR/out" --corpus "$TESTDIR/corpus" \
  --once 2>"$TESTDIR/d2.log" || { tail -5 "$TESTDIR/d2.log"; fail "restart"; }
ids() { zstd -dcq "$1"/docs/*/*.jsonl.zst 2>/dev/null | $PYTHON -c "import json,sys; print('\n'.join(sorted(json.loads(l)['id'] for l in sys.stdin)))"; }
ids "$TESTDIR/rcorpus" > "$TESTDIR/ref.ids"
ids "$TESTDIR/corpus" > "$TESTDIR/got.ids"
[ -s "$TESTDIR/ref.ids" ] || fail "the batch run kept nothing"
[ "$(wc -l < "$TESTDIR/ref.ids")" -lt 300 ] || fail "the batch run removed no duplicate"
cmp -s "$TESTDIR/ref.ids" "$TESTDIR/got.ids" || fail "kept ids after the stop and restart differ from one batch run"
echo "ok: exited ${dt}s after SIGTERM inside dedup; restart kept $(wc -l < "$TESTDIR/got.ids") ids, as the batch run"

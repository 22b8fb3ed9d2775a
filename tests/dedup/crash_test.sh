#!/bin/sh
# crash_test.sh: `corpusd dedup --index` killed with SIGKILL at several points
# leaves the index as it was: the rerun under the same snapshot name succeeds
# and gives the same outputs as an uninterrupted run (the snapshot becomes
# visible only at its commit; stray work and snapshot directories are removed).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUSD=${CORPUSD:-$ROOT/bin/corpusd}
PYTHON=${PYTHON:-python3}
[ -d /usr/share/common-licenses ] || { echo "no /usr/share/common-licenses for real prose"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
CFG="$ROOT/configs/dedup-fineweb.yaml"
"$PYTHON" "$ROOT/tests/dedup/gen_neardup.py" "$T/a" --pairs-per-bucket 150 --exact 100 --files 3 --seed 2
"$PYTHON" "$ROOT/tests/dedup/gen_neardup.py" "$T/b" --pairs-per-bucket 150 --exact 100 --files 3 --seed 4
"$CORPUSD" dedup "$T"/a/in-*.jsonl -o "$T/ref-a" --config "$CFG" --index "$T/ref" --snapshot A 2>/dev/null
"$CORPUSD" dedup "$T"/b/in-*.jsonl -o "$T/ref-b" --config "$CFG" --index "$T/ref" --snapshot B \
  --rejects "$T/ref-b/rej.jsonl" 2>/dev/null
"$CORPUSD" dedup "$T"/a/in-*.jsonl -o "$T/x-a" --config "$CFG" --index "$T/idx" --snapshot A 2>/dev/null
killed=0
for delay in 0.05 0.2 0.4 0.8; do
  rm -rf "$T/x-b"
  "$CORPUSD" dedup "$T"/b/in-*.jsonl -o "$T/x-b" --config "$CFG" --index "$T/idx" --snapshot B \
    --rejects "$T/x-b/rej.jsonl" 2>/dev/null &
  pid=$!
  sleep $delay
  if kill -9 $pid 2>/dev/null; then
    wait $pid 2>/dev/null || true
    # Was it killed before its commit? Then B must not be in the index.
    if "$PYTHON" -c "import sqlite3,sys; sys.exit(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from dedup_snapshots where name='B'\").fetchone()[0])" "$T/idx/ledger.sqlite"; then
      killed=$((killed + 1))
      continue
    fi
  else
    wait $pid
  fi
  break
done
echo "runs killed before their commit: $killed"
if [ ! -f "$T/x-b/rej.jsonl" ] || ! cmp -s "$T/x-b/rej.jsonl" "$T/ref-b/rej.jsonl"; then
  rm -rf "$T/x-b"
  "$CORPUSD" dedup "$T"/b/in-*.jsonl -o "$T/x-b" --config "$CFG" --index "$T/idx" --snapshot B \
    --rejects "$T/x-b/rej.jsonl" 2>/dev/null
fi
for f in "$T"/ref-b/*.jsonl.zst "$T/ref-b/rej.jsonl"; do
  cmp "$f" "$T/x-b/$(basename "$f")" || { echo "output after a crash differs: $(basename "$f")"; exit 1; }
done
ls "$T/idx" | grep -q '^work-' && { echo "work directory left behind"; exit 1; }
echo ok

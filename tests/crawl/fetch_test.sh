#!/bin/sh
# fetch_test.sh: the libcurl fetcher against a fault-injecting HTTP server
# on 127.0.0.1 (tests/crawl/faultserver.py): a drop mid-body, 503 then
# success, 429, a stall, a server that ignores Range after a drop, a short
# body, a 404. Every download either completes with the right bytes or
# fails with a clear error; nothing is left truncated under the final name.
# Then streaming: `warc cat URL` through the same faults gives the same
# records as the local file, a short body fails the command, and --offset/
# --length over HTTP reads one record with a Range request.
set -u
cd "$(dirname "$0")/../.." || exit 2
CORPUSD=${CORPUSD:-bin/corpusd}
PYTHON=${PYTHON:-python3}
T=$(mktemp -d)
SRV=""
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir -p "$T/root"
head -c 1000000 /dev/urandom >"$T/root/blob.bin"
cp data/sample/cc-sample.warc.gz "$T/root/s.warc.gz"
"$PYTHON" tests/crawl/faultserver.py "$T/root" "$T/port" 90 &
SRV=$!
i=0; while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$T/port" ] || fail "fault server did not start"
B="http://127.0.0.1:$(cat "$T/port")"
export CORPUSD_FETCH_BACKOFF=0.05 CORPUSD_FETCH_STALL=2 CORPUSD_FETCH_RETRIES=4

# 1. Parallel downloads through every recoverable fault.
"$CORPUSD" crawl fetch "$B/ok/blob.bin" "$B/drop/blob.bin" "$B/503/blob.bin" "$B/429/blob.bin" \
  "$B/stall/blob.bin" "$B/droprange/blob.bin" -o "$T/out" --parallel 4 --per-host 4 >"$T/log" 2>&1 \
  || { cat "$T/log"; fail "crawl fetch with recoverable faults exit $?"; }
[ "$(grep -c '^ok' "$T/log")" -eq 6 ] || { cat "$T/log"; fail "not every download succeeded"; }
# Same base name: the later URLs are saved as <i>-blob.bin.
for f in blob.bin 1-blob.bin 2-blob.bin 3-blob.bin 4-blob.bin 5-blob.bin; do
  cmp -s "$T/out/$f" "$T/root/blob.bin" || fail "$f: downloaded bytes differ"
done
[ "$(ls "$T/out" | wc -l)" -eq 6 ] || fail "stray files in the output: $(ls "$T/out")"
echo "ok recoverable faults: drop, 503, 429, stall, droprange"

# 2. A body that always ends short: a clear failure, no file left.
if "$CORPUSD" crawl fetch "$B/short/blob.bin" -o "$T/short" >"$T/log" 2>&1; then fail "short body succeeded"; fi
grep -q "failed after 5 attempts" "$T/log" || { cat "$T/log"; fail "short body: no clear error"; }
[ ! -e "$T/short/blob.bin" ] || fail "short body left a file under its final name"
if "$CORPUSD" crawl fetch "$B/ok/missing.bin" -o "$T/missing" >"$T/log" 2>&1; then fail "404 succeeded"; fi
grep -q "HTTP 404" "$T/log" || { cat "$T/log"; fail "404: no clear error"; }
echo "ok unrecoverable faults fail clearly"

# 3. Per-host concurrency limit.
urls=""; for k in 1 2 3 4 5 6; do cp "$T/root/s.warc.gz" "$T/root/c$k.gz"; urls="$urls $B/slow/c$k.gz"; done
# shellcheck disable=SC2086
"$CORPUSD" crawl fetch $urls -o "$T/conc" --parallel 6 --per-host 2 >"$T/log" 2>&1 || { cat "$T/log"; fail "concurrency fetch"; }
"$PYTHON" - "$B/stats" <<'PY' || exit 1
import json, sys, urllib.request
s = json.load(urllib.request.urlopen(sys.argv[1]))
if s["max_active"] > 2 or s["counts"].get("/slow/c1.gz") != 1:
    sys.exit(f"FAIL per-host limit: {s['max_active']} concurrent requests")
print(f"ok per-host limit: at most {s['max_active']} at once")
PY

# 4. Streaming into the reader through faults, and Range reads.
"$CORPUSD" warc cat "$T/root/s.warc.gz" --jsonl >"$T/local.jsonl" || fail "local warc cat"
for m in ok drop 503; do
  "$CORPUSD" warc cat "$B/$m/s.warc.gz" --jsonl >"$T/$m.jsonl" 2>"$T/err" || { cat "$T/err"; fail "warc cat over $m: exit"; }
  cmp -s "$T/$m.jsonl" "$T/local.jsonl" || fail "warc cat over $m: records differ"
done
# A bigger file in 64 KiB segments, 4 in flight: faults hit one segment.
for k in $(seq 40); do cat data/sample/cc-sample.warc.gz; done >"$T/root/big.warc.gz"
"$CORPUSD" warc cat "$T/root/big.warc.gz" --jsonl >"$T/big.jsonl" || fail "local big"
for m in ok drop 503 stall droprange; do
  CORPUSD_FETCH_SEGMENT=64k CORPUSD_FETCH_PARALLEL=4 "$CORPUSD" warc cat "$B/$m/big.warc.gz" --jsonl >"$T/big-$m.jsonl" 2>"$T/err" \
    || { cat "$T/err"; fail "segmented warc cat over $m: exit"; }
  cmp -s "$T/big-$m.jsonl" "$T/big.jsonl" || fail "segmented warc cat over $m: records differ"
done
"$PYTHON" - "$B/stats" <<'PY' || exit 1
import json, sys, urllib.request
c = json.load(urllib.request.urlopen(sys.argv[1]))["counts"]
if c.get("/ok/big.warc.gz", 0) < 10: sys.exit(f"FAIL: expected >= 10 segment requests, got {c.get('/ok/big.warc.gz')}")
print("ok segmented streaming:", c.get("/ok/big.warc.gz"), "requests for one file")
PY
if CORPUSD_FETCH_SEGMENT=64k "$CORPUSD" warc cat "$B/short/big.warc.gz" --jsonl >/dev/null 2>"$T/err"; then fail "segmented short body succeeded"; fi
grep -q "failed after" "$T/err" || { cat "$T/err"; fail "segmented short: no clear error"; }
if "$CORPUSD" warc cat "$B/short/s.warc.gz" --jsonl >"$T/short.jsonl" 2>"$T/err"; then fail "warc cat over a short body succeeded"; fi
grep -q "failed after" "$T/err" || { cat "$T/err"; fail "warc cat short: no clear error"; }
off=$(sed -n 5p "$T/local.jsonl" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["offset"])')
nxt=$(sed -n 6p "$T/local.jsonl" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["offset"])')
"$CORPUSD" warc cat "$B/ok/s.warc.gz" --offset "$off" --length $((nxt - off)) --jsonl >"$T/one.jsonl" || fail "range read"
sed -n 5p "$T/local.jsonl" | cmp -s - "$T/one.jsonl" || fail "range read gave a different record"
echo "ok streaming and Range"
echo PASS

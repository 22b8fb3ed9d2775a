#!/bin/sh
# warcio_test.sh: WARC files written by an independent writer, the npm
# `warcio` package, read back record for record: the same types, URIs,
# record ids, offsets, Content-Lengths and payload bytes (SHA-256 computed by
# node from what it wrote). Per-record gzip (CommonCrawl's layout), no
# compression, and whole-file gzip; then random access by offset+length, and
# the `warc` reader's documents.
set -u
cd "$(dirname "$0")/../.." || exit 2
CORPUSD=${CORPUSD:-bin/corpusd}
PYTHON=${PYTHON:-python3}
HERE=tests/crawl
if ! command -v node >/dev/null 2>&1; then echo "SKIP: node is not installed (apt-get install nodejs npm)"; exit 77; fi
# Installed under build/ (ignored, and not globbed for C sources like tests/).
export WARCIO_MODULES="$(pwd)/build/npm-warcio"
if [ ! -f "$WARCIO_MODULES/node_modules/warcio/package.json" ]; then
  mkdir -p "$WARCIO_MODULES"
  (cd "$WARCIO_MODULES" && timeout 120 npm install --no-save --no-package-lock --no-audit --no-fund --silent warcio@2.4.11) >/dev/null 2>&1
  if [ ! -f "$WARCIO_MODULES/node_modules/warcio/package.json" ]; then
    echo "!!!!!! SKIP: could not install npm warcio (registry unreachable?): the independent-writer test did not run"
    exit 77
  fi
fi
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

node "$HERE/warcio_write.mjs" "$T/w.warc.gz" "$T/w.exp.jsonl" || fail "warcio writer failed"
node "$HERE/warcio_write.mjs" "$T/p.warc" "$T/p.exp.jsonl" plain || fail "warcio writer (plain) failed"
gzip -c "$T/p.warc" >"$T/whole.warc.gz"

compare() { # got expected what
  "$PYTHON" - "$1" "$2" "$3" <<'PY' || exit 1
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
exp = [json.loads(l) for l in open(sys.argv[2])]
what = sys.argv[3]
if len(got) != len(exp):
    sys.exit(f"FAIL {what}: {len(got)} records, expected {len(exp)}")
for i, (g, e) in enumerate(zip(got, exp)):
    for k in ("type", "uri", "record_id", "offset", "length", "payload_sha256"):
        if g.get(k) != e.get(k):
            sys.exit(f"FAIL {what}: record {i} {k}: got {g.get(k)!r}, expected {e.get(k)!r}")
print(f"ok {what}: {len(got)} records")
PY
}
"$CORPUSD" warc cat "$T/w.warc.gz" --jsonl >"$T/w.got" || fail "warc cat (per-record gzip) exit $?"
compare "$T/w.got" "$T/w.exp.jsonl" "per-record gzip"
"$CORPUSD" warc cat "$T/p.warc" --jsonl >"$T/p.got" || fail "warc cat (plain) exit $?"
compare "$T/p.got" "$T/p.exp.jsonl" "uncompressed"
# Whole-file gzip: offsets are positions in the uncompressed stream, which
# are the plain file's offsets.
"$CORPUSD" warc cat "$T/whole.warc.gz" --jsonl >"$T/whole.got" || fail "warc cat (whole-file gzip) exit $?"
compare "$T/whole.got" "$T/p.exp.jsonl" "whole-file gzip"

# Random access: each record alone from its offset and compressed length.
"$PYTHON" - "$T/w.exp.jsonl" "$T/w.warc.gz" >"$T/ranges" <<'PY'
import json, os, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
size = os.path.getsize(sys.argv[2])
for i in range(0, len(recs), 12):
    end = recs[i + 1]["offset"] if i + 1 < len(recs) else size
    print(recs[i]["offset"], end - recs[i]["offset"], i)
PY
while read -r off len idx; do
  "$CORPUSD" warc cat "$T/w.warc.gz" --offset "$off" --length "$len" --jsonl >"$T/one" || fail "warc cat --offset $off exit $?"
  [ "$(wc -l <"$T/one")" -eq 1 ] || fail "offset $off: $(wc -l <"$T/one") records, expected 1"
  sed -n "$((idx + 1))p" "$T/w.exp.jsonl" >"$T/one.exp"
  compare "$T/one" "$T/one.exp" "record at offset $off" >/dev/null
done <"$T/ranges"
echo "ok random access"

# The warc reader: one document per HTML response plus the WET record.
"$CORPUSD" warc docs "$T/w.warc.gz" -o "$T/docs.jsonl" 2>"$T/docs.err" || { cat "$T/docs.err"; fail "warc docs exit"; }
"$PYTHON" - "$T/docs.jsonl" "$T/w.exp.jsonl" <<'PY' || exit 1
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
exp = [json.loads(l) for l in open(sys.argv[2])]
want = [e for e in exp if e["type"] in ("response", "conversion")]
if len(docs) != len(want):
    sys.exit(f"FAIL docs: {len(docs)}, expected {len(want)}")
for d, e in zip(docs, want):
    if d["id"] != f"local/w.warc.gz/{e['offset']}": sys.exit(f"FAIL doc id {d['id']}")
    m = d["metadata"]
    if m["url"] != e["uri"] or m["warc_record_id"] != e["record_id"]: sys.exit(f"FAIL doc metadata {m}")
    if d.get("source") != "cc": sys.exit("FAIL source")
    if e["type"] == "response":
        if m["http_status"] != 200 or m["charset"] != "utf-8" or not d["text"].startswith("<!doctype html>"):
            sys.exit(f"FAIL response doc {d['id']}: {m}")
    else:
        if m["warc_identified_content_language"] != "eng,deu" or not m["warc_refers_to"].startswith("<urn:uuid:1111"):
            sys.exit(f"FAIL WET metadata {m}")
        if "ünïcödé" not in d["text"]: sys.exit("FAIL WET text")
print(f"ok warc reader: {len(docs)} documents")
PY
echo "PASS"

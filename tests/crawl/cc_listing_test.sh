#!/bin/sh
# cc_listing_test.sh: a local server laid out like CommonCrawl
# (collinfo.json, crawl-data/ID/wet.paths.gz, a WET file written here by
# Python, one gzip member per record as CommonCrawl does). `crawl list` and
# `crawl paths` resolve it, and a pipeline reading the resolved URL yields
# the expected documents: ids <snapshot>/<file>/<member offset>, the WET
# text, url, language and refers-to metadata.
set -u
cd "$(dirname "$0")/../.." || exit 2
CORPUSD=${CORPUSD:-bin/corpusd}
PYTHON=${PYTHON:-python3}
T=$(mktemp -d)
SRV=""
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

SNAP=CC-MAIN-2025-26
WET=crawl-data/$SNAP/segments/1749709481111.4/wet/CC-MAIN-20250612000000-20250612030000-00000.warc.wet.gz
mkdir -p "$T/root/crawl-data/$SNAP/segments/1749709481111.4/wet"
"$PYTHON" - "$T/root" "$SNAP" "$WET" "$T/expected.json" <<'PY'
import gzip, json, sys, uuid
root, snap, wet, exp_path = sys.argv[1:]
json.dump([{"id": snap, "name": "June 2025 Index", "timegate": "x", "cdx-api": "x", "from": "2025-06-12", "to": "2025-06-25"},
           {"id": "CC-MAIN-2025-21", "name": "May 2025 Index"}], open(f"{root}/collinfo.json", "w"))
with gzip.open(f"{root}/crawl-data/{snap}/wet.paths.gz", "wt") as f:
    f.write(wet + "\n")
pages = [
    ("https://example.com/a", "eng", "An English page about bread.\nIt has two lines."),
    ("https://example.de/b", "deu,eng", "Eine deutsche Seite über Brötchen."),
    ("https://example.fr/c", "fra", "Une page française sur le café."),
]
out = open(f"{root}/{wet}", "wb")
def rec(headers, body):
    h = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + f"Content-Length: {len(body)}\r\n\r\n"
    return gzip.compress(h.encode() + body + b"\r\n\r\n", mtime=0)
info = b"Software-Info: python\r\nExtracted-Date: Thu, 12 Jun 2025\r\n"
out.write(rec([("WARC-Type", "warcinfo"), ("WARC-Date", "2025-06-12T00:00:00Z"), ("WARC-Filename", wet.split("/")[-1]),
               ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"), ("Content-Type", "application/warc-fields")], info))
exp = []
for url, lang, text in pages:
    off = out.tell()
    rid = f"<urn:uuid:{uuid.uuid4()}>"
    ref = f"<urn:uuid:{uuid.uuid4()}>"
    out.write(rec([("WARC-Type", "conversion"), ("WARC-Target-URI", url), ("WARC-Date", "2025-06-12T01:02:03Z"),
                   ("WARC-Record-ID", rid), ("WARC-Refers-To", ref), ("WARC-Block-Digest", "sha1:X"),
                   ("WARC-Identified-Content-Language", lang), ("Content-Type", "text/plain")], text.encode()))
    exp.append({"id": f"{snap}/{wet.split('/')[-1]}/{off}", "text": text, "url": url, "lang": lang, "rid": rid, "ref": ref})
out.close()
json.dump(exp, open(exp_path, "w"))
PY
"$PYTHON" tests/crawl/faultserver.py "$T/root" "$T/port" 60 &
SRV=$!
i=0; while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
BASE="http://127.0.0.1:$(cat "$T/port")/ok"

"$CORPUSD" crawl list --base "$BASE" >"$T/list" || fail "crawl list exit"
grep -q "^$SNAP	June 2025 Index$" "$T/list" || { cat "$T/list"; fail "crawl list"; }
[ "$(wc -l <"$T/list")" -eq 2 ] || fail "crawl list: expected 2 snapshots"
"$CORPUSD" crawl paths "$SNAP" --type wet --base "$BASE" >"$T/paths" || fail "crawl paths exit"
[ "$(cat "$T/paths")" = "$BASE/$WET" ] || { cat "$T/paths"; fail "crawl paths"; }
if "$CORPUSD" crawl paths CC-MAIN-2025-99 --type wet --base "$BASE" >/dev/null 2>"$T/err"; then fail "missing snapshot succeeded"; fi
grep -q "HTTP 404" "$T/err" || fail "missing snapshot: no clear error"

# A pipeline over the resolved URL (the reader is chosen by suffix).
cat >"$T/p.yaml" <<YAML
seed: 1
run_dir: $T/run
inputs:
  - $(cat "$T/paths")
output:
  format: jsonl
  compression: none
YAML
"$CORPUSD" run "$T/p.yaml" --threads 1 --quiet || fail "pipeline over the WET URL"
OUT=$(find "$T/run" -name '*.jsonl' | head -1)
[ -n "$OUT" ] || fail "no pipeline output"
"$PYTHON" - "$OUT" "$T/expected.json" <<'PY' || exit 1
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
exp = json.load(open(sys.argv[2]))
if len(docs) != len(exp): sys.exit(f"FAIL: {len(docs)} documents, expected {len(exp)}")
for d, e in zip(docs, exp):
    m = d["metadata"]
    checks = [(d["id"], e["id"]), (d["text"], e["text"]), (m["url"], e["url"]),
              (m["warc_identified_content_language"], e["lang"]), (m["warc_record_id"], e["rid"]),
              (m["warc_refers_to"], e["ref"]), (m["snapshot"], "CC-MAIN-2025-26"), (d["source"], "cc")]
    for got, want in checks:
        if got != want: sys.exit(f"FAIL: {got!r} != {want!r}")
print(f"ok {len(docs)} WET documents")
PY
echo PASS

#!/bin/sh
# corpusd's JSONL loads, with a different JSON implementation (Python's json),
# as datatrove's and Dolma's readers load it: one object per line with id
# (str), text (str) and metadata (object); text with NULs, surrogate escapes,
# invalid UTF-8 and non-ASCII round-trips; unknown top-level fields survive.
. "$(dirname "$0")/common.sh"
$PYTHON - "$TESTDIR/in.jsonl" <<'PY'
import json, sys
docs = [
  {"id": "a/1", "text": "plain", "metadata": {"url": "http://x", "language": "en"}},
  {"id": "a/2", "text": "nul\u0000inside \u00e9\u4e2d\ud83d\ude00", "metadata": {}},
  {"id": "a/3", "text": "tab\tnew\nline \"q\" \\ back", "added": "2024-01-01", "source": "cc",
   "metadata": {"nested": {"x": [1, 2.5, None, True]}, "big": 12345678901234567890}},
]
with open(sys.argv[1], "wb") as f:
    for d in docs:
        f.write(json.dumps(d).encode() + b"\n")
    # invalid UTF-8 raw bytes and a lone surrogate escape
    f.write(b'{"id":"a/4","text":"bad\xff\xfe bytes \\ud800 lone","metadata":{}}\n')
    f.write(b'{"id":"a/5","text":"broken json"\n')
PY
"$CORPUSD" select "$TESTDIR/in.jsonl" -o "$TESTDIR/out.jsonl.zst" --expr 'len(text) >= 0' 2> "$TESTDIR/err"
grep -q "in.jsonl:5: skipped malformed record" "$TESTDIR/err" || { cat "$TESTDIR/err"; fail "malformed line not reported with file:line"; }
zstd -dc "$TESTDIR/out.jsonl.zst" > "$TESTDIR/out.jsonl"
$PYTHON - "$TESTDIR/out.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1], "rb").read().splitlines()
docs = [json.loads(l) for l in lines]           # strict: must be valid JSON and UTF-8
assert len(docs) == 4, (len(docs), lines)
for d in docs:
    assert isinstance(d["id"], str) and isinstance(d["text"], str) and isinstance(d["metadata"], dict)
assert docs[0]["metadata"] == {"url": "http://x", "language": "en"}
assert docs[1]["text"] == "nul\u0000inside \u00e9\u4e2d\U0001F600", repr(docs[1]["text"])
assert docs[2]["text"] == "tab\tnew\nline \"q\" \\ back"
assert docs[2]["added"] == "2024-01-01" and docs[2]["source"] == "cc"
assert docs[2]["metadata"]["big"] == 12345678901234567890
assert docs[2]["metadata"]["nested"] == {"x": [1, 2.5, None, True]}
assert docs[3]["text"] == "bad\ufffd\ufffd bytes \ufffd lone", repr(docs[3]["text"])
# Dolma-style attribute: a reader keyed on id/text/metadata only sees those
print("ok", len(docs))
PY

#!/bin/sh
# filter_test.sh: `corpusd filter --config configs/fineweb.yaml` and
# `corpusd langid` end to end. Outputs are read back with Python's json
# module (an independent parser); a copy of the preset with one threshold
# changed must change the decision.
set -u
: "${CORPUSD:=bin/corpusd}"
: "${PYTHON:=python3}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

$PYTHON - "$T/in.jsonl" <<'PY'
import json, sys
good = ("The committee met on Monday to discuss the new budget for the city schools. " 
        "Members agreed that the old buildings need repairs before the winter, and they asked the mayor to act. "
        "Parents have complained for years about the heating, which fails when the weather turns cold. "
        "The plan also includes money for new books and for training the teachers who work with young children. "
        "A final vote is expected next month, after a public meeting where residents can share their views. "
        "Contact the office at clerk@city-example.org or visit the server at 93.184.216.34 for the agenda, "
        "not the internal host 192.168.0.10.")
docs = [
    {"id": "good", "text": good, "metadata": {"url": "https://news.example.org/budget"}},
    {"id": "short", "text": "Too short to keep.", "metadata": {"url": "https://news.example.org/x"}},
    {"id": "french", "text": "Le comité s'est réuni lundi pour discuter du nouveau budget des écoles de la ville. " * 6,
     "metadata": {"url": "https://news.example.fr/budget"}},
    {"id": "blocked", "text": good, "metadata": {"url": "https://www.blocked-site.example/page"}},
]
with open(sys.argv[1], "w") as f:
    for d in docs: f.write(json.dumps(d) + "\n")
PY
echo "blocked-site.example" > "$T/domains.txt"
sed "s|domains_file: \"\" .*|domains_file: \"$T/domains.txt\"|" configs/fineweb.yaml > "$T/fw.yaml"
grep -q "$T/domains.txt" "$T/fw.yaml" || fail "could not point the preset at the domain list"
zstd -q "$T/in.jsonl" -o "$T/in.jsonl.zst"
"$CORPUSD" filter "$T/in.jsonl.zst" -o "$T/out.jsonl.zst" --rejects "$T/rej.jsonl.zst" --config "$T/fw.yaml" \
  2> "$T/stats" || { cat "$T/stats"; fail "corpusd filter failed"; }
$PYTHON - "$T" <<'PY' || exit 1
import json, subprocess, sys
T = sys.argv[1]
read = lambda p: [json.loads(l) for l in subprocess.run(["zstd", "-dc", p], capture_output=True, text=True).stdout.splitlines()]
out, rej = read(f"{T}/out.jsonl.zst"), read(f"{T}/rej.jsonl.zst")
assert [d["id"] for d in out] == ["good"], out
m = out[0]["metadata"]
assert m["language"] == "en" and m["language_score"] > 0.65, m
assert "|||EMAIL_ADDRESS|||" in out[0]["text"] and "|||IP_ADDRESS|||" in out[0]["text"], out[0]["text"]
assert "192.168.0.10" in out[0]["text"], "private address must stay"
assert m["pii_email"] == 1 and m["pii_ip"] == 1, m
reasons = {d["id"]: d["metadata"]["drop_reason"] for d in rej}
# FineWeb runs Gopher repetition first: a 4-word text fails its top 2-gram rule (2 words of 4)
assert reasons == {"short": "top_2_gram", "french": "langid_language", "blocked": "url_subdomain"}, reasons
assert all("filter_value" in d["metadata"] for d in rej), rej
print("filter preset ok")
PY
# Raising min_doc_words in the YAML drops the good document too.
sed 's/min_doc_words: 50 /min_doc_words: 500 /' "$T/fw.yaml" > "$T/fw2.yaml"
"$CORPUSD" filter "$T/in.jsonl.zst" -o "$T/out2.jsonl" --config "$T/fw2.yaml" 2>/dev/null || fail "filter 2"
[ "$(wc -l < "$T/out2.jsonl")" -eq 0 ] || fail "min_doc_words: 500 should drop every document"
# langid: one line per document, LANG<TAB>SCORE
printf 'The weather is nice today and we will go for a long walk in the park.\nHeute ist das Wetter schön und wir gehen im Park spazieren.\n' \
  | "$CORPUSD" langid > "$T/lid" || fail "langid"
[ "$(cut -f1 "$T/lid" | tr '\n' ' ')" = "en de " ] || { cat "$T/lid"; fail "langid codes"; }
awk -F'\t' '$2 < 0 || $2 > 1 { exit 1 }' "$T/lid" || fail "langid score range"
# each stage also runs alone on files, with --PARAM flags
printf '{"id":"a","text":"mail a.b@example.org from 8.8.8.8 or 10.1.2.3"}\n' > "$T/p.jsonl"
"$CORPUSD" pii "$T/p.jsonl" -o "$T/p.out" --ips false 2>/dev/null || fail "corpusd pii"
grep -q '"text":"mail |||EMAIL_ADDRESS||| from 8.8.8.8 or 10.1.2.3"' "$T/p.out" || { cat "$T/p.out"; fail "pii --ips false"; }
# a bad preset is a usage error naming file and line
printf 'stages:\n  - fineweb: {line_punct_thresh: 0.1}\n' > "$T/bad.yaml"
"$CORPUSD" filter "$T/in.jsonl.zst" -o "$T/x.jsonl" --config "$T/bad.yaml" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "bad.yaml:2" "$T/err" || { cat "$T/err"; fail "bad config: rc $rc"; }
echo "ok"

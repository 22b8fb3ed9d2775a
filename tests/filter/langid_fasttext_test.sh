#!/bin/sh
# langid_fasttext_test.sh: the fastText backend of `corpusd langid` and of the
# langid stage against Debian's `fasttext` command-line tool as the reference.
# No lid.176/GlotLID model can be downloaded here, so two small supervised
# models are trained on Debian Reference in 8 languages (apt:
# debian-reference-*; bench/filter/prep.py builds the labelled documents):
# one with lid.176-style labels (__label__en), one with GlotLID-style labels
# (__label__eng_Latn). On held-out documents and 200-character snippets,
# corpusd's LANG and SCORE must be `fasttext predict-prob MODEL - 1`'s label
# (mapped to ISO 639-1 by the table written below from ISO 639-1/-3) and
# probability, to 6 decimals (both print 6); the stage must see newlines as spaces, as
# datatrove does, and keep/drop by the configured languages and threshold.
set -u
: "${CORPUSD:=bin/corpusd}"
: "${PYTHON:=python3}"
command -v fasttext >/dev/null || { echo "skip: the fasttext CLI (Debian fasttext) is not installed"; exit 77; }
ls /usr/share/debian-reference/*.de.html >/dev/null 2>&1 ||
  { echo "skip: needs debian-reference-{en,de,es,fr,it,ja,pt,zh-cn} (apt)"; exit 77; }
T=$(mktemp -d)
[ -n "${KEEP_TMP:-}" ] || trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
$PYTHON bench/filter/prep.py "$T" 120 1 || fail "prep.py"
$PYTHON - "$T" <<'PY' || exit 1
import collections, json, sys
T = sys.argv[1]
GLOT = {"en": "eng_Latn", "de": "deu_Latn", "es": "spa_Latn", "fr": "fra_Latn", "it": "ita_Latn",
        "ja": "jpn_Jpan", "pt": "por_Latn", "zh": "cmn_Hani"}
rows = [l.rstrip("\n").split("\t", 1) for l in open(f"{T}/langid_docs.tsv", encoding="utf-8")]
seen = collections.Counter()
train, test = [], []
for lang, text in rows:
    seen[lang] += 1
    (train if seen[lang] <= 80 else test).append((lang, text))
assert len(set(l for l, _ in test)) >= 6, "too few languages held out"
with open(f"{T}/train176.txt", "w", encoding="utf-8") as a, open(f"{T}/trainglot.txt", "w", encoding="utf-8") as b:
    for lang, text in train:
        a.write(f"__label__{lang} {text}\n"); b.write(f"__label__{GLOT[lang]} {text}\n")
# held-out lines: documents, their 200-character snippets, an empty line
lines = [t for _, t in test] + [t[:200] for _, t in test] + [""]
with open(f"{T}/test.txt", "w", encoding="utf-8") as f:
    for t in lines: f.write(t + "\n")
# the same held-out documents as JSONL, paragraphs joined with newlines
with open(f"{T}/in.jsonl", "w", encoding="utf-8") as f:
    for i, (lang, t) in enumerate(test):
        words = t.split(" ")
        text = "\n".join(" ".join(words[j:j + 12]) for j in range(0, len(words), 12))
        f.write(json.dumps({"id": f"d{i}", "text": text}, ensure_ascii=False) + "\n")
print(f"train {len(train)} docs, held out {len(test)} docs", file=sys.stderr)
PY
for m in 176 glot; do
  fasttext supervised -input "$T/train$m.txt" -output "$T/m$m" -epoch 20 -lr 1.0 -dim 16 -minn 1 -maxn 3 -bucket 100000 \
    -thread 1 -seed 1 -verbose 0 || fail "fasttext training"
  # the CLI reads one document per line; an empty line predicts nothing
  fasttext predict-prob "$T/m$m.bin" "$T/test.txt" 1 > "$T/ref$m.txt" || fail "fasttext predict-prob"
  "$CORPUSD" langid --model "$T/m$m.bin" "$T/test.txt" > "$T/out$m.txt" 2> "$T/err" || {
    grep -q "built without fastText" "$T/err" && { echo "skip: corpusd built without libfasttext-dev"; exit 77; }
    cat "$T/err"; fail "corpusd langid --model rc"; }
  printf 'stages:\n  - langid: {backend: fasttext, model: "%s", languages: [de, ja], threshold: 0.6}\n' "$T/m$m.bin" > "$T/s$m.yaml"
  "$CORPUSD" filter "$T/in.jsonl" -o "$T/kept$m.jsonl" --rejects "$T/rej$m.jsonl" --config "$T/s$m.yaml" 2> "$T/err" ||
    { cat "$T/err"; fail "corpusd filter with the fasttext backend"; }
done
$PYTHON - "$T" <<'PY' || exit 1
import json, sys
T = sys.argv[1]
# ISO 639-3 -> 639-1 for the test's languages (ISO 639-2/3 code tables)
ISO1 = {"eng": "en", "deu": "de", "spa": "es", "fra": "fr", "ita": "it", "jpn": "ja", "por": "pt", "cmn": "zh"}
def ref_label(lab, kind):
    lab = lab[len("__label__"):]
    return ISO1[lab.split("_")[0]] if kind == "glot" else lab
lines = [l.rstrip("\n") for l in open(f"{T}/test.txt", encoding="utf-8")]
for kind in ("176", "glot"):
    ref = [l.split() for l in open(f"{T}/ref{kind}.txt")]
    out = [l.rstrip("\n").split("\t") for l in open(f"{T}/out{kind}.txt")]
    assert len(out) == len(lines), (kind, len(out), len(lines))
    # fasttext predict-prob prints nothing for the empty last line
    assert len(ref) >= len(lines) - 1, (kind, len(ref))
    worst = 0.0
    for i, (r, o) in enumerate(zip(ref, out)):
        assert o[0] == ref_label(r[0], kind), (kind, i, o, r)
        p = min(float(r[1]), 1.0)
        worst = max(worst, abs(float(o[1]) - p))
        assert abs(float(o[1]) - p) <= 2.1e-6, (kind, i, o, r)
    # the empty line: un 0 unless fastText predicted it (then compared above)
    if len(ref) == len(lines) - 1:
        assert out[-1] == ["un", "0.000000"], out[-1]
    # the stage: same label and probability on the newline-joined documents
    ndocs = (len(lines) - 1) // 2
    ref_docs = {f"d{i}": (ref_label(ref[i][0], kind), min(float(ref[i][1]), 1.0)) for i in range(ndocs)}
    kept = [json.loads(l) for l in open(f"{T}/kept{kind}.jsonl", encoding="utf-8")]
    rej = [json.loads(l) for l in open(f"{T}/rej{kind}.jsonl", encoding="utf-8")]
    assert len(kept) + len(rej) == ndocs
    nkept = 0
    for d in kept + rej:
        m = d["metadata"]; lang, p = ref_docs[d["id"]]
        assert m["language"] == lang and abs(m["language_score"] - p) <= 2.1e-6, (kind, d["id"], m, lang, p)
        assert (m.get("language_script") == {"en": "Latn", "de": "Latn", "es": "Latn", "fr": "Latn", "it": "Latn",
                "pt": "Latn", "ja": "Jpan", "zh": "Hani"}[lang]) if kind == "glot" else "language_script" not in m, m
        should_keep = lang in ("de", "ja") and p > 0.6
        if d in kept:
            nkept += 1
        assert (d in kept) == should_keep, (kind, d["id"], m)
        if not should_keep:
            assert m["drop_reason"] == ("langid_language" if lang not in ("de", "ja") else "langid_score"), m
    assert nkept > 0
    print(f"fastText {kind}: {len(lines)} lines agree with fasttext predict-prob (max |dp| {worst:.2g}); "
          f"stage kept {nkept}/{ndocs}")
PY
# configuration errors
printf 'stages:\n  - langid: {backend: fasttext}\n' > "$T/bad.yaml"
"$CORPUSD" filter "$T/in.jsonl" -o "$T/x.jsonl" --config "$T/bad.yaml" 2> "$T/err" && fail "fasttext without a model accepted"
grep -q "model" "$T/err" || { cat "$T/err"; fail "error does not name the model"; }
printf 'stages:\n  - langid: {backend: fasttext, model: "%s"}\n' "$T/nope.bin" > "$T/bad.yaml"
"$CORPUSD" filter "$T/in.jsonl" -o "$T/x.jsonl" --config "$T/bad.yaml" 2> "$T/err" && fail "missing model accepted"
"$CORPUSD" langid --model "$T/nope.bin" < /dev/null 2> "$T/err" && fail "langid with a missing model accepted"
echo ok

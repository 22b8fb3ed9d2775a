#!/bin/sh
# reference_test.sh: differential test of corpusd's NeMo Curator cascade and
# of the datatrove FineWeb / Gopher-repetition line and paragraph rules
# against Python transcriptions of their reference definitions (NeMo Curator
# nemo_curator/stages/text/filters/heuristic_filter.py + utils/constants.py;
# datatrove fineweb_quality_filter.py and gopher_repetition_filter.py),
# on real prose: the license texts every Debian system ships in
# /usr/share/common-licenses, cut into documents of 3..40 lines, plus
# variants with repeated lines, digits, URLs and bullets.
# Rules that depend on NLTK tokenization or punkt (Gopher quality, C4, the
# datatrove n-gram rules, FineWeb's list ratio) are not compared here.
set -u
: "${CORPUSD:=bin/corpusd}"
: "${PYTHON:=python3}"
ls /usr/share/common-licenses/GPL-3 >/dev/null 2>&1 || { echo "skip: /usr/share/common-licenses missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
$PYTHON - "$T" <<'PY'
import json, random, sys, glob
T = sys.argv[1]
rnd = random.Random(11)
docs = []
for path in sorted(glob.glob("/usr/share/common-licenses/*")):
    try:
        lines = open(path, encoding="utf-8").read().split("\n")
    except (UnicodeDecodeError, IsADirectoryError):
        continue
    i = 0
    while i < len(lines):
        n = rnd.randint(3, 40)
        chunk = lines[i:i + n]; i += n
        text = "\n".join(chunk)
        if not text.strip():
            continue
        docs.append(text)
        r = rnd.random()
        if r < 0.15:
            docs.append(text + ("\n" + chunk[0]) * rnd.randint(1, 6))
        elif r < 0.25:
            docs.append(text + " " + " ".join(str(rnd.randint(0, 99999)) for _ in range(rnd.randint(5, 60))))
        elif r < 0.35:
            docs.append(text + "\nSee https://www.gnu.org/licenses/ and http://example.com/a_b-c?d=1&e=%41 ." * rnd.randint(1, 4))
        elif r < 0.45:
            docs.append("\n".join("\u2022 " + l for l in chunk))
        elif r < 0.5:
            docs.append(text + "\n\n" + text + "\n\nread more")
with open(f"{T}/in.jsonl", "w") as f:
    for k, d in enumerate(docs):
        f.write(json.dumps({"id": f"d{k}", "text": d}) + "\n")
print(len(docs), "documents", file=sys.stderr)
PY
printf 'stages:\n  - nemo_heuristics: {}\n' > "$T/nemo.yaml"
printf 'stages:\n  - fineweb: {new_line_ratio: 1.0e9}\n' > "$T/fw.yaml"
printf 'stages:\n  - gopher_repetition: {top_2_gram_frac: 0, top_3_gram_frac: 0, top_4_gram_frac: 0, dup_5_gram_frac: 0, dup_6_gram_frac: 0, dup_7_gram_frac: 0, dup_8_gram_frac: 0, dup_9_gram_frac: 0, dup_10_gram_frac: 0}\n' > "$T/gr.yaml"
for c in nemo fw gr; do
  "$CORPUSD" filter "$T/in.jsonl" -o "$T/$c.out" --rejects "$T/$c.rej" --config "$T/$c.yaml" 2>"$T/err" \
    || { cat "$T/err"; echo "FAIL: corpusd filter ($c)"; exit 1; }
done
FILTER_TESTS="$(cd "$(dirname "$0")" && pwd)" $PYTHON - "$T" <<'PY'
import json, os, sys
T = sys.argv[1]
docs = [json.loads(l) for l in open(f"{T}/in.jsonl")]

def got(name):
    r = {d["id"]: (d["metadata"]["drop_reason"], d["metadata"].get("filter_value")) for d in map(json.loads, open(f"{T}/{name}.rej"))}
    return r

sys.path.insert(0, os.environ['FILTER_TESTS'])
from reference import nemo, fineweb, gopher_rep

bad = 0
for name, fn in (("nemo", nemo), ("fw", fineweb), ("gr", gopher_rep)):
    g = got(name)
    mism = [(d["id"], fn(d["text"]), g.get(d["id"], (None,))[0]) for d in docs if fn(d["text"]) != g.get(d["id"], (None,))[0]]
    drops = sum(1 for d in docs if fn(d["text"]))
    import collections
    print(f"{name}: {len(docs)} documents, reference drops {drops}, mismatches {len(mism)}", dict(collections.Counter(fn(d["text"]) for d in docs)))
    for m in mism[:10]: print("   ", m)
    bad += len(mism)
sys.exit(1 if bad else 0)
PY

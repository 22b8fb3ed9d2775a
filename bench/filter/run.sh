#!/bin/sh
# bench/filter/run.sh: language-ID accuracy and filter throughput.
#
#  1. Accuracy: Debian Reference in 8 languages (apt: debian-reference-*),
#     per language, on documents (5 paragraphs) and on their first 200
#     characters, for corpusd (CLD2), corpusd with a fastText model (trained
#     here with Debian's fasttext CLI on other Debian Reference paragraphs than
#     the evaluated ones: no lid.176 can be downloaded on this machine) and the
#     npm peers cld3-asm and franc on the same lines (installed into
#     bench/filter/node_modules).
#  2. Throughput: `corpusd filter --config configs/fineweb.yaml` (url rules,
#     langid, Gopher repetition and quality, C4, FineWeb, PII) on the English
#     Debian Reference as JSONL.zst, one thread: docs/s per core and MB/s,
#     against NeMo Curator's CI floor for heuristic filtering (15,000 docs/s on
#     128 CPUs = 117 docs/s per CPU, a published figure: NeMo Curator is a
#     Python/pip package this machine cannot install).
# The machine is shared: timings are noisy.
set -u
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
CORPUSD=${CORPUSD:-$ROOT/bin/corpusd}
PY=${PYTHON:-/usr/bin/python3}
[ -x "$CORPUSD" ] || { echo "build first (make)"; exit 1; }
if ! ls /usr/share/debian-reference/*.en.html >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y debian-reference-en debian-reference-de debian-reference-es debian-reference-fr \
      debian-reference-it debian-reference-ja debian-reference-pt debian-reference-zh-cn debian-reference-zh-tw >/dev/null
  else
    echo "skip: needs debian-reference-{en,de,es,fr,it,ja,pt,zh-cn,zh-tw}"; exit 0
  fi
fi
B=bench/filter
if [ ! -d $B/node_modules/franc ] || [ ! -d $B/node_modules/cld3-asm ]; then
  (cd $B && npm install --no-save --no-audit --no-fund cld3-asm franc >/dev/null 2>&1) || echo "npm install failed: peers skipped"
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
$PY $B/prep.py "$T" 200 ${REPEAT:-20} || exit 1
FT=
if command -v fasttext >/dev/null; then
  fasttext supervised -input "$T/langid_train.txt" -output "$T/lid" -epoch 25 -lr 1.0 -dim 32 -minn 2 -maxn 4 \
    -bucket 200000 -thread 1 -seed 1 -verbose 0 && FT="$T/lid.bin"   # one thread: deterministic
  echo "fastText model: $(wc -l < "$T/langid_train.txt") training documents, $(du -h "$T/lid.bin" | cut -f1)"
else
  echo "fasttext CLI missing (apt-get install fasttext): no fastText column"
fi

echo "== language identification (Debian Reference; per language: documents / 200-char snippets)"
for kind in docs snippets; do
  cut -f2 "$T/langid_$kind.tsv" | "$CORPUSD" langid > "$T/cld2_$kind.out"
  cut -f1 "$T/langid_$kind.tsv" | paste - "$T/cld2_$kind.out" | cut -f1,2 > "$T/cld2_$kind.pred"
  if [ -n "$FT" ]; then
    cut -f2 "$T/langid_$kind.tsv" | "$CORPUSD" langid --model "$FT" | cut -f1 > "$T/ft_$kind.pred"
  fi
  if [ -d $B/node_modules/franc ]; then
    (cd $B && node peers.mjs "$T/langid_$kind.tsv") > "$T/peers_$kind.pred" 2> "$T/peers_$kind.time" || true
  fi
done
$PY - "$T" <<'PY'
import sys, collections, os
T = sys.argv[1]
def load(kind):
    gold = [l.split("\t")[0] for l in open(f"{T}/langid_{kind}.tsv", encoding="utf-8")]
    cld2 = [l.rstrip("\n").split("\t")[1] for l in open(f"{T}/cld2_{kind}.pred")]
    ft = None
    if os.path.exists(f"{T}/ft_{kind}.pred"):
        ft = [l.strip() for l in open(f"{T}/ft_{kind}.pred")]
    cld3 = franc = None
    p = f"{T}/peers_{kind}.pred"
    if os.path.exists(p) and os.path.getsize(p):
        rows = [l.rstrip("\n").split("\t") for l in open(p) if l.strip()]
        cld3 = [r[1] for r in rows]; franc = [r[2] for r in rows]
    return gold, {"corpusd(CLD2)": cld2, "corpusd(fastText)": ft, "cld3-asm": cld3, "franc": franc}
for kind in ("docs", "snippets"):
    gold, preds = load(kind)
    langs = sorted(set(gold))
    names = [n for n, v in preds.items() if v]
    print(f"\n{kind}: n={len(gold)}")
    print(f"{'lang':6} {'n':>5} " + " ".join(f"{n:>17}" for n in names))
    tot = collections.Counter()
    for lg in langs:
        idx = [i for i, g in enumerate(gold) if g == lg]
        row = f"{lg:6} {len(idx):5d} "
        for n in names:
            ok = sum(preds[n][i] == lg for i in idx); tot[n] += ok
            row += f"{100.0 * ok / len(idx):16.1f}% "
        print(row)
    print(f"{'all':6} {len(gold):5d} " + " ".join(f"{100.0 * tot[n] / len(gold):16.1f}%" for n in names))
    tf = f"{T}/peers_{kind}.time"
    if os.path.exists(tf): print("peer time:", open(tf).read().strip())
PY
# corpusd langid speed on the same snippets (one core)
s=$(date +%s.%N); for i in 1 2 3 4 5; do cut -f2 "$T/langid_snippets.tsv"; done | "$CORPUSD" langid >/dev/null; e=$(date +%s.%N)
$PY -c "import sys; n=5*sum(1 for _ in open('$T/langid_snippets.tsv')); print(f'corpusd langid (CLD2): {n/($e-$s):.0f} snippets/s (process incl.)')"
if [ -n "$FT" ]; then
  s=$(date +%s.%N); for i in 1 2 3 4 5; do cut -f2 "$T/langid_snippets.tsv"; done | "$CORPUSD" langid --model "$FT" >/dev/null; e=$(date +%s.%N)
  $PY -c "import sys; n=5*sum(1 for _ in open('$T/langid_snippets.tsv')); print(f'corpusd langid (fastText): {n/($e-$s):.0f} snippets/s (process and model load incl.)')"
fi

echo
echo "== filter throughput (one thread)"
zstd -q -f "$T/english.jsonl" -o "$T/english.jsonl.zst"
for preset in fineweb nemotron-cc; do
  $PY - "$CORPUSD" "$T" "$preset" <<'PY' || exit 1
import sys, json, subprocess, resource, time
corpusd, T, preset = sys.argv[1:4]
n = b = 0
for l in open(f"{T}/english.jsonl", encoding="utf-8"):
    n += 1; b += len(json.loads(l)["text"].encode())
r0 = resource.getrusage(resource.RUSAGE_CHILDREN); w0 = time.time()
p = subprocess.run([corpusd, "filter", f"{T}/english.jsonl.zst", "-o", f"{T}/out.jsonl.zst", "--rejects",
                    f"{T}/rej.jsonl.zst", "--config", f"configs/{preset}.yaml"], capture_output=True, text=True)
w = time.time() - w0; r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
if p.returncode: print(p.stderr); sys.exit(1)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print(f"{preset:12} docs {n} ({b/1e6:.1f} MB text)  wall {w:.2f} s  cpu {cpu:.2f} s  "
      f"{n/cpu:.0f} docs/s/core  {b/cpu/1e6:.1f} MB/s/core  = {n/cpu/117:.0f}x NeMo Curator's 117 docs/s/CPU floor")
print("  " + "\n  ".join(p.stderr.strip().splitlines()))
PY
done

echo
echo "== NeMo cascade alone: corpusd vs its rules as plain Python (tests/filter/reference.py), same documents"
printf 'stages:\n  - nemo_heuristics: {}\n' > "$T/nemo.yaml"
$PY - "$CORPUSD" "$T" <<'PY'
import json, resource, subprocess, sys, time
sys.path.insert(0, "tests/filter")
from reference import nemo
corpusd, T = sys.argv[1:3]
docs = [json.loads(l) for l in open(f"{T}/english.jsonl", encoding="utf-8")]
nbytes = sum(len(d["text"].encode()) for d in docs)
t0 = time.process_time()
ref = [nemo(d["text"]) for d in docs]
py = time.process_time() - t0
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
p = subprocess.run([corpusd, "filter", f"{T}/english.jsonl.zst", "-o", f"{T}/n.out", "--rejects", f"{T}/n.rej",
                    "--config", f"{T}/nemo.yaml"], capture_output=True, text=True)
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
c = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
got = {json.loads(l)["id"]: json.loads(l)["metadata"]["drop_reason"] for l in open(f"{T}/n.rej")}
agree = sum(1 for d, r in zip(docs, ref) if got.get(d["id"]) == r)
n = len(docs)
print(f"{'':14}{'docs/s/core':>12}{'MB/s/core':>11}")
print(f"{'python rules':14}{n/py:12.0f}{nbytes/py/1e6:11.2f}")
print(f"{'corpusd':14}{n/c:12.0f}{nbytes/c/1e6:11.2f}   ratio {py/c:.1f}x   same decision on {agree}/{n} documents")
print("(corpusd's time includes process start, JSONL/zstd reading and writing; Python's is the rules only)")
PY

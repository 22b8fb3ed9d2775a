#!/bin/sh
# The shards: step of `corpusd run` encodes documents on several threads
# (shards: {threads: N}, 0 = the run's --threads); the shard files must be
# byte-identical at any thread count and hold every kept document once, in
# input order, decoding back to its text. The shard is over 1 MiB, so the
# writer's buffered writes flush inside it.
. "$(dirname "$0")/../core/common.sh"
T=$TESTDIR
$PYTHON tests/shards/megatron_reader.py make-tokenizer "$T/tok.json" 0
$PYTHON tests/core/gen_corpus.py "$T/in" 3 2500 >/dev/null
for n in 1 3 0; do
  R=$T/r$n
  mkdir -p "$R"
  cat > "$R/c.yaml" <<YAML
seed: 1
inputs: ["$T/in/*"]
stages:
  - select: {expr: 'metadata.quality > 0.05'}
output: {compression: none}
shards: {tokenizer: $T/tok.json, format: megatron, max_tokens: 0, threads: $n}
YAML
  "$CORPUSD" run "$R/c.yaml" --state "$R/state" --output "$R/out" --corpus "$R/corpus" --threads 2 --quiet ||
    fail "run with shards threads $n"
  want=$n; [ "$n" = 0 ] && want=2
  grep -q "($want threads)" "$R/logs/corpusd.jsonl" || fail "shards threads $n: no '($want threads)' in the log"
done
(cd "$T/r1/corpus/shards" && ls) > "$T/l1"
[ -s "$T/l1" ] || fail "no shard files"
for n in 3 0; do
  (cd "$T/r$n/corpus/shards" && ls) > "$T/l$n"
  cmp -s "$T/l1" "$T/l$n" || fail "threads $n wrote other shard files: $(cat "$T/l$n")"
  for f in $(cat "$T/l1"); do cmp -s "$T/r1/corpus/shards/$f" "$T/r$n/corpus/shards/$f" || fail "threads $n: $f differs"; done
done
# every kept document once, in input order; the ids decode to its text
$PYTHON - "$T" <<'PY' || exit 1
import glob, json, os, sys
sys.path.insert(0, "tests/shards")
import megatron_reader as mr
t = sys.argv[1]
kept = []
for p in sorted(glob.glob(f"{t}/r1/out/main/*.jsonl")):
    kept += [json.loads(l)["text"].encode() for l in open(p, encoding="utf-8") if l.strip()]
kept = [k for k in kept if k]
inv, eos = mr.decoder(f"{t}/tok.json")
bins = glob.glob(f"{t}/r1/corpus/shards/*_0.bin")
if len(bins) != 1 or os.path.getsize(bins[0]) <= 1 << 20:
    sys.exit(f"FAIL: expected one shard over 1 MiB: {[(b, os.path.getsize(b)) for b in bins]}")
got = []
for _, shard in mr.read_megatron(bins[0][:-len("_0.bin")]):
    for ids in shard:
        if ids.size == 0 or ids[-1] != eos: sys.exit("FAIL: a document does not end with EOD")
        got.append(b"".join(inv[int(i)] for i in ids[:-1]))
if len(kept) < 5000 or got != kept:
    bad = next((i for i, (a, b) in enumerate(zip(got, kept)) if a != b), min(len(got), len(kept)))
    sys.exit(f"FAIL: {len(got)} sequences vs {len(kept)} kept documents; first difference at {bad}")
print(f"{len(got)} documents in order, {os.path.getsize(bins[0])} bytes, identical at 1, 3 and 2 (the run's) threads")
PY

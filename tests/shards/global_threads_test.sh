#!/bin/sh
# The shards: step of `corpusd run` encodes documents on several threads
# (shards: {threads: N}); the shard files must be byte-identical at any
# thread count, hold every kept document once, in input order, and decode
# back to the kept documents' text.
. "$(dirname "$0")/../core/common.sh"
T=$TESTDIR
$PYTHON tests/shards/megatron_reader.py make-tokenizer "$T/tok.json" 0
$PYTHON tests/core/gen_corpus.py "$T/in" 3 1500 >/dev/null
for n in 1 3 0; do
  cat > "$T/c$n.yaml" <<YAML
seed: 1
inputs: ["$T/in/*"]
stages:
  - select: {expr: 'metadata.quality > 0.05'}
output: {compression: none}
shards: {tokenizer: $T/tok.json, format: megatron, max_tokens: 200000, threads: $n}
YAML
  "$CORPUSD" run "$T/c$n.yaml" --state "$T/s$n" --output "$T/o$n" --corpus "$T/k$n" --threads 1 --quiet ||
    fail "run with shards threads $n"
done
(cd "$T/k1/shards" && ls) > "$T/l1"
[ -s "$T/l1" ] || fail "no shard files"
for n in 3 0; do
  (cd "$T/k$n/shards" && ls) > "$T/l$n"
  cmp -s "$T/l1" "$T/l$n" || fail "threads $n wrote other shard files: $(cat "$T/l$n")"
  for f in $(cat "$T/l1"); do cmp -s "$T/k1/shards/$f" "$T/k$n/shards/$f" || fail "threads $n: $f differs"; done
done
# every kept document once; the ids decode to its text
$PYTHON - "$T" <<'PY' || exit 1
import glob, json, sys
sys.path.insert(0, "tests/shards")
import megatron_reader as mr
t = sys.argv[1]
kept = []
for p in sorted(glob.glob(f"{t}/o1/**/*.jsonl", recursive=True)):
    if "reject" not in p:
        kept += [json.loads(l)["text"].encode() for l in open(p, encoding="utf-8") if l.strip()]
inv, eos = mr.decoder(f"{t}/tok.json")
got = []
for idx in sorted(glob.glob(f"{t}/k1/shards/*_0.idx")):
    for _, shard in mr.read_megatron(idx[:-len("_0.idx")]):
        for ids in shard:
            if ids.size == 0 or ids[-1] != eos: sys.exit("FAIL: a document does not end with EOD")
            got.append(b"".join(inv[int(i)] for i in ids[:-1]))
kept = [k for k in kept if k]
if len(kept) < 1000 or sorted(got) != sorted(kept):
    sys.exit(f"FAIL: {len(got)} sequences do not decode to the {len(kept)} kept documents")
print(f"{len(got)} documents, identical shards at 1, 3 and all threads")
PY

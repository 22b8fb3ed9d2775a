#!/bin/sh
# megatron_test.sh: `corpusd tokenize` writes Megatron-LM MMIDIDX and datatrove
# shards that an independent numpy reader (megatron_reader.py) reads back to
# the input documents, with EOD after each, max_tokens respected, uint16 or
# int32 by vocabulary size; output identical at 1 and 2 threads; the window
# shuffle is a seeded permutation; detokenize returns a document; the
# manifest counts documents per source.
set -u
here=$(cd "$(dirname "$0")" && pwd)
CORPUSD=${CORPUSD:-$here/../../bin/corpusd}
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import numpy' 2>/dev/null || { echo "python3 with numpy unavailable"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
R="$PYTHON $here/megatron_reader.py"
$R make-docs "$tmp/docs.jsonl" || exit 1
fail=0
for big in 0 1; do
  $R make-tokenizer "$tmp/tok$big.json" $big || exit 1
  mkdir -p "$tmp/m$big"
  "$CORPUSD" tokenize "$tmp/docs.jsonl" --tokenizer "$tmp/tok$big.json" -o "$tmp/m$big/train" --max-tokens 5000 --threads 2 || { echo "FAIL tokenize"; exit 1; }
  $R check-megatron "$tmp/m$big/train" "$tmp/docs.jsonl" "$tmp/tok$big.json" 5000 || fail=1
done
# identical at 1 thread
mkdir -p "$tmp/t1"
"$CORPUSD" tokenize "$tmp/docs.jsonl" --tokenizer "$tmp/tok0.json" -o "$tmp/t1/train" --max-tokens 5000 --threads 1 --quiet || exit 1
for f in "$tmp"/m0/train_*; do cmp -s "$f" "$tmp/t1/$(basename "$f")" || { echo "FAIL: $(basename "$f") differs between 1 and 2 threads"; fail=1; }; done
# shuffle: a permutation, the same for the same seed, different for another
for s in 1 1b 2; do
  mkdir -p "$tmp/s$s"
  "$CORPUSD" tokenize "$tmp/docs.jsonl" --tokenizer "$tmp/tok0.json" -o "$tmp/s$s/train" --shuffle-window 64 --seed "${s%b}" --quiet || exit 1
done
$R check-megatron "$tmp/s1/train" "$tmp/docs.jsonl" "$tmp/tok0.json" 0 shuffled || fail=1
cmp -s "$tmp/s1/train_0.bin" "$tmp/s1b/train_0.bin" || { echo "FAIL: same seed, different shuffle"; fail=1; }
cmp -s "$tmp/s1/train_0.bin" "$tmp/s2/train_0.bin" && { echo "FAIL: different seeds, same shuffle"; fail=1; }
# datatrove
mkdir -p "$tmp/d"
"$CORPUSD" tokenize "$tmp/docs.jsonl" --tokenizer "$tmp/tok0.json" -o "$tmp/d/train" --format datatrove --max-tokens 5000 --quiet || exit 1
$R check-datatrove "$tmp/d/train" "$tmp/docs.jsonl" "$tmp/tok0.json" || fail=1
# detokenize: document 2 of a single-shard output is the third non-empty input document
mkdir -p "$tmp/u"
"$CORPUSD" tokenize "$tmp/docs.jsonl" --tokenizer "$tmp/tok0.json" -o "$tmp/u/train" --quiet || exit 1
"$PYTHON" -c "
import json,sys
t=[json.loads(l)['text'] for l in open('$tmp/docs.jsonl')]; t=[x for x in t if x]
sys.stdout.write(t[2])" > "$tmp/want.txt"
"$CORPUSD" detokenize "$tmp/u/train_0.idx" --doc 2 > "$tmp/got.txt" || { echo "FAIL detokenize"; fail=1; }
cmp -s "$tmp/want.txt" "$tmp/got.txt" || { echo "FAIL: detokenize --doc 2 differs"; fail=1; }
# manifest: per-source document counts equal the input's (non-empty docs)
"$PYTHON" - "$tmp/m0/manifest.json" "$tmp/docs.jsonl" <<'PY' || fail=1
import json, sys, collections
m = json.load(open(sys.argv[1]))
want = collections.Counter(json.loads(l)['source'] for l in open(sys.argv[2]) if json.loads(l)['text'])
got = {k: v['docs'] for k, v in m['sources'].items()}
assert got == dict(want), (got, want)
assert m['docs'] == sum(want.values()) and m['tokens'] == sum(v['tokens'] for v in m['sources'].values())
assert len(m['tokenizer']['hash']) == 16 and m['corpusd_version'] and len(m['config_hash']) == 16
assert m['skipped']['empty_after_tokenize'] == sum(1 for l in open(sys.argv[2]) if not json.loads(l)['text'])
print('ok: manifest', got)
PY
# the `megatron` writer at the end of a pipeline (corpusd run)
mkdir -p "$tmp/p"
cp "$tmp/docs.jsonl" "$tmp/tok0.json" "$tmp/p/"
cat > "$tmp/p/p.yaml" <<YAML
seed: 1
run_dir: $tmp/p/run
inputs: [$tmp/p/docs.jsonl]
stages:
  - select: {expr: 'source != "nothing"'}
output: {format: megatron, tokenizer: $tmp/p/tok0.json, max_tokens: 100000}
YAML
"$CORPUSD" run "$tmp/p/p.yaml" --quiet --threads 2 || { echo "FAIL: corpusd run with the megatron writer"; fail=1; }
$R check-megatron "$tmp/p/run/out/main/docs" "$tmp/docs.jsonl" "$tmp/tok0.json" 100000 || fail=1
[ -s "$tmp/p/run/out/main/docs.manifest.json" ] || { echo "FAIL: no pipeline manifest"; fail=1; }
exit $fail

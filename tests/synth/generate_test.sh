#!/bin/sh
# generate_test.sh: `corpusd generate` end to end on a random tiny model
# (model-init's tokenizer through tokenizer/): deterministic for a seed,
# the same outputs whatever the batch size, and `corpusd plan` on the 9B
# config at 128k context.
set -u
: "${CORPUSD:=bin/corpusd}"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$CORPUSD" model-init --config configs/models/nemotron-h-tiny.json --seed 5 -o "$tmp/m" || exit 1
a=$("$CORPUSD" generate --model "$tmp/m" --prompt "The state of the model" --max-new-tokens 16 --temperature 0.9 --top-p 0.95 --seed 4 2>/dev/null) || exit 1
b=$("$CORPUSD" generate --model "$tmp/m" --prompt "The state of the model" --max-new-tokens 16 --temperature 0.9 --top-p 0.95 --seed 4 --threads 1 2>/dev/null) || exit 1
[ "$a" = "$b" ] || { echo "same seed, different text: '$a' vs '$b'"; exit 1; }
[ -n "$a" ] || { echo "empty generation"; exit 1; }
printf 'one prompt\nanother, longer prompt about documents\nx\nthe quick brown fox jumps\nnumbers 2024\n' > "$tmp/p.txt"
"$CORPUSD" generate --model "$tmp/m" --prompts-file "$tmp/p.txt" --max-new-tokens 12 --temperature 0.7 --top-k 40 --seed 9 --batch 1 -o "$tmp/b1.jsonl" 2>/dev/null || exit 1
"$CORPUSD" generate --model "$tmp/m" --prompts-file "$tmp/p.txt" --max-new-tokens 12 --temperature 0.7 --top-k 40 --seed 9 --batch 3 --prefill-chunk 4 -o "$tmp/b3.jsonl" 2>/dev/null || exit 1
[ "$(wc -l < "$tmp/b1.jsonl")" -eq 5 ] || { echo "expected 5 output lines"; cat "$tmp/b1.jsonl"; exit 1; }
cmp "$tmp/b1.jsonl" "$tmp/b3.jsonl" || { echo "batch 3 differs from batch 1"; diff "$tmp/b1.jsonl" "$tmp/b3.jsonl"; exit 1; }
out=$("$CORPUSD" plan --config configs/models/nemotron-nano-9b-v2.json --batch 1 --context 128k --memory 22GiB) || { echo "$out"; exit 1; }
echo "$out" | grep -q "^FITS" || { echo "$out"; exit 1; }
"$CORPUSD" plan --config configs/models/nemotron-nano-9b-v2.json --batch 64 --context 128k --memory 22GiB >/dev/null && { echo "batch 64 at 128k cannot fit 22 GiB"; exit 1; }
exit 0

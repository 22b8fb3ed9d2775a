#!/bin/sh
# forward_test.sh: `corpusd forward` on the shared golden checkpoint must
# match its independent fp64 logits to a relative Frobenius error <= 1e-5;
# `corpusd model-init` writes a model that `forward` loads (fp32 and bf16).
set -u
: "${CORPUSD:=bin/corpusd}" "${PYTHON:=/usr/bin/python3}"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$CORPUSD" model-init --config configs/models/nemotron-h-tiny.json --seed 11 -o "$tmp/m" || exit 1
"$CORPUSD" model-init --config configs/models/nemotron-h-tiny.json --seed 11 --dtype bf16 -o "$tmp/b" || exit 1
for f in config.json model.safetensors tokenizer.json tokenizer_config.json; do
  [ -s "$tmp/m/$f" ] || { echo "model-init did not write $f"; exit 1; }
done
"$CORPUSD" forward --model "$tmp/m" --tokens 1,2,3,300,17 --logits "$tmp/a.f32" || exit 1
"$CORPUSD" forward --model "$tmp/b" --tokens 1,2,3,300,17 --logits "$tmp/b.f32" || exit 1
[ "$(wc -c < "$tmp/a.f32")" -eq $((5 * 512 * 4)) ] || { echo "wrong logits size"; exit 1; }
# a bad token list and a missing model are errors, not crashes
"$CORPUSD" forward --model "$tmp/m" --tokens 1,x --logits "$tmp/x.f32" 2>/dev/null && exit 1
"$CORPUSD" forward --model "$tmp/none" --tokens 1 --logits "$tmp/x.f32" 2>/dev/null && exit 1
"$CORPUSD" forward --model "$tmp/m" --tokens 1,99999 --logits "$tmp/x.f32" 2>/dev/null && exit 1
if [ -z "${CORPUSD_SHARED:-}" ] || [ ! -d "$CORPUSD_SHARED/nemotron-h-tiny" ]; then
  echo "skip: ../shared/data/nemotron-h-tiny is absent (golden comparison not run)"; exit 77
fi
G="$CORPUSD_SHARED/nemotron-h-tiny"
"$CORPUSD" forward --model "$G" --tokens-file "$G/tokens.txt" --logits "$tmp/g.f32" || exit 1
"$PYTHON" - "$tmp/g.f32" "$G/logits.f32" <<'PY' || exit 1
import sys, numpy as np
a = np.fromfile(sys.argv[1], '<f4').astype(np.float64)
b = np.fromfile(sys.argv[2], '<f4').astype(np.float64)
assert a.shape == b.shape, (a.shape, b.shape)
err = np.linalg.norm(a - b) / np.linalg.norm(b)
print("golden relative Frobenius error %.3g" % err)
sys.exit(0 if err <= 1e-5 else 1)
PY

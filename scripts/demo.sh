#!/bin/sh
# demo.sh: runs the demo pipeline (configs/demo.yaml) end to end on the sample
# that ships in data/sample, from a clean run directory, then prints what each
# stage kept and dropped (corpusd status) and a few output documents.
set -eu
cd "$(dirname "$0")/.."
BIN=${CORPUSD:-bin/corpusd}
rm -rf runs/demo
echo "== corpusd run configs/demo.yaml"
"$BIN" run configs/demo.yaml --threads 2
echo
echo "== corpusd status --state runs/demo/state"
"$BIN" status --state runs/demo/state
echo
echo "== outputs"
find runs/demo/out -type f ! -name '.corpusd-owner' | sort
first=$(find runs/demo/out/main -type f -name '*.jsonl.zst' | sort | head -1)
if [ -n "$first" ]; then
  echo
  echo "== first documents of $first"
  zstd -dc "$first" | head -3 | cut -c1-200
fi

#!/bin/sh
# Every pipeline preset in configs/ loads and validates (stages, parameters,
# output), so a misspelled key or a renamed parameter cannot ship. synth-qa
# is checked against a tiny model made on the spot.
. "$(dirname "$0")/common.sh"
n=0
for c in configs/*.yaml; do
  grep -q '^inputs:' "$c" || continue        # stage presets and task files are not pipelines
  if grep -q 'runs/demo/' "$c"; then
    # make demo's configs read the model and task files scripts/demo.sh makes first
    if [ ! -d "$TESTDIR/demo/model" ]; then
      "$CORPUSD" model-init --config configs/models/nemotron-h-tiny.json --seed 1 -o "$TESTDIR/demo/model" > /dev/null
      mkdir -p "$TESTDIR/demo/tasks" && cp configs/synth/diverse_qa.yaml "$TESTDIR/demo/tasks/"
    fi
    sed "s|runs/demo/|$TESTDIR/demo/|g" "$c" > "$TESTDIR/$(basename "$c")"
    c="$TESTDIR/$(basename "$c")"
  fi
  if grep -q 'models/NVIDIA-Nemotron' "$c"; then
    [ -d "$TESTDIR/model" ] || "$CORPUSD" model-init --config configs/models/nemotron-h-tiny.json --seed 1 -o "$TESTDIR/model" > /dev/null
    sed "s|models/NVIDIA-Nemotron-Nano-9B-v2|$TESTDIR/model|g" "$c" > "$TESTDIR/$(basename "$c")"
    c="$TESTDIR/$(basename "$c")"
  fi
  "$CORPUSD" run "$c" --check --state "$TESTDIR/s" > "$TESTDIR/out" 2>&1 || { cat "$TESTDIR/out"; fail "$c does not load"; }
  n=$((n + 1))
done
[ $n -ge 6 ] || fail "only $n presets found"
echo "ok: $n presets"

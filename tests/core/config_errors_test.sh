#!/bin/sh
# Configuration errors name file:line:col and exit 2; bad input files fail
# only themselves (exit 1) while the other inputs finish.
. "$(dirname "$0")/common.sh"
printf '{"id":"1","text":"a"}\n' > "$TESTDIR/a.jsonl"
expect_err() {  # expect_err PATTERN (config on stdin)
  cat > "$TESTDIR/c.yaml"
  set +e; "$CORPUSD" run "$TESTDIR/c.yaml" --state "$TESTDIR/s" --output "$TESTDIR/o" > "$TESTDIR/out" 2>&1; rc=$?; set -e
  [ $rc -eq 2 ] || { cat "$TESTDIR/out"; fail "exit $rc, expected 2"; }
  grep -q -- "$1" "$TESTDIR/out" || { cat "$TESTDIR/out"; fail "no '$1' in the error"; }
}
printf 'inputs: ["%s"]\nstages:\n  - sample: {fracton: 0.5}\n' "$TESTDIR/a.jsonl" | expect_err "c.yaml:3:14: unknown key 'fracton' in stage 'sample'"
printf 'inputs: ["%s"]\nstages:\n  - sample: {fraction: lots}\n' "$TESTDIR/a.jsonl" | expect_err "c.yaml:3:24: expected a number, got 'lots'"
printf 'inputs: ["%s"]\nstages:\n  - smaple: {}\n' "$TESTDIR/a.jsonl" | expect_err "c.yaml:3:5: unknown stage 'smaple'"
printf 'inputs: ["%s"]\nthreds: 3\n' "$TESTDIR/a.jsonl" | expect_err "c.yaml:2:1: unknown key 'threds' in the pipeline"
printf 'inputs: ["%s"]\nseed: [1]\n' "$TESTDIR/a.jsonl" | expect_err "c.yaml:2:7: expected an integer"
printf 'inputs: ["%s/nothing*.jsonl"]\n' "$TESTDIR" | expect_err "matches no file"
printf 'inputs: ["%s"]\nstages:\n  - select: {expr: "metadata.x ==="}\n' "$TESTDIR/a.jsonl" | expect_err "select expression"
printf 'inputs: [\n  - oops\n' | expect_err "c.yaml:"
printf 'inputs: ["%s"]\noutput: {max_docs: ten}\n' "$TESTDIR/a.jsonl" | expect_err "c.yaml:2:20: expected an integer"

# A truncated .zst input fails that input alone, with a clear error.
$PYTHON - "$TESTDIR" <<'PY'
import json, subprocess, sys
t = sys.argv[1]
data = "".join(json.dumps({"id": f"x{i}", "text": "row %d " % i * 20}) + "\n" for i in range(20000)).encode()
z = subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True).stdout
open(t + "/trunc.jsonl.zst", "wb").write(z[: len(z) // 2])
open(t + "/good.jsonl.zst", "wb").write(z)
PY
cat > "$TESTDIR/t.yaml" <<YAML
inputs: ["$TESTDIR/trunc.jsonl.zst", "$TESTDIR/good.jsonl.zst", "$TESTDIR/a.jsonl"]
YAML
set +e; "$CORPUSD" run "$TESTDIR/t.yaml" --state "$TESTDIR/ts" --output "$TESTDIR/to" > "$TESTDIR/out" 2>&1; rc=$?; set -e
[ $rc -eq 1 ] || { cat "$TESTDIR/out"; fail "exit $rc, expected 1 for a failed input"; }
grep -q "trunc.jsonl.zst: truncated zstd stream" "$TESTDIR/out" || { cat "$TESTDIR/out"; fail "no clear truncation error"; }
[ "$(sqlite3 "$TESTDIR/ts/ledger.sqlite" "SELECT status FROM inputs WHERE path LIKE '%good.jsonl.zst'")" = done ] || fail "good input not done"
[ "$(sqlite3 "$TESTDIR/ts/ledger.sqlite" "SELECT status FROM inputs WHERE path LIKE '%trunc.jsonl.zst'")" = failed ] || fail "truncated input not failed"
ls "$TESTDIR/to/main" | grep -q trunc && fail "partial output of the failed input left behind"
"$CORPUSD" status --state "$TESTDIR/ts" > "$TESTDIR/st" || true
grep -q "truncated zstd stream" "$TESTDIR/st" || { cat "$TESTDIR/st"; fail "status does not show the error"; }
# retry --failed puts it back to pending
"$CORPUSD" retry --failed --state "$TESTDIR/ts" | grep -q "re-queued 1"
# a non-empty output directory that corpusd does not own is refused
mkdir -p "$TESTDIR/mine" && echo precious > "$TESTDIR/mine/file.txt"
set +e; "$CORPUSD" run "$TESTDIR/t.yaml" --state "$TESTDIR/s2" --output "$TESTDIR/mine" > "$TESTDIR/out" 2>&1; rc=$?; set -e
[ $rc -eq 2 ] && grep -q "not empty" "$TESTDIR/out" && [ -f "$TESTDIR/mine/file.txt" ] || fail "foreign output dir not protected"
# help for every subcommand
for c in $("$CORPUSD" --help | awk '/^commands:/{f=1;next} /^$/{f=0} f{print $1}'); do
  "$CORPUSD" "$c" --help > /dev/null || fail "corpusd $c --help failed"
done
echo ok

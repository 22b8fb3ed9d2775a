#!/bin/sh
# stage_test.sh: the `dedup` pipeline stage applies a prebuilt index: a
# pipeline over the same inputs keeps exactly the documents `corpusd dedup`
# kept, and its rejects carry the same duplicate_of.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUSD=${CORPUSD:-$ROOT/bin/corpusd}
PYTHON=${PYTHON:-python3}
[ -d /usr/share/common-licenses ] || { echo "no /usr/share/common-licenses for real prose"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$PYTHON" "$ROOT/tests/dedup/gen_neardup.py" "$T/data" --pairs-per-bucket 50 --exact 50 --files 3
"$CORPUSD" dedup "$T"/data/in-*.jsonl -o "$T/d" --config "$ROOT/configs/dedup-fineweb.yaml" --index "$T/idx" \
  --rejects "$T/d/rej.jsonl"
cat > "$T/p.yaml" <<YAML
run_dir: $T/run
inputs:
  - $T/data/in-*.jsonl
stages:
  - dedup: {index: $T/idx}
output:
  format: jsonl
  compression: none
  rejects: true
YAML
"$CORPUSD" run "$T/p.yaml" --quiet
"$PYTHON" - "$T" <<'PY'
import glob, json, subprocess, sys
T = sys.argv[1]
def zids(p):
    return sorted(json.loads(l)["id"] for l in subprocess.run(["zstd", "-dc", p], capture_output=True, check=True).stdout.decode().splitlines())
want = sorted(sum((zids(p) for p in glob.glob(T + "/d/in-*.jsonl.zst")), []))
got, rej = [], {}
for p in glob.glob(T + "/run/out/**/*.jsonl", recursive=True):
    for l in open(p):
        d = json.loads(l)
        if d["metadata"].get("drop_reason"):
            rej[d["id"]] = d["metadata"]["duplicate_of"]
        else:
            got.append(d["id"])
want_rej = {json.loads(l)["id"]: json.loads(l)["metadata"]["duplicate_of"] for l in open(T + "/d/rej.jsonl")}
print("dedup kept %d removed %d; pipeline kept %d dropped %d" % (len(want), len(want_rej), len(got), len(rej)))
assert sorted(got) == want and rej == want_rej and len(rej) > 50
PY

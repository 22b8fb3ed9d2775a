#!/bin/sh
# badinput_test.sh: empty, single-word and very large documents, a malformed
# line and a missing input file. None is fatal to the run: empty documents
# are kept and counted, single words are one shingle, a 100 MB document
# (25 MB under the sanitizers) is signed in linear time, a 1.8 MB one's
# near copy is found, the malformed record is skipped and counted, and the missing input
# is reported (exit 1) while the others are still deduplicated.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUSD=${CORPUSD:-$ROOT/bin/corpusd}
PYTHON=${PYTHON:-python3}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
MB=100
[ "${CORPUSD_MODE:-rel}" = san ] && MB=25
"$PYTHON" - "$T" "$MB" <<'PY'
import json, random, sys
T, mb = sys.argv[1], int(sys.argv[2])
rng = random.Random(1)
with open(T + "/small.jsonl", "w") as f:
    for i in range(5):
        f.write(json.dumps({"id": "e%d" % i, "text": ""}) + "\n")
    for i in range(5):
        f.write(json.dumps({"id": "w%d" % i, "text": "hello" if i < 3 else "World!"}) + "\n")
    f.write('{"id": "broken", "text": \n')
    f.write(json.dumps({"id": "p", "text": "   ...   "}) + "\n")
vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8)) for _ in range(100000)]
block = " ".join(rng.choice(vocab) for _ in range(200000))   # ~1.8 MB
big = (block + " ") * (mb * 1000000 // (len(block) + 1) + 1)
with open(T + "/big.jsonl", "w") as f:
    f.write(json.dumps({"id": "big0", "text": big}) + "\n")
    f.write(json.dumps({"id": "big1", "text": block}) + "\n")
    f.write(json.dumps({"id": "big2", "text": block[: len(block) - 2000] + " tail changed here"}) + "\n")
PY
set +e
"$CORPUSD" dedup "$T/small.jsonl" "$T/missing.jsonl" "$T/big.jsonl" -o "$T/out" \
  --config "$ROOT/configs/dedup-fineweb.yaml" --rejects "$T/out/rej.jsonl" --memory 128M 2>"$T/err"
rc=$?
set -e
cat "$T/err"
[ $rc -eq 1 ] || { echo "expected exit 1 for the missing input, got $rc"; exit 1; }
grep -q "missing.jsonl" "$T/err"
grep -q "1 malformed records, 1 failed inputs" "$T/err"
"$PYTHON" - "$T" <<'PY'
import json, subprocess, sys
T = sys.argv[1]
def ids(p):
    data = subprocess.run(["zstd", "-dc", p], capture_output=True, check=True).stdout.decode()
    return [json.loads(l)["id"] for l in data.splitlines()]
small, big = ids(T + "/out/small.jsonl.zst"), ids(T + "/out/big.jsonl.zst")
rej = {json.loads(l)["id"]: json.loads(l)["metadata"] for l in open(T + "/out/rej.jsonl")}
print("kept", small, big, "removed", sorted(rej))
assert small == ["e0", "e1", "e2", "e3", "e4", "w0", "w3", "p"], small
assert big == ["big0"], big   # big1 is big0's repeated block: a near copy too
assert rej["w1"]["duplicate_of"] == "w0" and rej["w4"]["duplicate_of"] == "w3"
assert rej["big1"]["duplicate_of"] == "big0" and rej["big1"]["dedup_method"] == "minhash"
assert rej["big2"]["duplicate_of"] == "big0" and rej["big2"]["dedup_method"] == "minhash"
PY

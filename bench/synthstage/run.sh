#!/bin/sh
# bench/synthstage/run.sh: throughput of the synth stage (diverse_qa) on the
# CPU engine with a ~150M-parameter random Nemotron-H (the 9B layer pattern,
# bench/synth/nemotron-h-150m.json), and the engine's mean batch occupancy.
# A random model never emits EOS, so every request runs to the task's
# max_output_tokens: the figures are generation throughput, not quality.
#   DOCS=16 BATCH=16 OUT_TOKENS=128 sh bench/synthstage/run.sh
set -eu
cd "$(dirname "$0")/../.."
BIN=${CORPUSD:-bin/corpusd}
DOCS=${DOCS:-16}; BATCH=${BATCH:-16}; OUT_TOKENS=${OUT_TOKENS:-128}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
CFG=bench/synth/nemotron-h-150m.json
[ -f "$CFG" ] || { echo "missing $CFG"; exit 1; }
"$BIN" model-init --config "$CFG" --seed 1 -o "$T/model" > /dev/null
mkdir -p "$T/tasks"
sed -e "s/^max_output_tokens: .*/max_output_tokens: $OUT_TOKENS/" configs/synth/diverse_qa.yaml > "$T/tasks/diverse_qa.yaml"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
$PY - "$T/in.jsonl" "$DOCS" <<'PY'
import glob, json, sys
# real prose: the licence texts Debian ships
paras = []
for f in sorted(glob.glob("/usr/share/common-licenses/*")):
    try:
        paras += [p.strip() for p in open(f, errors="replace").read().split("\n\n") if len(p.split()) > 60]
    except IsADirectoryError:
        pass
with open(sys.argv[1], "w") as o:
    for i in range(int(sys.argv[2])):
        o.write(json.dumps({"id": f"bench/{i}", "text": paras[i % len(paras)][:1500]}) + "\n")
PY
start=$(date +%s.%N)
"$BIN" synth "$T/in.jsonl" -o "$T/out.jsonl" --rejects "$T/rej.jsonl" --task diverse_qa --tasks-dir "$T/tasks" \
  --model "$T/model" --batch "$BATCH" --cache false 2> "$T/log"
end=$(date +%s.%N)
$PY - "$T" "$start" "$end" <<'PY'
import json, re, sys
t, s, e = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
recs = [json.loads(l) for f in ("out.jsonl", "rej.jsonl") for l in open(f"{t}/{f}")]
syn = [r for r in recs if r.get("source") == "synth"]
toks = sum(r["metadata"]["synth"]["output_tokens"] for r in syn)
log = open(f"{t}/log").read()
occ = re.search(r"mean batch occupancy ([0-9.]+)%", log)
wall = e - s
print(f"synth diverse_qa, CPU engine, ~150M random model: {len(syn)} requests, {toks} output tokens in {wall:.1f} s")
print(f"  documents/s {len(syn)/wall:.2f}   output tokens/s {toks/wall:.1f}   mean batch occupancy {occ.group(1) if occ else '?'}%")
PY

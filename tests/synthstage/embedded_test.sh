#!/bin/sh
# The synth stage end to end on a tiny random model from `corpusd model-init`:
# chunking, batching, generation, validation (which rejects the random
# outputs, each with its reason and provenance), and kill -9 mid-run with a
# resume that takes finished chunks from the checkpoint, ending byte-identical
# to an uninterrupted run with nothing lost or doubled.
. "$(dirname "$0")/../core/common.sh"
"$CORPUSD" model-init --config configs/models/nemotron-h-tiny.json --seed 3 -o "$TESTDIR/model" > /dev/null
mkdir -p "$TESTDIR/tasks" "$TESTDIR/in"
# a test task with small budgets, so the random model finishes quickly
sed -e 's/^max_output_tokens: .*/max_output_tokens: 48/' -e 's/^min_doc_tokens: .*/min_doc_tokens: 20/' \
    -e 's/^max_input_tokens: .*/max_input_tokens: 120/' configs/synth/diverse_qa.yaml > "$TESTDIR/tasks/diverse_qa.yaml"
$PYTHON - "$TESTDIR/in" <<'PY'
import json, random, sys
rng = random.Random(4)
words = "the river bread yeast compiler code sun panel battery sea valley water gas sugar machine".split()
for f in range(3):
    with open(f"{sys.argv[1]}/part{f}.jsonl", "w") as o:
        for i in range(16):
            lines = [" ".join(rng.choice(words) for _ in range(rng.randint(8, 30))) for _ in range(rng.randint(1, 6))]
            o.write(json.dumps({"id": f"p{f}/{i}", "text": "\n".join(lines), "source": "cc",
                                "metadata": {"quality": round(rng.random(), 2)}}) + "\n")
PY
cat > "$TESTDIR/p.yaml" <<YAML
seed: 9
inputs: ["$TESTDIR/in/*.jsonl"]
stages:
  - synth: {task: diverse_qa, tasks_dir: "$TESTDIR/tasks", model: "$TESTDIR/model", batch: 4,
            when: 'metadata.quality >= 0.3'}
output: {rejects: true, compression: none}
YAML
"$CORPUSD" run "$TESTDIR/p.yaml" --threads 2 --state "$TESTDIR/ref/state" --output "$TESTDIR/ref/out" --quiet
$PYTHON - "$TESTDIR/ref" <<'PY'
import glob, json, sys
t = sys.argv[1]
out = [json.loads(l) for f in sorted(glob.glob(t + "/out/main/*.jsonl")) for l in open(f)]
syn = [json.loads(l) for f in sorted(glob.glob(t + "/out/synth/diverse_qa/*.jsonl")) for l in open(f)]
rej = [json.loads(l) for f in sorted(glob.glob(t + "/out/rejects/*.jsonl")) for l in open(f)]
assert len(out) == 48, len(out)                       # sources pass through
routed = {d["id"] for d in out if d["metadata"]["quality"] >= 0.3}
ids = [d["id"] for d in syn + rej]
assert len(ids) == len(set(ids)) and ids, "duplicate or no synthetic ids"
assert {i.split("#")[0] for i in ids} <= routed, "an unrouted document was rewritten"
for d in rej:
    m = d["metadata"]
    assert m["drop_reason"].startswith("synth_"), m
    assert m["synth"]["model_id"] == "model" and len(m["synth"]["weights_hash"]) == 16, m["synth"]
    assert m["synth"]["task"] == "diverse_qa" and m["synth"]["input_tokens"] >= 20
reasons = sorted({d["metadata"]["drop_reason"] for d in rej})
print(f"{len(syn)} valid, {len(rej)} rejected ({', '.join(reasons)})")
PY
# kill -9 once some chunks are checkpointed, then resume
$PYTHON - "$CORPUSD" "$TESTDIR" <<'PY'
import os, signal, sqlite3, subprocess, sys, time
corpusd, t = sys.argv[1], sys.argv[2]
cmd = [corpusd, "run", t + "/p.yaml", "--threads", "2", "--state", t + "/run/state", "--output", t + "/run/out", "--quiet"]
total = None
p = subprocess.Popen(cmd)
db = t + "/run/state/synth-cache.sqlite"
end = time.time() + 120
while time.time() < end and p.poll() is None:
    try:
        n = sqlite3.connect(db, timeout=5).execute("SELECT COUNT(*) FROM answers").fetchone()[0]
        if n >= 8:
            break
    except sqlite3.Error:
        pass
    time.sleep(0.02)
if p.poll() is not None:
    print("note: the run finished before the kill; the resume check is weaker")
p.send_signal(signal.SIGKILL); p.wait()
cached_before = sqlite3.connect(db).execute("SELECT COUNT(*) FROM answers").fetchone()[0]
assert subprocess.run(cmd).returncode == 0
l = sqlite3.connect(t + "/run/state/ledger.sqlite")
hits = l.execute("SELECT COALESCE(SUM(value),0) FROM stage_counts WHERE name='synth_cached'").fetchone()[0]
gen = l.execute("SELECT COALESCE(SUM(value),0) FROM stage_counts WHERE name='synth_generated'").fetchone()[0]
print(f"killed with {cached_before} answers checkpointed; resume reused {hits}, generated {gen}")
assert hits > 0, "the resumed run generated every chunk again"
PY
diff -r "$TESTDIR/ref/out/main" "$TESTDIR/run/out/main" > /dev/null || fail "sources differ after resume"
if [ -d "$TESTDIR/ref/out/synth" ] || [ -d "$TESTDIR/run/out/synth" ]; then
  diff -r "$TESTDIR/ref/out/synth" "$TESTDIR/run/out/synth" || fail "synthetic outputs differ after kill and resume"
fi
diff -r "$TESTDIR/ref/out/rejects" "$TESTDIR/run/out/rejects" > /dev/null || fail "rejects differ after resume"
echo ok

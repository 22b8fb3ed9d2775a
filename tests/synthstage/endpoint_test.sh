#!/bin/sh
# The synth stage against an OpenAI-compatible endpoint on 127.0.0.1 that
# injects a 500, a timeout and a malformed JSON body: every document still
# gets its synthetic QA (retries), a refusal is rejected with its reason and
# provenance, and with no retries the failures are recorded, never written
# as good data.
. "$(dirname "$0")/../core/common.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
"$CORPUSD" model-init --config configs/models/nemotron-h-tiny.json --seed 1 -o "$TESTDIR/model" > /dev/null
$PYTHON - "$TESTDIR/in.jsonl" <<'PY'
import json, sys
topics = ["Rivers carry water to the sea and shape valleys over long periods of time",
          "Bread rises because yeast ferments sugar and releases carbon dioxide gas",
          "Compilers translate source code into machine code that processors can run",
          "REFUSE this document please because it is about something odd and long enough",
          "Solar panels turn sunlight into electricity which batteries can store overnight"]
with open(sys.argv[1], "w") as f:
    for i, t in enumerate(topics):
        f.write(json.dumps({"id": f"doc/{i}", "text": (t + ". ") * 6, "source": "cc",
                            "metadata": {"quality": 0.9}}) + "\n")
PY
$PYTHON "$HERE/openai_server.py" "$TESTDIR/port" "$TESTDIR/count" &
SRV=$!
for i in $(seq 50); do [ -s "$TESTDIR/port" ] && break; sleep 0.1; done
PORT=$(cat "$TESTDIR/port")
"$CORPUSD" synth "$TESTDIR/in.jsonl" -o "$TESTDIR/out.jsonl" --rejects "$TESTDIR/rej.jsonl" --task diverse_qa \
  --endpoint "http://127.0.0.1:$PORT/v1" --tokenizer "$TESTDIR/model/tokenizer.json" --timeout 1 --retries 3 \
  --concurrency 2 --seed 5 --state "$TESTDIR/st" 2> "$TESTDIR/err" || { cat "$TESTDIR/err"; fail "synth failed"; }
kill $SRV; wait $SRV 2>/dev/null || true
$PYTHON - "$TESTDIR" <<'PY'
import json, sys
t = sys.argv[1]
out = [json.loads(l) for l in open(t + "/out.jsonl")]
rej = [json.loads(l) for l in open(t + "/rej.jsonl")]
synth = [d for d in out if d["source"] == "synth"]
assert len([d for d in out if d["source"] == "cc"]) == 5, "sources not passed through"
assert sorted(d["id"] for d in synth) == ["doc/0#diverse_qa#0", "doc/1#diverse_qa#0", "doc/2#diverse_qa#0",
                                          "doc/4#diverse_qa#0"], [d["id"] for d in synth]
for d in synth:
    m = d["metadata"]["synth"]
    assert m["task"] == "diverse_qa" and m["source_id"] == d["id"].split("#")[0], m
    assert m["model_id"] == "endpoint:default" and len(m["prompt_version"]) == 16 and m["temperature"] == 0.5
    assert m["top_p"] == 0.9 and m["seed"] and m["output_tokens"] > 0, m
    assert "\n\nQuestion: " in d["text"] and "\nAnswer: " in d["text"], d["text"]
    src = [s for s in out if s["id"] == m["source_id"]][0]
    assert d["text"].startswith(src["text"].strip()), "QA not appended to the source text"
assert len(rej) == 1 and rej[0]["id"] == "doc/3#diverse_qa#0", rej
assert rej[0]["metadata"]["drop_reason"] == "synth_missing_prefix", rej[0]["metadata"]
assert rej[0]["metadata"]["synth"]["task"] == "diverse_qa"
n = int(open(t + "/count").read())
assert n >= 5 + 3, f"server saw {n} requests: the faults were not retried"
print("ok: server saw", n, "requests for 5 chunks")
PY
# No retries: the injected faults become recorded failures.
: > "$TESTDIR/port"
$PYTHON "$HERE/openai_server.py" "$TESTDIR/port" "$TESTDIR/count" &
SRV=$!
for i in $(seq 50); do [ -s "$TESTDIR/port" ] && break; sleep 0.1; done
PORT=$(cat "$TESTDIR/port")
"$CORPUSD" synth "$TESTDIR/in.jsonl" -o "$TESTDIR/out2.jsonl" --rejects "$TESTDIR/rej2.jsonl" --task diverse_qa \
  --endpoint "http://127.0.0.1:$PORT/v1" --tokenizer "$TESTDIR/model/tokenizer.json" --timeout 1 --retries 0 \
  --concurrency 1 --seed 5 --cache false 2> "$TESTDIR/err" || { cat "$TESTDIR/err"; fail "synth failed"; }
kill $SRV; wait $SRV 2>/dev/null || true
$PYTHON - "$TESTDIR" <<'PY'
import json, sys
t = sys.argv[1]
rej = [json.loads(l) for l in open(t + "/rej2.jsonl")]
reasons = sorted(d["metadata"]["drop_reason"] for d in rej)
errs = sorted(d["metadata"].get("synth_error", "") for d in rej if d["metadata"]["drop_reason"] == "synth_backend_error")
assert reasons.count("synth_backend_error") == 3, reasons
assert any("HTTP 500" in e for e in errs) and any("malformed" in e for e in errs) and any("imeout" in e for e in errs), errs
out = [json.loads(l) for l in open(t + "/out2.jsonl")]
assert all("\nAnswer: " in d["text"] for d in out if d["source"] == "synth")
print("ok: failures recorded:", errs)
PY
echo ok

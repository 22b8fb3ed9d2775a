#!/bin/sh
# demo.sh: corpusd end to end on the small sample that ships in the repo.
#   1. web: data/sample/cc-sample.warc.gz -> extract (+mathnorm) -> langid ->
#      Gopher/FineWeb rules -> PII -> math router          (corpusd run)
#   2. dedup: exact + MinHash (FineWeb preset) over the kept web pages, into a
#      persistent index                                     (corpusd dedup)
#   3. code: a local repository tarball -> licenses, quality, secrets
#                                                           (corpusd run)
#   4. synth: diverse QA through the embedded Nemotron-H engine with a tiny
#      random model made on the spot (it writes nonsense, so validation
#      rejects it: the rejects show why)                    (corpusd synth)
#   5. shards: Megatron-LM .bin/.idx with the model's tokenizer (corpusd tokenize)
#   6. sample: a stratified, reproducible sample subset     (corpusd sample)
# and prints what each step kept and dropped.
set -eu
cd "$(dirname "$0")/.."
BIN=${CORPUSD:-bin/corpusd}
D=runs/demo
rm -rf "$D"
mkdir -p "$D"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

step() { printf '\n== %s\n' "$*"; }

step "1/6 web pipeline: corpusd run configs/demo-web.yaml"
"$BIN" run configs/demo-web.yaml --threads 2 --quiet
"$BIN" status --state "$D/web/state" | sed -n '/^stages/,/^outputs/p'

step "2/6 dedup: corpusd dedup ... --config configs/dedup-fineweb.yaml --index $D/index"
"$BIN" dedup $(find "$D/web/out/main" "$D/web/out/math" -name '*.jsonl.zst' 2>/dev/null | sort) \
  -o "$D/dedup" --config configs/dedup-fineweb.yaml --index "$D/index" --snapshot CC-MAIN-2025-26 \
  --rejects "$D/dedup-rejects.jsonl" --memory 256M

step "3/6 code: corpusd run configs/demo-code.yaml"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C data/sample -czf "$D/demo-repo.tar.gz" demo-repo
"$BIN" run configs/demo-code.yaml --threads 2 --quiet
"$BIN" status --state "$D/code/state" | sed -n '/^stages/,/^outputs/p'

step "4/6 synth: corpusd model-init (tiny) + corpusd synth --task diverse_qa"
"$BIN" model-init --config configs/models/nemotron-h-tiny.json --seed 1 -o "$D/model" > /dev/null
mkdir -p "$D/tasks"
sed -e 's/^max_output_tokens: .*/max_output_tokens: 48/' -e 's/^min_doc_tokens: .*/min_doc_tokens: 10/' \
  configs/synth/diverse_qa.yaml > "$D/tasks/diverse_qa.yaml"
"$BIN" synth $(find "$D/dedup" -name '*.jsonl.zst' | sort) -o "$D/synth.jsonl.zst" --rejects "$D/synth-rejects.jsonl" \
  --task diverse_qa --tasks-dir "$D/tasks" --model "$D/model" --batch 8 --seed 1 --state "$D/synth-state"

step "5/6 shards: corpusd tokenize -> Megatron-LM .bin/.idx"
"$BIN" tokenize "$D/synth.jsonl.zst" $(find "$D/code/out/main" -name '*.jsonl.zst' | sort) \
  --tokenizer "$D/model/tokenizer.json" -o "$D/shards/corpus" --format megatron
ls -l "$D/shards"

step "6/6 sample: corpusd sample --by source --fraction 0.5"
"$BIN" sample "$D/synth.jsonl.zst" $(find "$D/code/out/main" -name "*.jsonl.zst" | sort) \
  -o "$D/sample.jsonl.zst" --by source --fraction 0.5 --seed 1

step "summary"
$PY - "$D" <<'PY'
import glob, gzip, json, os, sqlite3, subprocess, sys
d = sys.argv[1]
def count(paths):
    n = 0
    for p in paths:
        if p.endswith(".zst"):
            data = subprocess.run(["zstd", "-dc", p], capture_output=True, check=True).stdout
        elif p.endswith(".gz"):
            data = gzip.open(p).read()
        else:
            data = open(p, "rb").read()
        n += sum(1 for l in data.splitlines() if l.strip())
    return n
def ledger(run):
    db = sqlite3.connect(f"{d}/{run}/state/ledger.sqlite")
    rows = db.execute("SELECT idx, stage, SUM(docs_in), SUM(docs_out) FROM stage_stats GROUP BY idx, stage ORDER BY idx").fetchall()
    out = []
    for idx, stage, i, o in rows:
        reasons = db.execute("SELECT name, SUM(value) FROM stage_counts WHERE idx=? AND kind='drop' GROUP BY name",
                             (idx,)).fetchall()
        out.append((f"{run}: {stage}", i, o, ", ".join(f"{r}={v}" for r, v in reasons)))
    return out
rows = ledger("web")
web_in = count(glob.glob(f"{d}/web/out/main/*.zst") + glob.glob(f"{d}/web/out/math/*.zst"))
dedup_out = count(glob.glob(f"{d}/dedup/*.zst"))
rows.append(("dedup (FineWeb MinHash + exact)", web_in, dedup_out, f"duplicate={count([d + '/dedup-rejects.jsonl'])}"))
rows += ledger("code")
synth_bad = [json.loads(l)["metadata"]["drop_reason"] for l in open(f"{d}/synth-rejects.jsonl")]
reasons = {}
for r in synth_bad:
    reasons[r] = reasons.get(r, 0) + 1
synth_all = count([f"{d}/synth.jsonl.zst"])
synth_ok = sum(1 for l in subprocess.run(["zstd", "-dc", f"{d}/synth.jsonl.zst"], capture_output=True,
                                         check=True).stdout.splitlines() if json.loads(l).get("source") == "synth")
rows.append(("synth diverse_qa: synthetic docs (tiny random model)", len(synth_bad) + synth_ok, synth_ok,
             ", ".join(f"{k}={v}" for k, v in sorted(reasons.items()))))
idx = sorted(glob.glob(f"{d}/shards/*.idx"))
import struct
docs = 0
for p in idx:
    b = open(p, "rb").read(9 + 8 + 1 + 8 + 8)
    docs += struct.unpack("<Q", b[18 + 8:18 + 16])[0] - 1
rows.append(("tokenize (Megatron .bin/.idx)", synth_all + count(glob.glob(f"{d}/code/out/main/*.zst")), docs, f"{len(idx)} shard(s)"))
rows.append(("sample (by source, fraction 0.5)", synth_all + count(glob.glob(f"{d}/code/out/main/*.zst")),
             count([f"{d}/sample.jsonl.zst"]), "not sampled (hash of id)"))
print(f"{'step':52} {'in':>6} {'kept':>6}  dropped (reason=count)")
for name, i, o, r in rows:
    print(f"{name:52} {'' if i is None else i:>6} {o:>6}  {r}")
print("\n(the synth step passes its source documents on; a random model's answers fail validation, as they should)")
PY

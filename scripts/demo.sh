#!/bin/sh
# demo.sh: corpusd end to end on the small sample that ships in the repo.
#   1. a tiny random Nemotron-H model (synth engine + tokenizer)  (corpusd model-init)
#   2. web: data/sample/cc-sample.warc.gz -> extract (+mathnorm) -> langid ->
#      Gopher/FineWeb rules -> PII -> math router, then the global steps:
#      dedup (FineWeb MinHash + exact, persistent index) -> synth diverse_qa for
#      the routed pages (the tiny model writes nonsense, so validation rejects
#      it: the rejects show why) -> Megatron-LM shards + corpus manifest
#                                                   (corpusd run configs/demo-web.yaml)
#   3. code: a local repository tarball -> licenses, quality, secrets, then
#      dedup -> shards                              (corpusd run configs/demo-code.yaml)
#   4. sample: a stratified, reproducible sample subset     (corpusd sample)
# and prints what each step kept and dropped.
set -eu
cd "$(dirname "$0")/.."
BIN=${CORPUSD:-bin/corpusd}
D=runs/demo
rm -rf "$D"
mkdir -p "$D"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

step() { printf '\n== %s\n' "$*"; }

step "1/4 model: corpusd model-init (tiny Nemotron-H, random weights)"
"$BIN" model-init --config configs/models/nemotron-h-tiny.json --seed 1 -o "$D/model" > /dev/null
mkdir -p "$D/tasks"
sed -e 's/^max_output_tokens: .*/max_output_tokens: 48/' -e 's/^min_doc_tokens: .*/min_doc_tokens: 10/' \
  configs/synth/diverse_qa.yaml > "$D/tasks/diverse_qa.yaml"

step "2/4 web: corpusd run configs/demo-web.yaml (per-document stages, then dedup -> synth -> shards)"
"$BIN" run configs/demo-web.yaml --threads 2 --quiet
"$BIN" status --state "$D/web/state" | sed -n '/^stages/,/^outputs/p;/^global steps/,/^$/p'

step "3/4 code: corpusd run configs/demo-code.yaml (codefilter, then dedup -> shards)"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C data/sample -czf "$D/demo-repo.tar.gz" demo-repo
"$BIN" run configs/demo-code.yaml --threads 2 --quiet
"$BIN" status --state "$D/code/state" | sed -n '/^stages/,/^outputs/p;/^global steps/,/^$/p'
ls -l "$D/web/corpus/shards" "$D/code/corpus/shards"

step "4/4 sample: corpusd sample --by source --fraction 0.5"
"$BIN" sample $(find "$D/web/corpus/post" -name '*.jsonl.zst' ! -name '*rejects*' | sort) \
  $(find "$D/code/corpus/docs" -name '*.jsonl.zst' | sort) \
  -o "$D/sample.jsonl.zst" --by source --fraction 0.5 --seed 1

step "summary"
$PY - "$D" <<'PY'
import glob, json, sqlite3, struct, subprocess, sys
d = sys.argv[1]
def lines(p):
    data = subprocess.run(["zstd", "-dc", p], capture_output=True, check=True).stdout if p.endswith(".zst") else open(p, "rb").read()
    return [json.loads(l) for l in data.splitlines() if l.strip()]
def ledger(run):
    db = sqlite3.connect(f"{d}/{run}/state/ledger.sqlite")
    rows = db.execute("SELECT idx, stage, SUM(docs_in), SUM(docs_out) FROM stage_stats GROUP BY idx, stage ORDER BY idx").fetchall()
    out = []
    for idx, stage, i, o in rows:
        reasons = db.execute("SELECT name, SUM(value) FROM stage_counts WHERE idx=? AND kind='drop' GROUP BY name",
                             (idx,)).fetchall()
        out.append((f"{run}: {stage}", i, o, ", ".join(f"{r}={v}" for r, v in reasons)))
    return out
def shard_docs(corpus):
    n = 0
    for p in glob.glob(f"{corpus}/shards/*.idx"):
        b = open(p, "rb").read(9 + 8 + 1 + 8)
        n += struct.unpack("<Q", b[18:26])[0]
    return n
def global_rows(run, post):
    man = json.load(open(f"{d}/{run}/corpus/manifest.json"))
    rows = []
    for b in man["batches"]:
        how = "code preset: 5-grams, Jaccard 0.7" if run == "code" else "FineWeb MinHash + exact"
        rows.append((f"{run}: dedup ({how}), batch {b['name']}", b["docs_in"], b["docs_kept"],
                     f"duplicate={b['removed']}"))
        if post:
            out = lines(glob.glob(f"{d}/{run}/corpus/post/{b['name']}.jsonl.zst")[0])
            rej = lines(glob.glob(f"{d}/{run}/corpus/post/{b['name']}.rejects.jsonl.zst")[0])
            reasons = {}
            for r in rej:
                k = r["metadata"].get("drop_reason", "?")
                reasons[k] = reasons.get(k, 0) + 1
            synth_ok = sum(1 for x in out if x.get("source") == "synth")
            rows.append((f"{run}: synth diverse_qa (tiny random model)", len(rej) + synth_ok, synth_ok,
                         ", ".join(f"{k}={v}" for k, v in sorted(reasons.items()))))
        rows.append((f"{run}: shards (Megatron .bin/.idx)", b["docs_kept"] if not post else len(out), b["shard_docs"],
                     f"{sum(1 for f in man['files'] if f['kind'] == 'shard' and f['batch'] == b['name'])} file(s), "
                     f"{b['tokens']} tokens"))
    return rows
rows = ledger("web") + global_rows("web", True) + ledger("code") + global_rows("code", False)
corpus = shard_docs(f"{d}/web/corpus") + shard_docs(f"{d}/code/corpus")
rows.append(("sample (by source, fraction 0.5)", corpus, len(lines(f"{d}/sample.jsonl.zst")), "not sampled (hash of id)"))
print(f"{'step':56} {'in':>6} {'kept':>6}  dropped (reason=count)")
for name, i, o, r in rows:
    print(f"{name:56} {'' if i is None else i:>6} {o:>6}  {r}")
print("\n(synth passes its source documents on; a random model's answers fail validation, as they should)")
PY

#!/bin/sh
# pipeline_test.sh: the FineWeb preset's stage list inside a `corpusd run`
# pipeline over several inputs: the outputs are byte-identical at 1 and 3
# threads (the stages share compiled state read-only and keep per-thread
# scratch), and equal to `corpusd filter` on each input alone.
set -u
: "${CORPUSD:=bin/corpusd}"
: "${PYTHON:=python3}"
ls /usr/share/common-licenses/GPL-3 >/dev/null 2>&1 || { echo "skip: /usr/share/common-licenses missing"; exit 77; }
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
$PYTHON - "$T" <<'PY'
import glob, json, sys
T = sys.argv[1]
paths = sorted(glob.glob("/usr/share/common-licenses/*"))
docs = []
for p in paths:
    try: text = open(p, encoding="utf-8").read()
    except (UnicodeDecodeError, IsADirectoryError): continue
    paras = [x for x in text.split("\n\n") if x.strip()]
    for i in range(0, len(paras), 4):
        docs.append({"id": f"{p.rsplit('/', 1)[1]}/{i}", "text": "\n\n".join(paras[i:i + 4]),
                     "metadata": {"url": f"https://licenses.example/{i}"}})
for k in range(4):
    with open(f"{T}/in{k}.jsonl", "w") as f:
        for d in docs[k::4]: f.write(json.dumps(d) + "\n")
PY
for th in 1 3; do
  { printf 'seed: 1\nrun_dir: %s/run%s\ninputs:\n' "$T" "$th"
    for k in 0 1 2 3; do printf '  - %s/in%s.jsonl\n' "$T" "$k"; done
    sed -n '/^stages:/,$p' configs/fineweb.yaml
    printf 'output:\n  format: jsonl\n  rejects: true\n'; } > "$T/p$th.yaml"
  "$CORPUSD" run "$T/p$th.yaml" --threads $th --quiet --no-progress > "$T/log$th" 2>&1 || { cat "$T/log$th"; fail "run threads $th"; }
done
(cd "$T/run1/out" && find . -type f ! -name '.*' | sort | xargs cat) > "$T/all1"
(cd "$T/run3/out" && find . -type f ! -name '.*' | sort | xargs cat) > "$T/all3"
[ -s "$T/all1" ] || fail "no output"
cmp -s "$T/all1" "$T/all3" || fail "outputs differ between 1 and 3 threads"
# same kept documents as corpusd filter on each input
for k in 0 1 2 3; do "$CORPUSD" filter "$T/in$k.jsonl" -o - --config configs/fineweb.yaml 2>/dev/null; done > "$T/alone"
$PYTHON - "$T" <<'PY' || exit 1
import glob, json, sys, subprocess
T = sys.argv[1]
def ids(paths):
    out = []
    for p in paths:
        data = subprocess.run(["zstd", "-dcf", p], capture_output=True).stdout.decode() if p.endswith(".zst") else open(p).read()
        out += [json.loads(l)["id"] for l in data.splitlines() if l.strip()]
    return sorted(out)
run = ids(sorted(glob.glob(f"{T}/run1/out/main/*.jsonl*")))
alone = ids([f"{T}/alone"])
assert run == alone and len(run) > 0, (len(run), len(alone))
print("kept", len(run))
PY
echo ok

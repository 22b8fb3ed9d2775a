#!/bin/sh
# corpusd report: the HTML page, opened in headless Chromium, renders its
# charts (every bar laid out, widths in proportion to values) with the numbers
# of the ledger and of the outputs.
. "$(dirname "$0")/../core/common.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
CHROME=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROME" ] || { [ "${CI:-}" = true ] && fail "chromium missing in CI (scripts/install-deps.sh installs it)"; skip "chromium is not installed (apt-get install chromium)"; }
$PYTHON "$HERE/../core/gen_corpus.py" "$TESTDIR/in" 4 700
# exact duplicates under other ids for the global dedup step
sed 's/"id": "f000/"id": "dup000/' "$TESTDIR/in/part000.jsonl" > "$TESTDIR/in/part000dup.jsonl"
$PYTHON "$HERE/../shards/megatron_reader.py" make-tokenizer "$TESTDIR/tok.json" 0
ROOT=$(cd "$HERE/../.." && pwd)
cat > "$TESTDIR/p.yaml" <<YAML
seed: 2
inputs: ["$TESTDIR/in/part*"]
stages:
  - select: {expr: 'metadata.quality > 0.2'}
  - sample: {fraction: 0.6}
output: {rejects: true}
dedup: {config: $ROOT/configs/dedup-fineweb.yaml, memory: 128M}
shards: {tokenizer: $TESTDIR/tok.json, format: megatron}
YAML
"$CORPUSD" run "$TESTDIR/p.yaml" --state "$TESTDIR/run/state" --output "$TESTDIR/run/out" --quiet
"$CORPUSD" report --state "$TESTDIR/run/state" -o "$TESTDIR/report.html" > /dev/null
grep -q "http" "$TESTDIR/report.html" && grep -o 'src="http[^"]*"' "$TESTDIR/report.html" && fail "report loads something from the network"
timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$TESTDIR/chrome" --virtual-time-budget=2000 --dump-dom "file://$TESTDIR/report.html" \
  > "$TESTDIR/dom.html" 2> "$TESTDIR/chrome.log" || { tail "$TESTDIR/chrome.log"; fail "chromium failed"; }
$PYTHON - "$TESTDIR" <<'PY'
import glob, json, re, sqlite3, subprocess, sys
from html.parser import HTMLParser
t = sys.argv[1]
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.chart = None; self.bars = {}; self.rendered = False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body" and a.get("data-rendered") == "1": self.rendered = True
        if tag == "svg" and "chart" in (a.get("class") or ""): self.chart = a["id"]; self.bars[self.chart] = {}
        if tag == "rect" and self.chart:
            self.bars[self.chart][a["data-label"]] = (float(a["data-value"]), float(a.get("data-rendered-width", "-1")))
p = P(); p.feed(open(t + "/dom.html").read())
assert p.rendered, "the report's script did not run: not rendered"
db = sqlite3.connect(t + "/run/state/ledger.sqlite")
want = {f"{s}: {n}": v for s, n, v in db.execute(
    "SELECT stage, name, SUM(value) FROM stage_counts WHERE kind='drop' GROUP BY idx, stage, name")}
got = {k: v for k, (v, w) in p.bars["drops"].items()}
assert got == want, (got, want)
langs = {}
for f in glob.glob(t + "/run/out/main/*.zst"):
    for line in subprocess.run(["zstd", "-dc", f], capture_output=True, check=True).stdout.splitlines():
        l = json.loads(line)["metadata"].get("language", "(none)"); langs[l] = langs.get(l, 0) + 1
got = {k: v for k, (v, w) in p.bars["languages"].items()}
assert got == langs, (got, langs)
rows = db.execute("SELECT name, removed, shard_tokens FROM global_batches").fetchall()
assert len(rows) == 1 and rows[0][1] > 100 and rows[0][2] > 0, rows
assert {k: v for k, (v, w) in p.bars["global_removed"].items()} == {n: r for n, r, _ in rows}, p.bars["global_removed"]
assert {k: v for k, (v, w) in p.bars["global_tokens"].items()} == {n: k for n, _, k in rows}, p.bars["global_tokens"]
man = json.load(open(t + "/run/out-corpus/manifest.json"))
assert [b["tokens"] for b in man["batches"]] == [k for _, _, k in rows], man["batches"]
for chart, bars in p.bars.items():
    vals = [(v, w) for v, w in bars.values() if v > 0]
    assert all(w > 0 for v, w in vals), (chart, "a bar was not laid out")
    ratios = [w / v for v, w in vals]
    assert max(ratios) <= min(ratios) * 1.02 + 1e-9, (chart, "bar widths not proportional", ratios)
print("ok:", {c: len(b) for c, b in p.bars.items()})
PY

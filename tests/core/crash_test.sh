#!/bin/sh
# kill -9 a multi-threaded run at 20 random moments, re-running it each time;
# the final output must be byte-identical to an uninterrupted run, with no
# stray temporary files and a ledger that lists exactly the files on disk.
. "$(dirname "$0")/common.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
# Smaller under the sanitizers, which run several times slower.
if [ "${CORPUSD_MODE:-rel}" = san ]; then $PYTHON "$HERE/gen_corpus.py" "$TESTDIR/in" 12 1200
else $PYTHON "$HERE/gen_corpus.py" "$TESTDIR/in" 24 2500; fi
cat > "$TESTDIR/p.yaml" <<YAML
seed: 5
inputs: ["$TESTDIR/in/part*"]
stages:
  - select: {expr: 'metadata.quality > 0.1'}
  - sample: {fraction: 0.8}
output: {max_docs: 200, rejects: true}
YAML
$PYTHON - "$CORPUSD" "$TESTDIR" <<'PY'
import os, random, signal, subprocess, sys, time, hashlib, sqlite3
corpusd, t = sys.argv[1], sys.argv[2]
def run(tag, kill_after=None):
    cmd = [corpusd, "run", t + "/p.yaml", "--threads", "3", "--state", f"{t}/{tag}/state",
           "--output", f"{t}/{tag}/out", "--quiet"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is None:
        assert p.wait() == 0
        return True
    try:
        p.wait(timeout=kill_after)
        return p.returncode == 0
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGKILL)
        p.wait()
        return False
def tree(d):
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            if f in (".corpusd-owner", "manifest.json"):
                continue
            p = os.path.join(root, f)
            out[os.path.relpath(p, d)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out
t0 = time.time(); run("ref"); ref_time = time.time() - t0
ref = tree(f"{t}/ref/out")
assert len(ref) > 50, len(ref)
rng = random.Random(int(os.environ.get("SEED", "42")))
def check():
    got = tree(f"{t}/crash/out")
    assert not [k for k in got if k.endswith(".tmp")], "stray temporary files"
    missing = set(ref) - set(got); extra = set(got) - set(ref)
    assert not missing and not extra, (sorted(missing)[:5], sorted(extra)[:5])
    diff = [k for k in ref if ref[k] != got[k]]
    assert not diff, diff[:5]
    return got
# Kill at 20 random moments, each landing mid-run (start-up and recovery
# included), re-running on the same state each time. When a run gets to the
# end before its kill, its output is checked and the state starts afresh.
kills = completed = 0
while kills < 20:
    if run("crash", rng.uniform(0.02, ref_time * 0.95)):
        check()
        completed += 1
        subprocess.run(["rm", "-rf", f"{t}/crash"], check=True)
    else:
        kills += 1
run("crash")
got = check()
db = sqlite3.connect(f"{t}/crash/state/ledger.sqlite")
listed = {r[0]: r[1] for r in db.execute("SELECT path, checksum FROM outputs")}
assert set(listed) == set(got), "ledger and disk disagree"
assert db.execute("SELECT COUNT(*) FROM inputs WHERE status!='done'").fetchone()[0] == 0
print(f"ok: {kills} kills landed mid-run ({completed} runs finished first and were checked), reference run {ref_time:.2f}s, {len(ref)} files identical")
PY

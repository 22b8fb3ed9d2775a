"""Driver for daemon_test.sh; see there. Exits non-zero with a message on failure."""
import hashlib, json, os, random, shutil, signal, socket, sqlite3, subprocess, sys, time, urllib.request

corpusd, T, gen = sys.argv[1], sys.argv[2], sys.argv[3]
SAN = os.environ.get("CORPUSD_MODE") == "san"
PY = sys.executable


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def gen_files(d, n, docs, start=0):
    """Writes n new input files into d, numbered from `start` (generated in a
    side folder, then moved in atomically)."""
    tmp = d + ".gen"
    subprocess.run([PY, gen, tmp, str(n), str(docs), str(start)], check=True)
    os.makedirs(d, exist_ok=True)
    for f in sorted(os.listdir(tmp)):
        os.replace(os.path.join(tmp, f), os.path.join(d, f))
    shutil.rmtree(tmp)


def write_config(path, indir, fraction=0.7):
    with open(path, "w") as f:
        f.write(f"""seed: 3
inputs: ["{indir}/part*"]
stages:
  - select: {{expr: 'metadata.quality > 0.05'}}
  - sample: {{fraction: {fraction}}}
output: {{max_docs: 400, rejects: true}}
daemon: {{interval: 0.2, grace: 5, metrics: "off"}}
""")


def db_scalar(state, sql):
    db = sqlite3.connect(os.path.join(state, "ledger.sqlite"), timeout=10)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if pred():
                return
        except sqlite3.Error:
            pass
        time.sleep(0.1)
    fail("timed out waiting for " + what)


def tree(d):
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            if f in (".corpusd-owner", "manifest.json"):
                continue
            p = os.path.join(root, f)
            st = os.stat(p)
            out[os.path.relpath(p, d)] = (hashlib.sha256(open(p, "rb").read()).hexdigest(), st.st_ino, st.st_mtime_ns)
    return out


def start(cfg, state, out, *extra, log=None):
    cmd = [corpusd, "daemon", cfg, "--state", state, "--output", out] + list(extra)
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log or subprocess.DEVNULL)


SLOW = 4 if SAN else 1

# --- 1. drop folder, lock, metrics, SIGHUP, SIGTERM -------------------------
indir, state, out, cfg = f"{T}/in", f"{T}/state", f"{T}/out", f"{T}/d.yaml"
gen_files(indir, 3, 800)
write_config(cfg, indir)
port = free_port()
log = open(f"{T}/daemon.log", "w")
d = start(cfg, state, out, "--metrics", f"127.0.0.1:{port}", log=log)
wait_for(lambda: db_scalar(state, "SELECT COUNT(*) FROM inputs WHERE status='done'") == 3, 30 * SLOW, "3 inputs done")

r = subprocess.run([corpusd, "daemon", cfg, "--state", state, "--output", out, "--metrics", "off"],
                   capture_output=True, text=True, timeout=30)
if r.returncode != 2 or f"another corpusd daemon (pid {d.pid})" not in r.stderr:
    fail(f"second daemon not refused properly: rc={r.returncode} {r.stderr!r}")

before = tree(out)
gen_files(indir, 2, 800, start=3)
wait_for(lambda: db_scalar(state, "SELECT COUNT(*) FROM inputs WHERE status='done'") == 5, 30 * SLOW, "5 inputs done")


def manifest_matches(d):
    try:
        man = json.load(open(f"{d}/manifest.json"))
    except (OSError, ValueError):
        return False
    return sorted(f["path"] for f in man["files"]) == sorted(tree(d))


# The manifest is rewritten at the end of the cycle that finished the inputs.
wait_for(lambda: manifest_matches(out), 30 * SLOW, "the manifest to list exactly the files on disk")
after = tree(out)
for k, v in before.items():
    if after.get(k) != v:
        fail(f"old output {k} was rewritten")
if len(after) <= len(before):
    fail("new inputs added no outputs")

body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
metrics = {}
for line in body.splitlines():
    if line and not line.startswith("#"):
        k, v = line.rsplit(" ", 1)
        metrics[k] = int(float(v))
checks = {
    'corpusd_inputs{status="done"}': "SELECT COUNT(*) FROM inputs WHERE status='done'",
    'corpusd_output_docs{subset="main"}': "SELECT SUM(docs) FROM outputs WHERE subset='main'",
    'corpusd_output_files{subset="rejects"}': "SELECT COUNT(*) FROM outputs WHERE subset='rejects'",
    'corpusd_stage_drops_total{index="2",stage="sample",reason="sample"}':
        "SELECT SUM(value) FROM stage_counts WHERE idx=2 AND name='sample'",
    'corpusd_stage_docs_in_total{index="1",stage="select"}': "SELECT SUM(docs_in) FROM stage_stats WHERE idx=1",
}
for k, sql in checks.items():
    want = db_scalar(state, sql)
    if metrics.get(k) != want:
        fail(f"metric {k} = {metrics.get(k)}, ledger says {want}")
if urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10).read() != b"ok\n":
    fail("/healthz not ok")

# SIGHUP with an output-changing edit is refused; the daemon keeps running.
write_config(cfg, indir, fraction=0.5)
d.send_signal(signal.SIGHUP)
wait_for(lambda: "refused" in open(f"{T}/daemon.log").read(), 10 * SLOW, "SIGHUP refusal in the log")
if d.poll() is not None:
    fail("daemon died after SIGHUP")
write_config(cfg, indir)

# SIGTERM under load: a big input in flight; exit 0 within grace + slack.
gen_files(indir, 1, 60000, start=5)
wait_for(lambda: db_scalar(state, "SELECT COUNT(*) FROM inputs WHERE status='running'") >= 1, 30 * SLOW, "big input running")
t0 = time.time()
d.send_signal(signal.SIGTERM)
try:
    rc = d.wait(timeout=5 + 10 * SLOW)
except subprocess.TimeoutExpired:
    fail("daemon did not exit within the grace period")
if rc != 0:
    fail(f"daemon exit code {rc} after SIGTERM")
print(f"SIGTERM exit after {time.time() - t0:.2f}s")
if db_scalar(state, "SELECT COUNT(*) FROM inputs WHERE status='running'") != 0:
    fail("inputs left running after a graceful stop")

# --- 2. disk full: pause, lose nothing, resume ----------------------------
small = f"{T}/small"
os.makedirs(small)
mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", small],
                         capture_output=True).returncode == 0
env = dict(os.environ)
full_flag = f"{T}/disk-is-full"
if not mounted:
    print("note: cannot mount a tmpfs here; using the CORPUSD_FAULT_ENOSPC write-failure hook")
    env["CORPUSD_FAULT_ENOSPC"] = full_flag
try:
    din, dstate, dout, dcfg = f"{T}/din", f"{T}/dstate", f"{small}/out", f"{T}/dd.yaml"
    os.makedirs(din)
    rnd = random.Random(9)
    with open(f"{din}/big.jsonl", "w") as f:   # incompressible text: ~1.6 MB of output
        for i in range(400):
            f.write(json.dumps({"id": f"b{i}", "text": "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789 ")
                                                                for _ in range(4000))}) + "\n")
    with open(dcfg, "w") as f:
        f.write(f'inputs: ["{din}/*.jsonl"]\noutput: {{compression: zst}}\ndaemon: {{interval: 0.2, metrics: "off"}}\n')
    if mounted:
        with open(f"{small}/filler", "wb") as f:
            f.write(b"\0" * (2700 * 1024))
    else:
        open(full_flag, "w").close()
    dlog = open(f"{T}/disk.log", "w")
    dd = subprocess.Popen([corpusd, "daemon", dcfg, "--state", dstate, "--output", dout], env=env,
                          stdout=subprocess.DEVNULL, stderr=dlog)
    wait_for(lambda: "paused: disk full" in open(f"{T}/disk.log").read(), 30 * SLOW, "disk-full pause")
    if db_scalar(dstate, "SELECT status FROM inputs") != "pending":
        fail("input not kept pending on a full disk")
    leftovers = [f for f in os.listdir(f"{dout}/main")] if os.path.isdir(f"{dout}/main") else []
    if any(not f.endswith(".tmp") for f in leftovers):
        fail(f"partial outputs committed on a full disk: {leftovers}")
    if mounted:
        os.remove(f"{small}/filler")
    else:
        os.remove(full_flag)
    wait_for(lambda: db_scalar(dstate, "SELECT status FROM inputs") == "done", 30 * SLOW, "resume after space freed")
    wait_for(lambda: "resumed" in open(f"{T}/disk.log").read(), 10 * SLOW, "resume message")
    n = db_scalar(dstate, "SELECT SUM(docs) FROM outputs WHERE subset='main'")
    if n != 400:
        fail(f"after resuming, {n} documents in the output, expected 400")
    dd.send_signal(signal.SIGTERM)
    dd.wait(timeout=30)
finally:
    if mounted:
        subprocess.run(["umount", "-l", small])

# --- 3. kill -9 at 20 random moments == one batch run -----------------------
kin, kstate, kout, kcfg = f"{T}/kin", f"{T}/kstate", f"{T}/kout", f"{T}/k.yaml"
gen_files(f"{T}/all", 12, 1500)
os.makedirs(kin)
write_config(kcfg, kin)
files = sorted(os.listdir(f"{T}/all"))
rng = random.Random(7)
kills = 0
added = 0
while kills < 20:
    # new snapshot files arrive between restarts
    if added < len(files) and rng.random() < 0.6:
        shutil.copy(f"{T}/all/{files[added]}", kin)
        added += 1
    k = start(kcfg, kstate, kout, "--metrics", "off")
    time.sleep(rng.uniform(0.05, 0.6 * SLOW))
    k.send_signal(signal.SIGKILL)
    k.wait()
    kills += 1
for f in files[added:]:
    shutil.copy(f"{T}/all/{f}", kin)
k = start(kcfg, kstate, kout, "--metrics", "off")
wait_for(lambda: db_scalar(kstate, "SELECT COUNT(*) FROM inputs WHERE status='done'") == len(files), 60 * SLOW,
         "all inputs done after the kills")
time.sleep(0.5)
k.send_signal(signal.SIGTERM)
k.wait(timeout=30)
# the batch reference over everything at once
bcfg = f"{T}/b.yaml"
write_config(bcfg, f"{T}/all")
subprocess.run([corpusd, "run", bcfg, "--state", f"{T}/bstate", "--output", f"{T}/bout", "--quiet"], check=True)
got = {k: v[0] for k, v in tree(kout).items()}
ref = {k: v[0] for k, v in tree(f"{T}/bout").items()}
if got != ref:
    fail(f"daemon after 20 kills differs from batch: missing {sorted(set(ref) - set(got))[:3]} "
         f"extra {sorted(set(got) - set(ref))[:3]} changed {[x for x in ref if ref[x] != got.get(x)][:3]}")
ids = []
for p in sorted(tree(kout)):
    if p.startswith("main/"):
        data = subprocess.run(["zstd", "-dc", f"{kout}/{p}"], capture_output=True, check=True).stdout
        ids += [json.loads(l)["id"] for l in data.splitlines()]
if len(ids) != len(set(ids)):
    fail("duplicate documents in the daemon's output")
if not manifest_matches(kout):
    fail("manifest does not list exactly the shards on disk")
print(f"ok: {kills} kills, {len(ids)} kept documents, identical to the batch run")

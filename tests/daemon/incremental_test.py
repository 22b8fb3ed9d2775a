"""Driver for incremental_test.sh; see there. Exits non-zero with a message on failure."""
import gzip, hashlib, json, os, random, shutil, signal, sqlite3, subprocess, sys, time, uuid

corpusd, T, here = sys.argv[1], sys.argv[2], sys.argv[3]
SAN = os.environ.get("CORPUSD_MODE") == "san"
SLOW = 4 if SAN else 1
PY = sys.executable
ROOT = os.path.dirname(os.path.dirname(here))


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


# --- a CommonCrawl-like layout: snapshot A now, snapshot B later ------------
root = f"{T}/root"
A, B = "CC-MAIN-2025-05", "CC-MAIN-2025-08"
rng = random.Random(5)
WORDS = [w for w in open("/usr/share/dict/words").read().split() if w.isalpha()][:20000] \
    if os.path.exists("/usr/share/dict/words") else None
if not WORDS:
    WORDS = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(5000)]


def page():
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(120, 220))) + "."


def near(text):
    w = text.split()
    for _ in range(2):   # two words changed in ~170: Jaccard of 5-grams ~0.9
        w[rng.randrange(len(w))] = rng.choice(WORDS)
    return " ".join(w)


def rec(headers, body):
    h = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + f"Content-Length: {len(body)}\r\n\r\n"
    return gzip.compress(h.encode() + body + b"\r\n\r\n", mtime=0)


def write_snapshot(snap, files):
    """files: list of lists of (url, text). Returns the WET paths."""
    paths = []
    for k, pages in enumerate(files):
        seg = f"crawl-data/{snap}/segments/17000000{k}.1/wet"
        os.makedirs(f"{root}/{seg}", exist_ok=True)
        rel = f"{seg}/{snap}-2025000{k}-{k:05d}.warc.wet.gz"
        with open(f"{root}/{rel}", "wb") as out:
            out.write(rec([("WARC-Type", "warcinfo"), ("WARC-Date", "2025-02-01T00:00:00Z"),
                           ("WARC-Record-ID", f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128))}>"),
                           ("Content-Type", "application/warc-fields")], b"Software-Info: test\r\n"))
            for url, text in pages:
                out.write(rec([("WARC-Type", "conversion"), ("WARC-Target-URI", url),
                               ("WARC-Date", "2025-02-01T01:02:03Z"),
                               ("WARC-Record-ID", f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128))}>"),
                               ("WARC-Identified-Content-Language", "eng"), ("Content-Type", "text/plain")],
                              text.encode()))
        paths.append(rel)
    with gzip.open(f"{root}/crawl-data/{snap}/wet.paths.gz", "wt") as f:
        f.write("".join(p + "\n" for p in paths))
    return paths


def publish(snaps):
    tmp = f"{root}/collinfo.json.tmp"
    json.dump([{"id": s, "name": s} for s in reversed(snaps)], open(tmp, "w"))
    os.replace(tmp, f"{root}/collinfo.json")


NA = 120 * SLOW // SLOW   # pages per file
a_pages = [[(f"https://a.example/{k}/{i}", page()) for i in range(NA)] for k in range(2)]
flat_a = [t for f in a_pages for _, t in f]
# One exact duplicate inside A as well (dedup inside a snapshot, too).
a_pages[1][5] = ("https://a.example/dup-within-a", a_pages[0][7][1])
flat_a = [t for f in a_pages for _, t in f]
b_pages = []
for k in range(2):
    pages = []
    for i in range(NA):
        r = i % 4
        if r == 0:
            pages.append((f"https://b.example/{k}/{i}", rng.choice(flat_a)))        # exact duplicate of A
        elif r == 1:
            pages.append((f"https://b.example/{k}/{i}", near(rng.choice(flat_a))))  # near duplicate of A
        else:
            pages.append((f"https://b.example/{k}/{i}", page()))                     # new
    b_pages.append(pages)
b_pages[1][2] = ("https://b.example/dup-within-b", b_pages[0][2][1])                 # a duplicate inside B
wet_a = write_snapshot(A, a_pages)
publish([A])

srv = subprocess.Popen([PY, f"{ROOT}/tests/crawl/faultserver.py", root, f"{T}/port", "400"],
                       stderr=subprocess.DEVNULL)
try:
    for _ in range(100):
        if os.path.exists(f"{T}/port") and open(f"{T}/port").read().strip():
            break
        time.sleep(0.1)
    base = f"http://127.0.0.1:{open(f'{T}/port').read().strip()}/ok"
    subprocess.run([PY, f"{ROOT}/tests/shards/megatron_reader.py", "make-tokenizer", f"{T}/tok.json", "0"], check=True)
    GLOBAL = f"""dedup: {{config: {ROOT}/configs/dedup-fineweb.yaml, memory: 128M}}
shards: {{tokenizer: {T}/tok.json, format: megatron, max_tokens: 20000}}
"""
    os.makedirs(f"{T}/none", exist_ok=True)

    def daemon_config(path):
        with open(path, "w") as f:
            f.write(f"""seed: 1
inputs: ["{T}/none/*.jsonl"]
stages: []
output: {{compression: zst, rejects: true}}
{GLOBAL}daemon: {{interval: 0.2, grace: 5, metrics: "off", commoncrawl: "CC-MAIN-*", commoncrawl_base: "{base}",
         commoncrawl_type: wet, commoncrawl_poll: 0.3}}
""")

    def db(state, sql):
        c = sqlite3.connect(os.path.join(state, "ledger.sqlite"), timeout=10)
        try:
            return c.execute(sql).fetchall()
        finally:
            c.close()

    def batch_status(state, name):
        try:
            r = db(state, f"SELECT status FROM global_batches WHERE name='{name}'")
        except sqlite3.Error:
            return None
        return r[0][0] if r else None

    def wait_for(pred, timeout, what):
        end = time.time() + timeout
        while time.time() < end:
            if pred():
                return
            time.sleep(0.1)
        fail("timed out waiting for " + what)

    def tree(d):
        out = {}
        for r, _, files in os.walk(d):
            for f in files:
                p = os.path.join(r, f)
                st = os.stat(p)
                out[os.path.relpath(p, d)] = (hashlib.sha256(open(p, "rb").read()).hexdigest(), st.st_ino,
                                              st.st_mtime_ns)
        return out

    def kept_ids(corpus):
        ids = []
        for p in sorted(tree(corpus)):
            if p.startswith("docs/"):
                data = subprocess.run(["zstd", "-dc", f"{corpus}/{p}"], capture_output=True, check=True).stdout
                ids += [json.loads(l)["id"] for l in data.splitlines() if l.strip()]
        return ids

    def manifest_exact(corpus):
        try:
            man = json.load(open(f"{corpus}/manifest.json"))
        except (OSError, ValueError):
            return False
        return sorted(f["path"] for f in man["files"]) == sorted(p for p in tree(corpus) if p != "manifest.json")

    def check_corpus(corpus, what):
        # The manifest follows the ledger's commit of a step within the cycle.
        wait_for(lambda: manifest_exact(corpus), 10 * SLOW, f"{what}: the manifest to list exactly the files")
        files = tree(corpus)
        man = json.load(open(f"{corpus}/manifest.json"))
        listed = sorted(f["path"] for f in man["files"])
        on_disk = sorted(p for p in files if p != "manifest.json")
        if listed != on_disk:
            fail(f"{what}: the manifest lists {listed[:4]}..., the disk has {on_disk[:4]}...")
        if any(os.path.basename(p).startswith(".") for p in files):
            fail(f"{what}: partial (temporary) files left: {[p for p in files if '/.' in p]}")
        ids = kept_ids(corpus)
        if len(ids) != len(set(ids)):
            fail(f"{what}: a document is in the corpus twice")
        # Every kept document is in the shards exactly once: the .idx sequence
        # counts add up to the kept count.
        nseq = 0
        for p in files:
            if p.endswith(".idx"):
                with open(f"{corpus}/{p}", "rb") as f:
                    head = f.read(9 + 8 + 1 + 8)
                    nseq += int.from_bytes(head[18:26], "little")
        if nseq != len(ids):
            fail(f"{what}: {nseq} documents in the shards, {len(ids)} kept documents")
        for f in man["files"]:
            if hashlib.sha256(b"").hexdigest() and not os.path.exists(f"{corpus}/{f['path']}"):
                fail(f"{what}: {f['path']} missing")
        return set(ids)

    # --- 1. the daemon ingests A, then B ----------------------------------
    cfg, state, out, corpus = f"{T}/d.yaml", f"{T}/state", f"{T}/out", f"{T}/corpus"
    daemon_config(cfg)
    log = open(f"{T}/daemon.log", "w")
    cmd = [corpusd, "daemon", cfg, "--state", state, "--output", out, "--corpus", corpus]
    d = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
    wait_for(lambda: batch_status(state, A) == "done", 60 * SLOW, "snapshot A through dedup and shards")
    ids_a = check_corpus(corpus, "after A")
    after_a = {k: v for k, v in tree(corpus).items() if not k.startswith("manifest.json")}
    if len(ids_a) != 2 * NA - 1:
        fail(f"snapshot A: {len(ids_a)} kept, expected {2 * NA - 1} (all but its one duplicate)")
    time.sleep(0.5)
    wet_b = write_snapshot(B, b_pages)
    publish([A, B])
    wait_for(lambda: batch_status(state, B) == "done", 60 * SLOW, "snapshot B through dedup and shards")
    d.send_signal(signal.SIGTERM)
    if d.wait(timeout=30) != 0:
        fail("daemon exit code after SIGTERM")
    after_b = tree(corpus)
    for k, v in after_a.items():
        if after_b.get(k) != v:
            fail(f"snapshot B touched A's corpus file {k}")
    new = [k for k in after_b if k not in after_a]
    if not any(k.startswith("shards/" + B) and k.endswith(".bin") for k in new):
        fail(f"snapshot B added no shard files: {new}")
    inc = check_corpus(corpus, "after B")
    removed = db(state, f"SELECT removed FROM global_batches WHERE name='{B}'")[0][0]
    if removed < NA // 2 + 1:   # ~1/4 exact + ~1/4 near of 2*NA pages, plus one inside B
        fail(f"snapshot B: only {removed} duplicates removed")

    # --- 2. one batch run over A+B ------------------------------------------
    bcfg = f"{T}/b.yaml"
    with open(bcfg, "w") as f:
        f.write("seed: 1\ninputs:\n" + "".join(f"  - {{path: \"{base}/{p}\", format: warc}}\n" for p in wet_a + wet_b)
                + "stages: []\noutput: {compression: zst, rejects: true}\n"
                + GLOBAL)
    subprocess.run([corpusd, "run", bcfg, "--state", f"{T}/bstate", "--output", f"{T}/bout", "--corpus",
                    f"{T}/bcorpus", "--quiet"], check=True)
    batch = check_corpus(f"{T}/bcorpus", "batch run")
    if inc != batch:
        fail(f"incremental != batch: only incremental {sorted(inc - batch)[:3]}, only batch {sorted(batch - inc)[:3]}")
    print(f"incremental == batch: {len(inc)} kept of {4 * NA}; snapshot B: {removed} duplicates removed, "
          f"A's {len(after_a)} corpus files untouched")

    # --- 3. kill -9 at random moments during both ingestions ---------------
    kstate, kout, kcorpus, kcfg = f"{T}/kstate", f"{T}/kout", f"{T}/kcorpus", f"{T}/k.yaml"
    publish([A])
    daemon_config(kcfg)
    krng = random.Random(11)
    kills = 0
    phases = set()
    kcmd = [corpusd, "daemon", kcfg, "--state", kstate, "--output", kout, "--corpus", kcorpus]
    NKILL = int(os.environ.get("CORPUSD_KILLS", "20"))
    while kills < NKILL:
        if kills == NKILL // 2:
            publish([A, B])
        k = subprocess.Popen(kcmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(krng.uniform(0.05, 0.8 * SLOW))
        k.send_signal(signal.SIGKILL)
        k.wait()
        kills += 1
        try:
            phases.add(tuple(db(kstate, "SELECT name, status FROM global_batches ORDER BY ord")))
        except sqlite3.Error:
            phases.add(())
    klog = open(f"{T}/kdaemon.log", "w")
    k = subprocess.Popen(kcmd, stdout=subprocess.DEVNULL, stderr=klog)
    try:
        wait_for(lambda: batch_status(kstate, B) == "done", 90 * SLOW, "both snapshots done after the kills")
    except SystemExit:
        print("".join(open(f"{T}/kdaemon.log").readlines()[-15:]))
        print(db(kstate, "SELECT * FROM global_batches"), db(kstate, "SELECT status, COUNT(*) FROM inputs GROUP BY status"))
        raise
    k.send_signal(signal.SIGTERM)
    k.wait(timeout=30)
    got = check_corpus(kcorpus, "after kill -9")
    if got != batch:
        fail(f"after {kills} kills: kept set differs from the batch run: missing {sorted(batch - got)[:3]} "
             f"extra {sorted(got - batch)[:3]}")
    print("batch states seen at the kills:", sorted(phases))
    print(f"ok: {kills} kills, same kept set, manifest exact, no partial file")
finally:
    srv.terminate()
    srv.wait()

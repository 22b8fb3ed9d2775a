#!/bin/sh
# code_test.sh: near-dedup of code with configs/dedup-code.yaml (word
# 5-grams, case kept, 32 x 8, exact Jaccard check at 0.7, keep: license,
# stars_desc, date_desc). Generated repositories: 40 files, each forked into
# 5 repositories with one line changed (Jaccard >= ~0.85 to each
# other, so LSH at 32 x 8 misses a pair with p < 1e-4) under random licenses (license_decision allow/deny/unknown), stars
# (or none) and dates (or none), plus one heavy rewrite per file (Jaccard
# < 0.7, with the best metadata, so it comes first and every fork must be
# checked past it against later members of the buckets). The expected result is
# computed independently here: order by (license allow first, most stars
# (missing 0), latest date (missing last), smallest id); a file is removed
# iff an earlier one has Jaccard >= 0.7 over word 5-gram sets, duplicate_of
# = the earliest such one. Also: a copy differing only in case is not an
# exact duplicate (case is kept) but is a near one.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUSD=${CORPUSD:-$ROOT/bin/corpusd}
PYTHON=${PYTHON:-python3}
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
"$PYTHON" - "$T" <<'PY'
import json, random, re, sys
T = sys.argv[1]
rng = random.Random(11)
syll = ["ka", "lo", "mi", "ne", "po", "ru", "si", "ta", "vu", "ze", "qa", "fi", "go", "hu", "jo", "wy"]
def ident():
    return "".join(rng.choice(syll) for _ in range(rng.randint(2, 4)))
def line():
    k = rng.randrange(4)
    a, b, c = ident(), ident(), ident()
    if k == 0: return "    %s = %s(%s, %s);" % (a, b, c, ident())
    if k == 1: return "    if (%s > %s) { return %s; }" % (a, b, c)
    if k == 2: return "    for (%s in %s) %s.%s(%s);" % (a, b, c, ident(), a)
    return "    %s += %s * %s - %s;" % (a, b, c, ident())
def shingles(text):
    toks = [t for t in re.split(r"[^A-Za-z0-9]+", text) if t]
    return {" ".join(toks[i:i + 5]) for i in range(max(1, len(toks) - 4))}
def jac(a, b):
    return len(a & b) / len(a | b)
docs, groups = [], []
for g in range(40):
    base = ["def %s(%s) {" % (ident(), ident())] + [line() for _ in range(60)] + ["}"]
    group = []
    for k in range(5):
        lines = list(base)
        for _ in range(1):
            lines[rng.randrange(1, 61)] = line()
        meta = {"repo": "org%d/proj%d" % (k, g), "path": "src/f%d.x" % g,
                "license_decision": rng.choice(["allow", "allow", "deny", "unknown"])}
        if rng.random() < 0.8: meta["stars"] = rng.choice([0, 3, 10, 10, 250])
        if rng.random() < 0.8: meta["date"] = "2024-0%d-1%dT00:00:00Z" % (rng.randint(1, 9), rng.randint(0, 9))
        group.append({"id": "g%02d-fork%d" % (g, k), "text": "\n".join(lines), "metadata": meta})
    lines = list(base)
    for i in rng.sample(range(1, 61), 30):
        lines[i] = line()
    group.append({"id": "g%02d-rewrite" % g, "text": "\n".join(lines),
                  "metadata": {"repo": "big/proj%d" % g, "license_decision": "allow", "stars": 100000,
                               "date": "2025-01-01T00:00:00Z"}})
    groups.append(group)
    docs += group
# A file and the same file upper-cased: near (Jaccard 1 after no folding? no:
# case is kept, so they share nothing) -> both kept; a file and a copy with
# one identifier's case changed: a near duplicate, not an exact one.
base = "\n".join(["class %s {" % ident()] + [line() for _ in range(40)] + ["}"])
docs.append({"id": "case-a", "text": base, "metadata": {"license_decision": "allow", "stars": 5}})
docs.append({"id": "case-b", "text": base.upper(), "metadata": {"license_decision": "allow", "stars": 4}})
toks = base.split(" ")
i = next(i for i, t in enumerate(toks) if re.match(r"^[a-z]{4,}", t))
toks[i] = toks[i].capitalize()
docs.append({"id": "case-c", "text": " ".join(toks), "metadata": {"license_decision": "allow", "stars": 3}})
rng.shuffle(docs)
for f in range(3):
    with open("%s/in-%d.jsonl" % (T, f), "w") as out:
        for d in docs[f::3]:
            out.write(json.dumps(d) + "\n")
# The expected decisions.
def key(d):
    m = d["metadata"]
    date = m.get("date", "")
    return (m.get("license_decision") != "allow", -m.get("stars", 0), tuple(-ord(c) for c in date) + (1,), d["id"])
order = sorted(docs, key=key)
sh = {d["id"]: shingles(d["text"]) for d in docs}
expect = {}
for i, d in enumerate(order):
    for e in order[:i]:
        if jac(sh[d["id"]], sh[e["id"]]) >= 0.7:
            expect[d["id"]] = e["id"]
            break
json.dump(expect, open(T + "/expect.json", "w"))
sims = [jac(sh[a["id"]], sh[b["id"]]) for g in groups for a in g for b in g if a["id"] < b["id"]]
print("pairs in groups: %d, Jaccard from %.2f to %.2f; %d files expected removed"
      % (len(sims), min(sims), max(sims), len(expect)))
PY
"$CORPUSD" dedup "$T"/in-*.jsonl -o "$T/out" --config "$ROOT/configs/dedup-code.yaml" --rejects "$T/rej.jsonl" \
  --memory 128M
"$PYTHON" - "$T" <<'PY'
import json, sys
T = sys.argv[1]
expect = json.load(open(T + "/expect.json"))
got = {}
for l in open(T + "/rej.jsonl"):
    d = json.loads(l)
    got[d["id"]] = d["metadata"]["duplicate_of"]
    assert d["metadata"]["dedup_method"] == "minhash", d["id"]
missing = sorted(set(expect) - set(got))
extra = sorted(set(got) - set(expect))
wrong = sorted(k for k in expect if k in got and got[k] != expect[k])
print("removed %d (expected %d); missed %s; unexpected %s; wrong duplicate_of %s"
      % (len(got), len(expect), missing[:5], extra[:5], wrong[:5]))
assert not missing and not extra and not wrong
assert "case-c" in got and "case-b" not in got and "case-a" not in got
rewrites = [k for k in got if k.endswith("rewrite")]
assert not rewrites, rewrites
# Each group keeps exactly its rewrite and its best fork by the policy.
print("ok")
PY

#!/bin/sh
# bench/codefilter/run.sh: corpusd's license matcher against Debian's
# licensecheck (apt package licensecheck) on real license files: Debian's
# /usr/share/common-licenses/* and the LICENSE/COPYING files of packages
# installed on this machine (/usr/share/doc, /usr/lib/node_modules,
# /usr/lib/python3*, ...). Both tools read the same copies in the same run;
# the script prints agreement per category, every disagreement, and the
# throughput of both. Timings on a shared 2-core machine are noisy.
#
#   sh bench/codefilter/run.sh [MAX_FILES]     (default 400)
set -eu
cd "$(dirname "$0")/../.."
: "${CORPUSD:=bin/corpusd}"
: "${PYTHON:=python3}"
MAX=${1:-400}
if ! command -v licensecheck >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y licensecheck >/dev/null 2>&1 || true; fi
fi
command -v licensecheck >/dev/null 2>&1 || { echo "bench/codefilter: licensecheck not installed (apt install licensecheck)"; exit 77; }
[ -x "$CORPUSD" ] || { echo "bench/codefilter: build corpusd first (make)"; exit 2; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
# The sample: common-licenses first, then package license files (not the
# DEP-5 /usr/share/doc/*/copyright files, which are not license texts).
{
  for f in /usr/share/common-licenses/*; do [ -f "$f" ] && [ ! -L "$f" ] && echo "$f"; done
  find /usr/share/doc /usr/lib/node_modules /usr/lib/python3* /usr/local/lib/python3* /usr/share/licenses \
       -xdev -type f \( -iname 'LICENSE*' -o -iname 'LICENCE*' -o -iname 'COPYING*' \) -size -256k 2>/dev/null |
    grep -v -E '\.(py|pyc|js|ts|json|h|c|gz|html)$' | LC_ALL=C sort
} | head -n "$MAX" > "$W/list"
n=0
mkdir -p "$W/cases"
while IFS= read -r f; do
  n=$((n + 1)); mkdir -p "$W/cases/$n"; cp "$f" "$W/cases/$n/LICENSE"; printf '%s\t%s\n' "$n" "$f" >> "$W/map"
done < "$W/list"
echo "files: $n"
t0=$(date +%s.%N)
"$CORPUSD" license "$W/cases" --json > "$W/ours.jsonl" || true
t1=$(date +%s.%N)
licensecheck -r --check '.*' -l 0 -m --shortname-scheme=spdx "$W/cases" > "$W/theirs.tsv" 2>/dev/null || true
t2=$(date +%s.%N)
bytes=$(cat "$W"/cases/*/LICENSE | wc -c)
"$PYTHON" - "$W" "$t0" "$t1" "$t2" "$bytes" <<'PY'
import json, re, sys
w, t0, t1, t2, nbytes = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
src = dict(l.rstrip("\n").split("\t", 1) for l in open(w + "/map"))
ours = {}
for l in open(w + "/ours.jsonl"):
    o = json.loads(l)
    k = o["path"].split("/")[0]
    if k not in ours or o["score"] > ours[k][1]:
        ours[k] = (o["spdx"], o["score"], o.get("runner_up"))
theirs = {}
for l in open(w + "/theirs.tsv"):
    p, _, lic = l.rstrip("\n").partition("\t")
    k = p.split("/cases/")[1].split("/")[0]
    theirs[k] = lic.strip()
ALIAS = {"expat": "mit", "bsd-2-clause-freebsd": "bsd-2-clause", "psf-2.0": "python-2.0",
         "artistic-1.0-perl": "artistic-1.0-perl", "zlib-acknowledgement": "zlib"}
def key(x):
    x = x.strip().lower()
    x = re.sub(r"(-only|-or-later|\+)$", "", x)
    x = ALIAS.get(x, x)
    x = re.sub(r"(\.0)+$", "", x)
    return x
def parts(lc):
    if not lc or lc.upper() in ("UNKNOWN", "*NO COPYRIGHT* UNKNOWN"):
        return []
    lc = lc.replace("*No copyright*", "").strip()
    lc = re.sub(r"\s+with\s+\S+\s+exception", "", lc).replace("(", " ").replace(")", " ").strip()
    return [key(p) for p in re.split(r"\s+and/or\s+|\s+or\s+|\s+and\s+|\s*,\s*", lc, flags=re.I) if p and p.upper() != "UNKNOWN"]
cats = {"agree": 0, "disagree": 0, "only_corpusd": 0, "only_licensecheck": 0, "neither": 0}
rows = []
for k in sorted(src, key=int):
    o = ours.get(k); t = parts(theirs.get(k, ""))
    if o and t:
        c = "agree" if key(o[0]) in t else "disagree"
    elif o:
        c = "only_corpusd"
    elif t:
        c = "only_licensecheck"
    else:
        c = "neither"
    cats[c] += 1
    if c != "agree":
        rows.append((c, src[k], o[0] + " %.3f" % o[1] if o else "-", theirs.get(k, "-")))
n = len(src)
both = cats["agree"] + cats["disagree"]
print("\n%-22s %6s" % ("category", "files"))
for c, v in cats.items():
    print("%-22s %6d" % (c, v))
print("agreement where both answer: %d/%d = %.1f%%" % (cats["agree"], both, 100.0 * cats["agree"] / max(both, 1)))
print("\n%-14s %10s %10s %12s" % ("tool", "seconds", "files/s", "MB/s"))
for name, s in (("corpusd", t1 - t0), ("licensecheck", t2 - t1)):
    print("%-14s %10.2f %10.1f %12.2f" % (name, s, n / s, nbytes / s / 1e6))
print("ratio (licensecheck time / corpusd time): %.1fx" % ((t2 - t1) / max(t1 - t0, 1e-9)))
print("\nnot agreeing (category | file | corpusd | licensecheck):")
for r in rows:
    print("  %-18s %s | %s | %s" % r)
PY

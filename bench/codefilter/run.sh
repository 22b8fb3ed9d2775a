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

# Part 2: license headers in source files, which is licensecheck's main use.
# 1500 C files with a GPL-3.0+, LGPL-2.1+, Apache-2.0, MPL-2.0, GPL-2.0+ (the
# notices as their licenses print them) or Linux-style GPL-2.0-only notice,
# an SPDX tag, or no license. "correct" compares license families (-only,
# -or-later and + ignored); "exact" compares the id with its suffix.
"$PYTHON" - "$W/src" <<'PY'
import os, random, sys
d = sys.argv[1]; os.makedirs(d)
H = {
 "GPL-3.0-or-later": "This program is free software: you can redistribute it and/or modify\nit under the terms of the GNU General Public License as published by\nthe Free Software Foundation, either version 3 of the License, or\n(at your option) any later version.\n\nThis program is distributed in the hope that it will be useful,\nbut WITHOUT ANY WARRANTY; without even the implied warranty of\nMERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the\nGNU General Public License for more details.\n\nYou should have received a copy of the GNU General Public License\nalong with this program.  If not, see <https://www.gnu.org/licenses/>.",
 "LGPL-2.1-or-later": "This library is free software; you can redistribute it and/or\nmodify it under the terms of the GNU Lesser General Public\nLicense as published by the Free Software Foundation; either\nversion 2.1 of the License, or (at your option) any later version.\n\nThis library is distributed in the hope that it will be useful,\nbut WITHOUT ANY WARRANTY; without even the implied warranty of\nMERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU\nLesser General Public License for more details.\n\nYou should have received a copy of the GNU Lesser General Public\nLicense along with this library; if not, write to the Free Software\nFoundation, Inc., 51 Franklin Street, Fifth Floor, Boston, MA  02110-1301  USA",
 "Apache-2.0": "Licensed under the Apache License, Version 2.0 (the \"License\");\nyou may not use this file except in compliance with the License.\nYou may obtain a copy of the License at\n\n    http://www.apache.org/licenses/LICENSE-2.0\n\nUnless required by applicable law or agreed to in writing, software\ndistributed under the License is distributed on an \"AS IS\" BASIS,\nWITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.\nSee the License for the specific language governing permissions and\nlimitations under the License.",
 "MPL-2.0": "This Source Code Form is subject to the terms of the Mozilla Public\nLicense, v. 2.0. If a copy of the MPL was not distributed with this\nfile, You can obtain one at https://mozilla.org/MPL/2.0/.",
 "GPL-2.0-or-later": "This program is free software; you can redistribute it and/or modify\nit under the terms of the GNU General Public License as published by\nthe Free Software Foundation; either version 2 of the License, or\n(at your option) any later version.\n\nThis program is distributed in the hope that it will be useful,\nbut WITHOUT ANY WARRANTY; without even the implied warranty of\nMERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the\nGNU General Public License for more details.\n\nYou should have received a copy of the GNU General Public License along\nwith this program; if not, write to the Free Software Foundation, Inc.,\n51 Franklin Street, Fifth Floor, Boston, MA 02110-1301 USA.",
 "GPL-2.0-only": "This program is free software; you can redistribute it and/or modify\nit under the terms of the GNU General Public License version 2 as\npublished by the Free Software Foundation.\n\nThis program is distributed in the hope that it will be useful,\nbut WITHOUT ANY WARRANTY; without even the implied warranty of\nMERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the\nGNU General Public License for more details.",
}
rng = random.Random(7)
kinds = list(H) + ["tag", "none"]
with open(os.path.join(d, "..", "src_truth"), "w") as truth:
    for i in range(1500):
        k = kinds[i % len(kinds)]
        body = "".join("int f%d(int x) { return x * %d; }\n" % (j, j) for j in range(rng.randint(5, 80)))
        if k == "tag":
            text = "// SPDX-License-Identifier: MIT\n" + body
        elif k == "none":
            text = "/* helpers for the frobnicator */\n" + body
        else:
            text = "/*\n * Copyright (C) %d Example Author %d\n *\n" % (2000 + i % 24, i) + \
                   "".join((" * " + l).rstrip() + "\n" for l in H[k].splitlines()) + " */\n\n" + body
        open(os.path.join(d, "f%04d.c" % i), "w").write(text)
        truth.write("f%04d.c\t%s\n" % (i, "MIT" if k == "tag" else "" if k == "none" else k))
PY
t0=$(date +%s.%N)
"$CORPUSD" license "$W/src" --json > "$W/src_ours.jsonl" || true
t1=$(date +%s.%N)
licensecheck -r -m --shortname-scheme=spdx "$W/src" > "$W/src_theirs.tsv" 2>/dev/null || true
t2=$(date +%s.%N)
"$PYTHON" - "$W" "$t0" "$t1" "$t2" <<'PY'
import json, re, sys
w, t0, t1, t2 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
truth = dict(l.rstrip("\n").split("\t") for l in open(w + "/src_truth"))
ours = {}
for l in open(w + "/src_ours.jsonl"):
    o = json.loads(l); ours[o["path"]] = o["spdx"]
theirs = {}
for l in open(w + "/src_theirs.tsv"):
    p, _, lic = l.rstrip("\n").partition("\t")
    theirs[p.rsplit("/", 1)[1]] = lic.replace("*No copyright*", "").strip()
def key(x):
    x = x.strip().lower()
    x = re.sub(r"(-only|-or-later|\+)$", "", x)
    return re.sub(r"(\.0)+$", "", x)
def norm(x):
    return "" if not x or x.upper() == "UNKNOWN" else key(x)
n = len(truth)
ok_ours = sum(norm(ours.get(f, "")) == norm(t) for f, t in truth.items())
ok_theirs = sum(norm(theirs.get(f, "")) == norm(t) for f, t in truth.items())
def exact(x):
    x = (x or "").strip()
    if not x or x.upper() == "UNKNOWN": return ""
    x = re.sub(r"\+$", "-or-later", x)
    x = re.sub(r"^((?:A|L)?GPL-\d)(?=$|-)", r"\1.0", x)            # licensecheck's GPL-2 is GPL-2.0
    x = re.sub(r"^((?:A|L)?GPL-\d(?:\.\d)?)$", r"\1-only", x)   # bare GPL-2.0 means -only
    return x.lower()
ex_ours = sum(exact(ours.get(f, "")) == exact(t) for f, t in truth.items())
ex_theirs = sum(exact(theirs.get(f, "")) == exact(t) for f, t in truth.items())
agree = sum(norm(ours.get(f, "")) == norm(theirs.get(f, "")) for f in truth)
print("\nsource-file headers: %d files (GPL-3.0+, LGPL-2.1+, Apache-2.0, MPL-2.0, GPL-2.0+, GPL-2.0-only notices, SPDX tag, none)" % n)
print("%-14s %10s %10s %10s %10s" % ("tool", "correct", "exact", "seconds", "files/s"))
print("%-14s %10d %10d %10.2f %10.1f" % ("corpusd", ok_ours, ex_ours, t1 - t0, n / (t1 - t0)))
print("%-14s %10d %10d %10.2f %10.1f" % ("licensecheck", ok_theirs, ex_theirs, t2 - t1, n / (t2 - t1)))
print("agreement between the two: %d/%d" % (agree, n))
miss = {}
for f, t in truth.items():
    for name, d in (("corpusd", ours), ("licensecheck", theirs)):
        if exact(d.get(f, "")) != exact(t):
            miss.setdefault((name, t or "none", d.get(f, "-")), 0)
            miss[(name, t or "none", d.get(f, "-"))] += 1
for (name, t, got), c in sorted(miss.items()):
    print("  %-12s truth %-18s got %-30s x%d" % (name, t, got, c))
PY

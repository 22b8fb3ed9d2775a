#!/bin/sh
# license_cmd_test.sh: `corpusd license DIR --json` (objects with path,
# spdx, score, source, best first), a single license file, `corpusd github
# fetch` on a bare git clone (tree at a ref, commit sha in the ids), and the
# codefilter stage's quality drops and secret redaction through the CLI.
set -eu
: "${CORPUSD:=bin/corpusd}"
: "${PYTHON:=python3}"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/proj/src" "$W/proj/lib"
cat > "$W/proj/LICENSE" <<'TXT'
Copyright (c) 2015 Example Authors

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the "Software"), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
TXT
printf '/* SPDX-License-Identifier: Apache-2.0 OR MIT */\nint a;\n' > "$W/proj/src/a.c"
cat > "$W/proj/lib/b.py" <<'TXT'
# This library is free software; you can redistribute it and/or
# modify it under the terms of the GNU Lesser General Public
# License as published by the Free Software Foundation; either
# version 2.1 of the License, or (at your option) any later version.
#
# This library is distributed in the hope that it will be useful,
# but WITHOUT ANY WARRANTY; without even the implied warranty of
# MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
# Lesser General Public License for more details.
#
# You should have received a copy of the GNU Lesser General Public
# License along with this library; if not, write to the Free Software
# Foundation, Inc., 51 Franklin Street, Fifth Floor, Boston, MA  02110-1301  USA
import os
TXT
printf '{"name": "x", "license": "ISC"}\n' > "$W/proj/package.json"
"$CORPUSD" license "$W/proj" --json > "$W/lic.jsonl"
cat "$W/lic.jsonl"
"$PYTHON" - "$W/lic.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
got = {(r["path"], r["spdx"], r["source"]) for r in rows}
want = {("LICENSE", "MIT", "repo_file"), ("src/a.c", "Apache-2.0 OR MIT", "tag"),
        ("lib/b.py", "LGPL-2.1-or-later", "header"), ("package.json", "ISC", "manifest")}
assert got == want, got
scores = [r["score"] for r in rows]
assert scores == sorted(scores, reverse=True), scores
assert all(set(r) >= {"path", "spdx", "score", "source"} for r in rows)
lic = [r for r in rows if r["path"] == "LICENSE"][0]
assert lic["score"] >= 0.9 and lic["runner_up"] and lic["runner_up_score"] < lic["score"]
PY
if [ -f /usr/share/common-licenses/GPL-2 ]; then
  "$CORPUSD" license /usr/share/common-licenses/GPL-2 | grep -q '	GPL-2.0-only	'
fi
# a single source file with the standard GPL-2.0 notice: its header, with
# the exact id (it once came out LGPL-2.1-or-later, matched as a whole text)
cat > "$W/gpl2.c" <<'TXT'
/*
 * foo.c - something
 *
 * Copyright (C) 2003 John Doe <jd@example.com>
 *
 * This program is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License as published by
 * the Free Software Foundation; either version 2 of the License, or
 * (at your option) any later version.
 *
 * This program is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
 * GNU General Public License for more details.
 *
 * You should have received a copy of the GNU General Public License
 * along with this program; if not, write to the Free Software
 * Foundation, Inc., 51 Franklin Street, Fifth Floor, Boston, MA 02110-1301 USA.
 */
#include <stdio.h>
TXT
i=0; while [ $i -lt 150 ]; do echo "static int f$i(int a, int b) { return a * $i + b - g(a); }"; i=$((i+1)); done >> "$W/gpl2.c"
"$CORPUSD" license "$W/gpl2.c" --json > "$W/gpl2.json"
cat "$W/gpl2.json"
"$PYTHON" - "$W/gpl2.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [(r["spdx"], r["source"]) for r in rows] == [("GPL-2.0-or-later", "header")], rows
PY
# Python's LICENSE.txt: Python-2.0, not the ISC-like part quoted in it
for f in /usr/lib/python3*/LICENSE.txt; do
  [ -f "$f" ] || continue
  "$CORPUSD" license "$f" | grep -q '	Python-2.0	' || { echo "$f: not Python-2.0"; "$CORPUSD" license "$f"; exit 1; }
  break
done
# nothing found: exit 1
printf 'int main(void) { return 0; }\n' > "$W/plain.c"
rc=0; "$CORPUSD" license "$W/plain.c" >/dev/null || rc=$?
[ "$rc" = 1 ] || { echo "license on an unlicensed file exited $rc, not 1"; exit 1; }

# a bare clone: the tree at a ref, no checkout
if command -v git >/dev/null 2>&1; then
  (cd "$W/proj" && git init -q -b main . && git -c user.name=t -c user.email=t@e add -A &&
   git -c user.name=t -c user.email=t@e commit -qm one && git tag v1 &&
   echo 'int c;' > src/c.c && git add -A && git -c user.name=t -c user.email=t@e commit -qm two)
  git clone -q --bare "$W/proj" "$W/bare.git"
  SHA=$(git -C "$W/bare.git" rev-parse v1^{commit})
  "$CORPUSD" github fetch "$W/bare.git" --repo ex/proj --ref v1 --stars 7 -o "$W/git.jsonl" 2>"$W/git.err"
  cat "$W/git.err"
  # stars and the commit's committer date (git's own, in UTC) on every document
  CT=$(git -C "$W/bare.git" log -1 --format=%ct v1)
  "$PYTHON" - "$W/git.jsonl" "$CT" <<'PY'
import datetime, json, sys
want = datetime.datetime.fromtimestamp(int(sys.argv[2]), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
docs = [json.loads(l) for l in open(sys.argv[1])]
assert docs
for d in docs:
    m = d["metadata"]
    assert (m.get("stars"), m.get("date"), m.get("date_source")) == (7, want, "commit"), m
PY
  grep -q "\"id\":\"ex/proj@$SHA:src/a.c\"" "$W/git.jsonl"
  if grep -q 'src/c.c' "$W/git.jsonl"; then echo "src/c.c was added after v1"; exit 1; fi
  grep -q '"language":"Python"' "$W/git.jsonl"
  # a GitHub-style tarball (git archive) carries its commit in a pax header
  git -C "$W/bare.git" archive --format=tar.gz --prefix=proj-v1/ v1 > "$W/proj-v1.tar.gz"
  "$CORPUSD" github fetch "$W/proj-v1.tar.gz" --repo ex/proj -o "$W/tgz.jsonl" 2>/dev/null
  grep -q "\"id\":\"ex/proj@$SHA:src/a.c\"" "$W/tgz.jsonl"
fi

# quality drops and secrets through the stage
"$PYTHON" - "$W/in.jsonl" <<'PY'
import json, sys
docs = [
  ("k/1", "a.py", "Python", "# SPDX-License-Identifier: MIT\nkey = 'AKIAIOSFODNN7EXAMPLE'\nprint(key)\n"),
  ("k/2", "gen.go", "Go", "// SPDX-License-Identifier: MIT\n// Code generated by stringer. DO NOT EDIT.\npackage x\n"),
  ("k/3", "d.json", "JSON", "// SPDX-License-Identifier: MIT\n" + "\n".join('{"k": %d}' % i for i in range(600)) + "\n"),
  ("k/4", "n.c", "C", "// SPDX-License-Identifier: MIT\nint x = 1;\n"),
]
with open(sys.argv[1], "w") as f:
    for i, p, lang, t in docs:
        f.write(json.dumps({"id": i, "text": t, "metadata": {"path": p, "language": lang}}) + "\n")
PY
"$CORPUSD" codefilter "$W/in.jsonl" -o "$W/out.jsonl" --rejects "$W/rej.jsonl" 2>"$W/cf.err"
cat "$W/cf.err"
"$PYTHON" - "$W" <<'PY'
import json, sys
w = sys.argv[1]
kept = {json.loads(l)["id"]: json.loads(l) for l in open(w + "/out.jsonl")}
rej = {json.loads(l)["id"]: json.loads(l) for l in open(w + "/rej.jsonl")}
assert set(kept) == {"k/1", "k/4"}, kept.keys()
assert "AKIA" not in kept["k/1"]["text"] and kept["k/1"]["metadata"]["secrets_redacted"] == 1
assert rej["k/2"]["metadata"]["drop_reason"] == "autogenerated"
assert rej["k/3"]["metadata"]["drop_reason"] == "data_too_long"
for d in kept.values():
    m = d["metadata"]
    assert (m["license_spdx"], m["license_source"], m["license_decision"], m["license_score"]) == ("MIT", "tag", "allow", 1)
PY
grep -q 'secret_aws_access_key' "$W/cf.err"

# vendored paths are kept by default and dropped with --drop-vendored true;
# a generated .pb.go is dropped either way; language heuristics in the reader
"$PYTHON" - "$W/v.jsonl" <<'PY'
import json, sys
docs = [("v/1", "vendor/github.com/x/y.go", "Go", "// SPDX-License-Identifier: MIT\npackage y\n\nfunc Y() int { return 1 }\n"),
        ("v/2", "src/main.go", "Go", "// SPDX-License-Identifier: MIT\npackage main\n\nfunc main() { println(1) }\n"),
        ("v/3", "api/user.pb.go", "Go", "// SPDX-License-Identifier: MIT\npackage api\n\nfunc A() int { return 2 }\n")]
with open(sys.argv[1], "w") as f:
    for i, p, lang, t in docs:
        f.write(json.dumps({"id": i, "text": t, "metadata": {"path": p, "language": lang}}) + "\n")
PY
"$CORPUSD" codefilter "$W/v.jsonl" -o "$W/v1.jsonl" 2>/dev/null
"$CORPUSD" codefilter "$W/v.jsonl" -o "$W/v2.jsonl" --rejects "$W/v2r.jsonl" --drop-vendored true 2>/dev/null
[ "$(grep -c '"id"' "$W/v1.jsonl")" = 2 ] || { echo "default: vendored file not kept"; exit 1; }
[ "$(grep -c '"id"' "$W/v2.jsonl")" = 1 ] || { echo "--drop-vendored: vendored file kept"; exit 1; }
grep -q '"drop_reason":"vendored"' "$W/v2r.jsonl"
grep -q '"drop_reason":"autogenerated"' "$W/v2r.jsonl"

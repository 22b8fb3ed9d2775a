#!/bin/sh
# repo_fixtures_test.sh: builds repositories (mixed licenses in
# subdirectories, GPL-2.0/-only, GPL-3.0, LGPL-2.1 and Apache-2.0 headers in
# an MIT repository, SPDX OR/AND tags, a manifest, BSD-3 in a subdirectory,
# an unlicensed and an unmatched-license repository), serves them
# as codeload-style tarballs from a local HTTP server (127.0.0.1, with a
# 404, a flaky 500-then-200 and a truncated body), fetches them with
# `corpusd github fetch`, runs `corpusd codefilter`, and checks the decision
# of every file (decision, exact SPDX id, source) against the expectation
# written next to the fixture, and the stars and date dedup's keep policy
# reads.
set -eu
: "${CORPUSD:=bin/corpusd}"
: "${PYTHON:=python3}"
W=$(mktemp -d)
trap 'kill $SRV 2>/dev/null || true; rm -rf "$W"' EXIT
SRV=
"$PYTHON" - "$W" <<'PY'
import io, json, os, sys, tarfile
w = sys.argv[1]
MIT = """MIT License

Copyright (c) 2021 Acme Corp.

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""
ISC = """Copyright (c) 2004-2010 Example Person <person@example.net>

Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted, provided that the above
copyright notice and this permission notice appear in all copies.

THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
"""
GPL3 = """This program is free software: you can redistribute it and/or modify
it under the terms of the GNU General Public License as published by
the Free Software Foundation, either version 3 of the License, or
(at your option) any later version.

This program is distributed in the hope that it will be useful,
but WITHOUT ANY WARRANTY; without even the implied warranty of
MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
GNU General Public License for more details.

You should have received a copy of the GNU General Public License
along with this program.  If not, see <https://www.gnu.org/licenses/>.
"""
GPL2 = """This program is free software; you can redistribute it and/or modify
it under the terms of the GNU General Public License as published by
the Free Software Foundation; either version 2 of the License, or
(at your option) any later version.

This program is distributed in the hope that it will be useful,
but WITHOUT ANY WARRANTY; without even the implied warranty of
MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
GNU General Public License for more details.

You should have received a copy of the GNU General Public License
along with this program; if not, write to the Free Software
Foundation, Inc., 51 Franklin Street, Fifth Floor, Boston, MA 02110-1301 USA.
"""
GPL2_ONLY = """This program is free software; you can redistribute it and/or modify
it under the terms of the GNU General Public License version 2 as
published by the Free Software Foundation.

This program is distributed in the hope that it will be useful,
but WITHOUT ANY WARRANTY; without even the implied warranty of
MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
GNU General Public License for more details.
"""
LGPL21 = """This library is free software; you can redistribute it and/or
modify it under the terms of the GNU Lesser General Public
License as published by the Free Software Foundation; either
version 2.1 of the License, or (at your option) any later version.

This library is distributed in the hope that it will be useful,
but WITHOUT ANY WARRANTY; without even the implied warranty of
MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
Lesser General Public License for more details.

You should have received a copy of the GNU Lesser General Public
License along with this library; if not, write to the Free Software
Foundation, Inc., 51 Franklin Street, Fifth Floor, Boston, MA  02110-1301  USA
"""
APACHE_HDR = """Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
"""
BSD3 = """Copyright (c) 2010, The Regents of Example
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""
def cmt(text, lead=" * "):
    return "/*\n" + "".join(lead + l + "\n" for l in text.splitlines()) + " */\n"
CODE = "\nint add(int a, int b)\n{\n    return a + b;\n}\n\nint main(void)\n{\n    return add(1, 2) - 3;\n}\n"
PY_CODE = "def greet(name):\n    return 'hello ' + name\n\nprint(greet('world'))\n"
JS = "function greet(name) {\n  return 'hello ' + name;\n}\nmodule.exports = greet;\n"
repos = {
  "mixed": {
    "LICENSE": (MIT, "allow", "MIT", "repo_file"),
    "src/main.c": (CODE, "allow", "MIT", "repo_file"),
    "src/gpl_part.c": (cmt("Copyright (C) 2019 Somebody Else\n\n" + GPL3) + CODE, "deny", "GPL-3.0-or-later", "header"),
    "vendor/gpl/COPYING": (GPL3, "deny", "GPL-3.0-or-later", "repo_file"),
    "vendor/gpl/deep/x.c": (CODE, "deny", "GPL-3.0-or-later", "repo_file"),
    "vendor/isc/LICENSE.txt": (ISC, "allow", "ISC", "repo_file"),
    "vendor/isc/y.c": (CODE, "allow", "ISC", "repo_file"),
    "dual.c": ("// SPDX-License-Identifier: GPL-2.0-only OR MIT\n" + CODE, "allow", "GPL-2.0-only OR MIT", "tag"),
    "both.c": ("// SPDX-License-Identifier: MIT AND GPL-2.0-only\n" + CODE, "deny", "MIT AND GPL-2.0-only", "tag"),
    "js/package.json": (json.dumps({"name": "greet", "version": "1.0.0", "license": "Apache-2.0"}, indent=2) + "\n",
                        "allow", "Apache-2.0", "manifest"),
    "js/index.js": (JS, "allow", "Apache-2.0", "manifest"),
    # GPL-2.0 notices in the MIT repository: exact ids from the wording
    "src/gpl2_part.c": (cmt("Copyright (C) 2003 John Doe <jd@example.com>\n\n" + GPL2) + CODE,
                        "deny", "GPL-2.0-or-later", "header"),
    "src/kernel_part.c": (cmt(GPL2_ONLY) + CODE, "deny", "GPL-2.0-only", "header"),
    "src/lgpl_part.c": (cmt(LGPL21) + CODE, "deny", "LGPL-2.1-or-later", "header"),
    # an Apache-2.0 notice in the MIT repository: the file's own, allowed
    "src/apache_part.c": (cmt("Copyright 2017 The Example Authors.\n\n" + APACHE_HDR) + CODE,
                          "allow", "Apache-2.0", "header"),
    # BSD-3 (not BSD-2) in a subdirectory
    "vendor/bsd/LICENSE": (BSD3, "allow", "BSD-3-Clause", "repo_file"),
    "vendor/bsd/z.c": (CODE, "allow", "BSD-3-Clause", "repo_file"),
  },
  "nolicense": {
    "main.py": (PY_CODE, "unlicensed", "NONE", "none"),
    "lib/util.js": (JS, "unlicensed", "NONE", "none"),
    "README.md": ("# nolicense\n\nA repository without any license.\n", "unlicensed", "NONE", "none"),
  },
  "bare": {
    "a.py": (PY_CODE, "unlicensed", "NONE", "none"),
    "b.py": ("# SPDX-License-Identifier: MIT\n" + PY_CODE, "allow", "MIT", "tag"),
  },
  "weird": {
    "LICENSE": ("Copyright 2020 Weird Inc.\nAll rights reserved. You may look at this code but you may not copy it,\n"
                "run it, or show it to anyone without our written permission.\n", "unknown", "LicenseRef-unmatched", "repo_file"),
    "w.py": (PY_CODE, "unknown", "LicenseRef-unmatched", "repo_file"),
  },
}
expect = {}
# as git archive stamps entries with the commit time; dates are checked
MTIME = {"mixed": 1600000000, "bare": 1500000000, "weird": 1400000000, "nolicense": 1300000000}
os.makedirs(os.path.join(w, "srv", "acme"), exist_ok=True)
for name, files in repos.items():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for path, (text, dec, spdx, src) in files.items():
            data = text.encode()
            ti = tarfile.TarInfo(name + "-0123abc/" + path)
            ti.size = len(data)
            ti.mtime = MTIME[name]
            tf.addfile(ti, io.BytesIO(data))
            expect["acme/%s@HEAD:%s" % (name, path)] = [dec, spdx, src]
    open(os.path.join(w, "srv", "acme", name + ".tar.gz"), "wb").write(buf.getvalue())
json.dump(expect, open(os.path.join(w, "expect.json"), "w"))
PY

# codeload-style server: /acme/NAME/tar.gz/REF; faults on purpose.
"$PYTHON" - "$W" <<'PY' &
import http.server, os, sys, threading
w = sys.argv[1]
hits = {}
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        parts = self.path.strip("/").split("/")
        hits[self.path] = hits.get(self.path, 0) + 1
        if len(parts) == 4 and parts[2] == "tar.gz":
            name = parts[1]
            if name == "flaky" and hits[self.path] == 1:
                self.send_response(500); self.end_headers(); return
            if name == "flaky": name = "mixed"
            if name == "trunc":
                self.send_response(200); self.send_header("Content-Length", "100000"); self.end_headers()
                self.wfile.write(b"\x1f\x8b\x08\x00" + b"x" * 100); return
            p = os.path.join(w, "srv", parts[0], name + ".tar.gz")
            if os.path.exists(p):
                data = open(p, "rb").read()
                self.send_response(200); self.send_header("Content-Length", str(len(data))); self.end_headers()
                self.wfile.write(data); return
        self.send_response(404); self.end_headers()
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(os.path.join(w, "port"), "w").write(str(s.server_address[1]))
threading.Timer(120, s.shutdown).start()   # bounded in time
s.serve_forever()
PY
SRV=$!
i=0; while [ ! -s "$W/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat "$W/port")
printf '# fixtures\nacme/mixed 4321\nacme/bare@HEAD\nhttps://github.com/acme/weird\nacme/nolicense 0\nacme/missing\nacme/trunc\nnot a repo line\n' > "$W/list.txt"
"$CORPUSD" github fetch "$W/list.txt" -o "$W/docs.jsonl.zst" --base-url "http://127.0.0.1:$PORT" --retries 1 --timeout 20 2>"$W/fetch.err"
cat "$W/fetch.err"
grep -q 'refused fetch_failed *2' "$W/fetch.err"
grep -q 'refused bad_repo_line *1' "$W/fetch.err"
grep -q 'repos_fetched *4' "$W/fetch.err"
# retries: a 500 then 200 succeeds
printf 'acme/flaky\n' > "$W/flaky.txt"
"$CORPUSD" github fetch "$W/flaky.txt" -o "$W/flaky.jsonl" --base-url "http://127.0.0.1:$PORT" --retries 2 2>"$W/flaky.err"
grep -q 'repos_fetched *1' "$W/flaky.err"

"$CORPUSD" codefilter "$W/docs.jsonl.zst" -o "$W/kept.jsonl" --rejects "$W/rej.jsonl" 2>"$W/cf.err" || { cat "$W/cf.err"; exit 1; }
"$PYTHON" - "$W" <<'PY'
import json, sys
w = sys.argv[1]
expect = json.load(open(w + "/expect.json"))
seen = {}
for f, kept in (("kept.jsonl", True), ("rej.jsonl", False)):
    for line in open(w + "/" + f):
        d = json.loads(line); m = d["metadata"]
        seen[d["id"]] = (kept, m)
bad = 0
for id_, (dec, spdx, src) in sorted(expect.items()):
    if id_ not in seen:
        print("MISSING", id_); bad += 1; continue
    kept, m = seen[id_]
    got = (m.get("license_decision"), m.get("license_spdx"), m.get("license_source"))
    want_kept = dec == "allow"
    ok = got == (dec, spdx, src) and kept == want_kept
    if dec == "allow" and src in ("repo_file", "header"):
        ok = ok and m.get("license_score", 0) >= 0.9
    if not want_kept:
        ok = ok and m.get("drop_reason") == {"deny": "license_denied", "unknown": "license_unknown",
                                              "unlicensed": "unlicensed"}[dec]
    print("ok " if ok else "BAD", id_, got, "kept" if kept else "dropped:" + str(m.get("drop_reason")))
    bad += not ok
    assert m["repo"] and m["path"] and m["ref"] == "HEAD" and m["size"] > 0
    assert id_.startswith(m["repo"] + "@")
    assert m.get("stars") == {"acme/mixed": 4321, "acme/nolicense": 0}.get(m["repo"]), m.get("stars")
    assert m.get("date") == {"acme/mixed": "2020-09-13T12:26:40Z", "acme/bare": "2017-07-14T02:40:00Z",
                             "acme/weird": "2014-05-13T16:53:20Z", "acme/nolicense": "2011-03-13T07:06:40Z"}[m["repo"]], m.get("date")
    assert m.get("date_source") == "archive_mtime"
print("checked", len(expect), "files,", bad, "wrong")
sys.exit(1 if bad else 0)
PY

# The same through a pipeline: the github reader as an input format.
cat > "$W/pipe.yaml" <<YAML
seed: 1
run_dir: $W/run
threads: 2
inputs:
  - path: $W/list.txt
    format: github
    params: {base_url: "http://127.0.0.1:$PORT", retries: 1, timeout: 20}
stages:
  - codefilter: {license_threshold: 0.9}
output:
  format: jsonl
  compression: none
  rejects: true
YAML
"$CORPUSD" run "$W/pipe.yaml" --quiet
"$PYTHON" - "$W" <<'PY'
import glob, json, sys
w = sys.argv[1]
def ids(pattern):
    out = set()
    for f in glob.glob(pattern, recursive=True):
        for line in open(f):
            out.add(json.loads(line)["id"])
    return out
kept_cli = {json.loads(l)["id"] for l in open(w + "/kept.jsonl")}
kept = ids(w + "/run/out/main/*.jsonl")
rej = ids(w + "/run/out/rejects/*.jsonl")
assert kept == kept_cli, (kept ^ kept_cli)
want = len(json.load(open(w + "/expect.json")))
assert len(kept) + len(rej) == want, (len(kept), len(rej), want)
print("pipeline agrees with the CLI:", len(kept), "kept,", len(rej), "rejected")
PY

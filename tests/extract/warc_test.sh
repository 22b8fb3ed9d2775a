#!/bin/sh
# warc_test.sh: the extract stage after the `warc` reader (crawl/): a WARC
# with a Latin-1 page and a script-only page. The reader converts bodies to
# UTF-8 (metadata.charset keeps the original), so extract must not decode
# them again; the script-only page is dropped as extract_empty.
# Skips when this build has no warc reader (crawl/ not merged).
set -u
cd "$(dirname "$0")/../.." || exit 2
CORPUSD=${CORPUSD:-bin/corpusd}
PYTHON=${PYTHON:-python3}
if ! "$CORPUSD" warc --help >/dev/null 2>&1; then
  echo "skip: this build has no warc reader (crawl/ not merged)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PYTHON" - "$tmp/t.warc.gz" <<'PY'
import gzip, sys
def rec(n, uri, body, ctype):
    http = ("HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (ctype, len(body))).encode() + body
    hdr = ("WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: %s\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
           "WARC-Record-ID: <urn:uuid:%08d-0000-0000-0000-000000000000>\r\n"
           "Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n"
           % (uri, n, len(http))).encode()
    return gzip.compress(hdr + http + b"\r\n\r\n")
page1 = ("<html lang=fr><head><meta charset='iso-8859-1'><title>Caf\xe9</title></head><body>"
         "<nav><a href=/>Accueil</a> <a href=/b>Blog</a></nav><article>"
         "<p>Le caf\xe9 est une boisson, pr\xe9par\xe9e \xe0 partir des graines torr\xe9fi\xe9es du caf\xe9ier, "
         "consomm\xe9e dans le monde entier.</p><p>Elle est servie chaude, et souvent sucr\xe9e, ou avec du "
         "lait, selon les habitudes de chaque pays et de chaque famille.</p></article></body></html>").encode('latin-1')
page2 = b"<html><body><script>only()</script></body></html>"
with open(sys.argv[1], 'wb') as f:
    f.write(rec(1, "http://a.example/cafe", page1, "text/html"))
    f.write(rec(2, "http://a.example/empty", page2, "text/html; charset=utf-8"))
PY
"$CORPUSD" extract "$tmp/t.warc.gz" --format warc -o "$tmp/out.jsonl" --rejects "$tmp/rej.jsonl" >"$tmp/log" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$tmp/log"; echo "FAIL: exit $rc"; exit 1; }
"$PYTHON" - "$tmp/out.jsonl" "$tmp/rej.jsonl" <<'PY' || exit 1
import json, sys
out = [json.loads(l) for l in open(sys.argv[1])]
rej = [json.loads(l) for l in open(sys.argv[2])]
assert len(out) == 1, out
t = out[0]['text']
assert t.startswith('Le caf\u00e9 est une boisson, pr\u00e9par\u00e9e'), t
assert 'Accueil' not in t, t
assert out[0]['metadata']['title'] == 'Caf\u00e9', out[0]['metadata']
assert out[0]['metadata']['html_lang'] == 'fr'
assert out[0]['metadata']['url'] == 'http://a.example/cafe'
assert len(rej) == 1 and rej[0]['metadata']['drop_reason'] == 'extract_empty', rej
PY

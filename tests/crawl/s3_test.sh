#!/bin/sh
# s3_test.sh: s3:// URLs through libcurl's AWS SigV4. First against the
# fault server, which records the Authorization header (it must be a SigV4
# signature for the configured key, region and service); then, when the
# machine's Python has `moto`, against moto's S3 server on 127.0.0.1: the
# object read back through s3:// must give the same records as the file.
# (moto accepts the signature without checking it; the first part is what
# checks its form.)
set -u
cd "$(dirname "$0")/../.." || exit 2
CORPUSD=${CORPUSD:-bin/corpusd}
PYTHON=${PYTHON:-python3}
T=$(mktemp -d)
SRV=""; MOTO=""
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; [ -n "$MOTO" ] && kill "$MOTO" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
wait_file() { i=0; while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; [ -s "$1" ]; }

mkdir -p "$T/root/bkt/a"
cp data/sample/cc-sample.warc.gz "$T/root/bkt/a/s.warc.gz"
"$CORPUSD" warc cat data/sample/cc-sample.warc.gz --jsonl >"$T/local.jsonl" || fail "local warc cat"
"$PYTHON" tests/crawl/faultserver.py "$T/root" "$T/port" 60 &
SRV=$!
wait_file "$T/port" || fail "fault server did not start"
B="http://127.0.0.1:$(cat "$T/port")"
export AWS_ACCESS_KEY_ID=AKIDTESTING AWS_SECRET_ACCESS_KEY=secret AWS_REGION=eu-west-1 CORPUSD_FETCH_RETRIES=1
AWS_ENDPOINT_URL="$B/ok" "$CORPUSD" warc cat s3://bkt/a/s.warc.gz --jsonl >"$T/s3.jsonl" || fail "s3 via fault server"
cmp -s "$T/s3.jsonl" "$T/local.jsonl" || fail "s3 records differ"
"$PYTHON" - "$B/stats" <<'PY' || exit 1
import json, re, sys, urllib.request
s = json.load(urllib.request.urlopen(sys.argv[1]))
a = s["auth"][-1] if s["auth"] else ""
if not re.match(r"AWS4-HMAC-SHA256 Credential=AKIDTESTING/\d{8}/eu-west-1/s3/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*x-amz-date[a-z0-9;-]*, Signature=[0-9a-f]{64}$", a):
    sys.exit(f"FAIL: not a SigV4 Authorization header: {a!r}")
print("ok SigV4 header:", a[:60] + "...")
PY

# moto's S3 server, from the machine's (pyenv) Python when it has moto. Its
# start-up is slow, and what it checks does not depend on the sanitizers,
# so it runs in the release pass only.
if [ "${CORPUSD_MODE:-rel}" = san ]; then
  echo "(moto part runs in the release pass only)"
  echo PASS
  exit 0
fi
MPY=""
for p in python3 "$PYTHON"; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c "import moto.server" 2>/dev/null; then MPY=$p; break; fi
done
if [ -z "$MPY" ]; then
  echo "SKIP (part): python moto is not installed; only the SigV4 form was checked"
  echo PASS
  exit 0
fi
PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
timeout 60 "$MPY" -m moto.server -H 127.0.0.1 -p "$PORT" >"$T/moto.log" 2>&1 &
MOTO=$!
i=0; until curl -s -o /dev/null "http://127.0.0.1:$PORT/" || [ $i -ge 100 ]; do sleep 0.2; i=$((i + 1)); done
curl -sf -X PUT "http://127.0.0.1:$PORT/bkt" -o /dev/null || { cat "$T/moto.log"; fail "moto: create bucket"; }
curl -sf -X PUT -H "Content-Type: application/octet-stream" --data-binary @data/sample/cc-sample.warc.gz \
  "http://127.0.0.1:$PORT/bkt/a/s.warc.gz" -o /dev/null || fail "moto: put object"
AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" "$CORPUSD" warc cat s3://bkt/a/s.warc.gz --jsonl >"$T/moto.jsonl" \
  || { tail "$T/moto.log"; fail "warc cat s3:// from moto"; }
cmp -s "$T/moto.jsonl" "$T/local.jsonl" || fail "records from moto differ"
AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" "$CORPUSD" crawl fetch s3://bkt/a/s.warc.gz -o "$T/dl" >/dev/null || fail "crawl fetch s3://"
cmp -s "$T/dl/s.warc.gz" data/sample/cc-sample.warc.gz || fail "s3 download differs"
echo "ok moto S3"
echo PASS

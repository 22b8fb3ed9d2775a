#!/bin/sh
# libcurl, libarchive, libgit2 and libmicrohttpd are loaded with dlopen on
# first use (core/lazylib.c), not linked: a subcommand that does not need
# them does not load them (they and their ~40 dependencies cost every start
# ~20 ms), and one that does gets them on demand.
. "$(dirname "$0")/common.sh"
command -v readelf >/dev/null || skip "readelf (binutils) not installed"
NEEDED=$(readelf -d "$CORPUSD" | grep NEEDED || true)
for l in libcurl libarchive libgit2 libmicrohttpd; do
  echo "$NEEDED" | grep -q "$l" && fail "$CORPUSD links $l (it should be loaded on first use)"
done
# --help and a local WARC read load none of them
printf 'WARC/1.0\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:1>\r\nWARC-Target-URI: file:///a\r\nContent-Length: 5\r\n\r\nhello\r\n\r\n' > "$TESTDIR/a.warc"
for cmd in "--help" "warc cat $TESTDIR/a.warc --count"; do
  LD_DEBUG=libs "$CORPUSD" $cmd > /dev/null 2> "$TESTDIR/ld.log" || fail "corpusd $cmd"
  grep -E "calling init: .*lib(curl|archive|git2|microhttpd)" "$TESTDIR/ld.log" && fail "corpusd $cmd loaded one of them"
done
# a URL loads libcurl on demand: connection refused is reported as such
set +e
CORPUSD_FETCH_RETRIES=1 CORPUSD_FETCH_BACKOFF=0.05 "$CORPUSD" warc cat http://127.0.0.1:9/x.warc --count > /dev/null 2> "$TESTDIR/err"
rc=$?
set -e
[ $rc -ne 0 ] || fail "reading from a closed port succeeded"
grep -qiE "connect|refused" "$TESTDIR/err" || { cat "$TESTDIR/err"; fail "no libcurl error for a closed port"; }
grep -qi "cannot load" "$TESTDIR/err" && fail "libcurl could not be loaded: $(cat "$TESTDIR/err")"
echo "ok: none of the four linked; loaded only when used"

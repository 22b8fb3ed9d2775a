#!/bin/sh
# bench/crawl/run.sh: WARC reading throughput.
#
#   corpusd warc cat FILE --count   inflate + parse every record + hash each block
#   igzip -d (ISA-L, Debian isal)   inflate only, to /dev/null
#   libdeflate-gunzip               inflate only, to /dev/null
#   npm warcio (one thread)         iterate records, read each payload
#
# on the same generated per-record-gzip WARC (CommonCrawl's layout), in the
# same run. Targets (issue #3): corpusd >= 90% of the faster inflater, and
# >= 20x warcio. Best of N runs each; the machine may be shared, so the
# figures are noisy. Env: PAGES (default 1500), RUNS (default 3).
set -u
cd "$(dirname "$0")/../.." || exit 2
CORPUSD=${CORPUSD:-bin/corpusd}
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
PAGES=${PAGES:-1500}
RUNS=${RUNS:-3}
W=build/bench-crawl
mkdir -p "$W"
[ -x "$CORPUSD" ] || { echo "build corpusd first (make)"; exit 2; }
if [ ! -s "$W/bench.warc.gz" ] || [ "$(cat "$W/pages" 2>/dev/null)" != "$PAGES" ]; then
  rm -rf "$W/html"
  "$PY" bench/crawl/gen_html.py "$W/html" "$PAGES" 7 || exit 1
  "$CORPUSD" warc make "$W/html" -o "$W/bench.warc.gz" || exit 1
  rm -rf "$W/html"
  echo "$PAGES" >"$W/pages"
fi
F=$W/bench.warc.gz
SIZE=$(stat -c %s "$F")
RAW=$(gzip -dc "$F" | wc -c)
NREC=$("$CORPUSD" warc cat "$F" --count 2>/dev/null)
echo "file: $F  $((SIZE / 1000000)) MB gzip (per-record members), $((RAW / 1000000)) MB WARC, $NREC records"

# best wall time of RUNS runs of a command, in seconds
best() {
  b=""
  for _ in $(seq "$RUNS"); do
    s=$(date +%s.%N); sh -c "$1" >/dev/null 2>&1 || { echo "x"; return; }; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
  done
  echo "$b"
}
row() { # name seconds
  if [ "$2" = x ]; then printf "%-28s %10s\n" "$1" "failed"; return; fi
  printf "%-28s %8.3f s %9.1f MB/s %10.0f rec/s\n" "$1" "$2" "$(echo "$SIZE / $2 / 1000000" | bc -l)" "$(echo "$NREC / $2" | bc -l)"
}
T_CORPUSD=$(best "$CORPUSD warc cat $F --count")
T_IGZIP=x; T_DEFL=x; T_WARCIO=x
if command -v igzip >/dev/null; then T_IGZIP=$(best "igzip -dc $F"); else echo "(igzip missing: apt-get install isal)"; fi
if command -v libdeflate-gunzip >/dev/null; then T_DEFL=$(best "libdeflate-gunzip -c < $F"); else echo "(libdeflate-gunzip missing: apt-get install libdeflate-tools)"; fi
export WARCIO_MODULES="$(pwd)/bench/crawl"
if command -v node >/dev/null; then
  if [ ! -f bench/crawl/node_modules/warcio/package.json ]; then
    (cd bench/crawl && timeout 120 npm install --no-save --no-package-lock --no-audit --no-fund --silent warcio@2.4.11) >/dev/null 2>&1
  fi
  if [ -f bench/crawl/node_modules/warcio/package.json ]; then
    N=$(node bench/crawl/warcio_iter.mjs "$F" | cut -d' ' -f1)
    [ "$N" = "$NREC" ] || echo "warning: warcio saw $N records, corpusd $NREC"
    R=$RUNS; RUNS=1; T_WARCIO=$(best "node bench/crawl/warcio_iter.mjs $F"); RUNS=$R
  else
    echo "(npm warcio could not be installed)"
  fi
fi
echo
printf "%-28s %10s %14s %15s\n" "reader" "time" "input MB/s" "records/s"
row "corpusd warc cat --count" "$T_CORPUSD"
row "igzip -d (inflate only)" "$T_IGZIP"
row "libdeflate-gunzip (inflate)" "$T_DEFL"
row "npm warcio (1 thread)" "$T_WARCIO"
echo
FAST=""
for t in $T_IGZIP $T_DEFL; do
  [ "$t" = x ] && continue
  if [ -z "$FAST" ] || [ "$(echo "$t < $FAST" | bc -l)" = 1 ]; then FAST=$t; fi
done
[ -n "$FAST" ] && printf "corpusd / fastest inflate: %.0f%% of its throughput (target >= 90%%)\n" "$(echo "100 * $FAST / $T_CORPUSD" | bc -l)"
[ "$T_WARCIO" != x ] && printf "corpusd / warcio: %.1fx (target >= 20x)\n" "$(echo "$T_WARCIO / $T_CORPUSD" | bc -l)"
exit 0

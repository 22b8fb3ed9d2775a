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
# >= 20x warcio. Best of N runs each, in CPU seconds with each tool's own
# start-up subtracted (corpusd links many libraries: ~25 ms more than
# igzip); the machine may be shared, so the figures are noisy. Env: PAGES (default 3000), RUNS (default 3).
set -u
cd "$(dirname "$0")/../.." || exit 2
CORPUSD=${CORPUSD:-bin/corpusd}
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
PAGES=${PAGES:-3000}
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

# "wall cpu" best of RUNS; startup = the same tool doing nothing (--help)
m() { "$PY" bench/crawl/measure.py "$RUNS" "$1"; }
row() { # name "wall cpu" "startup_wall startup_cpu"
  set -- "$1" $2 $3
  if [ "$2" = x ]; then printf "%-30s %s\n" "$1" "failed or missing"; return; fi
  c=$(echo "$3 - $5" | bc -l)
  printf "%-30s %7.3f %7.3f %7.3f %9.1f %11.0f\n" "$1" "$2" "$3" "$c" "$(echo "$SIZE / $c / 1000000" | bc -l)" "$(echo "$NREC / $c" | bc -l)"
}
R_C=$(m "$CORPUSD warc cat $F --count"); S_C=$(m "$CORPUSD --help")
R_I="x x"; S_I="0 0"; R_D="x x"; S_D="0 0"; R_W="x x"; S_W="0 0"
if command -v igzip >/dev/null; then R_I=$(m "igzip -dc $F"); S_I=$(m "igzip --help"); else echo "(igzip missing: apt-get install isal)"; fi
if command -v libdeflate-gunzip >/dev/null; then R_D=$(m "libdeflate-gunzip -c < $F"); S_D=$(m "libdeflate-gunzip -h"); else echo "(libdeflate-gunzip missing: apt-get install libdeflate-tools)"; fi
export WARCIO_MODULES="$(pwd)/bench/crawl"
if command -v node >/dev/null; then
  if [ ! -f bench/crawl/node_modules/warcio/package.json ]; then
    (cd bench/crawl && timeout 120 npm install --no-save --no-package-lock --no-audit --no-fund --silent warcio@2.4.11) >/dev/null 2>&1
  fi
  if [ -f bench/crawl/node_modules/warcio/package.json ]; then
    N=$(node bench/crawl/warcio_iter.mjs "$F" | cut -d' ' -f1)
    [ "$N" = "$NREC" ] || echo "warning: warcio saw $N records, corpusd $NREC"
    R_W=$("$PY" bench/crawl/measure.py 1 "node bench/crawl/warcio_iter.mjs $F"); S_W=$(m "node -e 0")
  else
    echo "(npm warcio could not be installed)"
  fi
fi
echo
echo "CPU seconds (user+sys), best of $RUNS; 'net' = cpu minus the tool's own start-up (--help);"
echo "MB/s = compressed input MB per net CPU second. Wall seconds shown for reference (shared machine)."
printf "%-30s %7s %7s %7s %9s %11s\n" "reader" "wall" "cpu" "net" "MB/s" "records/s"
row "corpusd warc cat --count" "$R_C" "$S_C"
row "igzip -d (inflate only)" "$R_I" "$S_I"
row "libdeflate-gunzip (inflate)" "$R_D" "$S_D"
row "npm warcio (1 run)" "$R_W" "$S_W"
echo
net() { set -- $1 $2; [ "$1" = x ] && { echo x; return; }; echo "$2 - $4" | bc -l; }
NC=$(net "$R_C" "$S_C"); NI=$(net "$R_I" "$S_I"); ND=$(net "$R_D" "$S_D"); NW=$(net "$R_W" "$S_W")
FAST=""
for t in $NI $ND; do
  [ "$t" = x ] && continue
  if [ -z "$FAST" ] || [ "$(echo "$t < $FAST" | bc -l)" = 1 ]; then FAST=$t; fi
done
[ -n "$FAST" ] && printf "corpusd vs fastest inflate: %.0f%% of its throughput (target >= 90%%)\n" "$(echo "100 * $FAST / $NC" | bc -l)"
[ "$NW" != x ] && printf "corpusd vs npm warcio: %.1fx (target >= 20x)\n" "$(echo "$NW / $NC" | bc -l)"
exit 0

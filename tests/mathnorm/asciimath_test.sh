#!/bin/sh
# asciimath_test.sh: AsciiMath -> LaTeX against the npm peer asciimath2tex
# (tests/mathnorm/asciimath_expressions.txt; both outputs rendered by temml
# and compared as canonical MathML). Fails below 85% agreement; skips (77)
# when node or the npm registry is missing.
set -u
cd "$(dirname "$0")/../.." || exit 2
CORPUSD=${CORPUSD:-bin/corpusd}
dir=tests/mathnorm
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIP: node/npm not installed"; exit 77
fi
if [ ! -f "$dir/node_modules/temml/dist/temml.cjs" ] || [ ! -d "$dir/node_modules/asciimath2tex" ]; then
  if ! timeout 180 npm install --prefix "$dir" --no-package-lock --no-audit --no-fund >/dev/null 2>&1; then
    echo "SKIP: npm registry unreachable: could not install temml, asciimath2tex (AsciiMath NOT checked)"
    exit 77
  fi
fi
out=$(node "$dir/asciimath.js" "$dir/asciimath_expressions.txt" "$CORPUSD") || { printf "%s\n" "$out"; echo "FAIL: asciimath.js"; exit 1; }
printf "%s\n" "$out" | tail -30
share=$(printf "%s\n" "$out" | awk '$1=="RESULT" && $2=="asciimath" {print $3}')
[ -n "$share" ] || { echo "FAIL: no result"; exit 1; }
awk -v a="$share" 'BEGIN{exit !(a >= 0.85)}' || { echo "FAIL: agreement $share < 0.85"; exit 1; }

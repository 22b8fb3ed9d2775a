#!/bin/sh
# roundtrip_test.sh: MathML -> LaTeX round-trip quality (issue #5).
# Renders tests/mathnorm/expressions.txt to MathML with temml and katex,
# converts back with corpusd and with the npm peer mathml-to-latex, renders
# again with temml and compares canonical trees (see roundtrip.js).
# Fails when corpusd is below 95% equivalent on either source, or does not
# beat mathml-to-latex. Skips (77) when node or the npm registry is missing.
set -u
cd "$(dirname "$0")/../.." || exit 2
CORPUSD=${CORPUSD:-bin/corpusd}
dir=tests/mathnorm
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIP: node/npm not installed"; exit 77
fi
if [ ! -f "$dir/node_modules/temml/dist/temml.cjs" ] || [ ! -d "$dir/node_modules/katex" ] ||
   [ ! -d "$dir/node_modules/mathml-to-latex" ] || [ ! -d "$dir/node_modules/asciimath2tex" ]; then
  if ! timeout 180 npm install --prefix "$dir" --no-package-lock --no-audit --no-fund >/dev/null 2>&1; then
    echo "SKIP: npm registry unreachable: could not install temml, katex, mathml-to-latex (round-trip NOT checked)"
    exit 77
  fi
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! node "$dir/roundtrip.js" "$dir/expressions.txt" "$CORPUSD" "$work" >"$work/out.txt" 2>&1; then
  cat "$work/out.txt"; echo "FAIL: roundtrip.js failed"; exit 1
fi
cat "$work/out.txt"
fail=0
for src in temml katex; do
  ours=$(awk -v s="$src" '$1=="RESULT" && $2=="corpusd" && $3==s {print $4}' "$work/out.txt")
  peer=$(awk -v s="$src" '$1=="RESULT" && $2=="mathml-to-latex" && $3==s {print $4}' "$work/out.txt")
  if [ -z "$ours" ] || [ -z "$peer" ]; then echo "FAIL: no result for $src"; fail=1; continue; fi
  if ! awk -v a="$ours" 'BEGIN{exit !(a >= 0.95)}'; then
    echo "FAIL: corpusd round-trip on $src MathML is $ours < 0.95"; head -40 "$work/failures-corpusd-$src.txt"; fail=1
  fi
  if ! awk -v a="$ours" -v b="$peer" 'BEGIN{exit !(a > b)}'; then
    echo "FAIL: corpusd ($ours) does not beat mathml-to-latex ($peer) on $src"; fail=1
  fi
done
exit $fail

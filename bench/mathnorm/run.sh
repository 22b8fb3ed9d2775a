#!/bin/sh
# bench/mathnorm/run.sh: MathML -> LaTeX, corpusd versus the npm package
# mathml-to-latex, on the same MathML (tests/mathnorm/expressions.txt
# rendered by temml and katex), in the same run: round-trip quality (share
# of expressions whose temml re-rendering is equivalent) and throughput
# (the MathML repeated 20 times; corpusd as one process over a file, the
# peer in-process in node, so corpusd's figure includes process start-up).
# Peers are installed into bench/mathnorm/node_modules.
set -u
cd "$(dirname "$0")/../.." || exit 2
CORPUSD=${CORPUSD:-bin/corpusd}
nm=bench/mathnorm
if ! command -v node >/dev/null 2>&1; then echo "mathnorm bench: node missing, skipped"; exit 0; fi
if [ ! -f "$nm/node_modules/temml/dist/temml.cjs" ] || [ ! -d "$nm/node_modules/mathml-to-latex" ] ||
   [ ! -d "$nm/node_modules/katex" ]; then
  cp tests/mathnorm/package.json "$nm/package.json"
  timeout 300 npm install --prefix "$nm" --no-package-lock --no-audit --no-fund >/dev/null 2>&1 ||
    { echo "mathnorm bench: npm registry unreachable, skipped"; rm -f "$nm/package.json"; exit 0; }
  rm -f "$nm/package.json"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
MATHNORM_NODE_MODULES="$PWD/$nm/node_modules" node tests/mathnorm/roundtrip.js tests/mathnorm/expressions.txt \
  "$CORPUSD" "$work" 20 | grep -v '^RESULT'

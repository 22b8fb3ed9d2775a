#!/bin/sh
# policy_test.sh: which copy each keep policy keeps. Four copies of one text
# (exact duplicates after normalization), differing in snapshot, length of
# trailing whitespace/punctuation (normalized away, so still exact copies),
# quality and id, plus the URL variant.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUSD=${CORPUSD:-$ROOT/bin/corpusd}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat > "$T/in.jsonl" <<'J'
{"id":"d","text":"The same words here!!","metadata":{"snapshot":"CC-2024-10","quality":0.2,"url":"http://www.a.org/x#top"}}
{"id":"b","text":"the same words here","metadata":{"snapshot":"CC-2023-50","quality":0.9,"url":"https://a.org/y"}}
{"id":"a","text":"THE SAME WORDS HERE ...........","metadata":{"snapshot":"CC-2024-10","quality":0.5,"url":"https://a.org/x"}}
{"id":"c","text":"the same  words here","metadata":{"snapshot":"CC-2023-50","url":"https://a.org/y/"}}
J
check() {  # policy extra-yaml expected-kept-ids
  printf 'dedup:\n  preset: exact\n  keep: %s\n%s' "$1" "$2" > "$T/c.yaml"
  rm -rf "$T/o"
  "$CORPUSD" dedup "$T/in.jsonl" -o "$T/o" --config "$T/c.yaml" 2>/dev/null
  got=$(zstd -dc "$T/o/in.jsonl.zst" | sed 's/^{"id":"\([^"]*\)".*/\1/' | tr '\n' ' ')
  [ "$got" = "$3" ] || { echo "keep $1 ${2:+($2)}: kept '$got', expected '$3'"; exit 1; }
  echo "keep $1: kept $got"
}
check oldest "" "b "           # earliest snapshot, then smallest id (b < c)
check newest "" "a "           # latest snapshot, then smallest id (a < d)
check longest "" "a "          # the longest text
check quality "" "b "          # highest metadata.quality
check newest "  exact_key: url
" "b a "                       # URL dedup: {d, a} share a.org/x, {b, c} a.org/y

#!/bin/sh
# pages_test.sh: one HTML page per math form (issue #5), through
# `corpusd mathnorm PAGE --meta`. Each PAGE.expect holds what the page's own
# source says (written by hand): "+ LINE" must be an output line (exactly),
# "- TEXT" must not occur anywhere, "= FORM" must be in metadata.math.forms.
set -u
cd "$(dirname "$0")/../.." || exit 2
CORPUSD=${CORPUSD:-bin/corpusd}
fail=0; n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for page in tests/mathnorm/pages/*.html; do
  exp=${page%.html}.expect
  [ -f "$exp" ] || continue
  n=$((n + 1))
  if ! "$CORPUSD" mathnorm "$page" --meta >"$tmp/out" 2>"$tmp/meta"; then
    echo "FAIL $page: corpusd exited $?"; fail=1; continue
  fi
  while IFS= read -r line; do
    kind=${line%% *}; want=${line#* }
    case "$kind" in
      +) grep -qxF -- "$want" "$tmp/out" || { printf "FAIL %s: missing line: %s\n" "$page" "$want"; fail=1; } ;;
      -) if grep -qF -- "$want" "$tmp/out"; then printf "FAIL %s: must not contain: %s\n" "$page" "$want"; fail=1; fi ;;
      =) grep -qF "\"$want\"" "$tmp/meta" || { echo "FAIL $page: form $want not in $(cat "$tmp/meta")"; fail=1; } ;;
    esac
  done <"$exp"
  if [ $fail -ne 0 ]; then echo "--- output of $page:"; cat "$tmp/out"; fi
done
# stdin gives the same text as the file
"$CORPUSD" mathnorm tests/mathnorm/pages/mixed.html >"$tmp/a" 2>/dev/null
"$CORPUSD" mathnorm - <tests/mathnorm/pages/mixed.html >"$tmp/b" 2>/dev/null
cmp -s "$tmp/a" "$tmp/b" || { echo "FAIL: corpusd mathnorm - differs from the file"; fail=1; }
echo "pages: $n checked"
[ $n -gt 0 ] && exit $fail
exit 1

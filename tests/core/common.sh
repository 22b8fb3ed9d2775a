# common.sh: helpers for corpusd's script tests (sourced).
set -eu
: "${CORPUSD:=$(pwd)/bin/corpusd}"
: "${PYTHON:=python3}"
TESTDIR=$(mktemp -d "${TMPDIR:-/tmp}/corpusd-t.XXXXXX")
cleanup() { rm -rf "$TESTDIR"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
# tree_sum DIR: a checksum line per file (relative path), excluding the owner marker.
tree_sum() { (cd "$1" && find . -type f ! -name .corpusd-owner | LC_ALL=C sort | xargs -r sha256sum); }

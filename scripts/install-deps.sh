#!/bin/sh
# install-deps.sh: installs the Debian packages corpusd builds and tests with.
# As root it runs apt-get for whatever is missing; otherwise it prints the apt
# line to run. Packages are grouped by what needs them so a user can see why.
set -eu

BUILD="build-essential pkg-config"
LIBS="zlib1g-dev libzstd-dev zstd libxxhash-dev libpcre2-dev libsqlite3-dev sqlite3 \
 libyaml-dev libcurl4-openssl-dev libarchive-dev libisal-dev libxml2-dev libcld2-dev \
 libopenblas-dev libmicrohttpd-dev libutf8proc-dev libgit2-dev libicu-dev"
TEST="clang libclang-rt-14-dev python3 python3-numpy chromium libfasttext-dev fasttext python3-nltk \
 debian-reference-en debian-reference-de debian-reference-es debian-reference-fr debian-reference-it \
 debian-reference-ja debian-reference-pt debian-reference-zh-cn"
MPI="openmpi-bin libopenmpi-dev"
BENCH="isal libdeflate-tools lynx time python3-xxhash libgumbo-dev"

case "${1:-}" in
  --bench) PKGS="$BUILD $LIBS $TEST $MPI $BENCH" ;;
  *)       PKGS="$BUILD $LIBS $TEST $MPI" ;;
esac

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

# Node.js and npm (for the peer tools the tests and benchmarks compare with):
# some machines carry NodeSource's nodejs, which bundles npm and conflicts with
# Debian's npm package, so ask for them only when the commands are missing.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -z "$missing" ]; then
  echo "install-deps: all Debian packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages; run as root:"
  echo "  apt-get install -y$missing"
  exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing

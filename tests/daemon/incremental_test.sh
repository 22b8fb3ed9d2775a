#!/bin/sh
# Incremental equals batch: a local server laid out like CommonCrawl exposes
# snapshot A; the daemon ingests it through dedup (persistent index) and new
# Megatron shards; snapshot B appears with exact and near duplicates of A's
# pages; the daemon ingests B without touching A's corpus files, and the
# kept document ids equal those of one `corpusd run` over A+B with the same
# global steps. Then kill -9 at 20 random moments during both ingestions
# (per-document work, dedup, shards) converges on the same kept set, with no
# document twice, every kept document in the shards once, no partial file,
# and a manifest listing exactly the files on disk.
. "$(dirname "$0")/../core/common.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
command -v zstd >/dev/null || skip "zstd CLI not installed"
exec $PYTHON "$HERE/incremental_test.py" "$CORPUSD" "$TESTDIR" "$HERE"

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
# A kill -9 between the owner marker's temporary file and its rename must not
# lock the output directory for good (seen in the kill loop below).
mkdir -p "$TESTDIR/claim/out"
echo x > "$TESTDIR/claim/out/.corpusd-owner.tmp.12345"
echo '{"id": "a", "text": "one document"}' > "$TESTDIR/claim/in.jsonl"
printf 'inputs: ["%s"]\n' "$TESTDIR/claim/in.jsonl" > "$TESTDIR/claim/c.yaml"
"$CORPUSD" run "$TESTDIR/claim/c.yaml" --state "$TESTDIR/claim/state" --output "$TESTDIR/claim/out" --quiet ||
  fail "a crash's leftover owner-marker temporary file blocks the output directory"
exec $PYTHON "$HERE/incremental_test.py" "$CORPUSD" "$TESTDIR" "$HERE"

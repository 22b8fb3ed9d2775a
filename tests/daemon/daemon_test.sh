#!/bin/sh
# The daemon: drop-folder ingestion without rewriting old outputs, one daemon
# per state dir, /metrics equal to the ledger, SIGHUP refusing output-changing
# edits, SIGTERM under load within the grace period, a full disk pausing and
# resuming with nothing lost, and kill -9 at 20 random moments converging on
# the same kept set as one batch run over everything.
. "$(dirname "$0")/../core/common.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
exec $PYTHON "$HERE/daemon_test.py" "$CORPUSD" "$TESTDIR" "$HERE/../core/gen_corpus.py"

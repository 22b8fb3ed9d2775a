/*
 * ledger.h: the run's single source of truth, in SQLite (WAL mode), at
 * STATE_DIR/ledger.sqlite.
 *
 * It records each input's status per configuration hash (pending, running,
 * done, failed with its error), every output file with its checksum and
 * counts, per-stage statistics per input, and the runs themselves.
 *
 * Exactly-once (DESIGN.md):
 *  1. outputs are written under a temporary name, fsynced and renamed
 *     (core/io.h);
 *  2. ledger_input_done() then records the outputs, their checksums and the
 *     input's completion in ONE transaction;
 *  3. ledger_recover() on start-up removes files in the output root that the
 *     ledger does not know and puts inputs left 'running' back to pending.
 * A crash anywhere therefore leaves either the whole result of an input
 * (committed) or none of it (removed and re-run).
 *
 * All functions are thread-safe (one connection behind a mutex).
 */
#ifndef CORPUSD_CORE_LEDGER_H
#define CORPUSD_CORE_LEDGER_H

#include <stdint.h>

#include "core/stage.h"
#include "core/util.h"

typedef struct ledger ledger;

typedef enum {
    LEDGER_UNKNOWN = 0, LEDGER_PENDING, LEDGER_RUNNING, LEDGER_DONE, LEDGER_FAILED
} ledger_status;

const char *ledger_status_name(ledger_status s);

ledger *ledger_open(const char *state_dir, cd_err *e);
void ledger_close(ledger *l);
struct sqlite3 *ledger_db(ledger *l);    /* for read-only reporting queries */
void ledger_lock(ledger *l);
void ledger_unlock(ledger *l);

/* Makes sure out_root belongs to this ledger (a marker file holds the
 * ledger's id); refuses a non-empty directory that belongs to no ledger or
 * to another one, so recovery never deletes a user's files. */
int ledger_claim_output(ledger *l, const char *out_root, cd_err *e);
/* Start-up recovery; *removed counts the files deleted. */
int ledger_recover(ledger *l, const char *out_root, int *removed, cd_err *e);

int64_t ledger_run_begin(ledger *l, const char *config_hash, const char *config_path, int threads,
                         int ninputs, cd_err *e);
int ledger_run_end(ledger *l, int64_t run_id, const char *status, int done, int failed, cd_err *e);

ledger_status ledger_input_status(ledger *l, const char *input, const char *config_hash);
int ledger_input_register(ledger *l, const char *input, const char *config_hash, uint64_t bytes,
                          cd_err *e);
int ledger_input_begin(ledger *l, const char *input, const char *config_hash, int64_t run_id,
                       cd_err *e);

/* The per-stage statistics of one input, for ledger_input_done(). Index 0 is
 * the reader; then the stages in order; then the writer as "write". */
typedef struct ledger_stage_stats {
    const char *name;
    const stage_stats *stats;
} ledger_stage_stats;

int ledger_input_done(ledger *l, const char *input, const char *config_hash, const output_list *outs,
                      const ledger_stage_stats *st, int nst, cd_err *e);
int ledger_input_fail(ledger *l, const char *input, const char *config_hash, const char *message,
                      cd_err *e);
/* Every input the ledger knows under a configuration hash, in path order
 * (the daemon's queue). *paths is a malloc'd array of malloc'd strings. */
int ledger_input_paths(ledger *l, const char *config_hash, char ***paths, size_t *n, cd_err *e);

/* Puts one input back to pending (aborted or paused; nothing committed). */
int ledger_input_reset(ledger *l, const char *input, const char *config_hash, cd_err *e);
/* Writes OUT/manifest.json atomically: every output file the ledger lists
 * (path, subset, docs, bytes, checksum), totals per subset, the config hash
 * and the corpusd version. */
int ledger_write_manifest(ledger *l, const char *out_root, const char *config_hash, cd_err *e);
/* Puts failed inputs back to pending (corpusd retry --failed). */
int ledger_requeue_failed(ledger *l, int *count, cd_err *e);

/* Generic key/value state for stages (e.g. percentile tables). */
int ledger_kv_set(ledger *l, const char *key, const char *value, cd_err *e);
char *ledger_kv_get(ledger *l, const char *key);   /* malloc'd or NULL */

#endif

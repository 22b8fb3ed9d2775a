/*
 * global.h: the global steps that follow the per-document pipeline, for
 * `corpusd run` and `corpusd daemon`: dedup against the persistent index of
 * every earlier batch, then tokenization into new shard files, with a corpus
 * manifest updated atomically.
 *
 * Config (top level of a pipeline YAML):
 *
 *   dedup:                      # optional
 *     config: configs/dedup-fineweb.yaml    # a file with a top-level dedup: map,
 *     params: {preset: fineweb}             #   or the parameters inline
 *     index: runs/x/index       # default STATE/dedup-index
 *     memory: 1G
 *   shards:                     # optional
 *     tokenizer: tok/tokenizer.json
 *     format: megatron          # or datatrove
 *     max_tokens: 0             # per shard; 0 = one shard set per batch
 *     eod: null                 # end-of-document token (default: the tokenizer's)
 *   corpus_dir: runs/x/corpus   # default RUN_DIR/corpus (--corpus DIR)
 *
 * A batch is a set of inputs whose per-document outputs are done: a
 * CommonCrawl snapshot (named by its id) once all of its files are done, or
 * (drop folders, batch runs) every other finished input not yet in a batch
 * once nothing is pending ("batch-NNNNNN"). Batches are processed in the
 * order they were formed, each exactly once:
 *
 *   open     members recorded (one transaction);
 *   deduped  dedup_run() over the members' kept outputs with the index, the
 *            batch's name as the snapshot name, kept documents into
 *            CORPUS/docs/BATCH/; the index commit is one SQLite transaction,
 *            and on restart a batch whose name the index already holds is
 *            recorded from the files dedup left (they are complete before the
 *            index commits), otherwise its folder is removed and dedup re-runs;
 *   done     tokenized into NEW files CORPUS/shards/BATCH_N.* (temporary
 *            names, fsync, rename), recorded in one transaction.
 *
 * Invariants: files in CORPUS that the ledger does not list are removed at
 * start-up (partial work of a crash), CORPUS/manifest.json is rewritten
 * atomically after every step and lists exactly the recorded files, and a
 * recorded file is never rewritten.
 *
 * Multi-rank runs (MPI): each rank keeps its own ledger in STATE/rank-R (and
 * outputs in OUT/rank-R); the global tables live in STATE/ledger.sqlite and
 * only rank 0 writes them. Rank 0 plans each batch and sends the plan to the
 * others, all ranks run dedup_run() together over the comm, and rank 0
 * records the result and writes the shards.
 */
#ifndef CORPUSD_CLI_GLOBAL_H
#define CORPUSD_CLI_GLOBAL_H

#include "core/pipeline.h"
#include "dedup/dedup.h"

typedef struct global_cfg global_cfg;

/* Reads the dedup:/shards:/corpus_dir: keys of a loaded pipeline. *out is
 * NULL (and 0 returned) when the config has neither dedup: nor shards:.
 * corpus_dir overrides the config's; top_state is the state directory that
 * holds the global tables (default index location). */
int global_load(const pipeline *p, const char *corpus_dir, const char *top_state, global_cfg **out, cd_err *e);
void global_free(global_cfg *g);
/* Hash of everything that determines the global outputs (for SIGHUP). */
const char *global_hash(const global_cfg *g);
const char *global_corpus_dir(const global_cfg *g);

enum { GLOBAL_MODE_RUN = 0, GLOBAL_MODE_DAEMON = 1 };

/* Runs every global step that is ready (collective over comm; NULL = one
 * process). out_dir is the per-document output root of a single-process
 * layout; multi-rank layouts are found from STATE/rank-R/ledger.sqlite.
 * Returns 0 when nothing failed. */
int global_run(global_cfg *g, const char *top_state, const char *out_dir, const char *config_hash, int mode,
               int threads, const dedup_comm *comm, cd_err *e);

/* The ledger kv key that marks an input as a file of CommonCrawl snapshot
 * VALUE (set by the daemon before it queues the input). */
#define GLOBAL_CC_KEY "ccinput:"

/* Prints the batches table of a ledger, if any (corpusd status). */
struct sqlite3;
void global_print_status(struct sqlite3 *db);

#endif

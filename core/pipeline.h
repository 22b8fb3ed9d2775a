/*
 * pipeline.h: loading a pipeline from YAML and running it.
 *
 * A pipeline file names its inputs, its stages in order (each with its
 * parameters), its output and its seed:
 *
 *   seed: 42
 *   run_dir: runs/demo            # state/, out/, logs/ live here
 *   threads: 0                    # 0 = all cores
 *   inputs:
 *     - data/sample/NAME.jsonl.zst  # globs, files or URLs
 *     - {path: "crawl/CC.warc.gz", format: warc}
 *   stages:
 *     - select: {expr: 'metadata.language == "en"'}
 *     - sample: {fraction: 0.5}
 *   output:
 *     format: jsonl               # writer
 *     max_docs: 100000            # writer parameters
 *     rejects: true               # keep dropped docs in out/rejects/
 *
 * Everything is validated by pipeline_load(), before any work starts.
 *
 * Running: each input is one task on the thread pool. Its documents flow
 * through a chain of stage instances in batches and are written to per-input
 * output files, which the ledger then records in one transaction. Since an
 * input's outputs depend on nothing but that input and the configuration,
 * the result is byte-identical at any thread count.
 */
#ifndef CORPUSD_CORE_PIPELINE_H
#define CORPUSD_CORE_PIPELINE_H

#include "core/cfg.h"
#include "core/stage.h"

typedef struct pipeline_input {
    char *path;
    char *stem;
    const reader_ops *reader;
    cfg_params *reader_params;
    uint64_t bytes;
} pipeline_input;

typedef struct pipeline_stage {
    const stage_ops *ops;
    cfg_params *params;
    void *shared;
    char *label;          /* "2:sample" for messages */
} pipeline_stage;

typedef struct pipeline {
    char *config_path;
    cfg_node *root;
    uint64_t seed;
    char *run_dir, *state_dir, *out_dir, *log_dir;
    int threads;
    size_t batch_docs;
    pipeline_input *inputs;
    size_t ninputs;
    pipeline_stage *stages;
    size_t nstages;
    const writer_ops *writer;
    cfg_params *writer_params;
    char *default_subset;
    int keep_rejects;
    char config_hash[17];
    int progress;         /* -1 auto (tty), 0 off, 1 on */
    int own_signals;      /* pipeline_run handles SIGINT/SIGTERM (abort); the daemon clears it */
} pipeline;

typedef struct pipeline_overrides {
    const char *state_dir;
    const char *out_dir;
    int threads;          /* 0 = keep the config's */
    int progress;         /* -1 auto (tty), 0 off, 1 on */
    int allow_empty_inputs; /* a glob matching nothing is not an error (daemon drop folders) */
} pipeline_overrides;

pipeline *pipeline_load(const char *config_path, const pipeline_overrides *ov, cd_err *e);
/* The same from config text already in memory (the daemon keeps the text of
 * the config it runs, so edits on disk apply only on SIGHUP). */
pipeline *pipeline_load_text(const char *config_path, const char *text, size_t n, const pipeline_overrides *ov,
                             cd_err *e);
void pipeline_free(pipeline *p);

typedef struct pipeline_result {
    int inputs_total, inputs_skipped, inputs_done, inputs_failed;
    int interrupted;
    int disk_full;        /* stopped because the disk filled; nothing lost */
    uint64_t docs_in, docs_out;
} pipeline_result;

/* Adds one input (a path or URL; format NULL = by suffix) to a loaded
 * pipeline, unless it is there already; stems are reassigned. The daemon uses
 * it for inputs queued in the ledger (CommonCrawl files it discovered). */
int pipeline_add_input(pipeline *p, const char *path, const char *format, cd_err *e);

/* Asks running pipelines to stop. abort_in_flight = 0: hand out no more
 * inputs and let in-flight ones finish; 1: also abort in-flight inputs at
 * their next batch (they go back to pending and re-run later, nothing
 * committed). Async-signal-safe. */
void pipeline_request_stop(int abort_in_flight);
int pipeline_stop_requested(void);
void pipeline_clear_stop(void);

/* Runs every input not yet done, then rewrites OUT/manifest.json from the
 * ledger. 0 when it ran (check res for failures). */
int pipeline_run(pipeline *p, pipeline_result *res, cd_err *e);

/* ---------------------------------------------- chains (used by subcommands) */

typedef struct chain chain;
/* kept == 0: the document was dropped (d->drop_reason says why). */
typedef int (*chain_sink)(void *arg, doc *d, int kept, cd_err *e);

chain *chain_open(const pipeline_stage *defs, size_t n, const stage_ctx *ctx, cd_err *e);
/* Runs a batch through every stage; survivors and drops go to the sink in
 * input order. The batch is emptied (documents freed). */
int chain_push(chain *c, doc_batch *batch, chain_sink sink, void *arg, cd_err *e);
/* Flushes every stage in order (what each emits runs through the rest). */
int chain_finish(chain *c, chain_sink sink, void *arg, cd_err *e);
void chain_close(chain *c);
size_t chain_len(const chain *c);
stage_stats *chain_stats(chain *c, size_t i);

/* Resolves one stage from its YAML node ({name: {params}} or "name"). */
int pipeline_stage_from_node(const cfg_node *n, size_t index, pipeline_stage *out, cd_err *e);
void pipeline_stage_free(pipeline_stage *s);

/* Runs one stage (or a short chain) alone over files, as the per-stage
 * subcommands do: inputs are read in order, kept documents go to out_path
 * (JSONL; compression by suffix, "-" for stdout) and dropped ones to
 * rejects_path when given. Prints per-stage statistics to stderr. */
int pipeline_run_files(const pipeline_stage *defs, size_t n, char **inputs, size_t ninputs,
                       const char *format, const char *out_path, const char *rejects_path,
                       uint64_t seed, cd_err *e);
/* The same with a state directory, for stages that checkpoint (synth). */
int pipeline_run_files_state(const pipeline_stage *defs, size_t n, char **inputs, size_t ninputs,
                             const char *format, const char *out_path, const char *rejects_path,
                             uint64_t seed, const char *state_dir, cd_err *e);

/* A stable short name for an input path: basename without known suffixes. */
char *pipeline_input_stem(const char *path);

#endif

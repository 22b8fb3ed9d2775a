/*
 * stage.h: the interfaces every stage, reader and writer implements, their
 * statistics, and the registry through which they announce themselves.
 *
 * A pipeline is   reader -> stage -> stage -> ... -> writer(s)
 *
 *  - A reader turns one input (a file or URL) into documents, in order.
 *  - A stage gets batches of documents in input order. It may change them,
 *    drop them (doc_drop), or append new ones (synth); flush() emits what it
 *    buffered when its input ends.
 *  - A writer stores the kept documents of one input under one subset.
 *
 * Lifetimes. ops->init runs once per pipeline, on the loading thread, with
 * validated parameters; it builds the read-only `shared` state (compiled
 * regexes, models, tables) that all instances use concurrently. ops->open
 * runs once per input, in the worker thread that processes that input, and
 * the instance (`priv`) belongs to that thread alone. This is what makes a
 * stage behave the same alone on a file (`corpusd sample in -o out`) and
 * inside a pipeline.
 *
 * Registration. Each stage file ends with CORPUSD_STAGE(ops); commands with
 * CORPUSD_COMMAND(...). Constructors add them to the registry before main.
 */
#ifndef CORPUSD_CORE_STAGE_H
#define CORPUSD_CORE_STAGE_H

#include <stdint.h>

#include "core/cfg.h"
#include "core/doc.h"

/* --------------------------------------------------------------- statistics */

typedef struct stat_count {
    char *name;
    uint64_t value;
} stat_count;

typedef struct stage_stats {
    uint64_t docs_in, docs_out, bytes_in, bytes_out;
    double seconds;
    stat_count *drops;      /* per drop reason */
    size_t ndrops;
    stat_count *counters;   /* stage-defined counters (e.g. "pii_email") */
    size_t ncounters;
} stage_stats;

void stats_drop(stage_stats *s, const char *reason, uint64_t n);
void stats_count(stage_stats *s, const char *name, uint64_t n);
uint64_t stats_get_drop(const stage_stats *s, const char *reason);
uint64_t stats_get_count(const stage_stats *s, const char *name);
void stats_merge(stage_stats *dst, const stage_stats *src);
void stats_free(stage_stats *s);

/* -------------------------------------------------------------- run context */

/* What a stage instance knows about where it runs. Read-only. */
typedef struct stage_ctx {
    uint64_t seed;           /* the pipeline seed */
    const char *input;       /* the input being processed (path or URL) */
    const char *input_stem;  /* stable short name of the input */
    const char *state_dir;   /* run state directory (may be NULL when run alone) */
    const char *out_dir;     /* output directory */
    int threads;
} stage_ctx;

/* ------------------------------------------------------------------ stages */

typedef struct stage stage;
typedef struct stage_ops {
    const char *name;
    const char *summary;
    const param_spec *params;   /* terminated by {0} */
    int (*init)(const cfg_params *p, void **shared, cd_err *e);           /* optional */
    void (*fini)(void *shared);                                            /* optional */
    int (*open)(stage *s, cd_err *e);                                      /* optional */
    int (*process)(stage *s, doc_batch *batch, cd_err *e);
    int (*flush)(stage *s, doc_batch *batch, cd_err *e);                   /* optional */
    void (*close)(stage *s);                                               /* optional */
} stage_ops;

struct stage {
    const stage_ops *ops;
    const cfg_params *params;
    void *shared;
    void *priv;
    const stage_ctx *ctx;
    stage_stats stats;       /* counters, drops: the runtime adds docs/bytes */
};

/* ----------------------------------------------------------------- readers */

typedef struct reader reader;
typedef struct reader_ops {
    const char *name;           /* "jsonl", "warc", ... */
    const char *summary;
    const param_spec *params;
    /* Suffixes this reader claims when the format is not given. */
    const char *const *suffixes;
    int (*open)(reader *r, const char *path, cd_err *e);
    /* 1 = *out set, 0 = end, -1 = the input failed (e says why). Bad records
     * are skipped inside next() and counted in r->stats.drops. */
    int (*next)(reader *r, doc **out, cd_err *e);
    void (*close)(reader *r);
} reader_ops;

struct reader {
    const reader_ops *ops;
    const cfg_params *params;
    void *priv;
    const stage_ctx *ctx;
    stage_stats stats;
    uint64_t bytes_read;        /* raw input bytes consumed, for progress */
};

/* ----------------------------------------------------------------- writers */

typedef struct output_file {
    char *path;                 /* relative to the output root */
    char *subset;
    uint64_t docs, bytes, raw_bytes;
    char checksum[17];
} output_file;

typedef struct output_list {
    output_file *files;
    size_t len;
} output_list;

void output_list_add(output_list *l, const char *path, const char *subset, uint64_t docs,
                     uint64_t bytes, uint64_t raw_bytes, const char *checksum);
void output_list_free(output_list *l);

typedef struct writer writer;
typedef struct writer_ops {
    const char *name;           /* "jsonl", "megatron", ... */
    const char *summary;
    const param_spec *params;
    /* dir: absolute directory for this subset; stem: stable input name. */
    int (*open)(writer *w, const char *dir, const char *stem, cd_err *e);
    int (*write)(writer *w, const doc *d, cd_err *e);
    /* Makes every file durable under its final name and lists them, with
     * paths relative to the output root (rel_dir/NAME). */
    int (*commit)(writer *w, output_list *out, cd_err *e);
    void (*abort)(writer *w);
} writer_ops;

struct writer {
    const writer_ops *ops;
    const cfg_params *params;
    void *priv;
    const stage_ctx *ctx;
    const char *subset;
    const char *rel_dir;        /* subset directory relative to the output root */
    int with_drop_reason;       /* rejects writers record metadata.drop_reason */
};

/* ---------------------------------------------------------------- registry */

typedef struct command {
    const char *name;
    const char *summary;
    int (*main)(int argc, char **argv);
} command;

void registry_add_command(const command *c);
void registry_add_stage(const stage_ops *ops);
void registry_add_reader(const reader_ops *ops);
void registry_add_writer(const writer_ops *ops);
const command *registry_command(const char *name);
const stage_ops *registry_stage(const char *name);
const reader_ops *registry_reader(const char *name);
const reader_ops *registry_reader_for_path(const char *path);
const writer_ops *registry_writer(const char *name);
/* Iteration: returns NULL past the end. */
const command *registry_command_at(size_t i);
const stage_ops *registry_stage_at(size_t i);
const reader_ops *registry_reader_at(size_t i);
const writer_ops *registry_writer_at(size_t i);

#define CORPUSD_CONCAT_(a, b) a##b
#define CORPUSD_CONCAT(a, b) CORPUSD_CONCAT_(a, b)
#define CORPUSD_COMMAND(name_, summary_, fn_)                                              \
    static const command CORPUSD_CONCAT(cmd_desc_, fn_) = {name_, summary_, fn_};         \
    __attribute__((constructor)) static void CORPUSD_CONCAT(cmd_register_, fn_)(void)     \
    {                                                                                      \
        registry_add_command(&CORPUSD_CONCAT(cmd_desc_, fn_));                             \
    }
#define CORPUSD_STAGE(ops_)                                                                \
    __attribute__((constructor)) static void CORPUSD_CONCAT(stage_register_, ops_)(void)  \
    {                                                                                      \
        registry_add_stage(&ops_);                                                         \
    }
#define CORPUSD_READER(ops_)                                                               \
    __attribute__((constructor)) static void CORPUSD_CONCAT(reader_register_, ops_)(void) \
    {                                                                                      \
        registry_add_reader(&ops_);                                                        \
    }
#define CORPUSD_WRITER(ops_)                                                               \
    __attribute__((constructor)) static void CORPUSD_CONCAT(writer_register_, ops_)(void) \
    {                                                                                      \
        registry_add_writer(&ops_);                                                        \
    }

#endif

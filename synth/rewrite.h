/*
 * rewrite.h: the synth stage, which rewrites documents into synthetic data
 * through an LLM: diverse QA, distillation, knowledge extraction and lists,
 * Wikipedia-style rephrasing, QA translation, code QA, math clean-up,
 * STEM multiple-choice questions and instruction pairs.
 *
 * A task (configs/synth/TASK.yaml) is a prompt template plus pre- and
 * post-processing. Preprocessing cuts a document into chunks by the model's
 * token counts; each chunk becomes one request to a backend (the embedded
 * Nemotron-H engine, or an OpenAI-compatible HTTP endpoint); postprocessing
 * validates and parses the answer. A valid answer becomes a synthetic
 * document `<source id>#<task>#<n>` in subset `synth/<task>` with its
 * provenance in metadata.synth; a failed one goes to the rejects with its
 * reason, never to the good data.
 *
 * Everything here is reentrant; a backend is used by one thread at a time.
 */
#ifndef CORPUSD_SYNTH_REWRITE_H
#define CORPUSD_SYNTH_REWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

typedef enum {
    RW_TEXT,          /* free text (distill, extract_knowledge, wiki_rephrase) */
    RW_QA,            /* Question:/Answer: pairs (diverse_qa, code_qa, translate_qa) */
    RW_BULLETS,       /* a list whose bullets are stripped (knowledge_list) */
    RW_MATH_CLEANUP,  /* cleaned text, or NO USEFUL CONTENT */
    RW_MCQ,           /* multiple-choice questions, exactly one correct option each */
    RW_INSTRUCT,      /* Instruction:/Response: pairs, written in the chat format */
} rw_kind;

typedef struct rw_task {
    char *name;
    char *system;
    char *prompt;               /* {document}, and {language} for translations */
    rw_kind kind;
    int min_doc_tokens, max_input_tokens, max_output_tokens, min_output_tokens;
    char *required_prefix;      /* NULL: none */
    int append;                 /* QA appended to the source text (diverse_qa) */
    int max_pairs;
    char **languages;           /* translate_qa */
    size_t nlanguages;
    char version[17];           /* hash of everything that shapes the prompt and parse */
} rw_task;

/* Loads configs/synth/NAME.yaml. Errors name file:line:col. */
int rw_task_load(const char *path, rw_task *t, cd_err *e);
void rw_task_free(rw_task *t);
/* Renders the user prompt for one chunk (and language, or NULL). */
void rw_task_render(const rw_task *t, const char *chunk, size_t n, const char *language, sbuf *out);

/* ------------------------------------------------------------ parsing */

typedef struct rw_pair {
    char *q, *a;
} rw_pair;

/* Parses "Question: ... Answer: ..." pairs (also "Question 3:", "Q:"/"A:",
 * "Instruction:"/"Response:" when instruct is set). Returns the count. */
size_t rw_parse_pairs(const char *text, size_t n, int instruct, rw_pair **out);
void rw_pairs_free(rw_pair *p, size_t n);
/* Copies text, removing list bullets ("- ", "* ", "• ", "1. ", "(a) ") at
 * line starts and dropping empty lines. */
void rw_strip_bullets(const char *text, size_t n, sbuf *out);
/* 1 when the answer says NO USEFUL CONTENT (and nothing substantial else). */
int rw_no_useful_content(const char *text, size_t n);
/* Validates multiple-choice questions: each question has options and exactly
 * one marked correct answer that names one of them. Returns the number of
 * valid questions, 0 with *why set when any question is invalid. */
int rw_validate_mcq(const char *text, size_t n, const char **why);

/* ------------------------------------------------------- preprocessing */

typedef int (*rw_count_fn)(void *ctx, const char *s, size_t n);

typedef struct rw_chunk {
    size_t start, len;
    int tokens;
} rw_chunk;

/* Splits text on lines, drops lines over max_tokens (counted in
 * *dropped_long), joins adjacent lines while they fit in max_tokens, and
 * drops chunks under min_tokens (counted in *dropped_short). */
size_t rw_segment(const char *text, size_t n, rw_count_fn count, void *ctx, int min_tokens, int max_tokens,
                  rw_chunk **out, size_t *dropped_long, size_t *dropped_short);

/* ------------------------------------------------------ postprocessing */

/* Validates and shapes one answer. Returns NULL and fills result, or a
 * static drop reason ("synth_missing_prefix", "synth_too_short", ...). */
const char *rw_postprocess(const rw_task *t, const char *chunk, size_t chunk_len, const char *answer,
                           size_t answer_len, int answer_tokens, int doc_tokens, uint64_t seed, sbuf *result);

/* ------------------------------------------------------------ backends */

typedef struct rw_request {
    const char *system;
    const char *user;
    int max_tokens;
    float temperature, top_p;
    int top_k;
    uint64_t seed;
    /* results */
    char *text;               /* malloc'd answer, NULL on failure */
    size_t len;
    int out_tokens;
    char error[256];          /* set on failure */
} rw_request;

typedef struct rw_backend rw_backend;

typedef struct rw_endpoint_opts {
    const char *url;          /* base URL: .../v1 or the full .../chat/completions */
    const char *model;        /* "model" field sent */
    const char *api_key;      /* NULL: none */
    int concurrency;          /* requests in flight */
    int retries;
    double timeout;           /* seconds per request */
} rw_endpoint_opts;

rw_backend *rw_backend_endpoint(const rw_endpoint_opts *o, cd_err *e);
/* The embedded engine (synth/synth.h) on DIR; batch = sequences in flight. */
rw_backend *rw_backend_embedded(const char *model_dir, int batch, cd_err *e);
/* Runs the requests (any order inside, results by index). Per-request
 * failures are recorded in req->error; -1 only for a fatal backend error. */
int rw_backend_generate(rw_backend *b, rw_request *reqs, int n, cd_err *e);
const char *rw_backend_model_id(const rw_backend *b);
const char *rw_backend_weights_hash(const rw_backend *b);
/* Mean share of the batch slots in use while requests were waiting (the
 * queue warm), in [0, 1]; _all counts every step, the tail included. For an
 * endpoint: requests in flight over the concurrency, over time. */
double rw_backend_occupancy(const rw_backend *b);
double rw_backend_occupancy_all(const rw_backend *b);
void rw_backend_free(rw_backend *b);

#endif

/*
 * rewrite_stage.c: the `synth` stage and `corpusd synth`.
 *
 * For each routed document (all, or those matching `when:`), the document is
 * cut into chunks by the model's token counts (rewrite.h), each chunk (and
 * each target language for translate_qa) becomes one request, the requests of
 * a whole batch of documents go to the backend together (continuous batching
 * in the engine, bounded concurrency on an endpoint), and every answer is
 * validated. Valid answers become documents `<source id>#<task>#<n>` in
 * subset `synth/<task>`, with provenance in metadata.synth; failed ones are
 * dropped with their reason and provenance (the rejects keep them).
 *
 * Checkpointing: each answer is stored, as soon as its group of requests
 * finishes, in STATE/synth-cache.sqlite under a key made of everything that
 * determines it (task version, model and weights, sampling, seed, prompt).
 * A killed run that re-runs an input takes finished chunks from there instead
 * of generating them again; outputs are still committed once per input by the
 * runtime, so nothing is written twice.
 *
 * Sampling defaults (temperature 0.5, top-p 0.9) are Nemotron-CC's; the seed
 * of a chunk derives from the pipeline seed and the document id, so a re-run
 * reproduces the outputs on the same backend.
 */
#include "cli/cli.h"
#include "core/log.h"
#include "core/pipeline.h"
#include "core/select.h"
#include "core/stage.h"
#include "synth/rewrite.h"
#include "tokenizer/bpe.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static const param_spec SYNTH_PARAMS[] = {
    {"task", PARAM_STRING, NULL, "task name: configs/synth/TASK.yaml (diverse_qa, distill, ...)"},
    {"tasks_dir", PARAM_STRING, "configs/synth", "folder of task YAML files"},
    {"model", PARAM_STRING, NULL, "model directory for the embedded engine (CUDA when present, else CPU)"},
    {"endpoint", PARAM_STRING, NULL, "OpenAI-compatible base URL (e.g. http://host:8000/v1) instead of --model"},
    {"endpoint_model", PARAM_STRING, "default", "the `model` sent to the endpoint"},
    {"api_key_env", PARAM_STRING, "OPENAI_API_KEY", "environment variable holding the endpoint's API key"},
    {"tokenizer", PARAM_STRING, NULL, "tokenizer.json for token budgets (default: MODEL/tokenizer.json)"},
    {"batch", PARAM_INT, "32", "sequences in flight in the engine"},
    {"concurrency", PARAM_INT, "8", "requests in flight to an endpoint"},
    {"retries", PARAM_INT, "3", "endpoint retries on errors, 429/5xx and malformed replies"},
    {"timeout", PARAM_DOUBLE, "120", "endpoint timeout per request, seconds"},
    {"temperature", PARAM_DOUBLE, "0.5", "sampling temperature (Nemotron-CC: 0.5)"},
    {"top_p", PARAM_DOUBLE, "0.9", "nucleus sampling (Nemotron-CC: 0.9)"},
    {"top_k", PARAM_INT, "0", "top-k sampling; 0 = off"},
    {"seed", PARAM_INT, "-1", "sampling seed; -1 = the pipeline seed"},
    {"when", PARAM_STRING, NULL, "route only documents matching this select expression (e.g. on metadata.quality)"},
    {"keep_source", PARAM_BOOL, "true", "pass the source documents on unchanged"},
    {"cache", PARAM_BOOL, "true", "checkpoint answers in STATE/synth-cache.sqlite"},
    {0},
};

typedef struct synth_shared {
    rw_task task;
    rw_backend *backend;
    pthread_mutex_t mu;          /* one generate at a time per backend */
    bpe *tok;
    void *when;
    double temperature, top_p;
    int top_k;
    int64_t seed;
    int keep_source, cache, batch;
    char subset[128];
    char sampling_key[128];
} synth_shared;

static int synth_init(const cfg_params *p, void **out, cd_err *e)
{
    const char *task = param_str(p, "task"), *model = param_str(p, "model"), *endpoint = param_str(p, "endpoint");
    if (!task) return cd_fail(e, CD_ECONFIG, "synth needs `task`");
    if (!model == !endpoint) return cd_fail(e, CD_ECONFIG, "synth needs exactly one of `model` or `endpoint`");
    for (const char *c = task; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
            return cd_fail(e, CD_ECONFIG, "synth: bad task name '%s'", task);
    synth_shared *s = xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    char *path = xasprintf("%s/%s.yaml", param_str(p, "tasks_dir"), task);
    int rc = rw_task_load(path, &s->task, e);
    free(path);
    if (rc) goto fail;
    const char *tokpath = param_str(p, "tokenizer");
    char *tp = tokpath ? xstrdup(tokpath) : model ? xasprintf("%s/tokenizer.json", model) : NULL;
    if (!tp) {
        cd_fail(e, CD_ECONFIG, "synth with an endpoint needs `tokenizer` (the model's tokenizer.json) for the token budgets");
        goto fail;
    }
    s->tok = bpe_load(tp, e);
    free(tp);
    if (!s->tok) goto fail;
    if (model) {
        s->backend = rw_backend_embedded(model, (int)param_int(p, "batch"), e);
    } else {
        const char *key_env = param_str(p, "api_key_env");
        rw_endpoint_opts o = {endpoint, param_str(p, "endpoint_model"), key_env ? getenv(key_env) : NULL,
                              (int)param_int(p, "concurrency"), (int)param_int(p, "retries"), param_double(p, "timeout")};
        s->backend = rw_backend_endpoint(&o, e);
    }
    if (!s->backend) goto fail;
    if (param_str(p, "when") && select_compile(param_str(p, "when"), &s->when, e)) goto fail;
    s->temperature = param_double(p, "temperature");
    s->top_p = param_double(p, "top_p");
    s->top_k = (int)param_int(p, "top_k");
    s->seed = param_int(p, "seed");
    s->keep_source = param_bool(p, "keep_source");
    s->cache = param_bool(p, "cache");
    s->batch = (int)param_int(p, "batch");
    if (s->batch < 1) s->batch = 1;
    snprintf(s->subset, sizeof s->subset, "synth/%s", task);
    snprintf(s->sampling_key, sizeof s->sampling_key, "t=%g;p=%g;k=%d", s->temperature, s->top_p, s->top_k);
    *out = s;
    return 0;
fail:
    rw_task_free(&s->task);
    if (s->tok) bpe_free(s->tok);
    rw_backend_free(s->backend);
    if (s->when) select_free(s->when);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return -1;
}

static void synth_fini(void *p)
{
    synth_shared *s = p;
    if (!s) return;
    log_info("synth: mean batch occupancy %.1f%% while the queue was warm, %.1f%% overall (%s)",
             100 * rw_backend_occupancy(s->backend), 100 * rw_backend_occupancy_all(s->backend),
             rw_backend_model_id(s->backend));
    rw_task_free(&s->task);
    bpe_free(s->tok);
    rw_backend_free(s->backend);
    if (s->when) select_free(s->when);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

typedef struct synth_inst {
    bpe_ctx *ctx;
    sqlite3 *db;
    sqlite3_stmt *get, *put;
} synth_inst;

static int synth_open(stage *st, cd_err *e)
{
    synth_shared *s = st->shared;
    synth_inst *in = xcalloc(1, sizeof *in);
    in->ctx = bpe_ctx_new(s->tok);
    if (s->cache && st->ctx && st->ctx->state_dir) {
        char *path = xasprintf("%s/synth-cache.sqlite", st->ctx->state_dir);
        if (sqlite3_open(path, &in->db) != SQLITE_OK) {
            cd_fail(e, CD_EIO, "synth cache %s: %s", path, sqlite3_errmsg(in->db));
            sqlite3_close(in->db);
            free(path);
            bpe_ctx_free(in->ctx);
            free(in);
            return -1;
        }
        free(path);
        sqlite3_busy_timeout(in->db, 30000);
        sqlite3_exec(in->db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     "CREATE TABLE IF NOT EXISTS answers(key TEXT PRIMARY KEY, text BLOB, tokens INT, error TEXT)",
                     NULL, NULL, NULL);
        sqlite3_prepare_v2(in->db, "SELECT text, tokens, error FROM answers WHERE key=?", -1, &in->get, NULL);
        sqlite3_prepare_v2(in->db, "INSERT OR REPLACE INTO answers(key,text,tokens,error) VALUES(?,?,?,?)", -1, &in->put,
                           NULL);
    }
    st->priv = in;
    return 0;
}

static void synth_close(stage *st)
{
    synth_inst *in = st->priv;
    if (!in) return;
    sqlite3_finalize(in->get);
    sqlite3_finalize(in->put);
    if (in->db) sqlite3_close(in->db);
    bpe_ctx_free(in->ctx);
    free(in);
}

typedef struct count_ctx {
    const bpe *tok;
    bpe_ctx *ctx;
    bpe_ids ids;
} count_ctx;

static int count_tokens(void *p, const char *s, size_t n)
{
    count_ctx *c = p;
    c->ids.len = 0;
    if (bpe_encode(c->tok, c->ctx, s, n, 0, &c->ids, NULL)) return (int)n; /* regex limits: count bytes */
    return (int)c->ids.len;
}

/* One request with where it came from. */
typedef struct job {
    size_t doc;              /* index in the batch */
    int n;                   /* synthetic index within the document */
    size_t start, len;       /* chunk in the source text */
    int chunk_tokens;
    const char *language;
    uint64_t seed;
    char key[33];
    sbuf user;
    int cached;
} job;

static void make_key(const synth_shared *s, job *j)
{
    XXH3_state_t *st = XXH3_createState();
    XXH3_128bits_reset(st);
    XXH3_128bits_update(st, s->task.version, strlen(s->task.version));
    XXH3_128bits_update(st, rw_backend_model_id(s->backend), strlen(rw_backend_model_id(s->backend)) + 1);
    XXH3_128bits_update(st, rw_backend_weights_hash(s->backend), strlen(rw_backend_weights_hash(s->backend)) + 1);
    XXH3_128bits_update(st, s->sampling_key, strlen(s->sampling_key) + 1);
    XXH3_128bits_update(st, &j->seed, sizeof j->seed);
    XXH3_128bits_update(st, j->user.data, j->user.len);
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    snprintf(j->key, sizeof j->key, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
}

static doc *synth_doc(const synth_shared *s, const doc *src, const job *j, const rw_request *r)
{
    doc *d = doc_new();
    char *id = xasprintf("%.*s#%s#%d", (int)src->id_len, src->id, s->task.name, j->n);
    doc_set_id(d, id, strlen(id));
    free(id);
    doc_set_source(d, "synth");
    d->subset = s->subset;
    json_value *m = json_new_object(&d->arena);
    arena *a = &d->arena;
    json_object_set(a, m, "source_id", json_new_string(a, src->id, src->id_len));
    json_object_set(a, m, "source", json_new_cstr(a, src->source));
    json_object_set(a, m, "task", json_new_cstr(a, s->task.name));
    json_object_set(a, m, "prompt_version", json_new_cstr(a, s->task.version));
    json_object_set(a, m, "model_id", json_new_cstr(a, rw_backend_model_id(s->backend)));
    json_object_set(a, m, "weights_hash", json_new_cstr(a, rw_backend_weights_hash(s->backend)));
    json_object_set(a, m, "temperature", json_new_number(a, s->temperature));
    json_object_set(a, m, "top_p", json_new_number(a, s->top_p));
    json_object_set(a, m, "top_k", json_new_int(a, s->top_k));
    char seed[24];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)j->seed);
    json_object_set(a, m, "seed", json_new_cstr(a, seed));
    json_object_set(a, m, "chunk", json_new_int(a, j->n));
    json_object_set(a, m, "input_tokens", json_new_int(a, j->chunk_tokens));
    json_object_set(a, m, "output_tokens", json_new_int(a, r->out_tokens));
    if (j->language) json_object_set(a, m, "language", json_new_cstr(a, j->language));
    doc_meta_set(d, "synth", m);
    /* Keep the source's routing fields for stratified sampling downstream. */
    const json_value *q = doc_meta_get(src, "quality");
    if (q) doc_meta_set(d, "quality", json_clone(a, q));
    const json_value *lang = doc_meta_get(src, "language");
    if (lang) doc_meta_set(d, "language", json_clone(a, lang));
    return d;
}

static int synth_process(stage *st, doc_batch *b, cd_err *e)
{
    synth_shared *s = st->shared;
    synth_inst *in = st->priv;
    count_ctx cc = {s->tok, in->ctx, {0}};
    uint64_t seed = s->seed >= 0 ? (uint64_t)s->seed : (st->ctx ? st->ctx->seed : 0);
    job *jobs = NULL;
    size_t njobs = 0, cap = 0;
    size_t nsrc = b->len;
    int *doc_tokens = xcalloc(nsrc ? nsrc : 1, sizeof *doc_tokens);
    for (size_t i = 0; i < nsrc; i++) {
        doc *d = b->docs[i];
        if (s->when && !select_match(s->when, d)) continue;
        doc_tokens[i] = count_tokens(&cc, d->text, d->text_len);
        rw_chunk *chunks;
        size_t dl = 0, ds = 0;
        size_t nc = rw_segment(d->text, d->text_len, count_tokens, &cc, s->task.min_doc_tokens, s->task.max_input_tokens,
                               &chunks, &dl, &ds);
        if (dl) stats_count(&st->stats, "synth_segments_too_long", dl);
        if (ds) stats_count(&st->stats, "synth_segments_too_short", ds);
        if (!nc) stats_count(&st->stats, "synth_docs_without_chunks", 1);
        size_t nl = s->task.nlanguages ? s->task.nlanguages : 1;
        int n = 0;
        for (size_t c = 0; c < nc; c++) {
            for (size_t l = 0; l < nl; l++) {
                if (njobs == cap) {
                    cap = cap ? cap * 2 : 64;
                    jobs = xrealloc(jobs, cap * sizeof *jobs);
                }
                job *j = &jobs[njobs++];
                memset(j, 0, sizeof *j);
                j->doc = i;
                j->n = n++;
                j->start = chunks[c].start;
                j->len = chunks[c].len;
                j->chunk_tokens = chunks[c].tokens;
                j->language = s->task.nlanguages ? s->task.languages[l] : NULL;
                char tag[64];
                snprintf(tag, sizeof tag, "#%s#%d", s->task.name, j->n);
                XXH3_state_t *hs = XXH3_createState();
                XXH3_64bits_reset_withSeed(hs, seed);
                XXH3_64bits_update(hs, d->id, d->id_len);
                XXH3_64bits_update(hs, tag, strlen(tag));
                j->seed = XXH3_64bits_digest(hs);
                XXH3_freeState(hs);
                rw_task_render(&s->task, d->text + j->start, j->len, j->language, &j->user);
                make_key(s, j);
            }
        }
        free(chunks);
    }
    bpe_ids_free(&cc.ids);
    rw_request *reqs = xcalloc(njobs ? njobs : 1, sizeof *reqs);
    for (size_t k = 0; k < njobs; k++) {
        rw_request *r = &reqs[k];
        r->system = s->task.system;
        r->user = jobs[k].user.data;
        r->max_tokens = s->task.max_output_tokens;
        r->temperature = (float)s->temperature;
        r->top_p = (float)s->top_p;
        r->top_k = s->top_k;
        r->seed = jobs[k].seed;
        if (in->get) {
            sqlite3_reset(in->get);
            sqlite3_bind_text(in->get, 1, jobs[k].key, -1, SQLITE_STATIC);
            if (sqlite3_step(in->get) == SQLITE_ROW) {
                const void *t = sqlite3_column_blob(in->get, 0);
                int tl = sqlite3_column_bytes(in->get, 0);
                const unsigned char *err = sqlite3_column_text(in->get, 2);
                if (err && *err) {
                    snprintf(r->error, sizeof r->error, "%s", err);
                } else {
                    r->text = xstrndup(t ? t : "", (size_t)tl);
                    r->len = (size_t)tl;
                }
                r->out_tokens = sqlite3_column_int(in->get, 1);
                jobs[k].cached = 1;
            }
        }
    }
    /* Generate what the cache did not have, in groups that are checkpointed
     * as they finish. */
    size_t group = (size_t)s->batch * 4;
    int rc = 0;
    for (size_t k = 0; k < njobs && !rc;) {
        rw_request *todo = xcalloc(group, sizeof *todo);
        size_t *map = xcalloc(group, sizeof *map), m = 0;
        for (; k < njobs && m < group; k++)
            if (!jobs[k].cached) {
                todo[m] = reqs[k];
                map[m++] = k;
            }
        if (m) {
            pthread_mutex_lock(&s->mu);
            rc = rw_backend_generate(s->backend, todo, (int)m, e);
            pthread_mutex_unlock(&s->mu);
            if (in->put && !rc) sqlite3_exec(in->db, "BEGIN", NULL, NULL, NULL);
            for (size_t t = 0; t < m; t++) {
                reqs[map[t]] = todo[t];
                if (!rc && in->put) {
                    rw_request *r = &reqs[map[t]];
                    if (r->text && r->out_tokens < 0) {
                        /* endpoints may omit usage: count with the tokenizer */
                        r->out_tokens = count_tokens(&cc, r->text, r->len);
                    }
                    sqlite3_reset(in->put);
                    sqlite3_bind_text(in->put, 1, jobs[map[t]].key, -1, SQLITE_STATIC);
                    sqlite3_bind_blob(in->put, 2, r->text ? r->text : "", (int)r->len, SQLITE_STATIC);
                    sqlite3_bind_int(in->put, 3, r->out_tokens);
                    sqlite3_bind_text(in->put, 4, r->text ? "" : r->error, -1, SQLITE_STATIC);
                    sqlite3_step(in->put);
                }
            }
            if (in->put && !rc) sqlite3_exec(in->db, "COMMIT", NULL, NULL, NULL);
            stats_count(&st->stats, "synth_generated", m);
        }
        free(todo);
        free(map);
    }
    /* Postprocess in document order. */
    sbuf result = SBUF_INIT;
    for (size_t k = 0; k < njobs && !rc; k++) {
        job *j = &jobs[k];
        rw_request *r = &reqs[k];
        doc *src = b->docs[j->doc];
        if (j->cached) stats_count(&st->stats, "synth_cached", 1);
        if (r->text && r->out_tokens < 0) r->out_tokens = count_tokens(&cc, r->text, r->len);
        const char *reason;
        if (!r->text) reason = "synth_backend_error";
        else
            reason = rw_postprocess(&s->task, src->text + j->start, j->len, r->text, r->len, r->out_tokens,
                                    doc_tokens[j->doc], j->seed, &result);
        doc *d = synth_doc(s, src, j, r);
        if (reason) {
            doc_set_text(d, r->text ? r->text : "", r->text ? r->len : 0);
            if (!r->text) doc_meta_set_str(d, "synth_error", r->error);
            doc_drop(d, reason);
        } else {
            doc_set_text(d, result.data ? result.data : "", result.len);
            stats_count(&st->stats, "synth_output_tokens", (uint64_t)(r->out_tokens > 0 ? r->out_tokens : 0));
        }
        doc_batch_push(b, d);
    }
    bpe_ids_free(&cc.ids);
    sbuf_free(&result);
    if (!s->keep_source)
        for (size_t i = 0; i < nsrc; i++) doc_drop(b->docs[i], "synth_source_replaced");
    for (size_t k = 0; k < njobs; k++) {
        sbuf_free(&jobs[k].user);
        free(reqs[k].text);
    }
    stats_count(&st->stats, "synth_requests", njobs);
    free(jobs);
    free(reqs);
    free(doc_tokens);
    return rc;
}

static const stage_ops synth_stage = {
    .name = "synth",
    .summary = "synthetic rewriting (QA, distill, knowledge, rephrase, translate, code QA, math clean-up, MCQ, instruct)",
    .params = SYNTH_PARAMS,
    .init = synth_init,
    .fini = synth_fini,
    .open = synth_open,
    .process = synth_process,
    .close = synth_close,
};
CORPUSD_STAGE(synth_stage)

/* corpusd synth IN... -o OUT --task T --model DIR|--endpoint URL [--rejects R] [--state DIR]:
 * the generic stage command, with the answer checkpoint in OUT.state unless
 * --state says otherwise, so that a killed run resumes. */
static int cmd_synth(int argc, char **argv)
{
    const char *out = NULL;
    int has_state = 0;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc) out = argv[i + 1];
        if (!strncmp(argv[i], "--output=", 9)) out = argv[i] + 9;
        if (!strcmp(argv[i], "--state") || !strncmp(argv[i], "--state=", 8)) has_state = 1;
    }
    if (has_state || !out || !strcmp(out, "-")) return cli_stage_main("synth", argc, argv);
    char **args = xcalloc((size_t)argc + 3, sizeof *args);
    for (int i = 0; i < argc; i++) args[i] = argv[i];
    char *state = xasprintf("%s.state", out);
    args[argc] = "--state";
    args[argc + 1] = state;
    int rc = cli_stage_main("synth", argc + 2, args);
    free(state);
    free(args);
    return rc;
}
CORPUSD_COMMAND("synth", "rewrite documents into synthetic QA and more through the embedded engine or an endpoint", cmd_synth)

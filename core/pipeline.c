/*
 * pipeline.c: configuration loading, the per-input chain of stages, the
 * worker that turns one input into committed outputs, and the run loop with
 * its progress line. See pipeline.h.
 */
#include "core/pipeline.h"
#include "core/io.h"
#include "core/ledger.h"
#include "core/log.h"
#include "core/pool.h"

#include <errno.h>
#include <glob.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define DEFAULT_BATCH_DOCS 256

/* ------------------------------------------------------------------ stems */

static const char *const KNOWN_SUFFIXES[] = {
    ".gz", ".zst", ".zstd", ".jsonl", ".json", ".ndjson", ".warc", ".wet", ".wat", ".arc",
    ".txt", ".tar", ".tgz", ".zip", ".html", ".htm", NULL,
};

char *pipeline_input_stem(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *q = strchr(base, '?');
    char *s = xstrndup(base, q ? (size_t)(q - base) : strlen(base));
    for (int round = 0; round < 3; round++) {
        int stripped = 0;
        for (const char *const *suf = KNOWN_SUFFIXES; *suf; suf++) {
            size_t n = strlen(s), l = strlen(*suf);
            if (n > l && strcmp(s + n - l, *suf) == 0) {
                s[n - l] = 0;
                stripped = 1;
                break;
            }
        }
        if (!stripped) break;
    }
    for (char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
              *c == '_' || *c == '-'))
            *c = '_';
    if (!*s || *s == '.') {
        char *t = xasprintf("input%s", s);
        free(s);
        s = t;
    }
    return s;
}

/* ----------------------------------------------------------------- stages */

int pipeline_stage_from_node(const cfg_node *n, size_t index, pipeline_stage *out, cd_err *e)
{
    memset(out, 0, sizeof *out);
    const char *name;
    const cfg_node *params = NULL, *where = n;
    if (n->kind == CFG_SCALAR) {
        name = n->value;
    } else if (n->kind == CFG_MAP && n->len == 1) {
        name = n->keys[0];
        params = n->items[0];
        where = n->keynodes ? n->keynodes[0] : n;
    } else {
        return cfg_error(e, n, "a stage is written as `- name: {params}` or `- name`");
    }
    const stage_ops *ops = registry_stage(name);
    if (!ops) {
        sbuf known = SBUF_INIT;
        for (size_t i = 0; registry_stage_at(i); i++) {
            if (i) sbuf_puts(&known, ", ");
            sbuf_puts(&known, registry_stage_at(i)->name);
        }
        int rc = cfg_error(e, where, "unknown stage '%s' (known: %s)", name, known.len ? known.data : "none");
        sbuf_free(&known);
        return rc;
    }
    char *what = xasprintf("stage '%s'", name);
    out->params = cfg_params_bind(ops->params, params, what, e);
    free(what);
    if (!out->params) return -1;
    out->ops = ops;
    out->label = xasprintf("%zu:%s", index + 1, name);
    if (ops->init && ops->init(out->params, &out->shared, e)) {
        if (e && e->code != CD_ECONFIG) e->code = CD_ECONFIG;
        char where_s[256], tmp[CD_ERR_MSG];
        if (e) {
            snprintf(tmp, sizeof tmp, "%s: stage '%s': %s", cfg_where(where, where_s, sizeof where_s), name, e->msg);
            memcpy(e->msg, tmp, sizeof tmp);
        }
        cfg_params_free(out->params);
        free(out->label);
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

void pipeline_stage_free(pipeline_stage *s)
{
    if (s->ops && s->ops->fini) s->ops->fini(s->shared);
    cfg_params_free(s->params);
    free(s->label);
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------------ chain */

struct chain {
    stage *st;
    size_t n;
    doc_batch tmp;
};

chain *chain_open(const pipeline_stage *defs, size_t n, const stage_ctx *ctx, cd_err *e)
{
    chain *c = xcalloc(1, sizeof *c);
    c->st = xcalloc(n ? n : 1, sizeof *c->st);
    for (size_t i = 0; i < n; i++) {
        stage *s = &c->st[i];
        s->ops = defs[i].ops;
        s->params = defs[i].params;
        s->shared = defs[i].shared;
        s->ctx = ctx;
        if (s->ops->open && s->ops->open(s, e)) {
            c->n = i;
            chain_close(c);
            return NULL;
        }
        c->n = i + 1;
    }
    return c;
}

size_t chain_len(const chain *c) { return c->n; }
stage_stats *chain_stats(chain *c, size_t i) { return &c->st[i].stats; }

/* Runs batch through stages [from, n), then the sink. */
static int run_from(chain *c, size_t from, doc_batch *batch, chain_sink sink, void *arg, cd_err *e)
{
    for (size_t i = from; i < c->n && batch->len; i++) {
        stage *s = &c->st[i];
        s->stats.docs_in += batch->len;
        for (size_t k = 0; k < batch->len; k++) s->stats.bytes_in += batch->docs[k]->text_len;
        double t0 = cd_now();
        if (s->ops->process(s, batch, e)) return -1;
        s->stats.seconds += cd_now() - t0;
        size_t w = 0;
        for (size_t k = 0; k < batch->len; k++) {
            doc *d = batch->docs[k];
            if (d->drop_reason) {
                stats_drop(&s->stats, d->drop_reason, 1);
                int rc = sink(arg, d, 0, e);
                doc_free(d);
                if (rc) {
                    /* Free the rest so nothing leaks on the error path. */
                    for (size_t j = k + 1; j < batch->len; j++) doc_free(batch->docs[j]);
                    for (size_t j = 0; j < w; j++) doc_free(batch->docs[j]);
                    batch->len = 0;
                    return -1;
                }
            } else {
                batch->docs[w++] = d;
                s->stats.bytes_out += d->text_len;
            }
        }
        batch->len = w;
        s->stats.docs_out += w;
    }
    for (size_t k = 0; k < batch->len; k++) {
        if (sink(arg, batch->docs[k], 1, e)) {
            doc_batch_clear(batch);
            return -1;
        }
    }
    doc_batch_clear(batch);
    return 0;
}

int chain_push(chain *c, doc_batch *batch, chain_sink sink, void *arg, cd_err *e)
{
    int rc = run_from(c, 0, batch, sink, arg, e);
    if (rc) doc_batch_clear(batch);
    return rc;
}

int chain_finish(chain *c, chain_sink sink, void *arg, cd_err *e)
{
    for (size_t i = 0; i < c->n; i++) {
        stage *s = &c->st[i];
        if (!s->ops->flush) continue;
        c->tmp.len = 0;
        if (s->ops->flush(s, &c->tmp, e)) {
            doc_batch_clear(&c->tmp);
            return -1;
        }
        /* What a stage emits at flush counts as its output. */
        size_t w = 0;
        for (size_t k = 0; k < c->tmp.len; k++) {
            doc *d = c->tmp.docs[k];
            if (d->drop_reason) {
                stats_drop(&s->stats, d->drop_reason, 1);
                int rc = sink(arg, d, 0, e);
                doc_free(d);
                if (rc) {
                    for (size_t j = k + 1; j < c->tmp.len; j++) doc_free(c->tmp.docs[j]);
                    c->tmp.len = w;
                    doc_batch_clear(&c->tmp);
                    return -1;
                }
            } else {
                c->tmp.docs[w++] = d;
                s->stats.bytes_out += d->text_len;
            }
        }
        c->tmp.len = w;
        s->stats.docs_out += w;
        if (run_from(c, i + 1, &c->tmp, sink, arg, e)) {
            doc_batch_clear(&c->tmp);
            return -1;
        }
    }
    return 0;
}

void chain_close(chain *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) {
        if (c->st[i].ops->close) c->st[i].ops->close(&c->st[i]);
        stats_free(&c->st[i].stats);
    }
    doc_batch_free(&c->tmp);
    free(c->st);
    free(c);
}

/* ----------------------------------------------------------------- loading */

static const char *const TOP_KEYS[] = {"name", "seed", "run_dir", "state_dir", "threads", "batch_docs",
                                       "inputs", "stages", "output", "description", "daemon",
                                       /* the global steps (cli/global.h) */
                                       "dedup", "shards", "after_dedup", "corpus_dir", NULL};

static int check_keys(const cfg_node *map, const char *const *allowed, const char *what, cd_err *e)
{
    for (size_t i = 0; i < map->len; i++) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, map->keys[i]) == 0) ok = 1;
        if (!ok) {
            sbuf known = SBUF_INIT;
            for (const char *const *a = allowed; *a; a++) {
                if (a != allowed) sbuf_puts(&known, ", ");
                sbuf_puts(&known, *a);
            }
            int rc = cfg_error(e, map->keynodes ? map->keynodes[i] : map, "unknown key '%s' in %s (known: %s)",
                               map->keys[i], what, known.data);
            sbuf_free(&known);
            return rc;
        }
    }
    return 0;
}

static int is_url(const char *p) { return strstr(p, "://") != NULL; }

static int add_input(pipeline *p, const char *path, const cfg_node *where, const char *format,
                     const cfg_node *params, cd_err *e)
{
    const reader_ops *r = format ? registry_reader(format) : registry_reader_for_path(path);
    if (!r) {
        if (format) return cfg_error(e, where, "unknown input format '%s'", format);
        return cfg_error(e, where, "cannot tell the format of input '%s'; add `format:`", path);
    }
    char *what = xasprintf("reader '%s'", r->name);
    cfg_params *rp = cfg_params_bind(r->params, params, what, e);
    free(what);
    if (!rp) return -1;
    p->inputs = xrealloc(p->inputs, (p->ninputs + 1) * sizeof *p->inputs);
    pipeline_input *in = &p->inputs[p->ninputs++];
    memset(in, 0, sizeof *in);
    in->path = xstrdup(path);
    in->reader = r;
    in->reader_params = rp;
    struct stat st;
    if (!is_url(path) && stat(path, &st) == 0) in->bytes = (uint64_t)st.st_size;
    return 0;
}

static int expand_input(pipeline *p, const cfg_node *item, int allow_empty, cd_err *e)
{
    const char *pattern = NULL, *format = NULL;
    const cfg_node *params = NULL;
    if (item->kind == CFG_SCALAR) {
        pattern = item->value;
    } else if (item->kind == CFG_MAP) {
        static const char *const keys[] = {"path", "format", "params", NULL};
        if (check_keys(item, keys, "an input", e)) return -1;
        const cfg_node *pn = cfg_map_get(item, "path");
        if (!pn || pn->kind != CFG_SCALAR) return cfg_error(e, item, "an input needs `path:`");
        pattern = pn->value;
        const cfg_node *fn = cfg_map_get(item, "format");
        if (fn && fn->kind != CFG_SCALAR) return cfg_error(e, fn, "`format:` must be a name");
        format = fn ? fn->value : NULL;
        params = cfg_map_get(item, "params");
    } else {
        return cfg_error(e, item, "an input is a path, a glob, a URL or {path: ..., format: ...}");
    }
    if (is_url(pattern)) return add_input(p, pattern, item, format, params, e);
    glob_t g;
    int grc = glob(pattern, GLOB_BRACE | GLOB_TILDE, NULL, &g);
    if (grc == GLOB_NOMATCH || (grc == 0 && g.gl_pathc == 0)) {
        globfree(&g);
        if (allow_empty) return 0; /* a drop folder may be empty for now */
        return cfg_error(e, item, "input '%s' matches no file", pattern);
    }
    if (grc != 0) {
        globfree(&g);
        return cfg_error(e, item, "cannot expand input '%s'", pattern);
    }
    int rc = 0;
    for (size_t i = 0; i < g.gl_pathc && !rc; i++) {
        struct stat st;
        if (stat(g.gl_pathv[i], &st) == 0 && S_ISDIR(st.st_mode)) continue;
        rc = add_input(p, g.gl_pathv[i], item, format, params, e);
    }
    globfree(&g);
    return rc;
}

static void assign_stems(pipeline *p)
{
    for (size_t i = 0; i < p->ninputs; i++) {
        free(p->inputs[i].stem);
        p->inputs[i].stem = pipeline_input_stem(p->inputs[i].path);
    }
    for (size_t i = 0; i < p->ninputs; i++) {
        int dup = 0;
        for (size_t j = 0; j < p->ninputs; j++)
            if (i != j && strcmp(p->inputs[i].stem, p->inputs[j].stem) == 0) dup = 1;
        if (dup) {
            /* Disambiguate by the full path: stable whatever the input order. */
            uint32_t h = XXH32(p->inputs[i].path, strlen(p->inputs[i].path), 0);
            char *s = xasprintf("%s-%08x", p->inputs[i].stem, h);
            free(p->inputs[i].stem);
            p->inputs[i].stem = s;
        }
    }
}

static char *dir_of_state(const char *state_dir)
{
    char *s = xstrdup(state_dir);
    size_t n = strlen(s);
    while (n > 1 && s[n - 1] == '/') s[--n] = 0;
    char *slash = strrchr(s, '/');
    if (!slash) {
        free(s);
        return xstrdup(".");
    }
    if (slash == s) slash[1] = 0;
    else *slash = 0;
    return s;
}

int pipeline_add_input(pipeline *p, const char *path, const char *format, cd_err *e)
{
    for (size_t i = 0; i < p->ninputs; i++)
        if (!strcmp(p->inputs[i].path, path)) return 0;
    cfg_node where = {0};
    where.kind = CFG_SCALAR;
    where.file = p->config_path;
    if (add_input(p, path, &where, format, NULL, e)) return -1;
    assign_stems(p);
    return 0;
}

pipeline *pipeline_load(const char *config_path, const pipeline_overrides *ov, cd_err *e)
{
    size_t n;
    char *text = cd_read_file(config_path, &n, e);
    if (!text) return NULL;
    pipeline *p = pipeline_load_text(config_path, text, n, ov, e);
    free(text);
    return p;
}

pipeline *pipeline_load_text(const char *config_path, const char *text, size_t text_len, const pipeline_overrides *ov,
                             cd_err *e)
{
    char *name = xstrdup(config_path);
    cfg_node *root = cfg_parse(text, text_len, name, e);
    if (!root) {
        free(name);
        return NULL;
    }
    root->file_owned = name;
    pipeline *p = xcalloc(1, sizeof *p);
    p->root = root;
    p->config_path = xstrdup(config_path);
    p->batch_docs = DEFAULT_BATCH_DOCS;
    if (root->kind != CFG_MAP) {
        cfg_error(e, root, "a pipeline config is a mapping with inputs, stages and output");
        goto fail;
    }
    if (check_keys(root, TOP_KEYS, "the pipeline", e)) goto fail;

    const cfg_node *n;
    if ((n = cfg_map_get(root, "seed"))) {
        int64_t v;
        if (cfg_to_int(n, &v, e)) goto fail;
        p->seed = (uint64_t)v;
    }
    if ((n = cfg_map_get(root, "threads"))) {
        int64_t v;
        if (cfg_to_int(n, &v, e)) goto fail;
        if (v < 0 || v > 4096) {
            cfg_error(e, n, "threads must be between 0 (all cores) and 4096");
            goto fail;
        }
        p->threads = (int)v;
    }
    if ((n = cfg_map_get(root, "batch_docs"))) {
        int64_t v;
        if (cfg_to_int(n, &v, e)) goto fail;
        if (v < 1 || v > 1000000) {
            cfg_error(e, n, "batch_docs must be between 1 and 1000000");
            goto fail;
        }
        p->batch_docs = (size_t)v;
    }
    /* Directories. */
    {
        const cfg_node *rd = cfg_map_get(root, "run_dir");
        if (rd && rd->kind != CFG_SCALAR) {
            cfg_error(e, rd, "run_dir must be a path");
            goto fail;
        }
        if (rd) p->run_dir = xstrdup(rd->value);
        else {
            char *stem = pipeline_input_stem(config_path);
            p->run_dir = xasprintf("runs/%s", stem);
            free(stem);
        }
        const cfg_node *sd = cfg_map_get(root, "state_dir");
        if (ov && ov->state_dir) p->state_dir = xstrdup(ov->state_dir);
        else if (sd && sd->kind == CFG_SCALAR) p->state_dir = xstrdup(sd->value);
        else p->state_dir = xasprintf("%s/state", p->run_dir);
        char *parent = dir_of_state(p->state_dir);
        p->log_dir = xasprintf("%s/logs", (ov && ov->state_dir) || (sd && sd->kind == CFG_SCALAR) ? parent : p->run_dir);
        free(parent);
    }
    /* Inputs. */
    n = cfg_map_get(root, "inputs");
    if (!n || (n->kind != CFG_SEQ && n->kind != CFG_SCALAR)) {
        cfg_error(e, n ? n : root, "the pipeline needs `inputs:`, a list of paths, globs or URLs");
        goto fail;
    }
    {
        int allow_empty = ov && ov->allow_empty_inputs;
        if (n->kind == CFG_SCALAR) {
            if (expand_input(p, n, allow_empty, e)) goto fail;
        } else {
            for (size_t i = 0; i < n->len; i++)
                if (expand_input(p, n->items[i], allow_empty, e)) goto fail;
        }
    }
    assign_stems(p);
    /* Stages. */
    n = cfg_map_get(root, "stages");
    if (n && n->kind != CFG_SEQ && n->kind != CFG_NULL) {
        cfg_error(e, n, "`stages:` must be a list");
        goto fail;
    }
    if (n && n->kind == CFG_SEQ) {
        p->stages = xcalloc(n->len ? n->len : 1, sizeof *p->stages);
        for (size_t i = 0; i < n->len; i++) {
            if (pipeline_stage_from_node(n->items[i], i, &p->stages[i], e)) goto fail;
            p->nstages = i + 1;
        }
    }
    /* Output. */
    {
        const cfg_node *out = cfg_map_get(root, "output");
        if (out && out->kind != CFG_MAP && out->kind != CFG_NULL) {
            cfg_error(e, out, "`output:` must be a mapping");
            goto fail;
        }
        const char *format = "jsonl";
        const cfg_node *fn = cfg_map_get(out, "format");
        if (fn) {
            if (fn->kind != CFG_SCALAR) {
                cfg_error(e, fn, "`format:` must be a name");
                goto fail;
            }
            format = fn->value;
        }
        p->writer = registry_writer(format);
        if (!p->writer) {
            cfg_error(e, fn ? fn : out, "unknown output format '%s'", format);
            goto fail;
        }
        /* Keys the runtime owns; the rest are the writer's parameters. */
        cfg_node *wparams = cfg_new_map();
        const cfg_node *dir = NULL, *rej = NULL, *subset = NULL;
        for (size_t i = 0; out && out->kind == CFG_MAP && i < out->len; i++) {
            const char *k = out->keys[i];
            if (!strcmp(k, "format")) continue;
            if (!strcmp(k, "dir")) dir = out->items[i];
            else if (!strcmp(k, "rejects")) rej = out->items[i];
            else if (!strcmp(k, "subset")) subset = out->items[i];
            else {
                /* Borrow the node: copy the mark so errors still point at the file. */
                cfg_node *c = xcalloc(1, sizeof *c);
                *c = *out->items[i];
                c->items = NULL;
                c->keys = NULL;
                c->keynodes = NULL;
                c->len = 0;
                c->file_owned = NULL;
                c->value = out->items[i]->value ? xstrdup(out->items[i]->value) : NULL;
                if (out->items[i]->kind == CFG_MAP || out->items[i]->kind == CFG_SEQ) {
                    free(c->value);
                    free(c);
                    cfg_free(wparams);
                    cfg_error(e, out->items[i], "output parameter '%s' must be a scalar", k);
                    goto fail;
                }
                cfg_map_put(wparams, k, c);
                wparams->keynodes[wparams->len - 1] = NULL;
            }
        }
        if (dir && dir->kind != CFG_SCALAR) {
            cfg_free(wparams);
            cfg_error(e, dir, "output dir must be a path");
            goto fail;
        }
        if (ov && ov->out_dir) p->out_dir = xstrdup(ov->out_dir);
        else if (dir) p->out_dir = xstrdup(dir->value);
        else p->out_dir = xasprintf("%s/out", p->run_dir);
        if (rej && cfg_to_bool(rej, &p->keep_rejects, e)) {
            cfg_free(wparams);
            goto fail;
        }
        p->default_subset = xstrdup(subset && subset->kind == CFG_SCALAR ? subset->value : "main");
        char *what = xasprintf("output format '%s'", p->writer->name);
        p->writer_params = cfg_params_bind(p->writer->params, wparams->len ? wparams : NULL, what, e);
        free(what);
        /* The writer's params keep pointers to nothing in wparams except
         * via bound copies, so it can go now. */
        if (!p->writer_params) {
            cfg_free(wparams);
            goto fail;
        }
        cfg_free(wparams);
    }
    p->progress = ov ? ov->progress : -1;
    p->own_signals = 1;
    if (ov && ov->threads > 0) p->threads = ov->threads;
    if (p->threads <= 0) p->threads = cd_ncpus();
    /* The configuration hash: what determines the outputs of an input. */
    {
        sbuf c = SBUF_INIT;
        sbuf_printf(&c, "corpusd-1;seed=%llu;", (unsigned long long)p->seed);
        cfg_canonical(cfg_map_get(root, "stages"), &c);
        sbuf_putc(&c, ';');
        const cfg_node *out = cfg_map_get(root, "output");
        for (size_t i = 0; out && out->kind == CFG_MAP && i < out->len; i++) {
            if (!strcmp(out->keys[i], "dir")) continue;
            sbuf_printf(&c, "%s=", out->keys[i]);
            cfg_canonical(out->items[i], &c);
            sbuf_putc(&c, ';');
        }
        /* Declared input formats and reader parameters matter; input paths
         * do not: adding an input (a new snapshot, a file in a drop folder)
         * must not invalidate finished ones. */
        const cfg_node *ins = cfg_map_get(root, "inputs");
        for (size_t i = 0; ins && ins->kind == CFG_SEQ && i < ins->len; i++) {
            const cfg_node *it = ins->items[i];
            if (it->kind != CFG_MAP) continue;
            sbuf_puts(&c, "in{");
            cfg_canonical(cfg_map_get(it, "format"), &c);
            cfg_canonical(cfg_map_get(it, "params"), &c);
            sbuf_puts(&c, "}");
        }
        snprintf(p->config_hash, sizeof p->config_hash, "%016llx",
                 (unsigned long long)XXH3_64bits(c.data, c.len));
        sbuf_free(&c);
    }
    return p;
fail:
    pipeline_free(p);
    return NULL;
}

void pipeline_free(pipeline *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->ninputs; i++) {
        free(p->inputs[i].path);
        free(p->inputs[i].stem);
        cfg_params_free(p->inputs[i].reader_params);
    }
    free(p->inputs);
    for (size_t i = 0; i < p->nstages; i++) pipeline_stage_free(&p->stages[i]);
    free(p->stages);
    cfg_params_free(p->writer_params);
    cfg_free(p->root);
    free(p->config_path);
    free(p->run_dir);
    free(p->state_dir);
    free(p->out_dir);
    free(p->log_dir);
    free(p->default_subset);
    free(p);
}

/* ------------------------------------------------------------------ sinks */

typedef struct subset_writer {
    char *subset;
    writer w;
} subset_writer;

typedef struct input_sink {
    const pipeline *p;
    const stage_ctx *ctx;
    const char *stem;
    subset_writer *ws;
    size_t nws;
    stage_stats write_stats;
} input_sink;

static subset_writer *sink_writer(input_sink *s, const char *subset, int rejects, cd_err *e)
{
    for (size_t i = 0; i < s->nws; i++)
        if (strcmp(s->ws[i].subset, subset) == 0) return &s->ws[i];
    /* Subset names become directories: keep them tame. */
    for (const char *c = subset; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
              *c == '-' || *c == '.' || *c == '/') ||
            (c[0] == '.' && c[1] == '.')) {
            cd_fail(e, CD_EINTERNAL, "invalid subset name '%s'", subset);
            return NULL;
        }
    s->ws = xrealloc(s->ws, (s->nws + 1) * sizeof *s->ws);
    subset_writer *sw = &s->ws[s->nws];
    memset(sw, 0, sizeof *sw);
    sw->subset = xstrdup(subset);
    sw->w.ops = s->p->writer;
    sw->w.params = s->p->writer_params;
    sw->w.ctx = s->ctx;
    sw->w.subset = sw->subset;
    sw->w.rel_dir = sw->subset;
    sw->w.with_drop_reason = rejects;
    char *dir = xasprintf("%s/%s", s->p->out_dir, subset);
    int rc = cd_mkdirs(dir, e);
    if (rc == 0) rc = sw->w.ops->open(&sw->w, dir, s->stem, e);
    free(dir);
    if (rc) {
        free(sw->subset);
        return NULL;
    }
    s->nws++;
    return sw;
}

static int input_sink_fn(void *arg, doc *d, int kept, cd_err *e)
{
    input_sink *s = arg;
    if (!kept && !s->p->keep_rejects) return 0;
    const char *subset = kept ? (d->subset ? d->subset : s->p->default_subset) : "rejects";
    subset_writer *sw = sink_writer(s, subset, !kept, e);
    if (!sw) return -1;
    if (kept) {
        s->write_stats.docs_in++;
        s->write_stats.bytes_in += d->text_len;
    }
    if (sw->w.ops->write(&sw->w, d, e)) return -1;
    if (kept) {
        s->write_stats.docs_out++;
        s->write_stats.bytes_out += d->text_len;
    }
    return 0;
}

static void input_sink_abort(input_sink *s)
{
    for (size_t i = 0; i < s->nws; i++) {
        s->ws[i].w.ops->abort(&s->ws[i].w);
        free(s->ws[i].subset);
    }
    free(s->ws);
    s->ws = NULL;
    s->nws = 0;
}

static int input_sink_commit(input_sink *s, output_list *outs, cd_err *e)
{
    int rc = 0;
    /* Commit in subset-name order so that the ledger rows are stable. */
    for (size_t i = 1; i < s->nws; i++)
        for (size_t j = i; j > 0 && strcmp(s->ws[j - 1].subset, s->ws[j].subset) > 0; j--) {
            subset_writer t = s->ws[j];
            s->ws[j] = s->ws[j - 1];
            s->ws[j - 1] = t;
        }
    size_t i;
    for (i = 0; i < s->nws && !rc; i++) rc = s->ws[i].w.ops->commit(&s->ws[i].w, outs, e);
    for (size_t j = i; j < s->nws; j++) s->ws[j].w.ops->abort(&s->ws[j].w);
    for (size_t j = 0; j < s->nws; j++) free(s->ws[j].subset);
    free(s->ws);
    s->ws = NULL;
    s->nws = 0;
    return rc;
}

/* ------------------------------------------------------------------ run */

typedef struct run_state {
    pipeline *p;
    ledger *led;
    int64_t run_id;
    size_t *todo;            /* indices of inputs to process */
    size_t ntodo;
    atomic_int done, failed, interrupted;
    atomic_ullong docs_in, docs_out, bytes_read;
    atomic_ullong bytes_done_inputs;
    uint64_t bytes_total;
    double t0;
    atomic_int finished;
    atomic_int disk_full;
} run_state;

/* Stop requests: g_stop_new stops handing out inputs, g_abort also aborts
 * in-flight inputs at their next batch. Both are set from signal handlers. */
static volatile sig_atomic_t g_stop_new, g_abort;

void pipeline_request_stop(int abort_in_flight)
{
    g_stop_new = 1;
    if (abort_in_flight) g_abort = 1;
    pool_stop();
}

int pipeline_stop_requested(void) { return g_stop_new; }

void pipeline_clear_stop(void)
{
    g_stop_new = 0;
    g_abort = 0;
    pool_clear_stop();
}

static void on_signal(int sig)
{
    (void)sig;
    pipeline_request_stop(1);
}

static int process_input(run_state *rs, const pipeline_input *in, cd_err *e)
{
    pipeline *p = rs->p;
    stage_ctx ctx = {p->seed, in->path, in->stem, p->state_dir, p->out_dir, p->threads};
    reader r;
    memset(&r, 0, sizeof r);
    r.ops = in->reader;
    r.params = in->reader_params;
    r.ctx = &ctx;
    if (r.ops->open(&r, in->path, e)) {
        stats_free(&r.stats);
        return -1;
    }
    chain *c = chain_open(p->stages, p->nstages, &ctx, e);
    if (!c) {
        r.ops->close(&r);
        stats_free(&r.stats);
        return -1;
    }
    input_sink sink;
    memset(&sink, 0, sizeof sink);
    sink.p = p;
    sink.ctx = &ctx;
    sink.stem = in->stem;
    doc_batch batch = {0};
    int rc = 0;
    uint64_t seq = 0, last_bytes = 0;
    for (;;) {
        if (g_abort) {
            rc = cd_fail(e, CD_EINTERNAL, "interrupted");
            atomic_store(&rs->interrupted, 1);
            break;
        }
        doc *d = NULL;
        int got = r.ops->next(&r, &d, e);
        if (got < 0) {
            rc = -1;
            break;
        }
        if (got == 1) {
            d->seq = seq++;
            r.stats.docs_out++;
            r.stats.bytes_out += d->text_len;
            doc_batch_push(&batch, d);
        }
        if (batch.len >= p->batch_docs || (got == 0 && batch.len)) {
            size_t n = batch.len;
            if (chain_push(c, &batch, input_sink_fn, &sink, e)) {
                rc = -1;
                break;
            }
            atomic_fetch_add(&rs->docs_in, n);
            atomic_fetch_add(&rs->bytes_read, r.bytes_read - last_bytes);
            last_bytes = r.bytes_read;
        }
        if (got == 0) break;
    }
    if (rc == 0) rc = chain_finish(c, input_sink_fn, &sink, e);
    doc_batch_free(&batch);
    output_list outs = {0};
    if (rc == 0) {
        rc = input_sink_commit(&sink, &outs, e);
    } else {
        input_sink_abort(&sink);
    }
    if (rc == 0) {
        /* Statistics: reader, each stage, then the writer. The reader's
         * "in" is every record it saw, skipped ones included. */
        r.stats.docs_in = r.stats.docs_out;
        for (size_t i = 0; i < r.stats.ndrops; i++) r.stats.docs_in += r.stats.drops[i].value;
        size_t nst = 2 + chain_len(c);
        ledger_stage_stats *sts = xcalloc(nst, sizeof *sts);
        sts[0].name = r.ops->name;
        sts[0].stats = &r.stats;
        for (size_t i = 0; i < chain_len(c); i++) {
            sts[i + 1].name = p->stages[i].ops->name;
            sts[i + 1].stats = chain_stats(c, i);
        }
        sts[nst - 1].name = "write";
        sts[nst - 1].stats = &sink.write_stats;
        rc = ledger_input_done(rs->led, in->path, p->config_hash, &outs, sts, (int)nst, e);
        if (rc == 0) atomic_fetch_add(&rs->docs_out, sink.write_stats.docs_out);
        free(sts);
    }
    output_list_free(&outs);
    atomic_fetch_add(&rs->bytes_read, r.bytes_read - last_bytes);
    chain_close(c);
    r.ops->close(&r);
    stats_free(&r.stats);
    stats_free(&sink.write_stats);
    return rc;
}

static void run_task(void *arg, size_t task, int worker)
{
    (void)worker;
    run_state *rs = arg;
    const pipeline_input *in = &rs->p->inputs[rs->todo[task]];
    cd_err e;
    cd_err_clear(&e);
    if (ledger_input_begin(rs->led, in->path, rs->p->config_hash, rs->run_id, &e)) {
        log_error("%s", e.msg);
        atomic_fetch_add(&rs->failed, 1);
        return;
    }
    if (process_input(rs, in, &e) == 0) {
        atomic_fetch_add(&rs->done, 1);
    } else if (g_abort) {
        /* Nothing of it was committed: back to pending, it re-runs later. */
        ledger_input_reset(rs->led, in->path, rs->p->config_hash, NULL);
    } else if (e.code == CD_ENOSPACE) {
        /* A full disk is not the input's fault: keep it pending, stop taking
         * work, and let the caller pause until space is freed. */
        log_error("disk full while writing the output of %s: %s; pausing", in->path, e.msg);
        ledger_input_reset(rs->led, in->path, rs->p->config_hash, NULL);
        atomic_store(&rs->disk_full, 1);
        pool_stop();
    } else {
        log_error("input %s failed: %s", in->path, e.msg);
        cd_err e2;
        if (ledger_input_fail(rs->led, in->path, rs->p->config_hash, e.msg, &e2))
            log_error("%s", e2.msg);
        atomic_fetch_add(&rs->failed, 1);
    }
    atomic_fetch_add(&rs->bytes_done_inputs, in->bytes);
}

static void fmt_eta(char *buf, size_t n, double s)
{
    if (s < 0 || s > 1e7) {
        snprintf(buf, n, "--:--:--");
        return;
    }
    long t = (long)s;
    snprintf(buf, n, "%02ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
}

static void *progress_main(void *arg)
{
    run_state *rs = arg;
    while (!atomic_load(&rs->finished)) {
        for (int i = 0; i < 10 && !atomic_load(&rs->finished); i++) usleep(100000);
        if (atomic_load(&rs->finished)) break;
        double dt = cd_now() - rs->t0;
        uint64_t docs = atomic_load(&rs->docs_in), bytes = atomic_load(&rs->bytes_read);
        int done = atomic_load(&rs->done) + atomic_load(&rs->failed);
        double frac = rs->bytes_total ? (double)bytes / (double)rs->bytes_total : (double)done / (double)(rs->ntodo ? rs->ntodo : 1);
        if (frac > 1) frac = 1;
        char eta[32];
        fmt_eta(eta, sizeof eta, frac > 0.001 ? dt / frac - dt : -1);
        fprintf(stderr, "\r\033[Kinputs %d/%zu | %llu docs | %.0f docs/s | %.1f MB/s | ETA %s", done, rs->ntodo,
                (unsigned long long)docs, dt > 0 ? docs / dt : 0.0, dt > 0 ? bytes / dt / 1e6 : 0.0, eta);
        fflush(stderr);
    }
    fputs("\r\033[K", stderr);
    return NULL;
}

int pipeline_run(pipeline *p, pipeline_result *res, cd_err *e)
{
    memset(res, 0, sizeof *res);
    if (cd_mkdirs(p->state_dir, e) || cd_mkdirs(p->log_dir, e)) return -1;
    char *logpath = xasprintf("%s/corpusd.jsonl", p->log_dir);
    log_open_file(logpath);
    free(logpath);
    ledger *led = ledger_open(p->state_dir, e);
    if (!led) return -1;
    int rc = 0;
    if (ledger_claim_output(led, p->out_dir, e)) {
        ledger_close(led);
        return -1;
    }
    int removed = 0;
    if (ledger_recover(led, p->out_dir, &removed, e)) {
        ledger_close(led);
        return -1;
    }
    if (removed) log_info("recovery removed %d stray file(s) from %s", removed, p->out_dir);

    run_state *rs = xcalloc(1, sizeof *rs);
    rs->p = p;
    rs->led = led;
    rs->todo = xcalloc(p->ninputs ? p->ninputs : 1, sizeof *rs->todo);
    for (size_t i = 0; i < p->ninputs; i++) {
        ledger_status st = ledger_input_status(led, p->inputs[i].path, p->config_hash);
        if (st == LEDGER_DONE) {
            res->inputs_skipped++;
            continue;
        }
        if (st == LEDGER_UNKNOWN && ledger_input_register(led, p->inputs[i].path, p->config_hash, p->inputs[i].bytes, e)) {
            rc = -1;
            goto out;
        }
        rs->todo[rs->ntodo++] = i;
        rs->bytes_total += p->inputs[i].bytes;
    }
    res->inputs_total = (int)p->ninputs;
    if (rs->ntodo == 0) {
        /* Nothing to do (a daemon's idle cycle): no run row, no noise. */
        cd_err me;
        if (ledger_write_manifest(led, p->out_dir, p->config_hash, &me)) log_error("cannot write the manifest: %s", me.msg);
        goto out;
    }
    rs->run_id = ledger_run_begin(led, p->config_hash, p->config_path, p->threads, (int)rs->ntodo, e);
    if (rs->run_id < 0) {
        rc = -1;
        goto out;
    }
    log_info("run %lld: %zu input(s) to process, %d already done, %d thread(s), config %s",
             (long long)rs->run_id, rs->ntodo, res->inputs_skipped, p->threads, p->config_hash);

    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    if (p->own_signals) {
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
    }
    if (!g_stop_new) pool_clear_stop();

    rs->t0 = cd_now();
    pthread_t prog;
    int have_prog = 0;
    if (p->progress == 1 || (p->progress == -1 && isatty(2))) {
        log_set_progress_active(1);
        have_prog = pthread_create(&prog, NULL, progress_main, rs) == 0;
    }
    pool_run(p->threads, rs->ntodo, run_task, rs);
    atomic_store(&rs->finished, 1);
    if (have_prog) pthread_join(prog, NULL);
    log_set_progress_active(0);
    if (p->own_signals) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }

    res->inputs_done = atomic_load(&rs->done);
    res->inputs_failed = atomic_load(&rs->failed);
    res->interrupted = g_stop_new != 0;
    res->disk_full = atomic_load(&rs->disk_full);
    res->docs_in = atomic_load(&rs->docs_in);
    res->docs_out = atomic_load(&rs->docs_out);
    double dt = cd_now() - rs->t0;
    ledger_run_end(led, rs->run_id,
                   res->disk_full ? "disk_full" : res->interrupted ? "interrupted" : res->inputs_failed ? "failed" : "done",
                   res->inputs_done, res->inputs_failed, NULL);
    {
        cd_err me;
        if (ledger_write_manifest(led, p->out_dir, p->config_hash, &me))
            log_error("cannot write the manifest: %s", me.msg);
    }
    log_info("run %lld: %d done, %d failed, %d skipped; %llu docs in, %llu out; %.2f s%s", (long long)rs->run_id,
             res->inputs_done, res->inputs_failed, res->inputs_skipped, (unsigned long long)res->docs_in,
             (unsigned long long)res->docs_out, dt, res->interrupted ? " (interrupted)" : "");
out:
    free(rs->todo);
    free(rs);
    ledger_close(led);
    log_close_file();
    return rc;
}

/* ------------------------------------------------------- running on files */

typedef struct file_sink {
    io_writer *out, *rej;
    FILE *out_fp;
    sbuf line;
    uint64_t kept, dropped;
} file_sink;

static int file_sink_fn(void *arg, doc *d, int kept, cd_err *e)
{
    file_sink *s = arg;
    sbuf_reset(&s->line);
    if (kept) {
        s->kept++;
        doc_to_json(d, &s->line, 0);
        if (s->out_fp) {
            if (fwrite(s->line.data, 1, s->line.len, s->out_fp) != s->line.len)
                return cd_fail(e, CD_EIO, "write to stdout failed");
            return 0;
        }
        return io_write(s->out, s->line.data, s->line.len, e);
    }
    s->dropped++;
    if (!s->rej) return 0;
    doc_to_json(d, &s->line, 1);
    return io_write(s->rej, s->line.data, s->line.len, e);
}

static void print_stats(const char *name, const stage_stats *s)
{
    fprintf(stderr, "  %-14s in %-9llu out %-9llu", name, (unsigned long long)s->docs_in,
            (unsigned long long)s->docs_out);
    for (size_t i = 0; i < s->ndrops; i++)
        fprintf(stderr, " %s=%llu", s->drops[i].name, (unsigned long long)s->drops[i].value);
    for (size_t i = 0; i < s->ncounters; i++)
        fprintf(stderr, " %s=%llu", s->counters[i].name, (unsigned long long)s->counters[i].value);
    fputc('\n', stderr);
}

int pipeline_run_files(const pipeline_stage *defs, size_t n, char **inputs, size_t ninputs, const char *format,
                       const char *out_path, const char *rejects_path, uint64_t seed, cd_err *e)
{
    return pipeline_run_files_state(defs, n, inputs, ninputs, format, out_path, rejects_path, seed, NULL, e);
}

int pipeline_run_files_state(const pipeline_stage *defs, size_t n, char **inputs, size_t ninputs, const char *format,
                             const char *out_path, const char *rejects_path, uint64_t seed, const char *state_dir,
                             cd_err *e)
{
    file_sink sink;
    memset(&sink, 0, sizeof sink);
    int rc = 0;
    if (!out_path || strcmp(out_path, "-") == 0) {
        sink.out_fp = stdout;
    } else {
        sink.out = io_writer_create(out_path, io_compression_for_path(out_path), e);
        if (!sink.out) return -1;
    }
    if (rejects_path) {
        sink.rej = io_writer_create(rejects_path, io_compression_for_path(rejects_path), e);
        if (!sink.rej) {
            if (sink.out) io_writer_abort(sink.out);
            return -1;
        }
    }
    if (state_dir && cd_mkdirs(state_dir, e)) {
        if (sink.out) io_writer_abort(sink.out);
        if (sink.rej) io_writer_abort(sink.rej);
        return -1;
    }
    stage_ctx ctx = {seed, NULL, NULL, state_dir, NULL, 1};
    chain *c = chain_open(defs, n, &ctx, e);
    if (!c) {
        rc = -1;
        goto done;
    }
    stage_stats rstats = {0};
    uint64_t failed_inputs = 0;
    for (size_t i = 0; i < ninputs && rc == 0; i++) {
        const reader_ops *ro = format ? registry_reader(format) : registry_reader_for_path(inputs[i]);
        if (!ro) ro = registry_reader("jsonl");
        if (!ro) {
            rc = cd_fail(e, CD_ECONFIG, "no reader for %s", inputs[i]);
            break;
        }
        cfg_params *rp = cfg_params_bind(ro->params, NULL, ro->name, e);
        if (!rp) {
            rc = -1;
            break;
        }
        reader r;
        memset(&r, 0, sizeof r);
        r.ops = ro;
        r.params = rp;
        r.ctx = &ctx;
        ctx.input = inputs[i];
        char *stem = pipeline_input_stem(inputs[i]);
        ctx.input_stem = stem;
        if (ro->open(&r, inputs[i], e)) {
            log_error("%s", e->msg);
            failed_inputs++;
            cd_err_clear(e);
            cfg_params_free(rp);
            free(stem);
            stats_free(&r.stats);
            continue;
        }
        doc_batch batch = {0};
        uint64_t seq = 0;
        for (;;) {
            doc *d = NULL;
            int got = ro->next(&r, &d, e);
            if (got < 0) {
                log_error("input %s failed: %s", inputs[i], e->msg);
                failed_inputs++;
                cd_err_clear(e);
                break;
            }
            if (got == 1) {
                d->seq = seq++;
                r.stats.docs_out++;
                doc_batch_push(&batch, d);
            }
            if (batch.len >= DEFAULT_BATCH_DOCS || (got == 0 && batch.len)) {
                if (chain_push(c, &batch, file_sink_fn, &sink, e)) {
                    rc = -1;
                    break;
                }
            }
            if (got == 0) break;
        }
        doc_batch_free(&batch);
        stats_merge(&rstats, &r.stats);
        ro->close(&r);
        stats_free(&r.stats);
        cfg_params_free(rp);
        free(stem);
    }
    if (rc == 0) rc = chain_finish(c, file_sink_fn, &sink, e);
    if (rc == 0) {
        fprintf(stderr, "corpusd: %llu kept, %llu dropped%s\n", (unsigned long long)sink.kept,
                (unsigned long long)sink.dropped, failed_inputs ? " (some inputs failed)" : "");
        print_stats("read", &rstats);
        for (size_t i = 0; i < chain_len(c); i++) print_stats(defs[i].ops->name, chain_stats(c, i));
    }
    stats_free(&rstats);
    chain_close(c);
    if (rc == 0 && failed_inputs) rc = 1;
done:
    if (sink.out) {
        if (rc < 0) io_writer_abort(sink.out);
        else if (io_writer_commit(sink.out, NULL, e)) rc = -1;
    }
    if (sink.out_fp) fflush(sink.out_fp);
    if (sink.rej) {
        if (rc < 0) io_writer_abort(sink.rej);
        else if (io_writer_commit(sink.rej, NULL, e)) rc = -1;
    }
    sbuf_free(&sink.line);
    return rc;
}

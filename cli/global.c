/*
 * global.c: the global steps after the per-document pipeline (dedup against
 * the incremental index, then new token shards, then the corpus manifest).
 * See global.h for the config, the batch life cycle and the invariants.
 */
#include "cli/global.h"
#include "core/doc.h"
#include "core/io.h"
#include "core/json.h"
#include "core/ledger.h"
#include "core/log.h"
#include "core/version.h"
#include "shards/shards.h"
#include "tokenizer/bpe.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

struct global_cfg {
    int has_dedup, has_shards;
    dedup_params dp;
    char *index_dir;
    int64_t memory;
    char *tokenizer, *eod;
    tokshard_format fmt;
    int64_t max_tokens;
    int threads;
    char *corpus_dir;
    char hash[17];
    bpe *tok;
    pipeline_stage *post;  /* after_dedup: stages */
    size_t npost;
    uint64_t seed;
};

static const param_spec DEDUP_STEP[] = {
    {"config", PARAM_STRING, NULL, "YAML file whose top-level dedup: map holds the dedup parameters"},
    {"params", PARAM_ANY, NULL, "the dedup parameters inline (see corpusd dedup --help)"},
    {"index", PARAM_STRING, NULL, "persistent index directory (default STATE/dedup-index)"},
    {"memory", PARAM_SIZE, "1G", "memory budget of one dedup run"},
    {0},
};

static const param_spec SHARDS_STEP[] = {
    {"tokenizer", PARAM_STRING, NULL, "tokenizer.json or NAME.tiktoken"},
    {"format", PARAM_STRING, "megatron", "megatron (.bin/.idx) or datatrove (.ds)"},
    {"max_tokens", PARAM_SIZE, "0", "tokens per shard file; 0 = unbounded"},
    {"eod", PARAM_STRING, NULL, "end-of-document token (default: the tokenizer's)"},
    {"threads", PARAM_INT, "0", "encoding threads; 0 = the run's --threads (the shards are the same at any count)"},
    {0},
};

int global_load(const pipeline *p, const char *corpus_dir, const char *top_state, global_cfg **out, cd_err *e)
{
    *out = NULL;
    const cfg_node *dn = cfg_map_get(p->root, "dedup"), *sn = cfg_map_get(p->root, "shards");
    const cfg_node *cn = cfg_map_get(p->root, "corpus_dir"), *an = cfg_map_get(p->root, "after_dedup");
    if (dn && dn->kind == CFG_NULL) dn = NULL;
    if (sn && sn->kind == CFG_NULL) sn = NULL;
    if (an && an->kind == CFG_NULL) an = NULL;
    if (!dn && !sn && !an) return 0;
    global_cfg *g = xcalloc(1, sizeof *g);
    g->seed = p->seed;
    sbuf h = SBUF_INIT;
    sbuf_printf(&h, "global-1;seed=%llu;", (unsigned long long)p->seed);
    if (an) {
        if (an->kind != CFG_SEQ) {
            cfg_error(e, an, "`after_dedup:` must be a list of stages");
            goto fail;
        }
        g->post = xcalloc(an->len ? an->len : 1, sizeof *g->post);
        for (size_t i = 0; i < an->len; i++) {
            if (pipeline_stage_from_node(an->items[i], i, &g->post[i], e)) goto fail;
            g->npost = i + 1;
        }
        sbuf_puts(&h, "after_dedup:");
        cfg_canonical(an, &h);
        sbuf_putc(&h, ';');
    }
    if (dn) {
        cfg_params *dp = cfg_params_bind(DEDUP_STEP, dn, "the dedup: step", e);
        if (!dp) goto fail;
        const char *cf = param_str(dp, "config");
        const cfg_node *inl = param_node(dp, "params");
        int rc = 0;
        if (!!cf == !!inl) {
            rc = cfg_error(e, dn, "the dedup: step needs exactly one of `config:` (a file) or `params:`");
        } else if (cf) {
            rc = dedup_params_load(cf, &g->dp, e);
        } else {
            cfg_params *pp = cfg_params_bind(DEDUP_PARAMS, inl, "dedup params", e);
            rc = pp ? dedup_params_from_cfg(pp, &g->dp, e) : -1;
            cfg_params_free(pp);
        }
        if (!rc) {
            g->has_dedup = 1;
            g->index_dir = param_str(dp, "index") ? xstrdup(param_str(dp, "index"))
                                                  : xasprintf("%s/dedup-index", top_state);
            g->memory = param_size(dp, "memory");
            if (g->memory < (64 << 20)) rc = cfg_error(e, dn, "dedup memory must be at least 64M");
        }
        cfg_params_free(dp);
        if (rc) goto fail;
        sbuf_puts(&h, "dedup:");
        dedup_params_signature(&g->dp, &h);
        sbuf_printf(&h, ";keep=%d;exact=%d;minhash=%d;key=%d;", g->dp.keep, g->dp.exact, g->dp.minhash,
                    g->dp.exact_key);
    }
    if (sn) {
        cfg_params *sp = cfg_params_bind(SHARDS_STEP, sn, "the shards: step", e);
        if (!sp) goto fail;
        int rc = 0;
        const char *fmt = param_str(sp, "format");
        if (!param_str(sp, "tokenizer")) rc = cfg_error(e, sn, "the shards: step needs `tokenizer:`");
        else if (strcmp(fmt, "megatron") && strcmp(fmt, "datatrove"))
            rc = cfg_error(e, sn, "shards format must be megatron or datatrove, not '%s'", fmt);
        if (!rc) {
            g->has_shards = 1;
            g->tokenizer = xstrdup(param_str(sp, "tokenizer"));
            g->eod = param_str(sp, "eod") ? xstrdup(param_str(sp, "eod")) : NULL;
            g->fmt = strcmp(fmt, "datatrove") ? TOKSHARD_MEGATRON : TOKSHARD_DATATROVE;
            g->max_tokens = param_size(sp, "max_tokens");
            int64_t th = param_int(sp, "threads");
            if (th < 0 || th > 256) rc = cfg_error(e, sn, "shards threads must be 0 to 256");
            else g->threads = (int)th;
        }
        /* The tokenizer is loaded when the first batch reaches the shards
         * (a preset names one that may not be downloaded yet); its bytes are
         * part of the hash when it is there. */
        char sum[17] = "absent";
        uint64_t size;
        cd_err ce;
        if (!rc && io_file_checksum(g->tokenizer, sum, &size, &ce)) snprintf(sum, sizeof sum, "absent");
        if (!rc)
            sbuf_printf(&h, "shards:%s;%s;%s;%s;%lld;", g->tokenizer, sum, fmt, g->eod ? g->eod : "",
                        (long long)g->max_tokens);
        cfg_params_free(sp);
        if (rc) goto fail;
    }
    if (corpus_dir) g->corpus_dir = xstrdup(corpus_dir);
    else if (cn && cn->kind == CFG_SCALAR) g->corpus_dir = xstrdup(cn->value);
    else g->corpus_dir = xasprintf("%s/corpus", p->run_dir);
    {
        /* The per-document output root is owned by its ledger's recovery:
         * the corpus must live elsewhere. */
        size_t n = strlen(p->out_dir);
        if (!strcmp(g->corpus_dir, p->out_dir) ||
            (!strncmp(g->corpus_dir, p->out_dir, n) && g->corpus_dir[n] == '/')) {
            cd_fail(e, CD_ECONFIG, "corpus_dir %s must not be inside the output directory %s", g->corpus_dir,
                    p->out_dir);
            goto fail;
        }
    }
    snprintf(g->hash, sizeof g->hash, "%016llx", (unsigned long long)XXH3_64bits(h.data, h.len));
    sbuf_free(&h);
    *out = g;
    return 0;
fail:
    sbuf_free(&h);
    global_free(g);
    return -1;
}

void global_free(global_cfg *g)
{
    if (!g) return;
    free(g->index_dir);
    free(g->tokenizer);
    free(g->eod);
    free(g->corpus_dir);
    bpe_free(g->tok);
    for (size_t i = 0; i < g->npost; i++) pipeline_stage_free(&g->post[i]);
    free(g->post);
    free(g);
}

const char *global_hash(const global_cfg *g) { return g->hash; }
const char *global_corpus_dir(const global_cfg *g) { return g->corpus_dir; }

/* ------------------------------------------------------------- the tables */

static const char *SCHEMA =
    "CREATE TABLE IF NOT EXISTS global_batches(name TEXT PRIMARY KEY, ord INTEGER UNIQUE, status TEXT,"
    "  created REAL, finished REAL, docs_in INT DEFAULT 0, docs_kept INT DEFAULT 0, removed INT DEFAULT 0,"
    "  shard_docs INT DEFAULT 0, shard_tokens INT DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS global_members(input TEXT PRIMARY KEY, batch TEXT, part TEXT);"
    "CREATE TABLE IF NOT EXISTS global_files(path TEXT PRIMARY KEY, batch TEXT, kind TEXT, docs INT,"
    "  tokens INT, bytes INT, checksum TEXT);";

static int db_exec(sqlite3 *db, const char *sql, cd_err *e)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        cd_fail(e, CD_EIO, "global ledger: %s", msg ? msg : "error");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

typedef struct part {
    char *state, *out;    /* ledger dir and output root */
    sqlite3 *db;          /* read-only */
} part;

typedef struct gctx {
    global_cfg *g;
    ledger *led;          /* the global tables (rank 0 only) */
    sqlite3 *db;
    part *parts;
    size_t nparts;
    const char *config_hash;
    int threads;
} gctx;

static void parts_free(gctx *c)
{
    for (size_t i = 0; i < c->nparts; i++) {
        if (c->parts[i].db) sqlite3_close(c->parts[i].db);
        free(c->parts[i].state);
        free(c->parts[i].out);
    }
    free(c->parts);
    c->parts = NULL;
    c->nparts = 0;
}

static int parts_open(gctx *c, const char *top_state, const char *out_dir, cd_err *e)
{
    char *pat = xasprintf("%s/rank-*/ledger.sqlite", top_state);
    glob_t gl;
    int grc = glob(pat, 0, NULL, &gl);
    free(pat);
    if (grc == 0 && gl.gl_pathc) {
        for (size_t i = 0; i < gl.gl_pathc; i++) {
            c->parts = xrealloc(c->parts, (c->nparts + 1) * sizeof *c->parts);
            part *pt = &c->parts[c->nparts++];
            memset(pt, 0, sizeof *pt);
            pt->state = xstrndup(gl.gl_pathv[i], strlen(gl.gl_pathv[i]) - strlen("/ledger.sqlite"));
        }
    } else {
        c->parts = xcalloc(1, sizeof *c->parts);
        c->nparts = 1;
        c->parts[0].state = xstrdup(top_state);
        c->parts[0].out = xstrdup(out_dir);
    }
    globfree(&gl);
    for (size_t i = 0; i < c->nparts; i++) {
        part *pt = &c->parts[i];
        char *path = xasprintf("%s/ledger.sqlite", pt->state);
        int rc = sqlite3_open_v2(path, &pt->db, SQLITE_OPEN_READONLY, NULL);
        free(path);
        if (rc != SQLITE_OK) return cd_fail(e, CD_EIO, "cannot read the ledger in %s", pt->state);
        sqlite3_busy_timeout(pt->db, 30000);
        if (!pt->out) {
            sqlite3_stmt *st;
            sqlite3_prepare_v2(pt->db, "SELECT value FROM kv WHERE key='rank_out_dir'", -1, &st, NULL);
            if (st && sqlite3_step(st) == SQLITE_ROW) pt->out = xstrdup((const char *)sqlite3_column_text(st, 0));
            sqlite3_finalize(st);
            if (!pt->out) return cd_fail(e, CD_EIO, "ledger in %s does not name its output directory", pt->state);
        }
    }
    return 0;
}

static int index_has(const global_cfg *g, const char *name)
{
    char *path = xasprintf("%s/ledger.sqlite", g->index_dir);
    sqlite3 *db = NULL;
    int found = 0;
    if (access(path, F_OK) == 0 && sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 30000);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, "SELECT 1 FROM dedup_snapshots WHERE name=?", -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
            found = sqlite3_step(st) == SQLITE_ROW;
        }
        sqlite3_finalize(st);
    }
    if (db) sqlite3_close(db);
    free(path);
    return found;
}

static void rmtree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char *p = xasprintf("%s/%s", path, de->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) rmtree(p);
        else unlink(p);
        free(p);
    }
    closedir(d);
    rmdir(path);
}

/* Sorted names of the plain, non-hidden files of a directory. */
static char **list_files(const char *dir, size_t *n)
{
    *n = 0;
    char **v = NULL;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char *p = xasprintf("%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            v = xrealloc(v, (*n + 1) * sizeof *v);
            v[(*n)++] = xstrdup(de->d_name);
        }
        free(p);
    }
    closedir(d);
    cd_strv_sort(v, *n);
    return v;
}

static uint64_t count_docs(const char *path)
{
    cd_err e;
    io_reader *r = io_open(path, &e);
    if (!r) return 0;
    const char *line;
    size_t len;
    uint64_t n = 0;
    while (io_getline(r, &line, &len, &e) == 1)
        if (len) n++;
    io_close(r);
    return n;
}

static int record_file(gctx *c, const char *rel, const char *batch, const char *kind, uint64_t docs, uint64_t tokens,
                       cd_err *e)
{
    char *abs = xasprintf("%s/%s", c->g->corpus_dir, rel);
    char sum[17];
    uint64_t size = 0;
    int rc = io_file_checksum(abs, sum, &size, e);
    if (!rc && docs == UINT64_MAX) docs = count_docs(abs);
    free(abs);
    if (rc) return -1;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(c->db,
                       "INSERT OR REPLACE INTO global_files(path,batch,kind,docs,tokens,bytes,checksum)"
                       " VALUES(?,?,?,?,?,?,?)",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, rel, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, batch, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)docs);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)tokens);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)size);
    sqlite3_bind_text(st, 7, sum, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cd_fail(e, CD_EIO, "global ledger: %s", sqlite3_errmsg(c->db));
    sqlite3_finalize(st);
    return rc;
}

static int set_batch(gctx *c, const char *name, const char *status, const char *extra_sql, int64_t a, int64_t b,
                     int64_t d, cd_err *e)
{
    char *sql = xasprintf("UPDATE global_batches SET status=?, finished=strftime('%%s','now')%s WHERE name=?",
                          extra_sql ? extra_sql : "");
    sqlite3_stmt *st;
    sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    free(sql);
    int k = 1;
    sqlite3_bind_text(st, k++, status, -1, SQLITE_STATIC);
    if (extra_sql) {
        sqlite3_bind_int64(st, k++, a);
        sqlite3_bind_int64(st, k++, b);
        sqlite3_bind_int64(st, k++, d);
    }
    sqlite3_bind_text(st, k, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : cd_fail(e, CD_EIO, "global ledger: %s", sqlite3_errmsg(c->db));
    sqlite3_finalize(st);
    return rc;
}

/* Records what dedup left in CORPUS/docs/NAME (complete: the index has
 * committed the batch) and moves the batch to 'deduped', in one transaction. */
static int record_dedup(gctx *c, const char *name, uint64_t docs_in, uint64_t removed, cd_err *e)
{
    char *dir = xasprintf("%s/docs/%s", c->g->corpus_dir, name);
    size_t n;
    char **files = list_files(dir, &n);
    free(dir);
    int rc = db_exec(c->db, "BEGIN IMMEDIATE", e);
    uint64_t kept = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char *rel = xasprintf("docs/%s/%s", name, files[i]);
        char *abs = xasprintf("%s/%s", c->g->corpus_dir, rel);
        uint64_t k = count_docs(abs);
        free(abs);
        kept += k;
        rc = record_file(c, rel, name, "docs", k, 0, e);
        free(rel);
    }
    if (!rc) {
        if (docs_in == UINT64_MAX) {
            /* Recovered after a crash: what came in is what the members kept. */
            docs_in = kept;
            removed = 0;
        }
        rc = set_batch(c, name, c->g->has_shards || c->g->npost ? "deduped" : "done", ", docs_in=?, docs_kept=?, removed=?",
                       (int64_t)docs_in, (int64_t)kept, (int64_t)removed, e);
    }
    if (!rc) rc = db_exec(c->db, "COMMIT", e);
    else db_exec(c->db, "ROLLBACK", NULL);
    cd_strv_free(files, n);
    return rc;
}

/* Removes files under dir (relative prefix rel) that global_files does not list. */
static int sweep(gctx *c, const char *dir, const char *rel)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int removed = 0;
    struct dirent *de;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(c->db, "SELECT 1 FROM global_files WHERE path=?", -1, &st, NULL);
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char *p = xasprintf("%s/%s", dir, de->d_name);
        char *r = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            removed += sweep(c, p, r);
            rmdir(p); /* only if empty */
        } else if (strcmp(r, "manifest.json") != 0) {
            sqlite3_reset(st);
            sqlite3_bind_text(st, 1, r, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(st) != SQLITE_ROW) {
                if (unlink(p) == 0) {
                    removed++;
                    log_info("corpus recovery: removed %s (not recorded)", p);
                }
            }
        }
        free(p);
        free(r);
    }
    sqlite3_finalize(st);
    closedir(d);
    return removed;
}

static int write_manifest(gctx *c, cd_err *e)
{
    sbuf b = SBUF_INIT;
    sbuf_printf(&b, "{\n  \"corpusd_version\": \"%s\",\n  \"config_hash\": \"%s\",\n  \"global_hash\": \"%s\",\n",
                CORPUSD_VERSION, c->config_hash, c->g->hash);
    if (c->g->has_shards && c->g->tok) {
        sbuf_puts(&b, "  \"tokenizer\": {\"path\": ");
        json_write_string(&b, c->g->tokenizer, strlen(c->g->tokenizer));
        sbuf_printf(&b, ", \"kind\": \"%s\", \"hash\": \"%s\", \"vocab_size\": %zu, \"eod\": %d},\n",
                    bpe_kind(c->g->tok), bpe_hash(c->g->tok), bpe_vocab_size(c->g->tok), (int)bpe_eos_id(c->g->tok));
        sbuf_printf(&b, "  \"format\": \"%s\",\n", c->g->fmt == TOKSHARD_MEGATRON ? "megatron" : "datatrove");
    }
    sbuf_puts(&b, "  \"batches\": [");
    sqlite3_stmt *st;
    sqlite3_prepare_v2(c->db,
                       "SELECT name, ord, status, docs_in, docs_kept, removed, shard_docs, shard_tokens"
                       " FROM global_batches ORDER BY ord",
                       -1, &st, NULL);
    int first = 1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        sbuf_puts(&b, first ? "\n    {\"name\": " : ",\n    {\"name\": ");
        first = 0;
        const char *nm = (const char *)sqlite3_column_text(st, 0);
        json_write_string(&b, nm, strlen(nm));
        sbuf_printf(&b,
                    ", \"order\": %lld, \"status\": \"%s\", \"docs_in\": %lld, \"docs_kept\": %lld,"
                    " \"removed\": %lld, \"shard_docs\": %lld, \"tokens\": %lld}",
                    sqlite3_column_int64(st, 1), (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3),
                    sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5), sqlite3_column_int64(st, 6),
                    sqlite3_column_int64(st, 7));
    }
    sqlite3_finalize(st);
    sbuf_puts(&b, "\n  ],\n  \"files\": [");
    sqlite3_prepare_v2(c->db,
                       "SELECT f.path, f.batch, f.kind, f.docs, f.tokens, f.bytes, f.checksum FROM global_files f"
                       " JOIN global_batches b ON b.name=f.batch ORDER BY b.ord, f.kind, f.path",
                       -1, &st, NULL);
    first = 1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        sbuf_puts(&b, first ? "\n    {\"path\": " : ",\n    {\"path\": ");
        first = 0;
        for (int k = 0; k < 3; k++) {
            const char *v = (const char *)sqlite3_column_text(st, k);
            if (k) sbuf_puts(&b, k == 1 ? ", \"batch\": " : ", \"kind\": ");
            json_write_string(&b, v, strlen(v));
        }
        sbuf_printf(&b, ", \"docs\": %lld, \"tokens\": %lld, \"bytes\": %lld, \"checksum\": \"%s\"}",
                    sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5),
                    (const char *)sqlite3_column_text(st, 6));
    }
    sqlite3_finalize(st);
    sbuf_puts(&b, "\n  ]\n}\n");
    char *path = xasprintf("%s/manifest.json", c->g->corpus_dir);
    /* Unchanged (an idle daemon cycle): leave the file alone. */
    size_t on = 0;
    char *old = cd_read_file(path, &on, NULL);
    int same = old && on == b.len && !memcmp(old, b.data, on);
    free(old);
    int rc = same ? 0 : cd_write_file_atomic(path, b.data, b.len, e);
    free(path);
    sbuf_free(&b);
    return rc;
}

/* Start-up: settle batches a crash left between dedup's index commit and our
 * record, then remove every unrecorded file. */
static int recover(gctx *c, cd_err *e)
{
    char **names = NULL;
    size_t n = 0;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(c->db, "SELECT name FROM global_batches WHERE status='open' ORDER BY ord", -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        names = xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!c->g->has_dedup) continue;
        if (index_has(c->g, names[i])) {
            log_info("corpus recovery: batch %s was committed to the dedup index; recording its outputs", names[i]);
            rc = record_dedup(c, names[i], UINT64_MAX, 0, e);
        } else {
            char *dir = xasprintf("%s/docs/%s", c->g->corpus_dir, names[i]);
            rmtree(dir);
            free(dir);
        }
    }
    cd_strv_free(names, n);
    if (!rc) {
        int removed = sweep(c, c->g->corpus_dir, "");
        if (removed) log_info("corpus recovery: removed %d unrecorded file(s) from %s", removed, c->g->corpus_dir);
    }
    return rc;
}

/* ----------------------------------------------------------- forming batches */

typedef struct inrow {
    char *path, *status, *part, *snap;
    int member;
} inrow;

static int form_batches(gctx *c, int mode, cd_err *e)
{
    inrow *rows = NULL;
    size_t n = 0;
    for (size_t k = 0; k < c->nparts; k++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(c->parts[k].db, "SELECT path, status FROM inputs WHERE config_hash=? ORDER BY path", -1,
                               &st, NULL) != SQLITE_OK)
            continue;
        sqlite3_bind_text(st, 1, c->config_hash, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW) {
            rows = xrealloc(rows, (n + 1) * sizeof *rows);
            inrow *r = &rows[n++];
            memset(r, 0, sizeof *r);
            r->path = xstrdup((const char *)sqlite3_column_text(st, 0));
            r->status = xstrdup((const char *)sqlite3_column_text(st, 1));
            r->part = xstrdup(c->parts[k].state);
        }
        sqlite3_finalize(st);
    }
    sqlite3_stmt *qm, *qc;
    sqlite3_prepare_v2(c->db, "SELECT 1 FROM global_members WHERE input=?", -1, &qm, NULL);
    sqlite3_prepare_v2(c->db, "SELECT value FROM kv WHERE key=?", -1, &qc, NULL);
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(qm);
        sqlite3_bind_text(qm, 1, rows[i].path, -1, SQLITE_TRANSIENT);
        rows[i].member = sqlite3_step(qm) == SQLITE_ROW;
        if (mode == GLOBAL_MODE_DAEMON) {
            char *key = xasprintf("%s%s", GLOBAL_CC_KEY, rows[i].path);
            sqlite3_reset(qc);
            sqlite3_bind_text(qc, 1, key, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(qc) == SQLITE_ROW) rows[i].snap = xstrdup((const char *)sqlite3_column_text(qc, 0));
            free(key);
        }
    }
    sqlite3_finalize(qm);
    sqlite3_finalize(qc);
    /* Candidate batches: each CommonCrawl snapshot whose files are all done,
     * in snapshot order, then the rest once nothing is pending. */
    char **bnames = NULL;
    size_t nb = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].snap) continue;
        int seen = 0;
        for (size_t k = 0; k < nb; k++)
            if (!strcmp(bnames[k], rows[i].snap)) seen = 1;
        if (!seen) {
            bnames = xrealloc(bnames, (nb + 1) * sizeof *bnames);
            bnames[nb++] = xstrdup(rows[i].snap);
        }
    }
    for (size_t i = 1; i < nb; i++)
        for (size_t j = i; j > 0 && strcmp(bnames[j - 1], bnames[j]) > 0; j--) {
            char *t = bnames[j];
            bnames[j] = bnames[j - 1];
            bnames[j - 1] = t;
        }
    int rc = 0;
    int64_t ord = 0;
    {
        sqlite3_stmt *st;
        sqlite3_prepare_v2(c->db, "SELECT COALESCE(MAX(ord),0) FROM global_batches", -1, &st, NULL);
        if (sqlite3_step(st) == SQLITE_ROW) ord = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    for (size_t k = 0; k <= nb && !rc; k++) {
        const char *snap = k < nb ? bnames[k] : NULL;
        int ready = 1, any = 0;
        for (size_t i = 0; i < n; i++) {
            if ((snap == NULL) != (rows[i].snap == NULL) || (snap && strcmp(snap, rows[i].snap))) continue;
            if (!strcmp(rows[i].status, "pending") || !strcmp(rows[i].status, "running")) ready = 0;
            if (snap && !strcmp(rows[i].status, "failed")) ready = 0; /* a snapshot is ingested whole */
            if (!rows[i].member && !strcmp(rows[i].status, "done")) any = 1;
        }
        if (!ready || !any) continue;
        char *name = snap ? xstrdup(snap) : xasprintf("batch-%06lld", (long long)ord + 1);
        {
            sqlite3_stmt *st;
            sqlite3_prepare_v2(c->db, "SELECT 1 FROM global_batches WHERE name=?", -1, &st, NULL);
            sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
            int exists = sqlite3_step(st) == SQLITE_ROW;
            sqlite3_finalize(st);
            if (exists) {
                /* New files of a snapshot already ingested: a snapshot name
                 * goes into the index once; they join a numbered batch. */
                free(name);
                name = xasprintf("%s-%06lld", snap ? snap : "batch", (long long)ord + 1);
            }
        }
        rc = db_exec(c->db, "BEGIN IMMEDIATE", e);
        sqlite3_stmt *ib, *im;
        sqlite3_prepare_v2(c->db,
                           "INSERT INTO global_batches(name,ord,status,created) VALUES(?,?,'open',strftime('%s','now'))",
                           -1, &ib, NULL);
        sqlite3_prepare_v2(c->db, "INSERT INTO global_members(input,batch,part) VALUES(?,?,?)", -1, &im, NULL);
        sqlite3_bind_text(ib, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ib, 2, ord + 1);
        if (!rc && sqlite3_step(ib) != SQLITE_DONE) rc = cd_fail(e, CD_EIO, "global ledger: %s", sqlite3_errmsg(c->db));
        size_t members = 0;
        for (size_t i = 0; i < n && !rc; i++) {
            if ((snap == NULL) != (rows[i].snap == NULL) || (snap && strcmp(snap, rows[i].snap))) continue;
            if (rows[i].member || strcmp(rows[i].status, "done")) continue;
            sqlite3_reset(im);
            sqlite3_bind_text(im, 1, rows[i].path, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(im, 2, name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(im, 3, rows[i].part, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(im) != SQLITE_DONE) rc = cd_fail(e, CD_EIO, "global ledger: %s", sqlite3_errmsg(c->db));
            members++;
        }
        sqlite3_finalize(ib);
        sqlite3_finalize(im);
        if (!rc) rc = db_exec(c->db, "COMMIT", e);
        else db_exec(c->db, "ROLLBACK", NULL);
        if (!rc) {
            ord++;
            log_info("corpus: batch %s formed from %zu finished input(s)", name, members);
        }
        free(name);
    }
    cd_strv_free(bnames, nb);
    for (size_t i = 0; i < n; i++) {
        free(rows[i].path);
        free(rows[i].status);
        free(rows[i].part);
        free(rows[i].snap);
    }
    free(rows);
    return rc;
}

/* The kept per-document outputs of a batch's members, sorted. */
static char **member_outputs(gctx *c, const char *batch, size_t *n)
{
    *n = 0;
    char **v = NULL;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(c->db, "SELECT input, part FROM global_members WHERE batch=? ORDER BY input", -1, &st, NULL);
    sqlite3_bind_text(st, 1, batch, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *input = (const char *)sqlite3_column_text(st, 0), *pstate = (const char *)sqlite3_column_text(st, 1);
        part *pt = NULL;
        for (size_t k = 0; k < c->nparts; k++)
            if (!strcmp(c->parts[k].state, pstate)) pt = &c->parts[k];
        if (!pt) {
            log_error("corpus: batch %s: the ledger %s of input %s is gone", batch, pstate, input);
            continue;
        }
        sqlite3_stmt *q;
        sqlite3_prepare_v2(pt->db,
                           "SELECT path FROM outputs WHERE input=? AND config_hash=? AND subset<>'rejects'"
                           " ORDER BY path",
                           -1, &q, NULL);
        sqlite3_bind_text(q, 1, input, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 2, c->config_hash, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(q) == SQLITE_ROW) {
            const char *rel = (const char *)sqlite3_column_text(q, 0);
            if (strstr(rel, "manifest.json")) continue;  /* token writers' per-input manifests */
            v = xrealloc(v, (*n + 1) * sizeof *v);
            v[(*n)++] = xasprintf("%s/%s", pt->out, rel);
        }
        sqlite3_finalize(q);
    }
    sqlite3_finalize(st);
    cd_strv_sort(v, *n);
    return v;
}

/* The documents a batch's next step reads: after the after_dedup stages
 * (post = 1), their output; else dedup's; else the members' outputs. */
static char **batch_files(gctx *c, const char *name, int post, size_t *n)
{
    const char *kind = post && c->g->npost ? "post" : c->g->has_dedup ? "docs" : NULL;
    if (!kind) return member_outputs(c, name, n);
    char **files = NULL;
    *n = 0;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(c->db, "SELECT path FROM global_files WHERE batch=? AND kind=? ORDER BY path", -1, &st, NULL);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        files = xrealloc(files, (*n + 1) * sizeof *files);
        files[(*n)++] = xasprintf("%s/%s", c->g->corpus_dir, (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return files;
}

/* ------------------------------------------------------- after_dedup stages */

/* Runs the after_dedup: stages (codefilter for code, synth for the routed
 * documents, ...) over a deduplicated batch into CORPUS/post/BATCH.jsonl.zst
 * (and its rejects), recorded with the move to 'processed' in one
 * transaction. Stages that checkpoint keep their state in
 * STATE/after_dedup/BATCH. */
static int post_batch(gctx *c, const char *top_state, const char *name, cd_err *e)
{
    size_t n = 0;
    char **files = batch_files(c, name, 0, &n);
    char *dir = xasprintf("%s/post", c->g->corpus_dir);
    char *rel = xasprintf("post/%s.jsonl.zst", name), *rrel = xasprintf("post/%s.rejects.jsonl.zst", name);
    char *out = xasprintf("%s/%s", c->g->corpus_dir, rel), *rej = xasprintf("%s/%s", c->g->corpus_dir, rrel);
    char *sdir = xasprintf("%s/after_dedup/%s", top_state, name);
    int rc = cd_mkdirs(dir, e);
    if (!rc) rc = pipeline_run_files_state(c->g->post, c->g->npost, files, n, "jsonl", out, rej, c->g->seed, sdir, e);
    if (!rc) {
        rc = db_exec(c->db, "BEGIN IMMEDIATE", e);
        if (!rc) rc = record_file(c, rel, name, "post", UINT64_MAX, 0, e);
        if (!rc) rc = record_file(c, rrel, name, "post-rejects", UINT64_MAX, 0, e);
        if (!rc) rc = set_batch(c, name, c->g->has_shards ? "processed" : "done", NULL, 0, 0, 0, e);
        if (!rc) rc = db_exec(c->db, "COMMIT", e);
        else db_exec(c->db, "ROLLBACK", NULL);
    }
    if (rc) {
        unlink(out);
        unlink(rej);
    } else {
        log_info("corpus: batch %s through the after_dedup stages", name);
    }
    free(dir);
    free(rel);
    free(rrel);
    free(out);
    free(rej);
    free(sdir);
    cd_strv_free(files, n);
    return rc;
}

/* -------------------------------------------------------------- the shards */

static int shard_batch(gctx *c, const char *name, cd_err *e)
{
    size_t n = 0;
    char **files = batch_files(c, name, 1, &n);
    char *dir = xasprintf("%s/shards", c->g->corpus_dir);
    const bpe *t = c->g->tok;
    tokshard_writer *w = tokshard_open(dir, name, c->g->fmt, tokshard_token_bytes(bpe_vocab_size(t), c->g->fmt),
                                       (uint64_t)c->g->max_tokens, c->g->tokenizer, e);
    int rc = w ? 0 : -1;
    unsigned flags = strncmp(bpe_kind(t), "tiktoken", 8) ? BPE_PARSE_SPECIAL : 0;
    int32_t eod = bpe_eos_id(t);
    tokpool *pool = tokpool_new(t, c->g->threads ? c->g->threads : c->threads > 0 ? c->threads : cd_ncpus(), flags);
    /* Batches of documents are encoded in parallel and written in input
     * order: the shards do not depend on the thread count. */
    enum { BATCH_DOCS = 2048, BATCH_BYTES = 16 << 20 };
    sbuf text = SBUF_INIT;           /* the batch's lines, back to back */
    size_t *offs = xcalloc(BATCH_DOCS, sizeof *offs), *lens = xcalloc(BATCH_DOCS, sizeof *lens);
    const char **lines = xcalloc(BATCH_DOCS, sizeof *lines);
    size_t *from = xcalloc(BATCH_DOCS, sizeof *from);   /* input file of each line */
    unsigned char *bad = xcalloc(BATCH_DOCS, 1);
    bpe_ids *ids = xcalloc(BATCH_DOCS, sizeof *ids);
    uint64_t docs_in = 0, bytes_in = 0;
    double t0 = cd_now();
    io_reader *r = NULL;
    size_t fi = 0;
    for (int more = 1; more && !rc;) {
        size_t nd = 0;
        sbuf_reset(&text);
        while (!rc && nd < BATCH_DOCS && text.len < BATCH_BYTES) {
            if (!r) {
                if (fi == n) {
                    more = 0;
                    break;
                }
                if (!(r = io_open(files[fi], e))) {
                    rc = -1;
                    break;
                }
            }
            const char *line;
            size_t len;
            int got = io_getline(r, &line, &len, e);
            if (got != 1) {
                if (got < 0) rc = -1;
                io_close(r);
                r = NULL;
                fi++;
                continue;
            }
            if (!len) continue;
            offs[nd] = text.len;
            lens[nd] = len;
            from[nd] = fi;
            sbuf_append(&text, line, len);
            nd++;
        }
        bytes_in += text.len;
        for (size_t i = 0; i < nd; i++) lines[i] = text.data + offs[i];
        if (!rc && nd) rc = tokpool_encode_jsonl(pool, lines, lens, nd, ids, bad, e);
        for (size_t i = 0; i < nd && !rc; i++) {
            if (bad[i]) {
                cd_err de;
                doc *d = doc_from_json(lines[i], lens[i], &de);   /* again, for the message */
                log_warn("corpus: %s: skipping a malformed record: %s", files[from[i]], d ? "?" : de.msg);
                doc_free(d);
                continue;
            }
            docs_in++;
            if (ids[i].len) {
                bpe_ids_push(&ids[i], eod);
                rc = tokshard_add(w, ids[i].ids, ids[i].len, e);
            }
        }
    }
    if (r) io_close(r);
    for (size_t i = 0; i < BATCH_DOCS; i++) bpe_ids_free(&ids[i]);
    free(ids);
    free(bad);
    free(from);
    free(lines);
    free(offs);
    free(lens);
    sbuf_free(&text);
    int nthreads = tokpool_threads(pool);
    tokpool_free(pool);
    double secs = cd_now() - t0;
    output_list outs = {0};
    uint64_t sdocs = w ? tokshard_total_docs(w) : 0, stoks = w ? tokshard_total_tokens(w) : 0;
    if (!rc) {
        rc = tokshard_commit(w, "shards", "", &outs, e);
        w = NULL;
    }
    if (w) tokshard_abort(w);
    if (!rc) {
        rc = db_exec(c->db, "BEGIN IMMEDIATE", e);
        for (size_t i = 0; i < outs.len && !rc; i++)
            rc = record_file(c, outs.files[i].path, name, "shard", outs.files[i].docs, 0, e);
        if (!rc) rc = set_batch(c, name, "done", ", shard_docs=?, shard_tokens=?, docs_in=MAX(docs_in, ?)",
                                (int64_t)sdocs, (int64_t)stoks, (int64_t)docs_in, e);
        if (!rc) rc = db_exec(c->db, "COMMIT", e);
        else db_exec(c->db, "ROLLBACK", NULL);
        if (rc) /* not recorded: the files go, and the step re-runs */
            for (size_t i = 0; i < outs.len; i++) {
                char *p = xasprintf("%s/%s", c->g->corpus_dir, outs.files[i].path);
                unlink(p);
                free(p);
            }
    }
    if (!rc)
        log_info("corpus: batch %s: %llu documents, %llu tokens in %zu new shard file(s), %.2f s, %.1f MB/s of records "
                 "(%d threads)",
                 name, (unsigned long long)sdocs, (unsigned long long)stoks, outs.len, secs,
                 secs > 0 ? (double)bytes_in / 1e6 / secs : 0.0, nthreads);
    output_list_free(&outs);
    free(dir);
    cd_strv_free(files, n);
    return rc;
}

/* --------------------------------------------------------------- the driver */

static int recv_plan(void *arg, int from, const char *data, size_t len)
{
    if (from == 0) sbuf_append((sbuf *)arg, data, len);
    return 0;
}

/* Rank 0's plan text to every rank. */
static void bcast(const dedup_comm *comm, sbuf *plan)
{
    if (!comm || comm->size <= 1) return;
    const char **send = xcalloc((size_t)comm->size, sizeof *send);
    size_t *lens = xcalloc((size_t)comm->size, sizeof *lens);
    if (comm->rank == 0)
        for (int d = 0; d < comm->size; d++) {
            send[d] = plan->data ? plan->data : "";
            lens[d] = plan->len;
        }
    sbuf got = SBUF_INIT;
    comm->exchange(comm->ctx, (const char *const *)send, lens, recv_plan, &got);
    if (comm->rank != 0) {
        sbuf_free(plan);
        *plan = got;
    } else {
        sbuf_free(&got);
    }
    free(send);
    free(lens);
}

/* Plan: "NAME\n" then one input path per line; empty = nothing to do. */
static int next_plan(gctx *c, sbuf *plan)
{
    sbuf_reset(plan);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(c->db, "SELECT name FROM global_batches WHERE status='open' ORDER BY ord LIMIT 1", -1, &st, NULL);
    char *name = sqlite3_step(st) == SQLITE_ROW ? xstrdup((const char *)sqlite3_column_text(st, 0)) : NULL;
    sqlite3_finalize(st);
    if (!name) return 0;
    size_t n;
    char **ins = member_outputs(c, name, &n);
    sbuf_printf(plan, "%s\n", name);
    for (size_t i = 0; i < n; i++) sbuf_printf(plan, "%s\n", ins[i]);
    cd_strv_free(ins, n);
    free(name);
    return 1;
}

static int load_tokenizer(global_cfg *g, cd_err *e)
{
    if (g->tok || !g->has_shards) return 0;
    g->tok = bpe_load(g->tokenizer, e);
    if (!g->tok) return -1;
    if (g->eod && bpe_set_eos(g->tok, g->eod)) return cd_fail(e, CD_ECONFIG, "eod '%s' is not a token of %s", g->eod, g->tokenizer);
    if (bpe_eos_id(g->tok) < 0)
        return cd_fail(e, CD_ECONFIG, "%s has no end-of-document token; give shards: {eod: TOKEN}", g->tokenizer);
    return 0;
}

int global_run(global_cfg *g, const char *top_state, const char *out_dir, const char *config_hash, int mode,
               int threads, const dedup_comm *comm, cd_err *e)
{
    int rank = comm ? comm->rank : 0;
    gctx C;
    memset(&C, 0, sizeof C);
    gctx *c = &C;
    c->g = g;
    c->config_hash = config_hash;
    c->threads = threads;
    int rc = 0;
    if (rank == 0) {
        c->led = ledger_open(top_state, e);
        if (!c->led) rc = -1;
        else {
            c->db = ledger_db(c->led);
            rc = db_exec(c->db, SCHEMA, e);
        }
        if (!rc) rc = load_tokenizer(g, e);
        if (!rc) rc = cd_mkdirs(g->corpus_dir, e);
        if (!rc) rc = parts_open(c, top_state, out_dir, e);
        if (!rc) rc = recover(c, e);
        if (!rc) rc = form_batches(c, mode, e);
    }
    /* Dedup, batch by batch, all ranks together. */
    sbuf plan = SBUF_INIT;
    for (;;) {
        sbuf_reset(&plan);
        if (rank == 0 && !rc && g->has_dedup) next_plan(c, &plan);
        bcast(comm, &plan);
        if (!plan.len) break;
        /* Split the plan into its name and inputs. */
        char *text = xstrndup(plan.data, plan.len);
        char **ins = NULL;
        size_t nins = 0;
        char *name = text, *nl = strchr(text, '\n');
        *nl = 0;
        for (char *s = nl + 1; *s;) {
            char *end = strchr(s, '\n');
            *end = 0;
            ins = xrealloc(ins, (nins + 1) * sizeof *ins);
            ins[nins++] = s;
            s = end + 1;
        }
        char *docs = xasprintf("%s/docs/%s", g->corpus_dir, name);
        if (rank == 0) rmtree(docs); /* leftovers of an attempt the index never committed */
        if (comm) comm->barrier(comm->ctx);
        dedup_run_opts o;
        memset(&o, 0, sizeof o);
        o.params = g->dp;
        o.inputs = ins;
        o.ninputs = nins;
        o.out_dir = docs;
        o.index_dir = g->index_dir;
        o.snapshot = name;
        o.memory_limit = g->memory;
        o.threads = threads;
        o.comm = comm;
        dedup_run_stats st;
        int drc = 0;
        if (nins) {
            /* Test hook (tests/daemon/grace_global_test.sh): a dedup that takes
             * long, to stop the daemon in the middle of one. */
            const char *delay = getenv("CORPUSD_FAULT_DEDUP_DELAY");
            for (double end = delay ? cd_now() + atof(delay) : 0; cd_now() < end;) usleep(20000);
            drc = dedup_run(&o, &st, e);
        } else {
            memset(&st, 0, sizeof st);
            if (rank == 0) drc = cd_mkdirs(docs, e);
        }
        if (rank == 0) {
            if (drc) {
                log_error("corpus: dedup of batch %s failed: %s", name, e->msg);
                rc = -1;
            } else {
                log_info("corpus: batch %s deduplicated: %llu documents, %llu removed (%llu exact, %llu near)", name,
                         (unsigned long long)st.docs, (unsigned long long)st.removed,
                         (unsigned long long)st.removed_exact, (unsigned long long)st.removed_minhash);
                rc = record_dedup(c, name, st.docs, st.removed, e);
                if (!rc) {
                    cd_err me;
                    if (write_manifest(c, &me)) log_error("corpus manifest: %s", me.msg);
                }
            }
        } else if (drc) {
            rc = -1;
        }
        free(docs);
        free(ins);
        free(text);
    }
    sbuf_free(&plan);
    if (rank == 0) {
        /* Then the after_dedup stages, then the shards, batch by batch in
         * order; without dedup a formed batch goes straight on. */
        const char *before_post = g->has_dedup ? "deduped" : "open";
        const char *before_shards = g->npost ? "processed" : before_post;
        for (int step = 0; step < 2 && !rc; step++) {
            if (step == 0 && !g->npost) continue;
            if (step == 1 && !g->has_shards) continue;
            sqlite3_stmt *st;
            sqlite3_prepare_v2(c->db, "SELECT name FROM global_batches WHERE status=? ORDER BY ord", -1, &st, NULL);
            sqlite3_bind_text(st, 1, step ? before_shards : before_post, -1, SQLITE_STATIC);
            char **names = NULL;
            size_t n = 0;
            while (sqlite3_step(st) == SQLITE_ROW) {
                names = xrealloc(names, (n + 1) * sizeof *names);
                names[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
            }
            sqlite3_finalize(st);
            for (size_t i = 0; i < n && !rc; i++) {
                rc = step ? shard_batch(c, names[i], e) : post_batch(c, top_state, names[i], e);
                cd_err me;
                if (!rc && write_manifest(c, &me)) log_error("corpus manifest: %s", me.msg);
            }
            cd_strv_free(names, n);
        }
        if (c->db) {
            cd_err me;
            if (write_manifest(c, &me)) log_error("corpus manifest: %s", me.msg);
        }
        parts_free(c);
        ledger_close(c->led);
    }
    return rc;
}

void global_print_status(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT name, status, docs_in, docs_kept, removed, shard_docs, shard_tokens,"
                           " (SELECT COUNT(*) FROM global_files f WHERE f.batch=b.name AND f.kind='shard')"
                           " FROM global_batches b ORDER BY ord",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    printf("\nglobal steps (per batch: dedup against every earlier batch, then shards):\n");
    int any = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        any = 1;
        printf("  %-24s %-8s dedup in %-8lld kept %-8lld removed %-8lld shards %lld file(s), %lld docs, %lld tokens\n",
               (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
               sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4),
               sqlite3_column_int64(st, 7), sqlite3_column_int64(st, 5), sqlite3_column_int64(st, 6));
    }
    if (!any) printf("  none yet\n");
    sqlite3_finalize(st);
}

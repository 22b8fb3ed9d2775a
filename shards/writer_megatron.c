/*
 * writer_megatron.c: the `megatron` and `datatrove` pipeline writers, so a
 * pipeline (corpusd run) can end in token shards:
 *
 *   output: {format: megatron, tokenizer: tok/tokenizer.json, max_tokens: 1G}
 *
 * Per input and subset they write STEM_N.bin/.idx (or STEM_N.ds...) and
 * STEM.manifest.json (counts per source/subset, tokenizer and config hash),
 * all listed as outputs so the ledger records them and recovery removes
 * partial ones. Tokenizers are loaded once per process and path and shared
 * read-only by all writer instances (a bpe is immutable and thread-safe).
 */
#include "core/io.h"
#include "core/stage.h"
#include "shards/manifest.h"
#include "shards/shards.h"
#include "tokenizer/bpe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------- process-wide tokenizers */

typedef struct loaded_tok {
    char *key;   /* path + "\n" + eod */
    bpe *t;
} loaded_tok;

static pthread_mutex_t g_tok_lock = PTHREAD_MUTEX_INITIALIZER;
static loaded_tok *g_toks;
static size_t g_ntoks;

static void free_toks(void)
{
    for (size_t i = 0; i < g_ntoks; i++) {
        bpe_free(g_toks[i].t);
        free(g_toks[i].key);
    }
    free(g_toks);
    g_toks = NULL;
    g_ntoks = 0;
}

static const bpe *shared_tokenizer(const char *path, const char *eod, cd_err *e)
{
    char *key = xasprintf("%s\n%s", path, eod ? eod : "");
    pthread_mutex_lock(&g_tok_lock);
    const bpe *found = NULL;
    for (size_t i = 0; i < g_ntoks && !found; i++)
        if (!strcmp(g_toks[i].key, key)) found = g_toks[i].t;
    if (!found) {
        bpe *t = bpe_load(path, e);
        if (t && eod && bpe_set_eos(t, eod)) {
            cd_fail(e, CD_ECONFIG, "eod '%s' is not a token of %s", eod, path);
            bpe_free(t);
            t = NULL;
        }
        if (t) {
            if (!g_ntoks) atexit(free_toks);
            g_toks = xrealloc(g_toks, (g_ntoks + 1) * sizeof *g_toks);
            g_toks[g_ntoks].key = key;
            g_toks[g_ntoks].t = t;
            g_ntoks++;
            key = NULL;
            found = t;
        }
    }
    pthread_mutex_unlock(&g_tok_lock);
    free(key);
    return found;
}

/* ------------------------------------------------------------------ writer */

typedef struct mw {
    const bpe *t;
    bpe_ctx *ctx;
    bpe_ids ids;
    tokshard_writer *w;
    manifest_counts counts;
    char *dir, *stem, *tokpath, *format;
    unsigned flags;
    uint64_t empty;
    char config[512];
} mw;

static const param_spec MEGATRON_PARAMS[] = {
    {"tokenizer", PARAM_STRING, NULL, "tokenizer.json or NAME.tiktoken file"},
    {"max_tokens", PARAM_SIZE, "0", "tokens per shard; 0 = one shard per input"},
    {"eod", PARAM_STRING, NULL, "end-of-document token (default: the tokenizer's EOS)"},
    {"parse_special", PARAM_BOOL, "true", "recognise special tokens written in the text (HF tokenizers' default)"},
    {0},
};

static int mw_open_fmt(writer *w, const char *dir, const char *stem, tokshard_format fmt, cd_err *e)
{
    const char *path = param_str(w->params, "tokenizer");
    const bpe *t = shared_tokenizer(path, param_str(w->params, "eod"), e);
    if (!t) return -1;
    if (bpe_eos_id(t) < 0) return cd_fail(e, CD_ECONFIG, "%s has no end-of-document token; set eod", path);
    mw *m = xcalloc(1, sizeof *m);
    m->t = t;
    m->dir = xstrdup(dir);
    m->stem = xstrdup(stem);
    m->tokpath = xstrdup(path);
    m->format = xstrdup(fmt == TOKSHARD_MEGATRON ? "megatron" : "datatrove");
    m->flags = param_bool(w->params, "parse_special") ? BPE_PARSE_SPECIAL : 0;
    int64_t max_tokens = param_size(w->params, "max_tokens");
    snprintf(m->config, sizeof m->config, "format=%s max_tokens=%lld eod=%d flags=%u tokenizer=%s", m->format,
             (long long)max_tokens, (int)bpe_eos_id(t), m->flags, bpe_hash(t));
    m->w = tokshard_open(dir, stem, fmt, tokshard_token_bytes(bpe_vocab_size(t), fmt), (uint64_t)max_tokens, path, e);
    if (!m->w) {
        free(m->dir);
        free(m->stem);
        free(m->tokpath);
        free(m->format);
        free(m);
        return -1;
    }
    m->ctx = bpe_ctx_new(t);
    w->priv = m;
    return 0;
}

static int mw_open(writer *w, const char *dir, const char *stem, cd_err *e)
{
    return mw_open_fmt(w, dir, stem, TOKSHARD_MEGATRON, e);
}

static int dw_open(writer *w, const char *dir, const char *stem, cd_err *e)
{
    return mw_open_fmt(w, dir, stem, TOKSHARD_DATATROVE, e);
}

static int mw_write(writer *w, const doc *d, cd_err *e)
{
    mw *m = w->priv;
    m->ids.len = 0;
    if (bpe_encode(m->t, m->ctx, d->text, d->text_len, m->flags, &m->ids, e)) return -1;
    if (!m->ids.len) {
        m->empty++;
        return 0;
    }
    bpe_ids_push(&m->ids, bpe_eos_id(m->t));
    if (tokshard_add(m->w, m->ids.ids, m->ids.len, e)) return -1;
    const char *src = d->source && *d->source ? d->source : "unknown";
    manifest_counts_add(&m->counts, src, w->subset ? w->subset : "default", 1, m->ids.len);
    return 0;
}

static void mw_free(mw *m)
{
    bpe_ctx_free(m->ctx);
    bpe_ids_free(&m->ids);
    manifest_counts_free(&m->counts);
    free(m->dir);
    free(m->stem);
    free(m->tokpath);
    free(m->format);
    free(m);
}

static int mw_commit(writer *w, output_list *out, cd_err *e)
{
    mw *m = w->priv;
    uint64_t docs = tokshard_total_docs(m->w), tokens = tokshard_total_tokens(m->w);
    size_t first = out->len;
    int rc = tokshard_commit(m->w, w->rel_dir, w->subset, out, e);
    m->w = NULL;
    if (!rc) {
        output_list mine = {out->files + first, out->len - first};
        manifest_info mi = {m->format, m->tokpath, m->t, m->config, docs, tokens, m->empty, 0, 0};
        char *name = xasprintf("%s.manifest.json", m->stem);
        char *path = xasprintf("%s/%s", m->dir, name);
        rc = manifest_write(path, &mi, &mine, &m->counts, e);
        if (!rc) {
            char sum[17];
            uint64_t size;
            cd_err ce;
            if (io_file_checksum(path, sum, &size, &ce)) strcpy(sum, "0000000000000000");
            char *rel = xasprintf("%s/%s", w->rel_dir, name);
            output_list_add(out, rel, w->subset, docs, size, size, sum);
            free(rel);
        }
        free(path);
        free(name);
    }
    mw_free(m);
    w->priv = NULL;
    return rc;
}

static void mw_abort(writer *w)
{
    mw *m = w->priv;
    if (!m) return;
    tokshard_abort(m->w);
    mw_free(m);
    w->priv = NULL;
}

static const writer_ops megatron_writer_ops = {
    .name = "megatron",
    .summary = "Megatron-LM token shards (STEM_N.bin/.idx, MMIDIDX) plus a manifest",
    .params = MEGATRON_PARAMS,
    .open = mw_open,
    .write = mw_write,
    .commit = mw_commit,
    .abort = mw_abort,
};
CORPUSD_WRITER(megatron_writer_ops)

static const writer_ops datatrove_writer_ops = {
    .name = "datatrove",
    .summary = "datatrove token shards (STEM_N.ds/.ds.index/.ds.metadata) plus a manifest",
    .params = MEGATRON_PARAMS,
    .open = dw_open,
    .write = mw_write,
    .commit = mw_commit,
    .abort = mw_abort,
};
CORPUSD_WRITER(datatrove_writer_ops)

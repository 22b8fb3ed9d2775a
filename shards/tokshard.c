/*
 * tokshard.c: writes Megatron-LM MMIDIDX (.bin/.idx) and datatrove
 * (.ds/.ds.index/.ds.metadata) token shards; see shards.h for the layouts.
 *
 * Invariants: the .bin/.ds of the open shard is streamed through an
 * io_writer (temp name until commit); its index is kept in memory (4 bytes
 * per document) and written when the shard closes, so an index never
 * describes tokens that are not durable. Tokens are packed into `pend` and
 * written in PEND_FLUSH pieces (one write per document cost a system call
 * each). Little-endian on disk.
 */
#include "shards/shards.h"

#include "core/io.h"

#include <stdlib.h>
#include <string.h>

struct tokshard_writer {
    char *dir, *prefix, *tokname;
    tokshard_format fmt;
    int token_bytes;
    uint64_t max_tokens;
    int shard;               /* index of the open shard */
    io_writer *bin;
    char *bin_name;
    int32_t *lens;           /* per document in the open shard */
    size_t nlens, caplens;
    uint64_t shard_tokens;
    uint64_t total_tokens, total_docs;
    output_list done;        /* committed files, names only */
    sbuf buf;
    sbuf pend;               /* packed tokens of the open shard not yet written */
};

#define PEND_FLUSH (1u << 20)

static int flush_pending(tokshard_writer *w, cd_err *e)
{
    if (!w->pend.len) return 0;
    int rc = io_write(w->bin, w->pend.data, w->pend.len, e);
    sbuf_reset(&w->pend);
    return rc;
}

int tokshard_token_bytes(size_t vocab_size, tokshard_format fmt)
{
    /* Megatron DType.optimal_dtype: uint16 if vocab_size < 65500;
     * datatrove: token_size 2 when the vocabulary fits in 16 bits. */
    if (fmt == TOKSHARD_MEGATRON) return vocab_size < 65500 ? 2 : 4;
    return vocab_size <= 65536 ? 2 : 4;
}

tokshard_writer *tokshard_open(const char *dir, const char *prefix, tokshard_format fmt, int token_bytes,
                               uint64_t max_tokens, const char *tokenizer_name, cd_err *e)
{
    if (token_bytes != 2 && token_bytes != 4) {
        cd_fail(e, CD_ECONFIG, "token shards: token size must be 2 or 4 bytes");
        return NULL;
    }
    if (cd_mkdirs(dir, e)) return NULL;
    tokshard_writer *w = xcalloc(1, sizeof *w);
    w->dir = xstrdup(dir);
    w->prefix = xstrdup(prefix);
    w->tokname = xstrdup(tokenizer_name ? tokenizer_name : "unknown");
    w->fmt = fmt;
    w->token_bytes = token_bytes;
    w->max_tokens = max_tokens;
    return w;
}

static int write_file(tokshard_writer *w, const char *name, const void *data, size_t n, cd_err *e)
{
    char *path = xasprintf("%s/%s", w->dir, name);
    io_writer *f = io_writer_create(path, IO_PLAIN, e);
    free(path);
    if (!f) return -1;
    if (n && io_write(f, data, n, e)) {
        io_writer_abort(f);
        return -1;
    }
    io_commit_info info;
    if (io_writer_commit(f, &info, e)) return -1;
    output_list_add(&w->done, name, "", w->nlens, info.bytes, info.raw_bytes, info.checksum);
    return 0;
}

static void put_u64(sbuf *b, uint64_t v)
{
    unsigned char x[8];
    for (int i = 0; i < 8; i++) x[i] = (unsigned char)(v >> (8 * i));
    sbuf_append(b, x, 8);
}

static void put_u32(sbuf *b, uint32_t v)
{
    unsigned char x[4];
    for (int i = 0; i < 4; i++) x[i] = (unsigned char)(v >> (8 * i));
    sbuf_append(b, x, 4);
}

static int close_shard(tokshard_writer *w, cd_err *e)
{
    if (!w->bin) return 0;
    io_commit_info info;
    if (flush_pending(w, e)) {
        io_writer_abort(w->bin);
        w->bin = NULL;
        return -1;
    }
    int rc = io_writer_commit(w->bin, &info, e);
    w->bin = NULL;
    if (rc) return -1;
    output_list_add(&w->done, w->bin_name, "", w->nlens, info.bytes, info.raw_bytes, info.checksum);
    sbuf *b = &w->buf;
    sbuf_reset(b);
    char *name;
    if (w->fmt == TOKSHARD_MEGATRON) {
        sbuf_append(b, "MMIDIDX\0\0", 9);
        put_u64(b, 1);
        uint8_t code = w->token_bytes == 2 ? 8 : 4; /* Megatron DType: 8 uint16, 4 int32 */
        sbuf_append(b, &code, 1);
        put_u64(b, w->nlens);      /* sequence count */
        put_u64(b, w->nlens + 1);  /* document-index count */
        for (size_t i = 0; i < w->nlens; i++) put_u32(b, (uint32_t)w->lens[i]);
        uint64_t ptr = 0;
        for (size_t i = 0; i < w->nlens; i++) {
            put_u64(b, ptr);
            ptr += (uint64_t)w->lens[i] * (uint64_t)w->token_bytes;
        }
        for (size_t i = 0; i <= w->nlens; i++) put_u64(b, i);
        name = xasprintf("%s_%d.idx", w->prefix, w->shard);
    } else {
        uint64_t end = 0;
        for (size_t i = 0; i < w->nlens; i++) {
            end += (uint64_t)w->lens[i];
            put_u64(b, end);
        }
        name = xasprintf("%s.index", w->bin_name);
    }
    rc = write_file(w, name, b->data, b->len, e);
    free(name);
    if (!rc && w->fmt == TOKSHARD_DATATROVE) {
        sbuf_reset(b);
        sbuf_printf(b, "%s|%d\n%llu\n%lluT", w->tokname, w->token_bytes, (unsigned long long)w->shard_tokens,
                    (unsigned long long)w->shard_tokens);
        name = xasprintf("%s.metadata", w->bin_name);
        rc = write_file(w, name, b->data, b->len, e);
        free(name);
    }
    free(w->bin_name);
    w->bin_name = NULL;
    w->nlens = 0;
    w->shard_tokens = 0;
    w->shard++;
    return rc;
}

int tokshard_add(tokshard_writer *w, const int32_t *ids, size_t n, cd_err *e)
{
    if (n > INT32_MAX) return cd_fail(e, CD_EINPUT, "token shards: a document of %zu tokens exceeds int32", n);
    if (w->bin && w->max_tokens && w->shard_tokens + n > w->max_tokens && w->nlens > 0)
        if (close_shard(w, e)) return -1;
    if (!w->bin) {
        w->bin_name = w->fmt == TOKSHARD_MEGATRON ? xasprintf("%s_%d.bin", w->prefix, w->shard)
                                                  : xasprintf("%s_%d.ds", w->prefix, w->shard);
        char *path = xasprintf("%s/%s", w->dir, w->bin_name);
        w->bin = io_writer_create(path, IO_PLAIN, e);
        free(path);
        if (!w->bin) return -1;
    }
    sbuf *b = &w->pend;
    sbuf_reserve(b, n * (size_t)w->token_bytes);
    unsigned char *o = (unsigned char *)b->data + b->len;
    if (w->token_bytes == 2) {
        for (size_t i = 0; i < n; i++) {
            uint32_t v = (uint32_t)ids[i];
            o[2 * i] = (unsigned char)v;
            o[2 * i + 1] = (unsigned char)(v >> 8);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            uint32_t v = (uint32_t)ids[i];
            o[4 * i] = (unsigned char)v;
            o[4 * i + 1] = (unsigned char)(v >> 8);
            o[4 * i + 2] = (unsigned char)(v >> 16);
            o[4 * i + 3] = (unsigned char)(v >> 24);
        }
    }
    b->len += n * (size_t)w->token_bytes;
    if (b->len >= PEND_FLUSH && flush_pending(w, e)) return -1;
    if (w->nlens == w->caplens) {
        w->caplens = w->caplens ? w->caplens * 2 : 1024;
        w->lens = xrealloc(w->lens, w->caplens * sizeof *w->lens);
    }
    w->lens[w->nlens++] = (int32_t)n;
    w->shard_tokens += n;
    w->total_tokens += n;
    w->total_docs++;
    return 0;
}

static void tokshard_free(tokshard_writer *w)
{
    output_list_free(&w->done);
    sbuf_free(&w->buf);
    sbuf_free(&w->pend);
    free(w->lens);
    free(w->bin_name);
    free(w->dir);
    free(w->prefix);
    free(w->tokname);
    free(w);
}

int tokshard_commit(tokshard_writer *w, const char *rel_dir, const char *subset, output_list *out, cd_err *e)
{
    int rc = close_shard(w, e);
    if (rc == 0)
        for (size_t i = 0; i < w->done.len; i++) {
            const output_file *f = &w->done.files[i];
            char *rel = rel_dir && *rel_dir ? xasprintf("%s/%s", rel_dir, f->path) : xstrdup(f->path);
            output_list_add(out, rel, subset ? subset : "", f->docs, f->bytes, f->raw_bytes, f->checksum);
            free(rel);
        }
    tokshard_free(w);
    return rc;
}

void tokshard_abort(tokshard_writer *w)
{
    if (!w) return;
    if (w->bin) io_writer_abort(w->bin);
    for (size_t i = 0; i < w->done.len; i++) {
        char *p = xasprintf("%s/%s", w->dir, w->done.files[i].path);
        remove(p);
        free(p);
    }
    tokshard_free(w);
}

uint64_t tokshard_total_tokens(const tokshard_writer *w) { return w->total_tokens; }
uint64_t tokshard_total_docs(const tokshard_writer *w) { return w->total_docs; }

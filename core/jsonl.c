/*
 * jsonl.c: the `jsonl` reader and writer.
 *
 * Reader: one document per line from plain, .gz or .zst files (detected by
 * magic). A malformed line is counted as drop reason "malformed_json",
 * logged with file and line number, and skipped; a truncated compressed
 * stream fails the input with a clear error.
 *
 * Writer: sharded JSONL, `<stem>-NNNNN.jsonl[.zst|.gz]` per subset, a new
 * shard after max_docs documents or max_bytes uncompressed bytes.
 */
#include "core/io.h"
#include "core/log.h"
#include "core/stage.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ reader */

typedef struct jsonl_reader {
    io_reader *io;
    int64_t max_line;
    const char *id_field;
} jsonl_reader;

static const param_spec JSONL_READER_PARAMS[] = {
    {"max_line", PARAM_SIZE, "1G", "longest accepted line; longer fails the input"},
    {"id_field", PARAM_STRING, NULL, "take the id from this metadata field when the record has no id"},
    {0},
};

static int jsonl_open(reader *r, const char *path, cd_err *e)
{
    jsonl_reader *j = xcalloc(1, sizeof *j);
    j->io = io_open(path, e);
    if (!j->io) {
        free(j);
        return -1;
    }
    j->max_line = param_size(r->params, "max_line");
    j->id_field = param_str(r->params, "id_field");
    io_set_max_line(j->io, (size_t)j->max_line);
    r->priv = j;
    return 0;
}

static int jsonl_next(reader *r, doc **out, cd_err *e)
{
    jsonl_reader *j = r->priv;
    for (;;) {
        const char *line;
        size_t len;
        int got = io_getline(j->io, &line, &len, e);
        r->bytes_read = io_raw_offset(j->io);
        if (got <= 0) return got;
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t')) k++;
        if (k == len) continue; /* blank line */
        cd_err pe;
        cd_err_clear(&pe);
        doc *d = doc_from_json(line, len, &pe);
        if (!d) {
            stats_drop(&r->stats, "malformed_json", 1);
            log_warn("%s:%llu: skipped malformed record: %s", io_reader_name(j->io),
                     (unsigned long long)io_line_number(j->io), pe.msg);
            continue;
        }
        if (!d->id_len) {
            const json_value *v = j->id_field ? json_get_path(d->metadata, j->id_field) : NULL;
            size_t n;
            const char *s = json_str(v, &n);
            if (s) {
                doc_set_id(d, s, n);
            } else {
                /* Stable and derived from the source: stem and line number. */
                char *id = xasprintf("%s/%llu", r->ctx && r->ctx->input_stem ? r->ctx->input_stem : "input",
                                     (unsigned long long)io_line_number(j->io));
                doc_set_id(d, id, strlen(id));
                free(id);
            }
        }
        *out = d;
        return 1;
    }
}

static void jsonl_close(reader *r)
{
    jsonl_reader *j = r->priv;
    if (!j) return;
    io_close(j->io);
    free(j);
    r->priv = NULL;
}

static const char *const JSONL_SUFFIXES[] = {".jsonl", ".jsonl.gz", ".jsonl.zst", ".json.gz", ".json.zst",
                                             ".ndjson", ".json", ".jsonl.zstd", NULL};

static const reader_ops jsonl_reader_ops = {
    .name = "jsonl",
    .summary = "JSON Lines documents (datatrove/Dolma compatible), plain, .gz or .zst",
    .params = JSONL_READER_PARAMS,
    .suffixes = JSONL_SUFFIXES,
    .open = jsonl_open,
    .next = jsonl_next,
    .close = jsonl_close,
};
CORPUSD_READER(jsonl_reader_ops)

/* ------------------------------------------------------------------ writer */

typedef struct jsonl_writer {
    char *dir, *stem;
    const char *suffix;
    io_compression comp;
    int64_t max_docs, max_bytes;
    io_writer *cur;
    char *cur_name;
    uint64_t cur_docs;
    int shard;
    output_list done;
    sbuf line;
} jsonl_writer;

static const param_spec JSONL_WRITER_PARAMS[] = {
    {"compression", PARAM_STRING, "zst", "zst, gz or none"},
    {"max_docs", PARAM_INT, "0", "documents per output file; 0 = no limit"},
    {"max_bytes", PARAM_SIZE, "0", "uncompressed bytes per output file; 0 = no limit"},
    {0},
};

static int jw_open(writer *w, const char *dir, const char *stem, cd_err *e)
{
    jsonl_writer *j = xcalloc(1, sizeof *j);
    const char *comp = param_str(w->params, "compression");
    if (!strcmp(comp, "zst") || !strcmp(comp, "zstd")) {
        j->comp = IO_ZSTD;
        j->suffix = ".jsonl.zst";
    } else if (!strcmp(comp, "gz") || !strcmp(comp, "gzip")) {
        j->comp = IO_GZIP;
        j->suffix = ".jsonl.gz";
    } else if (!strcmp(comp, "none")) {
        j->comp = IO_PLAIN;
        j->suffix = ".jsonl";
    } else {
        free(j);
        return cd_fail(e, CD_ECONFIG, "jsonl output: compression must be zst, gz or none, not '%s'", comp);
    }
    j->dir = xstrdup(dir);
    j->stem = xstrdup(stem);
    j->max_docs = param_int(w->params, "max_docs");
    j->max_bytes = param_size(w->params, "max_bytes");
    w->priv = j;
    return 0;
}

static int jw_close_shard(writer *w, jsonl_writer *j, cd_err *e)
{
    if (!j->cur) return 0;
    io_commit_info info;
    int rc = io_writer_commit(j->cur, &info, e);
    j->cur = NULL;
    if (rc == 0) {
        char *rel = xasprintf("%s/%s", w->rel_dir, j->cur_name);
        output_list_add(&j->done, rel, w->subset, j->cur_docs, info.bytes, info.raw_bytes, info.checksum);
        free(rel);
    }
    free(j->cur_name);
    j->cur_name = NULL;
    return rc;
}

static int jw_write(writer *w, const doc *d, cd_err *e)
{
    jsonl_writer *j = w->priv;
    if (j->cur && ((j->max_docs > 0 && j->cur_docs >= (uint64_t)j->max_docs) ||
                   (j->max_bytes > 0 && io_writer_raw_bytes(j->cur) >= (uint64_t)j->max_bytes))) {
        if (jw_close_shard(w, j, e)) return -1;
    }
    if (!j->cur) {
        j->cur_name = xasprintf("%s-%05d%s", j->stem, j->shard++, j->suffix);
        char *path = xasprintf("%s/%s", j->dir, j->cur_name);
        j->cur = io_writer_create(path, j->comp, e);
        free(path);
        if (!j->cur) return -1;
        j->cur_docs = 0;
    }
    sbuf_reset(&j->line);
    doc_to_json(d, &j->line, w->with_drop_reason);
    j->cur_docs++;
    return io_write(j->cur, j->line.data, j->line.len, e);
}

static void jw_free(jsonl_writer *j)
{
    output_list_free(&j->done);
    sbuf_free(&j->line);
    free(j->cur_name);
    free(j->dir);
    free(j->stem);
    free(j);
}

static int jw_commit(writer *w, output_list *out, cd_err *e)
{
    jsonl_writer *j = w->priv;
    int rc = jw_close_shard(w, j, e);
    if (rc == 0)
        for (size_t i = 0; i < j->done.len; i++) {
            output_file *f = &j->done.files[i];
            output_list_add(out, f->path, f->subset, f->docs, f->bytes, f->raw_bytes, f->checksum);
        }
    jw_free(j);
    w->priv = NULL;
    return rc;
}

static void jw_abort(writer *w)
{
    jsonl_writer *j = w->priv;
    if (!j) return;
    if (j->cur) io_writer_abort(j->cur);
    /* Shards already renamed are not in the ledger; recovery removes them,
     * but remove them now so a failed input leaves nothing behind. */
    for (size_t i = 0; i < j->done.len; i++) {
        const char *base = strrchr(j->done.files[i].path, '/');
        char *p = xasprintf("%s/%s", j->dir, base ? base + 1 : j->done.files[i].path);
        remove(p);
        free(p);
    }
    jw_free(j);
    w->priv = NULL;
}

static const writer_ops jsonl_writer_ops = {
    .name = "jsonl",
    .summary = "sharded JSON Lines, zstd-compressed by default",
    .params = JSONL_WRITER_PARAMS,
    .open = jw_open,
    .write = jw_write,
    .commit = jw_commit,
    .abort = jw_abort,
};
CORPUSD_WRITER(jsonl_writer_ops)

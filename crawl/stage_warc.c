/*
 * stage_warc.c: the `warc` reader: one document per HTML response (or per
 * WET conversion record, or per HTML resource record) of a WARC file or URL.
 *
 * A document:
 *   id        <snapshot>/<warc file name>/<record offset>  (stable: see warc.h)
 *   source    "cc"
 *   raw       the HTML body converted to UTF-8 (arena-owned); NULL for WET
 *   text      the same bytes as raw for HTML (the same arena memory, not a
 *             copy), or the WET plain text; `extract` reads raw when set
 *   metadata  url, snapshot, warc_record_id, warc_date, warc_type,
 *             content_type, charset, http_status (responses);
 *             warc_refers_to, warc_identified_content_language (WET)
 *
 * What is not a document is counted, never silently lost: records of other
 * types (counter skipped_<type>), non-HTML responses (not_html), non-2xx
 * responses (http_status_not_ok), and every reader problem (corrupt_gzip,
 * gzip_bomb, truncated, garbage, oversized_header, oversized_record,
 * bad_content_length) as drop reasons of the reader.
 */
#include "core/log.h"
#include "core/stage.h"
#include "crawl/fetch.h"
#include "crawl/warc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct warc_stage {
    warc_reader *wr;
    warc_scratch scratch;
    char snapshot[64];
    char *file;                /* WARC file name, for ids */
    int html_only, keep_non_ok;
    int64_t max_decoded;
    warc_stats last;
    int want[WARC_CONTINUATION + 1];
} warc_stage;

static const param_spec WARC_READER_PARAMS[] = {
    {"snapshot", PARAM_STRING, NULL, "snapshot for ids and metadata; default: the CC-MAIN-YYYY-WW in the path, else 'local'"},
    {"record_types", PARAM_STRING, "response,conversion,resource", "WARC-Types that become documents"},
    {"html_only", PARAM_BOOL, "true", "responses/resources only when their Content-Type is HTML (or sniffs as HTML)"},
    {"keep_non_ok", PARAM_BOOL, "false", "keep responses whose HTTP status is not 2xx"},
    {"max_header", PARAM_SIZE, "1M", "largest WARC header block (CommonCrawl's are under 2 KiB)"},
    {"max_record", PARAM_SIZE, "64M", "largest record held in memory; bigger ones are skipped (CommonCrawl truncates at 1 MiB)"},
    {"max_ratio", PARAM_DOUBLE, "100", "gzip bomb: refuse a member inflating more than this ratio past 16 MiB (HTML deflates 4-10x)"},
    {"max_member", PARAM_SIZE, "0", "gzip bomb: refuse a member inflating past this size; 0 = no limit"},
    {"threads", PARAM_INT, "0", "gzip inflate threads per file: 0 = the number of CPUs, 1 = serial"},
    {"retries", PARAM_INT, "6", "download retries for URLs (exponential backoff with jitter)"},
    {"cache_dir", PARAM_STRING, NULL, "keep downloaded files here and read them from here next time"},
    {"user_agent", PARAM_STRING, NULL, "User-Agent for downloads (default names corpusd)"},
    {0},
};

static int parse_types(warc_stage *w, const char *list, cd_err *e)
{
    static const struct { const char *n; warc_type t; } names[] = {
        {"warcinfo", WARC_WARCINFO}, {"response", WARC_RESPONSE}, {"resource", WARC_RESOURCE},
        {"request", WARC_REQUEST},   {"metadata", WARC_METADATA}, {"revisit", WARC_REVISIT},
        {"conversion", WARC_CONVERSION},
    };
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ", ");
        if (n) {
            int found = 0;
            for (size_t i = 0; i < sizeof names / sizeof *names; i++)
                if (strlen(names[i].n) == n && !strncasecmp(p, names[i].n, n)) {
                    w->want[names[i].t] = 1;
                    found = 1;
                }
            if (!found) return cd_fail(e, CD_ECONFIG, "reader 'warc': unknown record type '%.*s' in record_types", (int)n, p);
        }
        p += n;
        while (*p == ',' || *p == ' ') p++;
    }
    return 0;
}

static int warc_stage_open(reader *r, const char *path, cd_err *e)
{
    warc_stage *w = xcalloc(1, sizeof *w);
    if (parse_types(w, param_str(r->params, "record_types"), e)) {
        free(w);
        return -1;
    }
    warc_limits lim;
    warc_limits_default(&lim);
    lim.max_header = (size_t)param_size(r->params, "max_header");
    lim.max_record = (uint64_t)param_size(r->params, "max_record");
    lim.max_ratio = param_double(r->params, "max_ratio");
    lim.max_member = (uint64_t)param_size(r->params, "max_member");
    lim.threads = (int)param_int(r->params, "threads");
    if (fetch_is_url(path)) {
        fetch_opts o;
        fetch_opts_default(&o);
        o.max_retries = (int)param_int(r->params, "retries");
        o.cache_dir = param_str(r->params, "cache_dir");
        if (param_str(r->params, "user_agent")) o.user_agent = param_str(r->params, "user_agent");
        io_source src;
        if (fetch_source_open(path, 0, 0, &o, &src, e)) {
            free(w);
            return -1;
        }
        w->wr = warc_reader_open_source(src, path, 0, &lim, e);
    } else {
        w->wr = warc_reader_open(path, &lim, e);
    }
    if (!w->wr) {
        free(w);
        return -1;
    }
    const char *snap = param_str(r->params, "snapshot");
    if (snap) snprintf(w->snapshot, sizeof w->snapshot, "%s", snap);
    else if (warc_snapshot_from_path(path, w->snapshot, sizeof w->snapshot)) snprintf(w->snapshot, sizeof w->snapshot, "local");
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    w->file = xstrndup(base, strcspn(base, "?#"));
    w->html_only = param_bool(r->params, "html_only");
    w->keep_non_ok = param_bool(r->params, "keep_non_ok");
    w->max_decoded = param_size(r->params, "max_record");
    r->priv = w;
    return 0;
}

static void sync_stats(reader *r, warc_stage *w)
{
    const warc_stats *s = warc_reader_stats(w->wr);
#define D(f)                                                            \
    if (s->f > w->last.f) stats_drop(&r->stats, #f, s->f - w->last.f);
    D(corrupt_gzip) D(gzip_bomb) D(truncated) D(garbage) D(oversized_header) D(oversized_record) D(bad_content_length)
#undef D
    w->last = *s;
    r->bytes_read = warc_reader_offset(w->wr);
}

static int looks_html(const char *ct, const unsigned char *body, size_t len)
{
    if (ct && *ct) return strcasestr(ct, "html") != NULL;
    size_t n = len < 1024 ? len : 1024;
    for (size_t i = 0; i + 5 <= n; i++)
        if (body[i] == '<' && (!strncasecmp((const char *)body + i, "<html", 5) || !strncasecmp((const char *)body + i, "<!doc", 5)))
            return 1;
    return 0;
}

static doc *make_doc(warc_stage *w, const warc_record *rec)
{
    doc *d = doc_new();
    char *id = xasprintf("%s/%s/%llu", w->snapshot, w->file, (unsigned long long)rec->offset);
    doc_set_id(d, id, strlen(id));
    free(id);
    doc_set_source(d, "cc");
    doc_meta_set_str(d, "url", rec->target_uri);
    doc_meta_set_str(d, "snapshot", w->snapshot);
    doc_meta_set_str(d, "warc_record_id", rec->record_id);
    doc_meta_set_str(d, "warc_date", rec->date);
    doc_meta_set_str(d, "warc_type", rec->type_name);
    return d;
}

static int warc_stage_next(reader *r, doc **out, cd_err *e)
{
    warc_stage *w = r->priv;
    for (;;) {
        warc_record rec;
        int rc = warc_reader_next(w->wr, &rec, e);
        sync_stats(r, w);
        if (rc <= 0) return rc;
        if (!w->want[rec.type]) {
            char name[64];
            snprintf(name, sizeof name, "skipped_%s", rec.type_name[0] ? rec.type_name : "untyped");
            for (char *c = name; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_')) *c = (*c >= 'A' && *c <= 'Z') ? (char)(*c + 32) : '_';
            stats_count(&r->stats, name, 1);
            continue;
        }
        if (rec.type == WARC_CONVERSION) {
            doc *d = make_doc(w, &rec);
            sbuf t = SBUF_INIT;
            utf8_sanitize(&t, (const char *)rec.block, (size_t)rec.content_length);
            doc_set_text(d, t.data ? t.data : "", t.len);
            sbuf_free(&t);
            const char *v = warc_record_field(&rec, "WARC-Refers-To");
            if (v) doc_meta_set_str(d, "warc_refers_to", v);
            v = warc_record_field(&rec, "WARC-Identified-Content-Language");
            if (v) doc_meta_set_str(d, "warc_identified_content_language", v);
            doc_meta_set_str(d, "content_type", rec.content_type);
            *out = d;
            return 1;
        }
        const unsigned char *body = rec.block;
        size_t body_len = (size_t)rec.content_length;
        const char *ct = rec.content_type;
        int status = 0;
        warc_http h;
        if (rec.type == WARC_RESPONSE || rec.type == WARC_REVISIT) {
            if (warc_http_parse(rec.block, body_len, &w->scratch, &h) != 0) {
                stats_count(&r->stats, "not_http", 1);
                continue;
            }
            status = h.status;
            if (!w->keep_non_ok && (status < 200 || status > 299)) {
                stats_count(&r->stats, "http_status_not_ok", 1);
                continue;
            }
            int dec = warc_http_decode(&h, &w->scratch, (size_t)w->max_decoded);
            if (dec > 0) stats_count(&r->stats, "content_encoding_decoded", 1);
            /* Does not inflate: stored decoded under the old header (seen in
             * CommonCrawl); use the body as it is. */
            if (dec < 0) stats_count(&r->stats, "content_encoding_not_applied", 1);
            body = h.body;
            body_len = h.body_len;
            ct = warc_http_header(&h, "Content-Type");
        }
        if (w->html_only && !looks_html(ct, body, body_len)) {
            stats_count(&r->stats, "not_html", 1);
            continue;
        }
        char cs[64];
        warc_detect_charset(ct, body, body_len, cs, sizeof cs);
        if (warc_to_utf8(cs, body, body_len, &w->scratch)) {
            /* iconv does not know the label: sniff instead. */
            warc_detect_charset(NULL, body, body_len, cs, sizeof cs);
            warc_to_utf8(cs, body, body_len, &w->scratch);
            stats_count(&r->stats, "unknown_charset", 1);
        }
        doc *d = make_doc(w, &rec);
        size_t n = w->scratch.conv.len;
        char *raw = arena_alloc(&d->arena, n + 1);
        memcpy(raw, w->scratch.conv.data ? w->scratch.conv.data : "", n);
        raw[n] = 0;
        d->raw = raw;
        d->raw_len = n;
        d->text = raw;
        d->text_len = n;
        doc_meta_set_str(d, "content_type", ct ? ct : "");
        doc_meta_set_str(d, "charset", cs);
        if (status) doc_meta_set_int(d, "http_status", status);
        *out = d;
        return 1;
    }
}

static void warc_stage_close(reader *r)
{
    warc_stage *w = r->priv;
    if (!w) return;
    warc_reader_close(w->wr);
    warc_scratch_free(&w->scratch);
    free(w->file);
    free(w);
    r->priv = NULL;
}

static const char *const WARC_SUFFIXES[] = {".warc.gz", ".warc", ".wet.gz", ".warc.wet.gz", ".wet", NULL};

static const reader_ops warc_reader_ops = {
    .name = "warc",
    .summary = "WARC/WET files or URLs (CommonCrawl): one document per HTML response or WET record",
    .params = WARC_READER_PARAMS,
    .suffixes = WARC_SUFFIXES,
    .open = warc_stage_open,
    .next = warc_stage_next,
    .close = warc_stage_close,
};
CORPUSD_READER(warc_reader_ops)

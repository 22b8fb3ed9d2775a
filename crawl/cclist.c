/*
 * cclist.c: CommonCrawl snapshot and file listings. See cclist.h.
 */
#include "crawl/cclist.h"
#include "core/json.h"
#include "crawl/fetch.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

char *cc_join_url(const char *base, const char *rel)
{
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/') bl--;
    while (*rel == '/') rel++;
    return xasprintf("%.*s/%s", (int)bl, base, rel);
}

static int gunzip_mem(const char *in, size_t n, sbuf *out, cd_err *e)
{
    if (n < 2 || (unsigned char)in[0] != 0x1f || (unsigned char)in[1] != 0x8b) {
        sbuf_append(out, in, n);   /* served already decompressed */
        return 0;
    }
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 31) != Z_OK) return cd_fail(e, CD_EINTERNAL, "zlib init");
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)n;
    int rc = Z_OK;
    while (rc != Z_STREAM_END || z.avail_in) {
        if (rc == Z_STREAM_END) inflateReset(&z);   /* next member */
        sbuf_reserve(out, 1 << 16);
        z.next_out = (unsigned char *)out->data + out->len;
        z.avail_out = (uInt)(out->cap - out->len - 1);
        size_t before = z.avail_out;
        rc = inflate(&z, Z_NO_FLUSH);
        out->len += before - z.avail_out;
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&z);
            return cd_fail(e, CD_EINPUT, "paths file: gzip data is corrupt or truncated");
        }
        if (rc == Z_OK && z.avail_in == 0 && before == z.avail_out) break;
    }
    out->data[out->len] = 0;
    int ok = rc == Z_STREAM_END;
    inflateEnd(&z);
    return ok ? 0 : cd_fail(e, CD_ETRUNC, "paths file: gzip stream is truncated");
}

static void strv_push(char ***v, size_t *n, char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = s;
}

int cc_snapshots(const char *base, char ***ids, char ***names, size_t *n, cd_err *e)
{
    *ids = *names = NULL;
    *n = 0;
    char *url = base ? cc_join_url(base, "collinfo.json") : xstrdup(CC_INDEX_COLLINFO);
    fetch_opts o;
    fetch_opts_default(&o);
    sbuf body = SBUF_INIT;
    int rc = fetch_get(url, &o, 64u << 20, &body, e);
    if (rc == 0) {
        arena ar;
        arena_init(&ar, 0);
        cd_err pe;
        json_value *v = json_parse(&ar, body.data ? body.data : "", body.len, 0, &pe);
        if (!v || v->type != JSON_ARRAY) {
            rc = cd_fail(e, CD_EINPUT, "%s: not a JSON array of snapshots%s%s", url, v ? "" : ": ", v ? "" : pe.msg);
        } else {
            size_t m = 0;
            for (size_t i = 0; i < v->u.array.len; i++) {
                const char *id = json_str(json_object_get(v->u.array.items[i], "id"), NULL);
                const char *name = json_str(json_object_get(v->u.array.items[i], "name"), NULL);
                if (!id) continue;
                strv_push(ids, &m, xstrdup(id));
                m--;
                strv_push(names, &m, xstrdup(name ? name : ""));
            }
            *n = m;
        }
        arena_free(&ar);
    }
    sbuf_free(&body);
    free(url);
    return rc;
}

int cc_snapshot_urls(const char *base, const char *snapshot, const char *type, uint64_t limit, char ***urls,
                     size_t *n, cd_err *e)
{
    *urls = NULL;
    *n = 0;
    if (!base) base = CC_DATA_BASE;
    char *rel = xasprintf("crawl-data/%s/%s.paths.gz", snapshot, type);
    char *url = cc_join_url(base, rel);
    free(rel);
    fetch_opts o;
    fetch_opts_default(&o);
    sbuf gz = SBUF_INIT, text = SBUF_INIT;
    int rc = fetch_get(url, &o, 256u << 20, &gz, e);
    if (rc == 0) rc = gunzip_mem(gz.data ? gz.data : "", gz.len, &text, e);
    if (rc == 0) {
        const char *p = text.data ? text.data : "", *end = p + text.len;
        while (p < end && (!limit || *n < limit)) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t k = nl ? (size_t)(nl - p) : (size_t)(end - p);
            if (k && p[k - 1] == '\r') k--;
            if (k) {
                char *line = xstrndup(p, k);
                strv_push(urls, n, cc_join_url(base, line));
                free(line);
            }
            p = nl ? nl + 1 : end;
        }
    }
    sbuf_free(&gz);
    sbuf_free(&text);
    free(url);
    return rc;
}

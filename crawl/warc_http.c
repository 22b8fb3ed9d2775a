/*
 * warc_http.c: what sits inside a WARC response block: the HTTP status line
 * and headers, chunked transfer coding, and the body's charset, converted to
 * UTF-8 with iconv.
 *
 * Invariants: nothing here allocates in proportion to anything but the
 * block it is given; every output lives in the caller's warc_scratch and is
 * valid until the next call with that scratch. Nothing aborts on input.
 */
#include "crawl/warc.h"

#include "core/json.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* ----------------------------------------------------------------- headers */

static void scratch_fields(warc_scratch *s, size_t n)
{
    if (n > s->cap) {
        s->cap = n * 2;
        s->fields = xrealloc(s->fields, s->cap * sizeof *s->fields);
    }
}

const char *warc_http_header(const warc_http *h, const char *name)
{
    for (size_t i = h->nheaders; i-- > 0;)
        if (!strcasecmp(h->headers[i].name, name)) return h->headers[i].value;
    return NULL;
}

static const unsigned char *find_blank(const unsigned char *p, size_t n, size_t *skip)
{
    const unsigned char *end = p + n;
    for (const unsigned char *q = p; q < end;) {
        const unsigned char *nl = memchr(q, '\n', (size_t)(end - q));
        if (!nl) return NULL;
        if (nl + 1 < end && nl[1] == '\n') {
            *skip = 2;
            return nl;
        }
        if (nl + 2 < end && nl[1] == '\r' && nl[2] == '\n') {
            *skip = 3;
            return nl;
        }
        q = nl + 1;
    }
    return NULL;
}

/* De-chunks p[0, n) into out. 0 when at least the first chunk parsed (a
 * body cut short keeps what was complete), -1 when it is not chunked. */
static int dechunk(const unsigned char *p, size_t n, sbuf *out)
{
    size_t i = 0;
    int chunks = 0;
    sbuf_reset(out);
    while (i < n) {
        size_t j = i;
        uint64_t size = 0;
        int digits = 0;
        while (j < n) {
            unsigned char c = p[j];
            int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (v < 0) break;
            if (size > (UINT64_MAX >> 5)) return chunks ? 0 : -1;
            size = size * 16 + (uint64_t)v;
            digits++;
            j++;
        }
        if (!digits) return chunks ? 0 : -1;
        while (j < n && p[j] != '\n') j++;   /* chunk extensions, CR */
        if (j >= n) return chunks ? 0 : -1;
        j++;
        if (size == 0) return 0;
        if (size > n - j) {
            sbuf_append(out, p + j, n - j);   /* cut short (WARC-Truncated) */
            return 0;
        }
        sbuf_append(out, p + j, (size_t)size);
        j += (size_t)size;
        if (j < n && p[j] == '\r') j++;
        if (j < n && p[j] == '\n') j++;
        chunks++;
        i = j;
    }
    return chunks ? 0 : -1;
}

int warc_header_field(sbuf *strings, const unsigned char *line, const unsigned char *lend, size_t off[2])
{
    const unsigned char *colon = memchr(line, ':', (size_t)(lend - line));
    if (!colon) return 0;
    const unsigned char *ne = colon;
    while (ne > line && (ne[-1] == ' ' || ne[-1] == '\t')) ne--;
    const unsigned char *v = colon + 1;
    while (v < lend && (*v == ' ' || *v == '\t')) v++;
    const unsigned char *ve = lend;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
    off[0] = strings->len;
    sbuf_append(strings, line, (size_t)(ne - line));
    sbuf_putc(strings, 0);
    off[1] = strings->len;
    sbuf_append(strings, v, (size_t)(ve - v));
    sbuf_putc(strings, 0);
    return 1;
}

void warc_header_fold(sbuf *strings, const unsigned char *line, const unsigned char *lend)
{
    const unsigned char *v = line;
    while (v < lend && (*v == ' ' || *v == '\t')) v++;
    const unsigned char *ve = lend;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
    if (ve == v) return;
    strings->len--;   /* the previous value's NUL */
    sbuf_putc(strings, ' ');
    sbuf_append(strings, v, (size_t)(ve - v));
    sbuf_putc(strings, 0);
}

int warc_http_parse(const unsigned char *block, size_t len, warc_scratch *s, warc_http *out)
{
    memset(out, 0, sizeof *out);
    if (len < 12 || memcmp(block, "HTTP/", 5) != 0) return -1;
    size_t skip = 0;
    const unsigned char *blank = find_blank(block, len, &skip);
    size_t hlen = blank ? (size_t)(blank - block) : len;
    const unsigned char *body = blank ? blank + skip : block + len;
    sbuf_reset(&s->strings);
    size_t *offs = NULL, noff = 0, ocap = 0;
    const unsigned char *line = block, *end = block + hlen;
    int first = 1;
    while (line < end) {
        const unsigned char *nl = memchr(line, '\n', (size_t)(end - line));
        const unsigned char *lend = nl ? nl : end;
        if (lend > line && lend[-1] == '\r') lend--;
        if (first) {
            const unsigned char *sp = memchr(line, ' ', (size_t)(lend - line));
            int status = 0, nd = 0;
            if (sp) {
                for (const unsigned char *d = sp + 1; d < lend && *d >= '0' && *d <= '9' && nd < 3; d++, nd++)
                    status = status * 10 + (*d - '0');
            }
            out->status = nd == 3 ? status : 0;
            noff = 0;
            if (noff + 1 >= ocap) {
                ocap = ocap ? ocap * 2 : 32;
                offs = xrealloc(offs, ocap * sizeof *offs);
            }
            offs[noff++] = s->strings.len;
            sbuf_append(&s->strings, line, (size_t)(lend - line));
            sbuf_putc(&s->strings, 0);
            first = 0;
        } else if (line < lend && (*line == ' ' || *line == '\t')) {
            if (noff >= 3) warc_header_fold(&s->strings, line, lend);   /* a field before it */
        } else if (line < lend) {
            size_t fo[2];
            if (warc_header_field(&s->strings, line, lend, fo)) {
                if (noff + 2 >= ocap) {
                    ocap = ocap ? ocap * 2 : 32;
                    offs = xrealloc(offs, ocap * sizeof *offs);
                }
                offs[noff++] = fo[0];
                offs[noff++] = fo[1];
            }
        }
        line = nl ? nl + 1 : end;
    }
    out->status_line = s->strings.data + offs[0];
    out->nheaders = (noff - 1) / 2;
    scratch_fields(s, out->nheaders + 1);
    for (size_t i = 0; i < out->nheaders; i++) {
        s->fields[i].name = s->strings.data + offs[1 + 2 * i];
        s->fields[i].value = s->strings.data + offs[2 + 2 * i];
    }
    free(offs);
    out->headers = s->fields;
    out->body = body;
    out->body_len = (size_t)(block + len - body);
    const char *te = warc_http_header(out, "Transfer-Encoding");
    if (te && strcasestr(te, "chunked") && dechunk(out->body, out->body_len, &s->body) == 0) {
        out->body = (const unsigned char *)(s->body.data ? s->body.data : "");
        out->body_len = s->body.len;
        out->was_chunked = 1;
    }
    return 0;
}

static int inflate_body(const unsigned char *p, size_t n, int window_bits, size_t max, sbuf *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, window_bits) != Z_OK) return -1;
    sbuf_reset(out);
    z.next_in = (unsigned char *)p;
    z.avail_in = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
    int rc = Z_OK;
    while (rc == Z_OK && out->len < max) {
        size_t room = max - out->len < 65536 ? max - out->len : 65536;
        sbuf_reserve(out, room + 1);
        z.next_out = (unsigned char *)out->data + out->len;
        z.avail_out = (uInt)room;
        rc = inflate(&z, Z_NO_FLUSH);
        out->len += room - z.avail_out;
        if (rc == Z_BUF_ERROR && z.avail_in == 0) break;   /* cut short: keep it */
    }
    inflateEnd(&z);
    if (out->data) out->data[out->len] = 0;
    return rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR ? 0 : (out->len ? 0 : -1);
}

int warc_http_decode(warc_http *h, warc_scratch *s, size_t max)
{
    const char *ce = warc_http_header(h, "Content-Encoding");
    if (!ce || !h->body_len) return 0;
    int wb;
    if (!strcasecmp(ce, "gzip") || !strcasecmp(ce, "x-gzip")) wb = 31;
    else if (!strcasecmp(ce, "deflate")) wb = h->body_len >= 2 && ((h->body[0] << 8 | h->body[1]) % 31 == 0) ? 15 : -15;
    else return 0;
    if (inflate_body(h->body, h->body_len, wb, max, &s->decoded) || !s->decoded.len) return -1;
    h->body = (const unsigned char *)s->decoded.data;
    h->body_len = s->decoded.len;
    return 1;
}

/* ----------------------------------------------------------------- charset */

static void normalise_label(const char *in, size_t n, char *out, size_t outsz)
{
    while (n && (*in == ' ' || *in == '"' || *in == '\'')) in++, n--;
    while (n && (in[n - 1] == ' ' || in[n - 1] == '"' || in[n - 1] == '\'')) n--;
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < outsz; i++) {
        char c = in[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':')) break;
        out[k++] = c;
    }
    out[k] = 0;
    /* WHATWG Encoding Standard aliases that matter in practice. */
    static const char *const alias[][2] = {
        {"utf8", "utf-8"}, {"unicode-1-1-utf-8", "utf-8"}, {"latin1", "windows-1252"},
        {"iso-8859-1", "windows-1252"}, {"iso8859-1", "windows-1252"}, {"iso_8859-1", "windows-1252"},
        {"us-ascii", "windows-1252"}, {"ascii", "windows-1252"}, {"l1", "windows-1252"},
        {"cp1252", "windows-1252"}, {"x-cp1252", "windows-1252"}, {"shift-jis", "shift_jis"},
        {"x-sjis", "shift_jis"}, {"sjis", "shift_jis"}, {"gb2312", "gbk"}, {"x-gbk", "gbk"},
        {"euc_kr", "euc-kr"}, {"ks_c_5601-1987", "euc-kr"}, {"unicode", "utf-16le"}, {"utf-16", "utf-16le"},
        {"cp1251", "windows-1251"}, {"koi8r", "koi8-r"}, {"iso-8859-9", "windows-1254"},
        {"tis-620", "windows-874"}, {"iso-8859-11", "windows-874"},
    };
    for (size_t i = 0; i < sizeof alias / sizeof *alias; i++)
        if (!strcmp(out, alias[i][0])) {
            snprintf(out, outsz, "%s", alias[i][1]);
            return;
        }
}

/* The value after "charset=" in s[0, n), or NULL. */
static const char *charset_param(const char *s, size_t n, size_t *len)
{
    for (size_t i = 0; i + 8 <= n; i++) {
        if (strncasecmp(s + i, "charset", 7) != 0) continue;
        size_t j = i + 7;
        while (j < n && (s[j] == ' ' || s[j] == '\t')) j++;
        if (j >= n || s[j] != '=') continue;
        j++;
        while (j < n && (s[j] == ' ' || s[j] == '"' || s[j] == '\'')) j++;
        size_t k = j;
        while (k < n && s[k] != ';' && s[k] != '"' && s[k] != '\'' && s[k] != ' ' && s[k] != '>' && s[k] != '/' &&
               s[k] != ',')
            k++;
        if (k > j) {
            *len = k - j;
            return s + j;
        }
    }
    return NULL;
}

static int utf8_valid_all(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_valid_len(p + i, n - i);
        if (!k) {
            /* A sequence cut by the end of the (truncated) body is fine. */
            if (n - i >= 4 || p[i] < 0xC2 || p[i] > 0xF4) return 0;
            for (size_t j = i + 1; j < n; j++)
                if ((p[j] & 0xC0) != 0x80) return 0;
            return 1;
        }
        i += k;
    }
    return 1;
}

void warc_detect_charset(const char *content_type, const unsigned char *body, size_t len, char *out, size_t outsz)
{
    size_t n = 0;
    const char *v = content_type ? charset_param(content_type, strlen(content_type), &n) : NULL;
    if (v) {
        normalise_label(v, n, out, outsz);
        if (*out) return;
    }
    if (len >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF) {
        snprintf(out, outsz, "utf-8");
        return;
    }
    if (len >= 2 && body[0] == 0xFF && body[1] == 0xFE) {
        snprintf(out, outsz, "utf-16le");
        return;
    }
    if (len >= 2 && body[0] == 0xFE && body[1] == 0xFF) {
        snprintf(out, outsz, "utf-16be");
        return;
    }
    /* <meta charset=...> or <meta http-equiv content="...; charset=..."> in
     * the first 4 KiB, as the HTML prescan does (WHATWG 13.2.3.2, simplified). */
    size_t scan = len < 4096 ? len : 4096;
    const char *b = (const char *)body;
    for (size_t i = 0; i + 5 < scan; i++) {
        if (b[i] != '<' || strncasecmp(b + i + 1, "meta", 4) != 0) continue;
        const char *gt = memchr(b + i, '>', scan - i);
        size_t tl = gt ? (size_t)(gt - (b + i)) : scan - i;
        v = charset_param(b + i, tl, &n);
        if (v) {
            normalise_label(v, n, out, outsz);
            /* A page that says UTF-16 in ASCII is not UTF-16 (WHATWG). */
            if (!strncmp(out, "utf-16", 6)) snprintf(out, outsz, "utf-8");
            if (*out) return;
        }
    }
    snprintf(out, outsz, "%s", utf8_valid_all(body, len) ? "utf-8" : "windows-1252");
}

typedef struct conv_cache {
    char name[64];
    iconv_t cd;
} conv_cache;

#define CONV_SLOTS 8

void warc_scratch_free(warc_scratch *s)
{
    conv_cache *c = s->iconv_cache;
    if (c) {
        for (int i = 0; i < CONV_SLOTS; i++)
            if (c[i].name[0] && c[i].cd != (iconv_t)-1) iconv_close(c[i].cd);
        free(c);
    }
    sbuf_free(&s->strings);
    sbuf_free(&s->body);
    sbuf_free(&s->conv);
    sbuf_free(&s->decoded);
    free(s->fields);
    memset(s, 0, sizeof *s);
}

static iconv_t conv_get(warc_scratch *s, const char *charset)
{
    conv_cache *c = s->iconv_cache;
    if (!c) c = s->iconv_cache = xcalloc(CONV_SLOTS, sizeof *c);
    int slot = -1;
    for (int i = 0; i < CONV_SLOTS; i++) {
        if (c[i].name[0] && !strcmp(c[i].name, charset)) {
            iconv(c[i].cd, NULL, NULL, NULL, NULL);   /* reset shift state */
            return c[i].cd;
        }
        if (!c[i].name[0] && slot < 0) slot = i;
    }
    if (slot < 0) {
        slot = CONV_SLOTS - 1;
        if (c[slot].cd != (iconv_t)-1) iconv_close(c[slot].cd);
    }
    snprintf(c[slot].name, sizeof c[slot].name, "%s", charset);
    c[slot].cd = iconv_open("UTF-8", charset);
    return c[slot].cd;
}

int warc_to_utf8(const char *charset, const unsigned char *body, size_t len, warc_scratch *s)
{
    sbuf_reset(&s->conv);
    if (!strcmp(charset, "utf-8")) {
        size_t skip = len >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF ? 3 : 0;
        utf8_sanitize(&s->conv, (const char *)body + skip, len - skip);
        return 0;
    }
    iconv_t cd = conv_get(s, charset);
    if (cd == (iconv_t)-1) {
        utf8_sanitize(&s->conv, (const char *)body, len);
        return -1;
    }
    char *in = (char *)body;
    size_t inleft = len;
    sbuf_reserve(&s->conv, len + len / 2 + 16);
    while (inleft) {
        sbuf_reserve(&s->conv, inleft * 2 + 16);
        char *outp = s->conv.data + s->conv.len;
        size_t outleft = s->conv.cap - s->conv.len - 1;
        size_t before = outleft;
        size_t rc = iconv(cd, &in, &inleft, &outp, &outleft);
        s->conv.len += before - outleft;
        if (rc != (size_t)-1) break;
        if (errno == E2BIG) continue;
        /* EILSEQ: one bad byte; EINVAL: a sequence cut at the end. */
        sbuf_append(&s->conv, "\xEF\xBF\xBD", 3);
        in++;
        inleft--;
        iconv(cd, NULL, NULL, NULL, NULL);
    }
    s->conv.data[s->conv.len] = 0;
    /* A BOM kept by the UTF-16 converters. */
    if (s->conv.len >= 3 && !memcmp(s->conv.data, "\xEF\xBB\xBF", 3)) {
        memmove(s->conv.data, s->conv.data + 3, s->conv.len - 3);
        s->conv.len -= 3;
        s->conv.data[s->conv.len] = 0;
    }
    return 0;
}

/* ---------------------------------------------------------------- snapshot */

int warc_snapshot_from_path(const char *path, char *out, size_t outsz)
{
    for (const char *p = strstr(path, "CC-MAIN-"); p; p = strstr(p + 1, "CC-MAIN-")) {
        const char *d = p + 8;
        int ok = 1;
        for (int i = 0; i < 7 && ok; i++) ok = i == 4 ? d[i] == '-' : (d[i] >= '0' && d[i] <= '9');
        if (ok && !(d[7] >= '0' && d[7] <= '9')) {
            snprintf(out, outsz, "%.15s", p);
            return 0;
        }
    }
    return -1;
}

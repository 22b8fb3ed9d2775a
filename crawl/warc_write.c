/*
 * warc_write.c: a small WARC/1.1 writer (for `corpusd warc make` and the
 * tests), SHA-256 (for payload digests), and nothing else.
 *
 * Each record is written as its own gzip member when gzip is on, which is
 * CommonCrawl's layout and what makes records seekable by offset. Record ids
 * are derived from the record's type, URI, date and block (a SHA-256 shaped
 * as a UUID), so the same input gives the same file byte for byte.
 */
#include "crawl/warc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ----------------------------------------------------------------- SHA-256 */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t S1 = ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = hh + S1 + ch + K256[i] + w[i];
        uint32_t S0 = ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22);
        uint32_t mj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = S0 + mj;
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void warc_sha256_init(warc_sha256 *c)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, iv, sizeof iv);
    c->len = 0;
    c->nbuf = 0;
}

void warc_sha256_update(warc_sha256 *c, const void *data, size_t n)
{
    const unsigned char *p = data;
    c->len += n;
    if (c->nbuf) {
        size_t k = 64 - c->nbuf < n ? 64 - c->nbuf : n;
        memcpy(c->buf + c->nbuf, p, k);
        c->nbuf += k;
        p += k;
        n -= k;
        if (c->nbuf < 64) return;
        sha256_block(c->h, c->buf);
        c->nbuf = 0;
    }
    while (n >= 64) {
        sha256_block(c->h, p);
        p += 64;
        n -= 64;
    }
    memcpy(c->buf, p, n);
    c->nbuf = n;
}

void warc_sha256_final(warc_sha256 *c, unsigned char out[32])
{
    uint64_t bits = c->len * 8;
    unsigned char pad = 0x80;
    warc_sha256_update(c, &pad, 1);
    unsigned char zero = 0;
    while (c->nbuf != 56) warc_sha256_update(c, &zero, 1);
    unsigned char L[8];
    for (int i = 0; i < 8; i++) L[i] = (unsigned char)(bits >> (56 - 8 * i));
    warc_sha256_update(c, L, 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (unsigned char)(c->h[i] >> 24);
        out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
        out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
        out[4 * i + 3] = (unsigned char)c->h[i];
    }
}

void warc_sha256_hex(const void *p, size_t n, char out[65])
{
    warc_sha256 c;
    unsigned char d[32];
    warc_sha256_init(&c);
    warc_sha256_update(&c, p, n);
    warc_sha256_final(&c, d);
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* ------------------------------------------------------------------ writer */

struct warc_writer {
    FILE *f;
    char *path, *tmp;
    int gzip;
    sbuf rec;
    unsigned char *z;
    size_t zcap;
};

warc_writer *warc_writer_create(const char *path, int gzip, cd_err *e)
{
    warc_writer *w = xcalloc(1, sizeof *w);
    w->path = xstrdup(path);
    w->tmp = xasprintf("%s.tmp", path);
    w->gzip = gzip;
    w->f = fopen(w->tmp, "wb");
    if (!w->f) {
        cd_fail(e, CD_EIO, "%s: %s", w->tmp, strerror(errno));
        free(w->path);
        free(w->tmp);
        free(w);
        return NULL;
    }
    return w;
}

int warc_writer_write(warc_writer *w, const char *type, const char *target_uri, const char *date,
                      const char *content_type, const char *const *fields, const void *block, size_t len,
                      cd_err *e)
{
    warc_sha256 c;
    unsigned char d[32];
    warc_sha256_init(&c);
    warc_sha256_update(&c, type, strlen(type) + 1);
    if (target_uri) warc_sha256_update(&c, target_uri, strlen(target_uri) + 1);
    warc_sha256_update(&c, date, strlen(date) + 1);
    warc_sha256_update(&c, block, len);
    warc_sha256_final(&c, d);
    sbuf_reset(&w->rec);
    sbuf_printf(&w->rec, "WARC/1.1\r\nWARC-Type: %s\r\n", type);
    sbuf_printf(&w->rec,
                "WARC-Record-ID: <urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x>\r\n",
                d[0], d[1], d[2], d[3], d[4], d[5], (d[6] & 0x0f) | 0x50, d[7], (d[8] & 0x3f) | 0x80, d[9], d[10],
                d[11], d[12], d[13], d[14], d[15]);
    sbuf_printf(&w->rec, "WARC-Date: %s\r\n", date);
    if (target_uri) sbuf_printf(&w->rec, "WARC-Target-URI: %s\r\n", target_uri);
    for (size_t i = 0; fields && fields[i]; i += 2) sbuf_printf(&w->rec, "%s: %s\r\n", fields[i], fields[i + 1]);
    if (content_type) sbuf_printf(&w->rec, "Content-Type: %s\r\n", content_type);
    sbuf_printf(&w->rec, "Content-Length: %zu\r\n\r\n", len);
    sbuf_append(&w->rec, block, len);
    sbuf_append(&w->rec, "\r\n\r\n", 4);
    const void *out = w->rec.data;
    size_t outlen = w->rec.len;
    if (w->gzip) {
        z_stream z;
        memset(&z, 0, sizeof z);
        if (deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY) != Z_OK) cd_die("zlib: deflateInit2");
        size_t bound = deflateBound(&z, (uLong)w->rec.len) + 64;
        if (bound > w->zcap) {
            w->zcap = bound;
            w->z = xrealloc(w->z, bound);
        }
        z.next_in = (unsigned char *)w->rec.data;
        z.avail_in = (uInt)w->rec.len;
        z.next_out = w->z;
        z.avail_out = (uInt)w->zcap;
        int rc = deflate(&z, Z_FINISH);
        outlen = w->zcap - z.avail_out;
        deflateEnd(&z);
        if (rc != Z_STREAM_END) return cd_fail(e, CD_EINTERNAL, "%s: deflate failed", w->path);
        out = w->z;
    }
    if (fwrite(out, 1, outlen, w->f) != outlen) return cd_fail(e, CD_EIO, "%s: write: %s", w->tmp, strerror(errno));
    return 0;
}

int warc_writer_close(warc_writer *w, cd_err *e)
{
    int rc = 0;
    if (fclose(w->f) != 0) rc = cd_fail(e, CD_EIO, "%s: %s", w->tmp, strerror(errno));
    if (!rc && rename(w->tmp, w->path) != 0) rc = cd_fail(e, CD_EIO, "rename %s: %s", w->path, strerror(errno));
    if (rc) remove(w->tmp);
    sbuf_free(&w->rec);
    free(w->z);
    free(w->path);
    free(w->tmp);
    free(w);
    return rc;
}

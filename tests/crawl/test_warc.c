/*
 * test_warc.c: the WARC reader on hand-written edge cases: folded headers,
 * chunked bodies, charsets, a corrupt gzip member, a truncated file, an
 * oversized header, lying Content-Lengths, a gzip bomb, garbage, byte-at-a-
 * time input; and SHA-256 against the FIPS 180-2 test vectors.
 */
#include "crawl/warc.h"
#include "tests/test.h"

#include <zlib.h>

/* ------------------------------------------------------------- helpers */

typedef struct mem_src {
    const unsigned char *p;
    size_t n, pos, chunk;
} mem_src;

static ssize_t mem_read(void *ctx, void *buf, size_t n, cd_err *e)
{
    (void)e;
    mem_src *m = ctx;
    size_t k = m->n - m->pos;
    if (k > n) k = n;
    if (m->chunk && k > m->chunk) k = m->chunk;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    return (ssize_t)k;
}

static void mem_close(void *ctx) { free(ctx); }

static warc_reader *open_mem(const void *p, size_t n, size_t chunk, const warc_limits *lim)
{
    mem_src *m = xcalloc(1, sizeof *m);
    m->p = p;
    m->n = n;
    m->chunk = chunk;
    io_source src = {m, mem_read, mem_close, "mem"};
    cd_err e;
    warc_reader *r = warc_reader_open_source(src, "mem", 0, lim, &e);
    warc_reader_set_quiet(r, 1);
    return r;
}

static void gz_append(sbuf *out, const void *p, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    size_t bound = deflateBound(&z, (uLong)n) + 32;
    sbuf_reserve(out, bound);
    z.next_in = (unsigned char *)p;
    z.avail_in = (uInt)n;
    z.next_out = (unsigned char *)out->data + out->len;
    z.avail_out = (uInt)bound;
    deflate(&z, Z_FINISH);
    out->len += bound - z.avail_out;
    deflateEnd(&z);
}

static char *record(const char *type, const char *uri, const char *extra, const char *block, size_t blen)
{
    sbuf s = SBUF_INIT;
    sbuf_printf(&s, "WARC/1.1\r\nWARC-Type: %s\r\nWARC-Record-ID: <urn:uuid:%s>\r\nWARC-Target-URI: %s\r\n%s"
                    "Content-Length: %zu\r\n\r\n", type, uri, uri, extra ? extra : "", blen);
    sbuf_append(&s, block, blen);
    sbuf_append(&s, "\r\n\r\n", 4);
    return sbuf_detach(&s, NULL);
}

/* Reads every record; returns the count and the URIs joined by spaces. */
static int read_all(warc_reader *r, sbuf *uris)
{
    warc_record rec;
    cd_err e;
    int n = 0, rc;
    sbuf_reset(uris);
    while ((rc = warc_reader_next(r, &rec, &e)) == 1) {
        if (n) sbuf_putc(uris, ' ');
        sbuf_puts(uris, rec.target_uri);
        n++;
    }
    CHECK(rc == 0);
    return n;
}

static void gz_records(sbuf *out, int n, uint64_t *offsets)
{
    for (int i = 0; i < n; i++) {
        char uri[32], body[64];
        snprintf(uri, sizeof uri, "u%d", i);
        int bl = snprintf(body, sizeof body, "body of record %d", i);
        char *r = record("resource", uri, NULL, body, (size_t)bl);
        if (offsets) offsets[i] = out->len;
        gz_append(out, r, strlen(r));
        free(r);
    }
}

/* --------------------------------------------------------------- tests */

TEST(warc_sha256_vectors)
{
    char hex[65];
    warc_sha256_hex("abc", 3, hex);
    CHECK_STR_EQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    warc_sha256_hex("", 0, hex);
    CHECK_STR_EQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    warc_sha256_hex(m, strlen(m), hex);
    CHECK_STR_EQ(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    warc_sha256 c;
    warc_sha256_init(&c);
    char a[1000];
    memset(a, 'a', sizeof a);
    for (int i = 0; i < 1000; i++) warc_sha256_update(&c, a, sizeof a);
    unsigned char d[32];
    warc_sha256_final(&c, d);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
    CHECK_STR_EQ(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(warc_folded_headers_and_versions)
{
    const char *in = "WARC/1.0\r\nWARC-Type: resource\r\nX-Folded: first\r\n   second\r\n\tthird  \r\n"
                     "WARC-Target-URI: <http://old.example/>\r\nContent-Length: 3\r\n\r\nabc\r\n\r\n"
                     "\r\n"   /* a stray blank line between records */
                     "WARC/1.1\nWARC-Type: metadata\nContent-Length: 2\n\nxy\n\n";
    warc_reader *r = open_mem(in, strlen(in), 0, NULL);
    warc_record rec;
    cd_err e;
    CHECK_INT_EQ(warc_reader_next(r, &rec, &e), 1);
    CHECK_STR_EQ(rec.version, "WARC/1.0");
    CHECK_STR_EQ(warc_record_field(&rec, "x-folded"), "first second third");
    CHECK_STR_EQ(rec.target_uri, "http://old.example/");
    CHECK_INT_EQ(rec.type, WARC_RESOURCE);
    CHECK_MEM_EQ(rec.block, rec.content_length, "abc", 3);
    CHECK_INT_EQ(rec.offset, 0);
    CHECK_INT_EQ(warc_reader_next(r, &rec, &e), 1);
    CHECK_STR_EQ(rec.version, "WARC/1.1");
    CHECK_INT_EQ(rec.type, WARC_METADATA);
    CHECK_MEM_EQ(rec.block, rec.content_length, "xy", 2);
    CHECK_INT_EQ(warc_reader_next(r, &rec, &e), 0);
    CHECK_INT_EQ(warc_reader_stats(r)->garbage, 0);
    warc_reader_close(r);
}

TEST(warc_http_chunked_and_dechunked)
{
    warc_scratch s;
    memset(&s, 0, sizeof s);
    warc_http h;
    const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Long: a\r\n b \t\r\n\tc\r\n\r\n"
                          "4\r\nWiki\r\n6;ext=1\r\npedia \r\nD\r\nin\r\n\r\nchunks.\r\n0\r\n\r\n";
    CHECK_INT_EQ(warc_http_parse((const unsigned char *)chunked, strlen(chunked), &s, &h), 0);
    CHECK_INT_EQ(h.status, 200);
    CHECK(h.was_chunked);
    CHECK_MEM_EQ(h.body, h.body_len, "Wikipedia in\r\n\r\nchunks.", 23);
    CHECK_STR_EQ(warc_http_header(&h, "x-long"), "a b c");   /* folded as WARC headers are */
    /* CommonCrawl keeps the header but stores the body de-chunked. */
    const char *cc = "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n<html>plain body</html>";
    CHECK_INT_EQ(warc_http_parse((const unsigned char *)cc, strlen(cc), &s, &h), 0);
    CHECK_INT_EQ(h.status, 404);
    CHECK(!h.was_chunked);
    CHECK_MEM_EQ(h.body, h.body_len, "<html>plain body</html>", 23);
    CHECK_INT_EQ(warc_http_parse((const unsigned char *)"not http at all", 15, &s, &h), -1);
    warc_scratch_free(&s);
}

TEST(warc_http_content_encoding)
{
    warc_scratch s;
    memset(&s, 0, sizeof s);
    const char *html = "<html><body>compressed page body, compressed page body</body></html>";
    sbuf blk = SBUF_INIT;
    sbuf_puts(&blk, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: text/html\r\n\r\n");
    gz_append(&blk, html, strlen(html));
    warc_http h;
    CHECK_INT_EQ(warc_http_parse((const unsigned char *)blk.data, blk.len, &s, &h), 0);
    CHECK_INT_EQ(warc_http_decode(&h, &s, 1 << 20), 1);
    CHECK_MEM_EQ(h.body, h.body_len, html, strlen(html));
    /* Capped: a bomb keeps only max bytes. */
    CHECK_INT_EQ(warc_http_parse((const unsigned char *)blk.data, blk.len, &s, &h), 0);
    CHECK_INT_EQ(warc_http_decode(&h, &s, 10), 1);
    CHECK_INT_EQ(h.body_len, 10);
    /* Not actually compressed (CommonCrawl keeps the header sometimes). */
    const char *plain = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n<html>plain</html>";
    CHECK_INT_EQ(warc_http_parse((const unsigned char *)plain, strlen(plain), &s, &h), 0);
    CHECK_INT_EQ(warc_http_decode(&h, &s, 1 << 20), -1);
    CHECK_MEM_EQ(h.body, h.body_len, "<html>plain</html>", 18);
    sbuf_free(&blk);
    warc_scratch_free(&s);
}

TEST(warc_charsets)
{
    warc_scratch s;
    memset(&s, 0, sizeof s);
    char cs[64];
    /* From the HTTP header. */
    const unsigned char latin1[] = "caf\xe9 na\xefve";
    warc_detect_charset("text/html; charset=ISO-8859-1", latin1, sizeof latin1 - 1, cs, sizeof cs);
    CHECK_STR_EQ(cs, "windows-1252");
    CHECK_INT_EQ(warc_to_utf8(cs, latin1, sizeof latin1 - 1, &s), 0);
    CHECK_STR_EQ(s.conv.data, "caf\xc3\xa9 na\xc3\xafve");
    /* From <meta charset>, quoted, when the header has none. */
    const char *ru = "<html><head><meta charset=\"windows-1251\"></head><body>\xcf\xf0\xe8\xe2\xe5\xf2</body></html>";
    warc_detect_charset("text/html", (const unsigned char *)ru, strlen(ru), cs, sizeof cs);
    CHECK_STR_EQ(cs, "windows-1251");
    warc_to_utf8(cs, (const unsigned char *)ru, strlen(ru), &s);
    CHECK(strstr(s.conv.data, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82") != NULL); /* Привет */
    /* http-equiv form. */
    const char *sj = "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\">\x93\xfa\x96\x7b";
    warc_detect_charset(NULL, (const unsigned char *)sj, strlen(sj), cs, sizeof cs);
    CHECK_STR_EQ(cs, "shift_jis");
    warc_to_utf8(cs, (const unsigned char *)sj, strlen(sj), &s);
    CHECK(strstr(s.conv.data, "\xe6\x97\xa5\xe6\x9c\xac") != NULL); /* 日本 */
    /* Sniffing: valid UTF-8 stays UTF-8; invalid becomes windows-1252. */
    warc_detect_charset(NULL, (const unsigned char *)"<p>\xc3\xa9t\xc3\xa9</p>", 12, cs, sizeof cs);
    CHECK_STR_EQ(cs, "utf-8");
    warc_detect_charset(NULL, (const unsigned char *)"<p>\x93quoted\x94</p>", 14, cs, sizeof cs);
    CHECK_STR_EQ(cs, "windows-1252");
    warc_to_utf8(cs, (const unsigned char *)"\x93q\x94", 3, &s);
    CHECK_STR_EQ(s.conv.data, "\xe2\x80\x9cq\xe2\x80\x9d");
    /* UTF-16LE with a BOM. */
    const unsigned char u16[] = {0xFF, 0xFE, 'h', 0, 'i', 0};
    warc_detect_charset(NULL, u16, sizeof u16, cs, sizeof cs);
    CHECK_STR_EQ(cs, "utf-16le");
    warc_to_utf8(cs, u16, sizeof u16, &s);
    CHECK_STR_EQ(s.conv.data, "hi");
    /* Invalid bytes in a declared UTF-8 page become U+FFFD. */
    warc_to_utf8("utf-8", (const unsigned char *)"a\xffz", 3, &s);
    CHECK_STR_EQ(s.conv.data, "a\xef\xbf\xbdz");
    /* An unknown label fails so the caller can sniff instead. */
    CHECK_INT_EQ(warc_to_utf8("x-no-such-charset", (const unsigned char *)"abc", 3, &s), -1);
    warc_scratch_free(&s);
}

TEST(warc_offsets_per_record_gzip_byte_at_a_time)
{
    sbuf f = SBUF_INIT, u = SBUF_INIT;
    uint64_t off[5];
    gz_records(&f, 5, off);
    for (int pass = 0; pass < 2; pass++) {
        warc_reader *r = open_mem(f.data, f.len, pass ? 1 : 0, NULL);
        warc_record rec;
        cd_err e;
        for (int i = 0; i < 5; i++) {
            CHECK_INT_EQ(warc_reader_next(r, &rec, &e), 1);
            CHECK_INT_EQ(rec.offset, off[i]);
            CHECK(rec.offset_exact);
            /* Byte at a time, the member's trailer may not be read yet when
             * its record is complete: the length is then unknown (0). */
            if (!pass || rec.compressed_length)
                CHECK_INT_EQ(rec.compressed_length, (i < 4 ? off[i + 1] : f.len) - off[i]);
        }
        CHECK_INT_EQ(warc_reader_next(r, &rec, &e), 0);
        CHECK_INT_EQ(warc_reader_stats(r)->members, 5);
        warc_reader_close(r);
    }
    sbuf_free(&f);
    sbuf_free(&u);
}

TEST(warc_corrupt_member_resync)
{
    sbuf f = SBUF_INIT, u = SBUF_INIT;
    uint64_t off[4];
    gz_records(&f, 4, off);
    /* Damage the deflate data of record 1 (past its 10-byte gzip header). */
    for (uint64_t k = off[1] + 12; k < off[1] + 20; k++) f.data[k] ^= 0x5a;
    warc_reader *r = open_mem(f.data, f.len, 0, NULL);
    CHECK_INT_EQ(read_all(r, &u), 3);
    CHECK_STR_EQ(u.data, "u0 u2 u3");
    CHECK(warc_reader_stats(r)->corrupt_gzip >= 1);
    warc_reader_close(r);
    /* A bad CRC in the trailer of record 2 is caught too. */
    sbuf_reset(&f);
    gz_records(&f, 4, off);
    f.data[off[3] - 8] ^= 1;
    r = open_mem(f.data, f.len, 0, NULL);
    CHECK_INT_EQ(read_all(r, &u), 3);
    CHECK_STR_EQ(u.data, "u0 u1 u3");
    CHECK_INT_EQ(warc_reader_stats(r)->corrupt_gzip, 1);
    warc_reader_close(r);
    sbuf_free(&f);
    sbuf_free(&u);
}

TEST(warc_truncated_file)
{
    sbuf f = SBUF_INIT, u = SBUF_INIT;
    uint64_t off[3];
    gz_records(&f, 3, off);
    size_t cut = (size_t)(off[2] + (f.len - off[2]) / 2);
    warc_reader *r = open_mem(f.data, cut, 0, NULL);
    CHECK_INT_EQ(read_all(r, &u), 2);
    CHECK_STR_EQ(u.data, "u0 u1");
    CHECK_INT_EQ(warc_reader_stats(r)->truncated, 1);
    warc_reader_close(r);
    /* Uncompressed, cut inside the block. */
    char *a = record("resource", "a", NULL, "0123456789", 10);
    char *b = record("resource", "b", NULL, "0123456789", 10);
    sbuf p = SBUF_INIT;
    sbuf_puts(&p, a);
    sbuf_puts(&p, b);
    r = open_mem(p.data, p.len - 9, 0, NULL);
    CHECK_INT_EQ(read_all(r, &u), 1);
    CHECK_INT_EQ(warc_reader_stats(r)->truncated, 1);
    warc_reader_close(r);
    free(a);
    free(b);
    sbuf_free(&p);
    sbuf_free(&f);
    sbuf_free(&u);
}

TEST(warc_oversized_header_and_record)
{
    sbuf big = SBUF_INIT, f = SBUF_INIT, u = SBUF_INIT;
    for (int i = 0; i < 200; i++) sbuf_printf(&big, "X-Filler-%d: %0100d\r\n", i, i);
    char *a = record("resource", "a", big.data, "x", 1);
    char *b = record("resource", "b", NULL, "y", 1);
    char *c = record("resource", "c", NULL, "0123456789012345678901234567890123456789", 40);
    sbuf_puts(&f, a);
    sbuf_puts(&f, b);
    sbuf_puts(&f, c);
    sbuf_puts(&f, b);
    warc_limits lim;
    warc_limits_default(&lim);
    lim.max_header = 4096;
    lim.max_record = 16;
    warc_reader *r = open_mem(f.data, f.len, 0, &lim);
    CHECK_INT_EQ(read_all(r, &u), 2);
    CHECK_STR_EQ(u.data, "b b");
    CHECK_INT_EQ(warc_reader_stats(r)->oversized_header, 1);
    CHECK_INT_EQ(warc_reader_stats(r)->oversized_record, 1);
    warc_reader_close(r);
    free(a);
    free(b);
    free(c);
    sbuf_free(&big);
    sbuf_free(&f);
    sbuf_free(&u);
}

TEST(warc_lying_content_length)
{
    sbuf f = SBUF_INIT, u = SBUF_INIT;
    /* Per-record gzip: the middle record claims 5000 bytes but has 10. */
    char *a = record("resource", "a", NULL, "0123456789", 10);
    char *b = record("resource", "b", NULL, "0123456789", 10);
    char *c = record("resource", "c", NULL, "0123456789", 10);
    char *lie = strstr(b, "Content-Length: 10");
    memcpy(lie, "Content-Length: 50", 18);
    gz_append(&f, a, strlen(a));
    gz_append(&f, b, strlen(b));
    gz_append(&f, c, strlen(c));
    warc_reader *r = open_mem(f.data, f.len, 0, NULL);
    CHECK_INT_EQ(read_all(r, &u), 2);
    CHECK_STR_EQ(u.data, "a c");
    CHECK_INT_EQ(warc_reader_stats(r)->bad_content_length, 1);
    warc_reader_close(r);
    /* Huge claim (past max_record) in per-record gzip: skipped to c. */
    char *b2 = xasprintf("WARC/1.1\r\nWARC-Type: resource\r\nWARC-Target-URI: b\r\nContent-Length: 99999999999\r\n\r\nshort\r\n\r\n");
    sbuf_reset(&f);
    gz_append(&f, a, strlen(a));
    gz_append(&f, b2, strlen(b2));
    gz_append(&f, c, strlen(c));
    r = open_mem(f.data, f.len, 0, NULL);
    CHECK_INT_EQ(read_all(r, &u), 2);
    CHECK_STR_EQ(u.data, "a c");
    warc_reader_close(r);
    /* Uncompressed: a record claiming fewer bytes than it has, and garbage. */
    sbuf p = SBUF_INIT;
    char *b3 = xstrdup(b);
    memcpy(strstr(b3, "Content-Length: 50"), "Content-Length: 04", 18);
    sbuf_puts(&p, a);
    sbuf_puts(&p, b3);
    sbuf_puts(&p, "some garbage that is not a record\r\n");
    sbuf_puts(&p, c);
    r = open_mem(p.data, p.len, 0, NULL);
    CHECK_INT_EQ(read_all(r, &u), 2);
    CHECK_STR_EQ(u.data, "a c");
    CHECK_INT_EQ(warc_reader_stats(r)->bad_content_length, 1);
    warc_reader_close(r);
    /* A record without Content-Length. */
    sbuf_reset(&p);
    sbuf_puts(&p, "WARC/1.1\r\nWARC-Type: resource\r\n\r\nabc\r\n\r\n");
    sbuf_puts(&p, c);
    r = open_mem(p.data, p.len, 0, NULL);
    CHECK_INT_EQ(read_all(r, &u), 1);
    CHECK_STR_EQ(u.data, "c");
    CHECK_INT_EQ(warc_reader_stats(r)->bad_content_length, 1);
    warc_reader_close(r);
    free(a);
    free(b);
    free(b2);
    free(b3);
    free(c);
    sbuf_free(&p);
    sbuf_free(&f);
    sbuf_free(&u);
}

TEST(warc_gzip_bomb_and_garbage_between_members)
{
    size_t n = 40u << 20;
    char *zeros = xcalloc(1, n);
    memcpy(zeros, "WARC/1.1\r\nContent-Length: 99\r\n\r\n", 32);
    sbuf f = SBUF_INIT, u = SBUF_INIT;
    char *a = record("resource", "a", NULL, "0123456789", 10);
    char *c = record("resource", "c", NULL, "0123456789", 10);
    gz_append(&f, a, strlen(a));
    gz_append(&f, zeros, n);
    sbuf_puts(&f, "junk between members");
    gz_append(&f, c, strlen(c));
    free(zeros);
    CHECK(f.len < n / 100);
    warc_reader *r = open_mem(f.data, f.len, 0, NULL);
    CHECK_INT_EQ(read_all(r, &u), 2);
    CHECK_STR_EQ(u.data, "a c");
    CHECK_INT_EQ(warc_reader_stats(r)->gzip_bomb, 1);
    CHECK(warc_reader_stats(r)->garbage >= 1);
    CHECK(warc_reader_stats(r)->bytes_out < (20u << 20));
    warc_reader_close(r);
    free(a);
    free(c);
    sbuf_free(&f);
    sbuf_free(&u);
}

TEST(warc_snapshot_names)
{
    char s[64];
    CHECK_INT_EQ(warc_snapshot_from_path("https://data.commoncrawl.org/crawl-data/CC-MAIN-2025-26/segments/x.warc.gz", s, sizeof s), 0);
    CHECK_STR_EQ(s, "CC-MAIN-2025-26");
    CHECK_INT_EQ(warc_snapshot_from_path("/tmp/CC-MAIN-20250101-x.warc.gz", s, sizeof s), -1);
    CHECK_INT_EQ(warc_snapshot_from_path("local.warc.gz", s, sizeof s), -1);
}

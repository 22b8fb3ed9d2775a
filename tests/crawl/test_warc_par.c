/*
 * test_warc_par.c: the parallel (speculative member) inflate of the WARC
 * reader gives exactly what the serial reader gives: the same records (type,
 * URI, offset, compressed length, block bytes) and the same counters, on
 * generated per-record-gzip files of several MiB with corrupt members,
 * garbage between members, a member whose compressed bytes hold a complete
 * fake gzip member, members bigger than a worker's overlap, bombs and
 * truncated tails; and it really serves members on clean input. The serial
 * reader is the reference; test_warc.c checks it against hand-made cases
 * and tests/crawl/warcio_test.sh against warcio.
 */
#include "crawl/warc.h"
#include "tests/test.h"

#include <zlib.h>

typedef struct msrc {
    const unsigned char *p;
    size_t n, pos, chunk;
} msrc;

static ssize_t m_read(void *ctx, void *buf, size_t n, cd_err *e)
{
    (void)e;
    msrc *m = ctx;
    size_t k = m->n - m->pos;
    if (k > n) k = n;
    if (m->chunk && k > m->chunk) k = m->chunk;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    return (ssize_t)k;
}

static void m_close(void *ctx) { free(ctx); }

static void gz(sbuf *out, const void *p, size_t n, int level)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    size_t bound = deflateBound(&z, (uLong)n) + 64;
    sbuf_reserve(out, bound);
    z.next_in = (unsigned char *)p;
    z.avail_in = (uInt)n;
    z.next_out = (unsigned char *)out->data + out->len;
    z.avail_out = (uInt)bound;
    deflate(&z, Z_FINISH);
    out->len += bound - z.avail_out;
    deflateEnd(&z);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A record whose block is `n` bytes of words (compresses ~2-3x) or, when
 * raw, `n` random bytes (does not compress). */
static void add_record(sbuf *f, int i, size_t n, int raw, int level, uint64_t *off)
{
    sbuf b = SBUF_INIT, r = SBUF_INIT;
    static const char *const words[] = {"alpha ", "beta ", "gamma ", "<div> ", "</p>\n", "data ", "x1 ", "crawl "};
    while (b.len < n) {
        if (raw) {
            unsigned char c = (unsigned char)next_rand();
            sbuf_append(&b, &c, 1);
        } else {
            sbuf_puts(&b, words[next_rand() % 8]);
            if (next_rand() % 4 == 0) sbuf_printf(&b, "%llu ", (unsigned long long)(next_rand() % 100000));
        }
    }
    b.len = n;
    sbuf_printf(&r, "WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: http://e.com/%d\r\n"
                    "Content-Length: %zu\r\n\r\n", i, n);
    sbuf_append(&r, b.data, b.len);
    sbuf_append(&r, "\r\n\r\n", 4);
    if (off) *off = f->len;
    gz(f, r.data, r.len, level);
    sbuf_free(&b);
    sbuf_free(&r);
}

/* Everything the reader returns, as one string, plus the counters. */
static uint64_t read_digest(const sbuf *f, size_t len, size_t chunk, int threads, const warc_limits *base,
                            sbuf *out, warc_stats *st)
{
    msrc *m = xcalloc(1, sizeof *m);
    m->p = (const unsigned char *)f->data;
    m->n = len;
    m->chunk = chunk;
    io_source src = {m, m_read, m_close, "mem"};
    warc_limits lim;
    if (base) lim = *base;
    else warc_limits_default(&lim);
    lim.threads = threads;
    cd_err e;
    warc_reader *r = warc_reader_open_source(src, "mem", 0, &lim, &e);
    warc_reader_set_quiet(r, 1);
    warc_record rec;
    int rc;
    sbuf_reset(out);
    while ((rc = warc_reader_next(r, &rec, &e)) == 1) {
        uLong crc = crc32(0, rec.block, (uInt)rec.content_length);
        sbuf_printf(out, "%s %s %llu %d %llu %llu %08lx\n", rec.type_name, rec.target_uri,
                    (unsigned long long)rec.offset, rec.offset_exact, (unsigned long long)rec.compressed_length,
                    (unsigned long long)rec.content_length, (unsigned long)crc);
    }
    sbuf_printf(out, "rc=%d offset=%llu\n", rc, (unsigned long long)warc_reader_offset(r));
    *st = *warc_reader_stats(r);
    uint64_t par = warc_reader_parallel_members(r);
    warc_reader_close(r);
    return par;
}

/* Serial vs 3 threads, whole reads and odd-sized reads. Returns the
 * members served in parallel (whole reads). */
static uint64_t same_as_serial(const sbuf *f, size_t len, const warc_limits *lim)
{
    sbuf a = SBUF_INIT, b = SBUF_INIT;
    warc_stats sa, sb;
    uint64_t served = 0;
    static const size_t chunks[] = {0, 70001};
    for (size_t c = 0; c < 2; c++) {
        CHECK_INT_EQ(read_digest(f, len, chunks[c], 1, lim, &a, &sa), 0);
        for (int t = 3; t <= 3; t++) {
            uint64_t p = read_digest(f, len, chunks[c], t, lim, &b, &sb);
            if (c == 0) served = p;
            CHECK_MSG(a.len == b.len && !memcmp(a.data, b.data, a.len), "records differ (threads %d, chunk %zu)", t,
                      chunks[c]);
            const uint64_t *x = (const uint64_t *)&sa, *y = (const uint64_t *)&sb;
            /* Around a bomb, bytes_out (what the refused member produced
             * before the limit check caught it) and oversized_record (whether
             * the parser saw the header of the record it held first) depend
             * on the read sizes even serially (chunk 0 vs 70001 differ);
             * every other counter must match. */
            for (size_t i = 0; i < sizeof sa / sizeof *x; i++)
                if (!(sa.gzip_bomb && (&x[i] == &sa.bytes_out || &x[i] == &sa.oversized_record))) CHECK_MSG(x[i] == y[i], "counter %zu differs (threads %d, chunk %zu): %llu vs %llu", i, t, chunks[c],
                          (unsigned long long)x[i], (unsigned long long)y[i]);
        }
    }
    sbuf_free(&a);
    sbuf_free(&b);
    return served;
}

static void clean_file(sbuf *f, int n, uint64_t *off)
{
    sbuf_reset(f);
    rng = 88172645463325252ull;
    for (int i = 0; i < n; i++) add_record(f, i, 2000 + (size_t)(next_rand() % 60000), next_rand() % 8 == 0, 6,
                                           off ? &off[i] : NULL);
}

TEST(warc_par_clean_file_is_served_in_parallel)
{
    sbuf f = SBUF_INIT;
    clean_file(&f, 400, NULL);
    CHECK(f.len > (3u << 20));
    uint64_t served = same_as_serial(&f, f.len, NULL);
    /* The first MiB is read serially; nearly every later member is served. */
    CHECK_MSG(served > 250, "only %llu members served in parallel", (unsigned long long)served);
    sbuf_free(&f);
}

TEST(warc_par_corrupt_members_garbage_and_truncation)
{
    sbuf f = SBUF_INIT, g = SBUF_INIT;
    uint64_t off[400];
    clean_file(&f, 400, off);
    /* Corrupt deflate data in a few members, a CRC error in another. */
    for (int i = 150; i < 400; i += 61)
        for (uint64_t k = off[i] + 20; k < off[i] + 28; k++) f.data[k] ^= 0x5a;
    f.data[off[201] - 5] ^= 1;
    /* Garbage between members (one run with a bare gzip magic in it). */
    sbuf_append(&g, f.data, (size_t)off[250]);
    sbuf_puts(&g, "junk between members \x1f\x8b\x08 more junk");
    sbuf_append(&g, f.data + off[250], (size_t)(off[300] - off[250]));
    for (int i = 0; i < 3000; i++) sbuf_putc(&g, (char)next_rand());
    sbuf_append(&g, f.data + off[300], f.len - (size_t)off[300]);
    same_as_serial(&g, g.len, NULL);
    /* Truncated: inside the last member, inside a middle one, at a boundary. */
    same_as_serial(&g, g.len - 100, NULL);
    same_as_serial(&f, (size_t)off[350] + 1000, NULL);
    same_as_serial(&f, (size_t)off[320], NULL);
    sbuf_free(&f);
    sbuf_free(&g);
}

TEST(warc_par_fake_member_inside_a_member)
{
    /* A record whose block holds complete gzip members, stored (level 0) so
     * that their bytes appear verbatim in the outer member's compressed
     * bytes: the workers find and inflate them, the reader must not take
     * them. */
    sbuf f = SBUF_INIT, inner = SBUF_INIT, rec = SBUF_INIT;
    clean_file(&f, 200, NULL);
    rng = 7;
    for (int i = 0; i < 20; i++) add_record(&inner, 9000 + i, 3000, 0, 6, NULL);
    sbuf_printf(&rec, "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Target-URI: http://fake/\r\n"
                      "Content-Length: %zu\r\n\r\n", inner.len);
    sbuf_append(&rec, inner.data, inner.len);
    sbuf_append(&rec, "\r\n\r\n", 4);
    gz(&f, rec.data, rec.len, 0);
    size_t tail_start = f.len;
    for (int i = 0; i < 300; i++) add_record(&f, 500 + i, 5000 + (size_t)(next_rand() % 20000), 0, 6, NULL);
    CHECK(f.len > tail_start + (1u << 20));
    uint64_t served = same_as_serial(&f, f.len, NULL);
    CHECK(served > 100);
    sbuf_free(&f);
    sbuf_free(&inner);
    sbuf_free(&rec);
}

TEST(warc_par_big_members_and_bombs)
{
    sbuf f = SBUF_INIT;
    rng = 99;
    clean_file(&f, 100, NULL);
    /* Members bigger than a worker's overlap (256 KiB compressed). */
    add_record(&f, 1000, 700000, 1, 1, NULL);
    for (int i = 0; i < 50; i++) add_record(&f, 2000 + i, 30000, 0, 6, NULL);
    add_record(&f, 1001, 3000000, 1, 1, NULL);
    /* Bombs under small limits: 4 MiB of zeros in one member. */
    size_t zn = 4u << 20;
    char *z = xcalloc(1, zn + 200);
    int h = snprintf(z, 200, "WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: %zu\r\n\r\n", zn);
    gz(&f, z, (size_t)h + zn, 6);
    free(z);
    for (int i = 0; i < 60; i++) add_record(&f, 3000 + i, 40000, 0, 6, NULL);
    warc_limits lim;
    warc_limits_default(&lim);
    same_as_serial(&f, f.len, &lim);
    lim.ratio_floor = 1u << 20;   /* the zeros member is a bomb */
    same_as_serial(&f, f.len, &lim);
    lim.max_member = 100000;      /* so are the big records */
    lim.max_record = 50000;
    same_as_serial(&f, f.len, &lim);
    sbuf_free(&f);
}

TEST(warc_par_whole_file_gzip_and_plain)
{
    sbuf f = SBUF_INIT, g = SBUF_INIT, p = SBUF_INIT;
    clean_file(&f, 150, NULL);
    /* The same records inflated: as one whole-file gzip, and plain. */
    z_stream z;
    memset(&z, 0, sizeof z);
    inflateInit2(&z, 31);
    size_t cap = f.len * 20;
    sbuf_reserve(&p, cap);
    z.next_in = (unsigned char *)f.data;
    z.avail_in = (uInt)f.len;
    z.next_out = (unsigned char *)p.data;
    z.avail_out = (uInt)cap;
    int rc;
    while ((rc = inflate(&z, Z_NO_FLUSH)) == Z_STREAM_END && z.avail_in) inflateReset(&z);
    p.len = cap - z.avail_out;
    inflateEnd(&z);
    CHECK(p.len > f.len);
    gz(&g, p.data, p.len, 1);
    CHECK_INT_EQ(same_as_serial(&g, g.len, NULL), 0);
    CHECK_INT_EQ(same_as_serial(&p, p.len, NULL), 0);
    sbuf_free(&f);
    sbuf_free(&g);
    sbuf_free(&p);
}

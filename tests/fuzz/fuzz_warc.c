/* fuzz_warc.c: the WARC reader, the HTTP parser and the charset code on
 * hostile input. The input is read whole and again one small chunk at a
 * time (a different byte-source shape must not change the records); both
 * raw and as one gzip member; and each read serially and with parallel
 * member inflate (3 threads, from the first member on), which must give the
 * same records whenever no member failed (what the serial path salvages from
 * a failing member depends on read sizes). Nothing may crash, leak or hang,
 * and every record must lie inside the bounds it claims. */
#include "crawl/warc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct src {
    const uint8_t *p;
    size_t n, pos, chunk;
} src;

static ssize_t rd(void *ctx, void *buf, size_t n, cd_err *e)
{
    (void)e;
    src *s = ctx;
    size_t k = s->n - s->pos;
    if (k > n) k = n;
    if (s->chunk && k > s->chunk) k = s->chunk;
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    return (ssize_t)k;
}

static void cl(void *ctx) { free(ctx); }

static uint64_t run(const uint8_t *data, size_t size, size_t chunk, int threads, int *failed, warc_scratch *sc)
{
    src *s = calloc(1, sizeof *s);
    s->p = data;
    s->n = size;
    s->chunk = chunk;
    io_source is = {s, rd, cl, "fuzz"};
    warc_limits lim;
    warc_limits_default(&lim);
    lim.max_header = 4096;
    lim.max_record = 1 << 16;
    lim.ratio_floor = 1 << 20;
    lim.threads = threads;
    lim.par_after = 0;
    cd_err e;
    warc_reader *r = warc_reader_open_source(is, "fuzz", 0, &lim, &e);
    warc_reader_set_quiet(r, 1);
    warc_record rec;
    uint64_t h = 0;
    while (warc_reader_next(r, &rec, &e) == 1) {
        if (rec.content_length > lim.max_record) abort();
        volatile uint8_t sink = 0;
        for (size_t i = 0; i < rec.content_length; i++) sink ^= rec.block[i];
        (void)sink;
        h = h * 31 + rec.offset + rec.content_length + rec.compressed_length * 7;
        for (size_t i = 0; i < rec.content_length; i++) h = h * 131 + rec.block[i];
        warc_http hp;
        if (warc_http_parse(rec.block, (size_t)rec.content_length, sc, &hp) == 0) {
            warc_http_decode(&hp, sc, 1 << 16);
            if (hp.body_len > (1u << 16) && hp.body == (const uint8_t *)sc->decoded.data) abort();
            char cs[64];
            warc_detect_charset(warc_http_header(&hp, "Content-Type"), hp.body, hp.body_len, cs, sizeof cs);
            warc_to_utf8(cs, hp.body, hp.body_len, sc);
        }
    }
    const warc_stats *st = warc_reader_stats(r);
    if (failed) *failed = st->corrupt_gzip || st->gzip_bomb || st->truncated;
    warc_reader_close(r);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    warc_scratch sc;
    memset(&sc, 0, sizeof sc);
    int fa = 0, fb = 0, fc = 0, fd = 0;
    uint64_t a = run(data, size, 0, 1, &fa, &sc);
    uint64_t b = run(data, size, 7, 1, &fb, &sc);
    uint64_t c = run(data, size, 0, 3, &fc, &sc);
    uint64_t d = run(data, size, 7, 3, &fd, &sc);
    if (!fa && !fc && a != c) abort();
    if (!fb && !fd && b != d) abort();
    /* Plain input: the chunking of the source must not matter. */
    if (size >= 2 && !(data[0] == 0x1f && data[1] == 0x8b) && a != b) abort();
    /* The same bytes as one gzip member. */
    uLongf n = compressBound((uLong)size) + 32;
    uint8_t *gz = malloc(n);
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (uint8_t *)data;
    z.avail_in = (uInt)size;
    z.next_out = gz;
    z.avail_out = (uInt)n;
    deflate(&z, Z_FINISH);
    size_t gl = n - z.avail_out;
    deflateEnd(&z);
    run(gz, gl, 0, 1, NULL, &sc);
    run(gz, gl, 7, 3, NULL, &sc);
    free(gz);
    char cs[64];
    warc_detect_charset(NULL, data, size, cs, sizeof cs);
    warc_to_utf8(cs, data, size, &sc);
    warc_scratch_free(&sc);
    return 0;
}

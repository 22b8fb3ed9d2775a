/* test_doc_io.c: document records and compressed streaming I/O. */
#include "core/doc.h"
#include "core/io.h"
#include "tests/test.h"

#include <unistd.h>

TEST(doc_roundtrip_keeps_unknown_fields)
{
    const char *line = "{\"text\":\"hi\",\"id\":\"x/1\",\"added\":\"2024-01-01\",\"source\":\"cc\","
                       "\"metadata\":{\"url\":\"http://a\",\"n\":3},\"version\":\"v1\"}";
    cd_err e;
    doc *d = doc_from_json(line, strlen(line), &e);
    CHECK(d != NULL);
    CHECK_STR_EQ(d->id, "x/1");
    CHECK_STR_EQ(d->source, "cc");
    sbuf out = SBUF_INIT;
    doc_to_json(d, &out, 0);
    CHECK_STR_EQ(out.data, "{\"id\":\"x/1\",\"text\":\"hi\",\"source\":\"cc\",\"added\":\"2024-01-01\","
                           "\"version\":\"v1\",\"metadata\":{\"url\":\"http://a\",\"n\":3}}\n");
    doc_drop(d, "too_short");
    sbuf_reset(&out);
    doc_to_json(d, &out, 1);
    CHECK(strstr(out.data, "\"drop_reason\":\"too_short\"}}") != NULL);
    sbuf_free(&out);
    doc_free(d);
}

TEST(doc_rejects_bad_records)
{
    const char *bad[] = {"[1]", "{\"id\":\"a\"}", "{\"text\":3}", "{\"text\":\"a\",\"metadata\":[]}", "{"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cd_err e;
        doc *d = doc_from_json(bad[i], strlen(bad[i]), &e);
        CHECK_MSG(d == NULL, "accepted %s", bad[i]);
    }
}

static void write_and_read(io_compression c, const char *suffix)
{
    char path[600];
    snprintf(path, sizeof path, "%s/f%s", test_tmpdir(), suffix);
    cd_err e;
    io_writer *w = io_writer_create(path, c, &e);
    CHECK(w != NULL);
    sbuf expect = SBUF_INIT;
    for (int i = 0; i < 50000; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "line %d %s\n", i, i % 7 ? "abc" : "");
        sbuf_append(&expect, line, (size_t)n);
        CHECK(io_write(w, line, (size_t)n, &e) == 0);
    }
    io_commit_info info;
    CHECK(io_writer_commit(w, &info, &e) == 0);
    char sum[17];
    uint64_t size;
    CHECK(io_file_checksum(path, sum, &size, &e) == 0);
    CHECK_STR_EQ(sum, info.checksum);
    CHECK_INT_EQ(size, info.bytes);
    io_reader *r = io_open(path, &e);
    CHECK(r != NULL);
    CHECK_INT_EQ(io_reader_compression(r), c);
    sbuf got = SBUF_INIT;
    const char *l;
    size_t n;
    int rc;
    while ((rc = io_getline(r, &l, &n, &e)) == 1) {
        sbuf_append(&got, l, n);
        sbuf_putc(&got, '\n');
    }
    CHECK(rc == 0);
    CHECK_MEM_EQ(got.data, got.len, expect.data, expect.len);
    io_close(r);
    sbuf_free(&got);
    sbuf_free(&expect);
}

TEST(io_plain_gzip_zstd_roundtrip)
{
    write_and_read(IO_PLAIN, ".jsonl");
    write_and_read(IO_GZIP, ".jsonl.gz");
    write_and_read(IO_ZSTD, ".jsonl.zst");
}

static void check_truncated(io_compression c, const char *suffix)
{
    char path[600];
    snprintf(path, sizeof path, "%s/t%s", test_tmpdir(), suffix);
    cd_err e;
    io_writer *w = io_writer_create(path, c, &e);
    for (int i = 0; i < 20000; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "{\"text\":\"row %d\"}\n", i * 7919);
        io_write(w, line, (size_t)n, &e);
    }
    io_commit_info info;
    CHECK(io_writer_commit(w, &info, &e) == 0);
    CHECK(truncate(path, (off_t)(info.bytes * 2 / 3)) == 0);
    io_reader *r = io_open(path, &e);
    CHECK(r != NULL);
    const char *l;
    size_t n;
    int rc;
    cd_err_clear(&e);
    while ((rc = io_getline(r, &l, &n, &e)) == 1) {
    }
    CHECK_MSG(rc == -1, "truncated %s read to a clean end", suffix);
    CHECK_INT_EQ(e.code, CD_ETRUNC);
    CHECK(strstr(e.msg, "truncated") != NULL);
    io_close(r);
}

TEST(io_truncated_streams_fail)
{
    check_truncated(IO_GZIP, ".gz");
    check_truncated(IO_ZSTD, ".zst");
}

TEST(io_multi_member_gzip)
{
    char path[600];
    snprintf(path, sizeof path, "%s/m.gz", test_tmpdir());
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "(printf 'a\\nb\\n' | gzip; printf 'c\\n' | gzip) > '%s'", path);
    CHECK(system(cmd) == 0);
    cd_err e;
    io_reader *r = io_open(path, &e);
    const char *l;
    size_t n;
    sbuf got = SBUF_INIT;
    while (io_getline(r, &l, &n, &e) == 1) sbuf_append(&got, l, n);
    CHECK_STR_EQ(got.data, "abc");
    io_close(r);
    sbuf_free(&got);
}

TEST(io_writer_abort_leaves_nothing)
{
    char path[600];
    snprintf(path, sizeof path, "%s/x.jsonl.zst", test_tmpdir());
    cd_err e;
    io_writer *w = io_writer_create(path, IO_ZSTD, &e);
    io_write(w, "abc", 3, &e);
    io_writer_abort(w);
    CHECK(access(path, F_OK) != 0);
    char tmp[700];
    snprintf(tmp, sizeof tmp, "%s/.x.jsonl.zst.tmp", test_tmpdir());
    CHECK(access(tmp, F_OK) != 0);
}

/* test_github_safety.c: the archive safety cases of issue 8 that
 * test_github.c does not reach: zip-slip (traversal and links in a zip),
 * hard links, FIFOs and block devices, links that climb out of a deep
 * directory, "." / ".." components, text with too many control bytes, the
 * size limit's boundary, and the archive date dedup's keep policy reads.
 * Archives are written here with libarchive. */
#include "crawl/github.h"
#include "tests/test.h"

#include "core/lazy_archive.h"

typedef struct sentry {
    const char *path;
    mode_t type;          /* AE_IFREG, AE_IFLNK, AE_IFIFO, AE_IFBLK, or 0 = hard link */
    const char *data;     /* contents, symlink or hard-link target */
    size_t len;           /* 0 = strlen(data) */
    time_t mtime;
} sentry;

static char *write_archive(const char *name, int zip, const sentry *ents, size_t n)
{
    char *path = xasprintf("%s/%s", test_tmpdir(), name);
    struct archive *a = archive_write_new();
    if (zip) archive_write_set_format_zip(a);
    else {
        archive_write_set_format_pax_restricted(a);
        archive_write_add_filter_gzip(a);
    }
    archive_write_open_filename(a, path);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, ents[i].path);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_mtime(e, ents[i].mtime, 0);
        size_t len = 0;
        if (ents[i].type == 0) {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_hardlink(e, ents[i].data);
        } else {
            archive_entry_set_filetype(e, ents[i].type);
            if (ents[i].type == AE_IFREG) len = ents[i].len ? ents[i].len : strlen(ents[i].data);
            if (ents[i].type == AE_IFLNK) archive_entry_set_symlink(e, ents[i].data);
            if (ents[i].type == AE_IFBLK) archive_entry_set_rdev(e, 0x0801);
        }
        archive_entry_set_size(e, (la_int64_t)len);
        archive_write_header(a, e);
        if (len) archive_write_data(a, ents[i].data, len);
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return path;
}

static int has(const gh_files *f, const char *path)
{
    for (size_t i = 0; i < f->len; i++)
        if (!strcmp(f->v[i].path, path)) return 1;
    return 0;
}

TEST(github_safety_zip_slip)
{
    const sentry ents[] = {
        {"proj/ok.py", AE_IFREG, "print(1)\n", 0, 0},
        {"proj/../../../home/user/.bashrc", AE_IFREG, "evil\n", 0, 0},
        {"/tmp/evil.sh", AE_IFREG, "evil\n", 0, 0},
        {"proj/a/./../../../escape", AE_IFREG, "evil\n", 0, 0},
        {"proj/link", AE_IFLNK, "../../etc/passwd", 0, 0},
    };
    char *p = write_archive("slip.zip", 1, ents, sizeof ents / sizeof *ents);
    gh_limits l;
    gh_limits_default(&l);
    stage_stats st = {0};
    gh_files f;
    cd_err e;
    CHECK(gh_read_archive_file(p, &l, 1, &f, &st, &e) == 0);
    CHECK_INT_EQ(f.len, 1);
    CHECK(has(&f, "ok.py"));
    CHECK_INT_EQ(stats_get_drop(&st, "path_traversal"), 3);
    CHECK_INT_EQ(stats_get_drop(&st, "symlink_outside"), 1);
    gh_files_free(&f);
    stats_free(&st);
    free(p);
}

TEST(github_safety_links_devices_fifos)
{
    const sentry ents[] = {
        {"r/a/b/c.txt", AE_IFREG, "hello\n", 0, 0},
        {"r/a/b/up_ok", AE_IFLNK, "../../top.txt", 0, 0},          /* r/top.txt: inside */
        {"r/a/b/up_out", AE_IFLNK, "../../../../outside", 0, 0},   /* leaves r/ */
        {"r/a/dot", AE_IFLNK, "./b/./c.txt", 0, 0},                /* inside */
        {"r/hard_in", 0, "r/a/b/c.txt", 0, 0},                     /* hard link inside */
        {"r/hard_out", 0, "../../etc/shadow", 0, 0},               /* hard link outside */
        {"r/pipe", AE_IFIFO, "", 0, 0},
        {"r/disk", AE_IFBLK, "", 0, 0},
        {"r/top.txt", AE_IFREG, "top\n", 0, 0},
    };
    char *p = write_archive("links.tar.gz", 0, ents, sizeof ents / sizeof *ents);
    gh_limits l;
    gh_limits_default(&l);
    stage_stats st = {0};
    gh_files f;
    cd_err e;
    CHECK(gh_read_archive_file(p, &l, 1, &f, &st, &e) == 0);
    CHECK_INT_EQ(f.len, 2);
    CHECK(has(&f, "a/b/c.txt") && has(&f, "top.txt"));
    CHECK_INT_EQ(stats_get_drop(&st, "symlink"), 3);            /* up_ok, dot, hard_in: skipped, not refused */
    CHECK_INT_EQ(stats_get_drop(&st, "symlink_outside"), 2);    /* up_out, hard_out */
    CHECK_INT_EQ(stats_get_drop(&st, "device_file"), 2);        /* FIFO, block device */
    gh_files_free(&f);
    stats_free(&st);
    free(p);
}

TEST(github_safety_binary_size_boundary_and_date)
{
    static char ctl[400], exact[1024], over[1025];
    for (size_t i = 0; i < sizeof ctl; i++) ctl[i] = (i % 2) ? 'a' : (char)(1 + i % 7);   /* 50% control, no NUL */
    memset(exact, 'x', sizeof exact);
    memset(over, 'y', sizeof over);
    const sentry ents[] = {
        {"r/ctl.dat", AE_IFREG, ctl, sizeof ctl, 1500000000},
        {"r/exact.txt", AE_IFREG, exact, sizeof exact, 1600000000},
        {"r/over.txt", AE_IFREG, over, sizeof over, 1700000000},   /* refused: its mtime does not count */
        {"r/tabs.txt", AE_IFREG, "a\tb\r\nc\fd\n", 0, 1550000000},  /* tabs, CR, FF are text */
    };
    char *p = write_archive("bin.tar.gz", 0, ents, sizeof ents / sizeof *ents);
    gh_limits l;
    gh_limits_default(&l);
    l.max_file_size = 1024;
    stage_stats st = {0};
    gh_files f;
    cd_err e;
    CHECK(gh_read_archive_file(p, &l, 1, &f, &st, &e) == 0);
    CHECK_INT_EQ(f.len, 2);
    CHECK(has(&f, "exact.txt") && has(&f, "tabs.txt"));
    CHECK_INT_EQ(stats_get_drop(&st, "binary"), 1);
    CHECK_INT_EQ(stats_get_drop(&st, "too_large"), 1);
    /* the newest mtime of the files kept */
    CHECK_INT_EQ(f.date, 1600000000);
    gh_files_free(&f);
    stats_free(&st);
    free(p);
}

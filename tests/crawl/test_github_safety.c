/* test_github_safety.c: the archive safety cases of issue 8 that
 * test_github.c does not reach: zip-slip (traversal and links in a zip),
 * hard links, FIFOs and block devices, links that climb out of a deep
 * directory, "." / ".." components, text with too many control bytes, the
 * size limit's boundary, and the archive date dedup's keep policy reads.
 * Archives are written by archive_fixture.c. */
#include "crawl/github.h"
#include "tests/test.h"

#include "tests/crawl/archive_fixture.h"

static int has(const gh_files *f, const char *path)
{
    for (size_t i = 0; i < f->len; i++)
        if (!strcmp(f->v[i].path, path)) return 1;
    return 0;
}

TEST(github_safety_zip_slip)
{
    const arch_entry ents[] = {
        {"proj/ok.py", AE_IFREG, "print(1)\n", 0, 0},
        {"proj/../../../home/user/.bashrc", AE_IFREG, "evil\n", 0, 0},
        {"/tmp/evil.sh", AE_IFREG, "evil\n", 0, 0},
        {"proj/a/./../../../escape", AE_IFREG, "evil\n", 0, 0},
        {"proj/link", AE_IFLNK, "../../etc/passwd", 0, 0},
    };
    char *p = write_test_archive("slip.zip", 1, ents, sizeof ents / sizeof *ents);
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
    const arch_entry ents[] = {
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
    char *p = write_test_archive("links.tar.gz", 0, ents, sizeof ents / sizeof *ents);
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
    const arch_entry ents[] = {
        {"r/ctl.dat", AE_IFREG, ctl, sizeof ctl, 1500000000},
        {"r/exact.txt", AE_IFREG, exact, sizeof exact, 1600000000},
        {"r/over.txt", AE_IFREG, over, sizeof over, 1700000000},   /* refused: its mtime does not count */
        {"r/tabs.txt", AE_IFREG, "a\tb\r\nc\fd\n", 0, 1550000000},  /* tabs, CR, FF are text */
    };
    char *p = write_test_archive("bin.tar.gz", 0, ents, sizeof ents / sizeof *ents);
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

/* archive_fixture.h: writes test archives (tar.gz or zip) with libarchive,
 * for the GitHub reader's tests. */
#ifndef CORPUSD_TESTS_CRAWL_ARCHIVE_FIXTURE_H
#define CORPUSD_TESTS_CRAWL_ARCHIVE_FIXTURE_H

#include "core/lazy_archive.h"

#include <sys/types.h>
#include <time.h>

typedef struct arch_entry {
    const char *path;
    mode_t type;          /* AE_IFREG, AE_IFLNK, AE_IFDIR, AE_IFCHR, AE_IFBLK, AE_IFIFO, or 0 = hard link */
    const char *data;     /* contents, symlink or hard-link target */
    size_t len;           /* 0 = strlen(data) */
    time_t mtime;
} arch_entry;

/* TMPDIR/name as a zip (zip = 1) or a pax tar.gz of the n entries; the
 * caller frees the path. */
char *write_test_archive(const char *name, int zip, const arch_entry *ents, size_t n);

#endif

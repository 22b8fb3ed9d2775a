/* archive_fixture.c: see archive_fixture.h. */
#include "tests/crawl/archive_fixture.h"
#include "core/util.h"
#include "tests/test.h"

#include <string.h>

char *write_test_archive(const char *name, int zip, const arch_entry *ents, size_t n)
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
            if (ents[i].type == AE_IFCHR) archive_entry_set_rdev(e, 0x0103);
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

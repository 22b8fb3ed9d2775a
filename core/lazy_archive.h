/*
 * lazy_archive.h: libarchive, loaded with dlopen on first use (see core/lazylib.c).
 * Include this instead of the library's own header: each function used
 * below is a macro for a pointer in a table that cd_archive() fills on its first
 * call (thread-safe), so subcommands that never use libarchive do not pay for
 * loading it and its dependencies at start-up. A function not listed here
 * is a link error (the library is not linked), never a silent direct call.
 */
#ifndef CORPUSD_CORE_LAZY_ARCHIVE_H
#define CORPUSD_CORE_LAZY_ARCHIVE_H

#include <archive.h>
#include <archive_entry.h>

#define CD_ARCHIVE_FUNCS(X) \
    X(archive_entry_filetype) \
    X(archive_entry_free) \
    X(archive_entry_hardlink) \
    X(archive_entry_mtime) \
    X(archive_entry_mtime_is_set) \
    X(archive_entry_new) \
    X(archive_entry_pathname) \
    X(archive_entry_set_filetype) \
    X(archive_entry_set_hardlink) \
    X(archive_entry_set_mtime) \
    X(archive_entry_set_pathname) \
    X(archive_entry_set_perm) \
    X(archive_entry_set_rdev) \
    X(archive_entry_set_size) \
    X(archive_entry_set_symlink) \
    X(archive_entry_size) \
    X(archive_entry_size_is_set) \
    X(archive_entry_symlink) \
    X(archive_error_string) \
    X(archive_read_data) \
    X(archive_read_free) \
    X(archive_read_new) \
    X(archive_read_next_header) \
    X(archive_read_open_filename) \
    X(archive_read_open_memory) \
    X(archive_read_support_filter_all) \
    X(archive_read_support_format_gnutar) \
    X(archive_read_support_format_raw) \
    X(archive_read_support_format_tar) \
    X(archive_read_support_format_zip) \
    X(archive_write_add_filter_gzip) \
    X(archive_write_close) \
    X(archive_write_data) \
    X(archive_write_free) \
    X(archive_write_header) \
    X(archive_write_new) \
    X(archive_write_open_filename) \
    X(archive_write_set_format_pax_restricted) \
    X(archive_write_set_format_zip)

typedef struct cd_archive_api {
#define CD_X(f) __typeof__(f) *f;
    CD_ARCHIVE_FUNCS(CD_X)
#undef CD_X
} cd_archive_api;

/* The table; loads libarchive on the first call and exits with a message
 * naming the Debian package when it cannot. */
const cd_archive_api *cd_archive(void);

#ifndef CD_LAZY_IMPL
#undef archive_entry_filetype
#define archive_entry_filetype                  (cd_archive()->archive_entry_filetype)
#undef archive_entry_free
#define archive_entry_free                      (cd_archive()->archive_entry_free)
#undef archive_entry_hardlink
#define archive_entry_hardlink                  (cd_archive()->archive_entry_hardlink)
#undef archive_entry_mtime
#define archive_entry_mtime                     (cd_archive()->archive_entry_mtime)
#undef archive_entry_mtime_is_set
#define archive_entry_mtime_is_set              (cd_archive()->archive_entry_mtime_is_set)
#undef archive_entry_new
#define archive_entry_new                       (cd_archive()->archive_entry_new)
#undef archive_entry_pathname
#define archive_entry_pathname                  (cd_archive()->archive_entry_pathname)
#undef archive_entry_set_filetype
#define archive_entry_set_filetype              (cd_archive()->archive_entry_set_filetype)
#undef archive_entry_set_hardlink
#define archive_entry_set_hardlink              (cd_archive()->archive_entry_set_hardlink)
#undef archive_entry_set_mtime
#define archive_entry_set_mtime                 (cd_archive()->archive_entry_set_mtime)
#undef archive_entry_set_pathname
#define archive_entry_set_pathname              (cd_archive()->archive_entry_set_pathname)
#undef archive_entry_set_perm
#define archive_entry_set_perm                  (cd_archive()->archive_entry_set_perm)
#undef archive_entry_set_rdev
#define archive_entry_set_rdev                  (cd_archive()->archive_entry_set_rdev)
#undef archive_entry_set_size
#define archive_entry_set_size                  (cd_archive()->archive_entry_set_size)
#undef archive_entry_set_symlink
#define archive_entry_set_symlink               (cd_archive()->archive_entry_set_symlink)
#undef archive_entry_size
#define archive_entry_size                      (cd_archive()->archive_entry_size)
#undef archive_entry_size_is_set
#define archive_entry_size_is_set               (cd_archive()->archive_entry_size_is_set)
#undef archive_entry_symlink
#define archive_entry_symlink                   (cd_archive()->archive_entry_symlink)
#undef archive_error_string
#define archive_error_string                    (cd_archive()->archive_error_string)
#undef archive_read_data
#define archive_read_data                       (cd_archive()->archive_read_data)
#undef archive_read_free
#define archive_read_free                       (cd_archive()->archive_read_free)
#undef archive_read_new
#define archive_read_new                        (cd_archive()->archive_read_new)
#undef archive_read_next_header
#define archive_read_next_header                (cd_archive()->archive_read_next_header)
#undef archive_read_open_filename
#define archive_read_open_filename              (cd_archive()->archive_read_open_filename)
#undef archive_read_open_memory
#define archive_read_open_memory                (cd_archive()->archive_read_open_memory)
#undef archive_read_support_filter_all
#define archive_read_support_filter_all         (cd_archive()->archive_read_support_filter_all)
#undef archive_read_support_format_gnutar
#define archive_read_support_format_gnutar      (cd_archive()->archive_read_support_format_gnutar)
#undef archive_read_support_format_raw
#define archive_read_support_format_raw         (cd_archive()->archive_read_support_format_raw)
#undef archive_read_support_format_tar
#define archive_read_support_format_tar         (cd_archive()->archive_read_support_format_tar)
#undef archive_read_support_format_zip
#define archive_read_support_format_zip         (cd_archive()->archive_read_support_format_zip)
#undef archive_write_add_filter_gzip
#define archive_write_add_filter_gzip           (cd_archive()->archive_write_add_filter_gzip)
#undef archive_write_close
#define archive_write_close                     (cd_archive()->archive_write_close)
#undef archive_write_data
#define archive_write_data                      (cd_archive()->archive_write_data)
#undef archive_write_free
#define archive_write_free                      (cd_archive()->archive_write_free)
#undef archive_write_header
#define archive_write_header                    (cd_archive()->archive_write_header)
#undef archive_write_new
#define archive_write_new                       (cd_archive()->archive_write_new)
#undef archive_write_open_filename
#define archive_write_open_filename             (cd_archive()->archive_write_open_filename)
#undef archive_write_set_format_pax_restricted
#define archive_write_set_format_pax_restricted (cd_archive()->archive_write_set_format_pax_restricted)
#undef archive_write_set_format_zip
#define archive_write_set_format_zip            (cd_archive()->archive_write_set_format_zip)
#endif

#endif

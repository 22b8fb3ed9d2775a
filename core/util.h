/*
 * util.h: the small pieces every corpusd module uses.
 *
 *  - cd_err: an error value. Functions that can fail return -1 (or NULL) and
 *    fill a cd_err whose message names the input and the byte offset. Nothing
 *    aborts on bad input; cd_die() is for bugs and resource exhaustion only.
 *  - sbuf: a growable byte buffer. Its data is always NUL-terminated so it can
 *    be handed to C string functions, but lengths are explicit and the bytes
 *    may contain NULs.
 *  - xmalloc and friends: allocation that dies with a clear message on OOM.
 *
 * Everything here is thread-safe in the sense that it keeps no global state.
 */
#ifndef CORPUSD_CORE_UTIL_H
#define CORPUSD_CORE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CD_ERR_MSG 1024

typedef struct cd_err {
    int code;              /* 0 = no error; otherwise a CD_E* value */
    char msg[CD_ERR_MSG];
} cd_err;

enum {
    CD_EOK = 0,
    CD_EINPUT = 1,   /* bad input: skip and count, never fatal to a run */
    CD_EIO = 2,      /* I/O failure (open, read, write, fsync, rename) */
    CD_ECONFIG = 3,  /* configuration or usage error */
    CD_ETRUNC = 4,   /* truncated input (gzip/zstd stream ended early) */
    CD_EINTERNAL = 5,
    CD_ENOSPACE = 6, /* disk full (ENOSPC/EDQUOT): pause and retry, lose nothing */
};

/* The error code for a failed write: CD_ENOSPACE for a full disk or quota,
 * CD_EIO otherwise. */
int cd_write_errcode(int err);

/* Sets e (when non-NULL) and returns -1, so callers can `return cd_fail(...)`. */
int cd_fail(cd_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void cd_err_clear(cd_err *e);

_Noreturn void cd_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

typedef struct sbuf {
    char *data;
    size_t len;
    size_t cap;
} sbuf;

#define SBUF_INIT {NULL, 0, 0}
void sbuf_reserve(sbuf *b, size_t extra);
void sbuf_append(sbuf *b, const void *p, size_t n);
void sbuf_putc(sbuf *b, char c);
void sbuf_puts(sbuf *b, const char *s);
void sbuf_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_reset(sbuf *b);
void sbuf_free(sbuf *b);
/* Takes ownership of the bytes; the buffer is left empty. */
char *sbuf_detach(sbuf *b, size_t *len);

/* Monotonic clock in seconds. */
double cd_now(void);
/* Parses sizes such as "4G", "512M", "100k" (powers of 1024). -1 on error. */
int64_t cd_parse_size(const char *s);
/* mkdir -p; 0 on success. */
int cd_mkdirs(const char *path, cd_err *e);
/* Reads a whole (uncompressed) file; NULL with e set on failure. */
char *cd_read_file(const char *path, size_t *len, cd_err *e);
/* Writes bytes to path atomically (temp, fsync, rename, fsync dir). */
int cd_write_file_atomic(const char *path, const void *data, size_t len, cd_err *e);
/* fsyncs the directory that holds path. */
int cd_fsync_parent(const char *path, cd_err *e);
/* Number of online CPUs (at least 1). */
int cd_ncpus(void);
/* 1 when s ends with suffix. */
int cd_ends_with(const char *s, const char *suffix);
/* Vectors of n malloc'ed strings: sorts them by strcmp; frees each and v. */
void cd_strv_sort(char **v, size_t n);
void cd_strv_free(char **v, size_t n);

#endif

/*
 * util.c: error values, checked allocation, growable buffers and small
 * filesystem helpers shared by every module. See util.h.
 */
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int cd_fail(cd_err *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        e->code = code ? code : CD_EINTERNAL;
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void cd_err_clear(cd_err *e)
{
    if (e) {
        e->code = 0;
        e->msg[0] = 0;
    }
}

void cd_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("corpusd: fatal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(70);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) cd_die("out of memory allocating %zu bytes", n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) cd_die("out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) cd_die("out of memory reallocating %zu bytes", n);
    return q;
}

char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = NULL;
    if (vasprintf(&p, fmt, ap) < 0) cd_die("out of memory in asprintf");
    va_end(ap);
    return p;
}

void sbuf_reserve(sbuf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need < b->len) cd_die("buffer size overflow");
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap * 2 > cap ? cap * 2 : need;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void sbuf_append(sbuf *b, const void *p, size_t n)
{
    sbuf_reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void sbuf_putc(sbuf *b, char c)
{
    sbuf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = 0;
}

void sbuf_puts(sbuf *b, const char *s) { sbuf_append(b, s, strlen(s)); }

void sbuf_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) cd_die("vsnprintf failed");
    sbuf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
}

void sbuf_reset(sbuf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

void sbuf_free(sbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *sbuf_detach(sbuf *b, size_t *len)
{
    if (!b->data) sbuf_reserve(b, 0);
    char *p = b->data;
    if (len) *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

double cd_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int64_t cd_parse_size(const char *s)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0) return -1;
    double mul = 1;
    switch (*end) {
    case 0: break;
    case 'k': case 'K': mul = 1024.0; end++; break;
    case 'm': case 'M': mul = 1024.0 * 1024; end++; break;
    case 'g': case 'G': mul = 1024.0 * 1024 * 1024; end++; break;
    case 't': case 'T': mul = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: return -1;
    }
    if (*end == 'B' || *end == 'b') end++;
    if (*end) return -1;
    double r = v * mul;
    if (r > 9.0e18) return -1;
    return (int64_t)r;
}

int cd_mkdirs(const char *path, cd_err *e)
{
    char *p = xstrdup(path);
    size_t n = strlen(p);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] == '/' || p[i] == 0) {
            char c = p[i];
            p[i] = 0;
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                int rc = cd_fail(e, CD_EIO, "mkdir %s: %s", p, strerror(errno));
                free(p);
                return rc;
            }
            p[i] = c;
        }
    }
    free(p);
    return 0;
}

char *cd_read_file(const char *path, size_t *len, cd_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cd_fail(e, CD_EIO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    sbuf b = SBUF_INIT;
    for (;;) {
        sbuf_reserve(&b, 65536);
        ssize_t r = read(fd, b.data + b.len, b.cap - b.len - 1);
        if (r < 0) {
            if (errno == EINTR) continue;
            cd_fail(e, CD_EIO, "%s: read: %s", path, strerror(errno));
            close(fd);
            sbuf_free(&b);
            return NULL;
        }
        if (r == 0) break;
        b.len += (size_t)r;
    }
    close(fd);
    sbuf_reserve(&b, 0);
    b.data[b.len] = 0;
    return sbuf_detach(&b, len);
}

int cd_fsync_parent(const char *path, cd_err *e)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        if (slash == dir) slash[1] = 0;
        else *slash = 0;
    } else {
        strcpy(dir, ".");
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int rc = cd_fail(e, CD_EIO, "open dir %s: %s", dir, strerror(errno));
        free(dir);
        return rc;
    }
    int rc = 0;
    if (fsync(fd) != 0 && errno != EINVAL)
        rc = cd_fail(e, CD_EIO, "fsync dir %s: %s", dir, strerror(errno));
    close(fd);
    free(dir);
    return rc;
}

int cd_write_file_atomic(const char *path, const void *data, size_t len, cd_err *e)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        int rc = cd_fail(e, CD_EIO, "create %s: %s", tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            cd_fail(e, cd_write_errcode(errno), "write %s: %s", tmp, strerror(errno));
            goto fail;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0) {
        cd_fail(e, cd_write_errcode(errno), "fsync %s: %s", tmp, strerror(errno));
        goto fail;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path) != 0) {
        cd_fail(e, CD_EIO, "rename %s: %s", path, strerror(errno));
        goto fail;
    }
    free(tmp);
    return cd_fsync_parent(path, e);
fail:
    if (fd >= 0) close(fd);
    unlink(tmp);
    free(tmp);
    return -1;
}

int cd_write_errcode(int err) { return err == ENOSPC || err == EDQUOT ? CD_ENOSPACE : CD_EIO; }

int cd_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int cd_ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

static int cmp_strp(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

void cd_strv_sort(char **v, size_t n)
{
    if (n > 1) qsort(v, n, sizeof *v, cmp_strp);
}

void cd_strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

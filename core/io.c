/*
 * io.c: compressed streaming readers and atomic writers. See io.h.
 */
#include "core/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#define IN_CHUNK (256 * 1024)
#define DEFAULT_MAX_LINE ((size_t)1 << 30)

struct io_reader {
    io_source src;
    char *name;
    io_compression comp;
    unsigned char *in;         /* compressed input buffer */
    size_t in_pos, in_len;
    int src_eof;
    uint64_t raw_consumed;
    z_stream zs;
    int z_inited, z_in_stream;
    ZSTD_DCtx *zd;
    size_t zstd_last;          /* last ZSTD_decompressStream hint: 0 = frame done */
    int zstd_any;
    /* line reading */
    char *lbuf;
    size_t lcap, lpos, llen;   /* decompressed bytes in lbuf[lpos, llen) */
    sbuf line;
    size_t max_line;
    uint64_t lineno;
    int done;
};

/* ------------------------------------------------------------ file source */

typedef struct fd_ctx { int fd; } fd_ctx;

static ssize_t fd_read(void *ctx, void *buf, size_t n, cd_err *e)
{
    fd_ctx *c = ctx;
    for (;;) {
        ssize_t r = read(c->fd, buf, n);
        if (r >= 0) return r;
        if (errno == EINTR) continue;
        return cd_fail(e, CD_EIO, "read: %s", strerror(errno));
    }
}

static void fd_close(void *ctx)
{
    fd_ctx *c = ctx;
    close(c->fd);
    free(c);
}

io_reader *io_open(const char *path, cd_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cd_fail(e, CD_EIO, "%s: %s", path, strerror(errno));
        return NULL;
    }
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    fd_ctx *c = xmalloc(sizeof *c);
    c->fd = fd;
    io_source src = {c, fd_read, fd_close, path};
    return io_open_source(src, e);
}

static int fill_in(io_reader *r, cd_err *e)
{
    if (r->in_pos < r->in_len || r->src_eof) return 0;
    ssize_t n = r->src.read(r->src.ctx, r->in, IN_CHUNK, e);
    if (n < 0) {
        if (e) {
            char tmp[CD_ERR_MSG];
            snprintf(tmp, sizeof tmp, "%.200s: %.800s", r->name, e->msg);
            memcpy(e->msg, tmp, sizeof tmp);
        }
        return -1;
    }
    r->in_pos = 0;
    r->in_len = (size_t)n;
    if (n == 0) r->src_eof = 1;
    return 0;
}

io_reader *io_open_source(io_source src, cd_err *e)
{
    io_reader *r = xcalloc(1, sizeof *r);
    r->src = src;
    r->name = xstrdup(src.name ? src.name : "<stream>");
    r->in = xmalloc(IN_CHUNK);
    r->max_line = DEFAULT_MAX_LINE;
    /* Peek at the magic. */
    while (r->in_len < 4 && !r->src_eof) {
        ssize_t n = src.read(src.ctx, r->in + r->in_len, IN_CHUNK - r->in_len, e);
        if (n < 0) {
            io_close(r);
            return NULL;
        }
        if (n == 0) r->src_eof = 1;
        r->in_len += (size_t)n;
    }
    const unsigned char *m = r->in;
    if (r->in_len >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
        r->comp = IO_GZIP;
        memset(&r->zs, 0, sizeof r->zs);
        if (inflateInit2(&r->zs, 15 + 16) != Z_OK) {
            cd_fail(e, CD_EINTERNAL, "%s: inflateInit failed", r->name);
            io_close(r);
            return NULL;
        }
        r->z_inited = 1;
    } else if (r->in_len >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) {
        r->comp = IO_ZSTD;
        r->zd = ZSTD_createDCtx();
        if (!r->zd) cd_die("ZSTD_createDCtx failed");
    } else {
        r->comp = IO_PLAIN;
    }
    return r;
}

static ssize_t read_gzip(io_reader *r, unsigned char *buf, size_t n, cd_err *e)
{
    for (;;) {
        if (fill_in(r, e)) return -1;
        if (r->in_pos >= r->in_len) {
            if (r->z_in_stream)
                return cd_fail(e, CD_ETRUNC, "%s: truncated gzip stream at byte %llu", r->name,
                               (unsigned long long)r->raw_consumed);
            return 0;
        }
        if (!r->z_in_stream) {
            /* A new member starts; skip NUL padding some writers add. */
            while (r->in_pos < r->in_len && r->in[r->in_pos] == 0) {
                r->in_pos++;
                r->raw_consumed++;
            }
            if (r->in_pos >= r->in_len) continue;
            inflateReset(&r->zs);
            r->z_in_stream = 1;
        }
        r->zs.next_in = r->in + r->in_pos;
        r->zs.avail_in = (uInt)(r->in_len - r->in_pos);
        r->zs.next_out = buf;
        r->zs.avail_out = (uInt)(n > (1u << 30) ? (1u << 30) : n);
        uInt before_in = r->zs.avail_in, before_out = r->zs.avail_out;
        int rc = inflate(&r->zs, Z_NO_FLUSH);
        size_t used = before_in - r->zs.avail_in;
        size_t produced = before_out - r->zs.avail_out;
        r->in_pos += used;
        r->raw_consumed += used;
        if (rc == Z_STREAM_END) {
            r->z_in_stream = 0;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return cd_fail(e, CD_EINPUT, "%s: corrupt gzip data near byte %llu: %s", r->name,
                           (unsigned long long)r->raw_consumed, r->zs.msg ? r->zs.msg : "error");
        }
        if (produced) return (ssize_t)produced;
        if (rc == Z_BUF_ERROR && used == 0 && r->in_pos < r->in_len)
            return cd_fail(e, CD_EINPUT, "%s: gzip stream stalled at byte %llu", r->name,
                           (unsigned long long)r->raw_consumed);
    }
}

static ssize_t read_zstd(io_reader *r, unsigned char *buf, size_t n, cd_err *e)
{
    for (;;) {
        if (fill_in(r, e)) return -1;
        if (r->in_pos >= r->in_len) {
            if (r->zstd_any && r->zstd_last != 0)
                return cd_fail(e, CD_ETRUNC, "%s: truncated zstd stream at byte %llu", r->name,
                               (unsigned long long)r->raw_consumed);
            return 0;
        }
        ZSTD_inBuffer in = {r->in, r->in_len, r->in_pos};
        ZSTD_outBuffer out = {buf, n, 0};
        size_t rc = ZSTD_decompressStream(r->zd, &out, &in);
        r->raw_consumed += in.pos - r->in_pos;
        r->in_pos = in.pos;
        if (ZSTD_isError(rc))
            return cd_fail(e, CD_EINPUT, "%s: corrupt zstd data near byte %llu: %s", r->name,
                           (unsigned long long)r->raw_consumed, ZSTD_getErrorName(rc));
        r->zstd_any = 1;
        r->zstd_last = rc;
        if (out.pos) return (ssize_t)out.pos;
    }
}

ssize_t io_read(io_reader *r, void *buf, size_t n, cd_err *e)
{
    if (n == 0) return 0;
    switch (r->comp) {
    case IO_GZIP: return read_gzip(r, buf, n, e);
    case IO_ZSTD: return read_zstd(r, buf, n, e);
    default:
        if (r->in_pos < r->in_len) {
            size_t k = r->in_len - r->in_pos;
            if (k > n) k = n;
            memcpy(buf, r->in + r->in_pos, k);
            r->in_pos += k;
            r->raw_consumed += k;
            return (ssize_t)k;
        }
        if (r->src_eof) return 0;
        {
            ssize_t k = r->src.read(r->src.ctx, buf, n, e);
            if (k > 0) r->raw_consumed += (uint64_t)k;
            if (k == 0) r->src_eof = 1;
            return k;
        }
    }
}

void io_set_max_line(io_reader *r, size_t max_line) { r->max_line = max_line; }

int io_getline(io_reader *r, const char **line, size_t *len, cd_err *e)
{
    if (!r->lbuf) {
        r->lcap = IN_CHUNK;
        r->lbuf = xmalloc(r->lcap);
    }
    sbuf_reset(&r->line);
    for (;;) {
        if (r->lpos < r->llen) {
            char *start = r->lbuf + r->lpos;
            char *nl = memchr(start, '\n', r->llen - r->lpos);
            size_t k = nl ? (size_t)(nl - start) : r->llen - r->lpos;
            if (r->line.len + k > r->max_line) {
                r->lineno++;
                return cd_fail(e, CD_EINPUT, "%s: line %llu longer than %zu bytes", r->name,
                               (unsigned long long)r->lineno, r->max_line);
            }
            if (nl && r->line.len == 0) {
                /* Whole line inside the buffer: no copy. */
                r->lpos += k + 1;
                r->lineno++;
                if (k && start[k - 1] == '\r') k--;
                *line = start;
                *len = k;
                return 1;
            }
            sbuf_append(&r->line, start, k);
            r->lpos += k + (nl ? 1 : 0);
            if (nl) {
                r->lineno++;
                if (r->line.len && r->line.data[r->line.len - 1] == '\r') r->line.len--;
                *line = r->line.data;
                *len = r->line.len;
                return 1;
            }
        }
        if (r->done) {
            if (r->line.len) {
                r->lineno++;
                *line = r->line.data;
                *len = r->line.len;
                r->line.len = 0;
                r->line.data[0] = 0;
                return 1;
            }
            return 0;
        }
        ssize_t n = io_read(r, r->lbuf, r->lcap, e);
        if (n < 0) return -1;
        r->lpos = 0;
        r->llen = (size_t)n;
        if (n == 0) r->done = 1;
    }
}

uint64_t io_line_number(const io_reader *r) { return r->lineno; }
uint64_t io_raw_offset(const io_reader *r) { return r->raw_consumed; }
io_compression io_reader_compression(const io_reader *r) { return r->comp; }
const char *io_reader_name(const io_reader *r) { return r->name; }

void io_close(io_reader *r)
{
    if (!r) return;
    if (r->src.close) r->src.close(r->src.ctx);
    if (r->z_inited) inflateEnd(&r->zs);
    if (r->zd) ZSTD_freeDCtx(r->zd);
    free(r->in);
    free(r->lbuf);
    sbuf_free(&r->line);
    free(r->name);
    free(r);
}

/* ---------------------------------------------------------------- writer */

struct io_writer {
    char *final_path, *tmp_path;
    int fd;
    io_compression comp;
    z_stream zs;
    ZSTD_CCtx *zc;
    unsigned char *out;
    size_t out_cap;
    XXH3_state_t *xx;
    uint64_t bytes, raw_bytes;
};

io_compression io_compression_for_path(const char *path)
{
    if (cd_ends_with(path, ".zst") || cd_ends_with(path, ".zstd")) return IO_ZSTD;
    if (cd_ends_with(path, ".gz")) return IO_GZIP;
    return IO_PLAIN;
}

io_writer *io_writer_create(const char *final_path, io_compression c, cd_err *e)
{
    io_writer *w = xcalloc(1, sizeof *w);
    w->final_path = xstrdup(final_path);
    const char *slash = strrchr(final_path, '/');
    if (slash)
        w->tmp_path = xasprintf("%.*s/.%s.tmp", (int)(slash - final_path), final_path, slash + 1);
    else
        w->tmp_path = xasprintf(".%s.tmp", final_path);
    w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (w->fd < 0) {
        cd_fail(e, cd_write_errcode(errno), "create %s: %s", w->tmp_path, strerror(errno));
        free(w->final_path);
        free(w->tmp_path);
        free(w);
        return NULL;
    }
    w->comp = c;
    w->out_cap = IN_CHUNK;
    w->out = xmalloc(w->out_cap);
    w->xx = XXH3_createState();
    XXH3_64bits_reset(w->xx);
    if (c == IO_GZIP) {
        if (deflateInit2(&w->zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            cd_die("deflateInit2 failed");
    } else if (c == IO_ZSTD) {
        w->zc = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, 3);
        ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 1);
    }
    return w;
}

/* Fault injection for tests on machines where a small filesystem cannot be
 * mounted: CORPUSD_FAULT_ENOSPC=PATH makes writes fail with ENOSPC while the
 * file PATH exists (a test creates it to "fill the disk" and removes it to
 * "free space"). Checked once per write call; costs one access() when set. */
static int fault_enospc(void)
{
    static const char *path;
    static int checked;
    if (!checked) {
        path = getenv("CORPUSD_FAULT_ENOSPC");
        checked = 1;
    }
    return path && access(path, F_OK) == 0;
}

static int write_all(io_writer *w, const void *p, size_t n, cd_err *e)
{
    const char *c = p;
    if (fault_enospc())
        return cd_fail(e, CD_ENOSPACE, "write %s: %s (injected)", w->tmp_path, strerror(ENOSPC));
    XXH3_64bits_update(w->xx, p, n);
    w->bytes += n;
    while (n) {
        ssize_t k = write(w->fd, c, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return cd_fail(e, cd_write_errcode(errno), "write %s: %s", w->tmp_path, strerror(errno));
        }
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

static int compress_some(io_writer *w, const void *p, size_t n, int finish, cd_err *e)
{
    if (w->comp == IO_GZIP) {
        w->zs.next_in = (unsigned char *)p;
        w->zs.avail_in = (uInt)n;
        for (;;) {
            w->zs.next_out = w->out;
            w->zs.avail_out = (uInt)w->out_cap;
            int rc = deflate(&w->zs, finish ? Z_FINISH : Z_NO_FLUSH);
            size_t have = w->out_cap - w->zs.avail_out;
            if (have && write_all(w, w->out, have, e)) return -1;
            if (finish ? rc == Z_STREAM_END : w->zs.avail_in == 0) break;
            if (rc == Z_STREAM_ERROR) return cd_fail(e, CD_EINTERNAL, "deflate failed");
        }
        return 0;
    }
    ZSTD_inBuffer in = {p, n, 0};
    for (;;) {
        ZSTD_outBuffer out = {w->out, w->out_cap, 0};
        size_t rc = ZSTD_compressStream2(w->zc, &out, &in, finish ? ZSTD_e_end : ZSTD_e_continue);
        if (ZSTD_isError(rc)) return cd_fail(e, CD_EINTERNAL, "zstd: %s", ZSTD_getErrorName(rc));
        if (out.pos && write_all(w, w->out, out.pos, e)) return -1;
        if (finish ? rc == 0 : in.pos == in.size) break;
    }
    return 0;
}

int io_write(io_writer *w, const void *p, size_t n, cd_err *e)
{
    w->raw_bytes += n;
    if (w->comp == IO_PLAIN) return write_all(w, p, n, e);
    return compress_some(w, p, n, 0, e);
}

uint64_t io_writer_raw_bytes(const io_writer *w) { return w->raw_bytes; }

static void writer_free(io_writer *w)
{
    if (w->comp == IO_GZIP) deflateEnd(&w->zs);
    if (w->zc) ZSTD_freeCCtx(w->zc);
    XXH3_freeState(w->xx);
    free(w->out);
    free(w->final_path);
    free(w->tmp_path);
    free(w);
}

int io_writer_commit(io_writer *w, io_commit_info *info, cd_err *e)
{
    if (w->comp != IO_PLAIN && compress_some(w, "", 0, 1, e)) goto fail;
    if (fsync(w->fd) != 0) {
        cd_fail(e, cd_write_errcode(errno), "fsync %s: %s", w->tmp_path, strerror(errno));
        goto fail;
    }
    if (close(w->fd) != 0) {
        w->fd = -1;
        cd_fail(e, cd_write_errcode(errno), "close %s: %s", w->tmp_path, strerror(errno));
        goto fail;
    }
    w->fd = -1;
    if (rename(w->tmp_path, w->final_path) != 0) {
        cd_fail(e, CD_EIO, "rename %s -> %s: %s", w->tmp_path, w->final_path, strerror(errno));
        goto fail;
    }
    if (cd_fsync_parent(w->final_path, e)) {
        writer_free(w);
        return -1;
    }
    if (info) {
        info->bytes = w->bytes;
        info->raw_bytes = w->raw_bytes;
        snprintf(info->checksum, sizeof info->checksum, "%016llx",
                 (unsigned long long)XXH3_64bits_digest(w->xx));
    }
    writer_free(w);
    return 0;
fail:
    if (w->fd >= 0) close(w->fd);
    unlink(w->tmp_path);
    writer_free(w);
    return -1;
}

void io_writer_abort(io_writer *w)
{
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    unlink(w->tmp_path);
    writer_free(w);
}

int io_file_checksum(const char *path, char out[17], uint64_t *size, cd_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cd_fail(e, CD_EIO, "%s: %s", path, strerror(errno));
    XXH3_state_t *xx = XXH3_createState();
    XXH3_64bits_reset(xx);
    unsigned char *buf = xmalloc(IN_CHUNK);
    uint64_t total = 0;
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, buf, IN_CHUNK);
        if (n < 0) {
            if (errno == EINTR) continue;
            rc = cd_fail(e, CD_EIO, "%s: read: %s", path, strerror(errno));
            break;
        }
        if (n == 0) break;
        XXH3_64bits_update(xx, buf, (size_t)n);
        total += (uint64_t)n;
    }
    close(fd);
    if (rc == 0) {
        snprintf(out, 17, "%016llx", (unsigned long long)XXH3_64bits_digest(xx));
        if (size) *size = total;
    }
    XXH3_freeState(xx);
    free(buf);
    return rc;
}

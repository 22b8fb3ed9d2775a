/*
 * extsort.c: external merge sort within a memory budget, the k-way file
 * merger, and small file helpers. See dedup_int.h.
 *
 * Memory accounting: a record costs its bytes plus 16 (a pointer, and the
 * temporary pointer array glibc's qsort_r may allocate). Records are copied
 * into 4 MiB blocks; a spill sorts the pointers, writes the run, and frees
 * every block, so the resident set returns to near zero between runs.
 * Run files are unlinked as soon as they are created: a crash leaves no
 * temporary files behind.
 */
#include "dedup/dedup_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define BLOCK_BYTES (4u << 20)

typedef struct block {
    struct block *next;
    size_t used;
    char data[];
} block;

typedef struct run_reader {
    FILE *f;
    char *rec;
    size_t cap, len;
    char *iobuf;
} run_reader;

struct extsort {
    char *tmpdir;
    size_t rec_size, budget, used;
    xs_cmp cmp;
    block *blocks;
    char **ptrs;
    size_t nptrs, capptrs;
    FILE **runs;
    size_t nruns;
    uint64_t count;
    int finished, spilled;
    /* merge state */
    run_reader *rd;
    size_t nrd;
    size_t *heap;
    size_t nheap;
    int mem_only;
    size_t mem_pos;
    size_t last_reader;
    int primed;
};

extsort *xs_new(const char *tmpdir, size_t rec_size, size_t mem_budget, xs_cmp cmp)
{
    extsort *x = xcalloc(1, sizeof *x);
    x->tmpdir = xstrdup(tmpdir);
    x->rec_size = rec_size;
    x->budget = mem_budget < (1u << 20) ? (1u << 20) : mem_budget;
    x->cmp = cmp;
    return x;
}

uint64_t xs_count(const extsort *x) { return x->count; }
int xs_spilled_runs(const extsort *x) { return (int)x->nruns; }

static int ptr_cmp(const void *a, const void *b, void *arg)
{
    extsort *x = arg;
    const char *pa = *(char *const *)a, *pb = *(char *const *)b;
    if (x->rec_size) return x->cmp(pa, x->rec_size, pb, x->rec_size);
    uint32_t la, lb;
    memcpy(&la, pa, 4);
    memcpy(&lb, pb, 4);
    return x->cmp(pa + 4, la, pb + 4, lb);
}

static void free_blocks(extsort *x)
{
    while (x->blocks) {
        block *n = x->blocks->next;
        free(x->blocks);
        x->blocks = n;
    }
    free(x->ptrs);
    x->ptrs = NULL;
    x->nptrs = x->capptrs = 0;
    x->used = 0;
}

static FILE *tmp_file(const char *dir, cd_err *e)
{
    char *path = xasprintf("%s/.xsort-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) {
        cd_fail(e, CD_EIO, "cannot create a sort run in %s: %s", dir, strerror(errno));
        free(path);
        return NULL;
    }
    unlink(path);
    free(path);
    FILE *f = fdopen(fd, "w+");
    if (!f) close(fd);
    return f;
}

static int reduce_runs(extsort *x, cd_err *e);

static int spill(extsort *x, cd_err *e)
{
    if (!x->nptrs) return 0;
    qsort_r(x->ptrs, x->nptrs, sizeof *x->ptrs, ptr_cmp, x);
    FILE *f = tmp_file(x->tmpdir, e);
    if (!f) return -1;
    char *buf = xmalloc(1u << 20);
    setvbuf(f, buf, _IOFBF, 1u << 20);
    for (size_t i = 0; i < x->nptrs; i++) {
        size_t n = x->rec_size;
        if (!n) {
            uint32_t l;
            memcpy(&l, x->ptrs[i], 4);
            n = 4 + l;
        }
        if (fwrite(x->ptrs[i], 1, n, f) != n) {
            fclose(f);
            free(buf);
            return cd_fail(e, CD_EIO, "writing a sort run in %s: %s", x->tmpdir, strerror(errno));
        }
    }
    if (fflush(f) != 0) {
        fclose(f);
        free(buf);
        return cd_fail(e, CD_EIO, "writing a sort run in %s: %s", x->tmpdir, strerror(errno));
    }
    setvbuf(f, NULL, _IOFBF, BUFSIZ);   /* the buffer is freed below; reads set their own */
    free(buf);
    x->runs = xrealloc(x->runs, (x->nruns + 1) * sizeof *x->runs);
    x->runs[x->nruns++] = f;
    free_blocks(x);
    x->spilled = 1;
    /* Bound the open run files: fold the oldest into one now and then. */
    if (x->nruns >= 2 * XS_FANIN) return reduce_runs(x, e);
    return 0;
}

int xs_add(extsort *x, const void *rec, size_t len, cd_err *e)
{
    size_t need = x->rec_size ? x->rec_size : 4 + len;
    if (!x->rec_size && len > XS_MAX_REC) return cd_fail(e, CD_EINTERNAL, "sort record of %zu bytes", len);
    if (x->used + need + 16 > x->budget && spill(x, e)) return -1;
    size_t bsize = x->budget / 8 < BLOCK_BYTES ? x->budget / 8 : BLOCK_BYTES;
    if (!x->blocks || x->blocks->used + need > bsize - sizeof(block)) {
        size_t sz = need + sizeof(block) > bsize ? need + sizeof(block) : bsize;
        block *b = xmalloc(sz);
        b->next = x->blocks;
        b->used = 0;
        x->blocks = b;
        x->used += sz - need;   /* charge the block's slack up front */
    }
    char *p = x->blocks->data + x->blocks->used;
    if (x->rec_size) {
        memcpy(p, rec, len);
    } else {
        uint32_t l = (uint32_t)len;
        memcpy(p, &l, 4);
        memcpy(p + 4, rec, len);
    }
    x->blocks->used += need;
    if (x->nptrs == x->capptrs) {
        x->capptrs = x->capptrs ? x->capptrs * 2 : 4096;
        x->ptrs = xrealloc(x->ptrs, x->capptrs * sizeof *x->ptrs);
    }
    x->ptrs[x->nptrs++] = p;
    x->used += need + 16;
    x->count++;
    return 0;
}

/* --------------------------------------------------------------- merging */

static int rr_read(extsort *x, run_reader *r, cd_err *e)
{
    size_t n = x->rec_size;
    if (!n) {
        uint32_t l;
        size_t got = fread(&l, 1, 4, r->f);
        if (got == 0 && feof(r->f)) return 0;
        if (got != 4) return cd_fail(e, CD_EIO, "short read in a sort run");
        n = l;
    }
    if (n > r->cap) {
        r->cap = n;
        r->rec = xrealloc(r->rec, n);
    }
    size_t got = fread(r->rec, 1, n, r->f);
    if (got == 0 && x->rec_size && feof(r->f)) return 0;
    if (got != n) return cd_fail(e, CD_EIO, "short read in a sort run");
    r->len = n;
    return 1;
}

static int rr_less(extsort *x, size_t a, size_t b)
{
    int c = x->cmp(x->rd[a].rec, x->rd[a].len, x->rd[b].rec, x->rd[b].len);
    return c < 0 || (c == 0 && a < b);
}

static void sift_down(extsort *x, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < x->nheap && rr_less(x, x->heap[l], x->heap[m])) m = l;
        if (r < x->nheap && rr_less(x, x->heap[r], x->heap[m])) m = r;
        if (m == i) return;
        size_t t = x->heap[i];
        x->heap[i] = x->heap[m];
        x->heap[m] = t;
        i = m;
    }
}

static void close_readers(extsort *x)
{
    for (size_t i = 0; i < x->nrd; i++) {
        if (x->rd[i].f) fclose(x->rd[i].f);
        free(x->rd[i].rec);
        free(x->rd[i].iobuf);
    }
    free(x->rd);
    free(x->heap);
    x->rd = NULL;
    x->heap = NULL;
    x->nrd = x->nheap = 0;
}

static int open_readers(extsort *x, FILE **files, size_t n, cd_err *e)
{
    x->rd = xcalloc(n, sizeof *x->rd);
    x->heap = xcalloc(n, sizeof *x->heap);
    x->nrd = n;
    size_t bufsz = x->budget / 2 / (n ? n : 1);
    if (bufsz > (1u << 20)) bufsz = 1u << 20;
    if (bufsz < 4096) bufsz = 4096;
    for (size_t i = 0; i < n; i++) {
        run_reader *r = &x->rd[i];
        r->f = files[i];
        rewind(r->f);
        r->iobuf = xmalloc(bufsz);
        setvbuf(r->f, r->iobuf, _IOFBF, bufsz);
        int rc = rr_read(x, r, e);
        if (rc < 0) return -1;
        if (rc == 1) x->heap[x->nheap++] = i;
    }
    for (size_t i = x->nheap; i-- > 0;) sift_down(x, i);
    return 0;
}

/* Merges groups of XS_FANIN runs into one until few enough remain. */
static int reduce_runs(extsort *x, cd_err *e)
{
    while (x->nruns > XS_FANIN) {
        size_t k = XS_FANIN;
        FILE *out = tmp_file(x->tmpdir, e);
        if (!out) return -1;
        char *obuf = xmalloc(1u << 20);
        setvbuf(out, obuf, _IOFBF, 1u << 20);
        if (open_readers(x, x->runs, k, e)) {
            fclose(out);
            free(obuf);
            return -1;
        }
        while (x->nheap) {
            run_reader *r = &x->rd[x->heap[0]];
            if (!x->rec_size) {
                uint32_t l = (uint32_t)r->len;
                fwrite(&l, 1, 4, out);
            }
            if (fwrite(r->rec, 1, r->len, out) != r->len) {
                fclose(out);
                free(obuf);
                return cd_fail(e, CD_EIO, "writing a merged sort run: %s", strerror(errno));
            }
            int rc = rr_read(x, r, e);
            if (rc < 0) {
                fclose(out);
                free(obuf);
                return -1;
            }
            if (rc == 0) x->heap[0] = x->heap[--x->nheap];
            if (x->nheap) sift_down(x, 0);
        }
        fflush(out);
        setvbuf(out, NULL, _IOFBF, BUFSIZ);
        free(obuf);
        close_readers(x);   /* closes the k merged runs */
        memmove(x->runs, x->runs + k, (x->nruns - k) * sizeof *x->runs);
        x->nruns -= k;
        x->runs[x->nruns++] = out;
    }
    return 0;
}

int xs_finish(extsort *x, cd_err *e)
{
    x->finished = 1;
    if (!x->spilled) {
        if (x->nptrs > 1) qsort_r(x->ptrs, x->nptrs, sizeof *x->ptrs, ptr_cmp, x);   /* ptrs is NULL when empty */
        x->mem_only = 1;
        x->mem_pos = 0;
        return 0;
    }
    if (spill(x, e)) return -1;
    if (reduce_runs(x, e)) return -1;
    int rc = open_readers(x, x->runs, x->nruns, e);
    free(x->runs);
    x->runs = NULL;
    x->nruns = 0;
    return rc;
}

int xs_next(extsort *x, const void **rec, size_t *len, cd_err *e)
{
    if (x->mem_only) {
        if (x->mem_pos >= x->nptrs) return 0;
        const char *p = x->ptrs[x->mem_pos++];
        if (x->rec_size) {
            *rec = p;
            *len = x->rec_size;
        } else {
            uint32_t l;
            memcpy(&l, p, 4);
            *rec = p + 4;
            *len = l;
        }
        return 1;
    }
    /* Advance the reader whose record was returned last time. */
    if (x->primed) {
        run_reader *r = &x->rd[x->heap[0]];
        int rc = rr_read(x, r, e);
        if (rc < 0) return -1;
        if (rc == 0) x->heap[0] = x->heap[--x->nheap];
        if (x->nheap) sift_down(x, 0);
    }
    x->primed = 1;
    if (!x->nheap) return 0;
    run_reader *r = &x->rd[x->heap[0]];
    *rec = r->rec;
    *len = r->len;
    return 1;
}

void xs_free(extsort *x)
{
    if (!x) return;
    free_blocks(x);
    close_readers(x);
    for (size_t i = 0; i < x->nruns; i++) fclose(x->runs[i]);
    free(x->runs);
    free(x->tmpdir);
    free(x);
}

/* ------------------------------------------------------ file k-way merge */

typedef struct mfile {
    int fd;
    char *buf;
    size_t cap, pos, len;
    uint64_t off;
    const char *path;
} mfile;

struct xs_merge {
    mfile *f;
    size_t n, rec_size;
    size_t *heap, nheap;
    xs_cmp cmp;
    int (*accept)(void *arg, const void *rec);
    void *accept_arg;
    int primed;
};

/* 1 = a record at f->buf + f->pos, 0 = end, -1 = error. */
static int mf_fill(xs_merge *m, mfile *f, cd_err *e)
{
    for (;;) {
        if (f->len - f->pos < m->rec_size) {
            size_t keep = f->len - f->pos;
            memmove(f->buf, f->buf + f->pos, keep);
            f->len = keep;
            f->pos = 0;
            ssize_t r = pread(f->fd, f->buf + keep, f->cap - keep, (off_t)f->off);
            if (r < 0) return cd_fail(e, CD_EIO, "%s: read failed: %s", f->path, strerror(errno));
            f->off += (uint64_t)r;
            f->len += (size_t)r;
            if (f->len < m->rec_size) {
                if (f->len) return cd_fail(e, CD_EINPUT, "%s: truncated record at its end", f->path);
                return 0;
            }
        }
        if (!m->accept || m->accept(m->accept_arg, f->buf + f->pos)) return 1;
        f->pos += m->rec_size;
    }
}

static int mf_less(xs_merge *m, size_t a, size_t b)
{
    int c = m->cmp(m->f[a].buf + m->f[a].pos, m->rec_size, m->f[b].buf + m->f[b].pos, m->rec_size);
    return c < 0 || (c == 0 && a < b);
}

static void mf_sift(xs_merge *m, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, k = i;
        if (l < m->nheap && mf_less(m, m->heap[l], m->heap[k])) k = l;
        if (r < m->nheap && mf_less(m, m->heap[r], m->heap[k])) k = r;
        if (k == i) return;
        size_t t = m->heap[i];
        m->heap[i] = m->heap[k];
        m->heap[k] = t;
        i = k;
    }
}

xs_merge *xs_merge_open(char *const *paths, size_t n, size_t header, size_t rec_size, size_t buf_budget,
                        xs_cmp cmp, int (*accept)(void *arg, const void *rec), void *accept_arg, cd_err *e)
{
    xs_merge *m = xcalloc(1, sizeof *m);
    m->f = xcalloc(n ? n : 1, sizeof *m->f);
    m->heap = xcalloc(n ? n : 1, sizeof *m->heap);
    m->n = n;
    m->rec_size = rec_size;
    m->cmp = cmp;
    m->accept = accept;
    m->accept_arg = accept_arg;
    size_t cap = buf_budget / (n ? n : 1);
    if (cap > (1u << 20)) cap = 1u << 20;
    if (cap < 64 * rec_size) cap = 64 * rec_size;
    cap -= cap % rec_size;
    for (size_t i = 0; i < n; i++) m->f[i].fd = -1;
    for (size_t i = 0; i < n; i++) {
        mfile *f = &m->f[i];
        f->path = paths[i];
        f->fd = open(paths[i], O_RDONLY | O_CLOEXEC);
        if (f->fd < 0) {
            cd_fail(e, CD_EIO, "cannot open %s: %s", paths[i], strerror(errno));
            xs_merge_close(m);
            return NULL;
        }
        f->buf = xmalloc(cap);
        f->cap = cap;
        f->off = header;
        int rc = mf_fill(m, f, e);
        if (rc < 0) {
            xs_merge_close(m);
            return NULL;
        }
        if (rc) m->heap[m->nheap++] = i;
    }
    for (size_t i = m->nheap; i-- > 0;) mf_sift(m, i);
    return m;
}

int xs_merge_next(xs_merge *m, const void **rec, cd_err *e)
{
    if (m->primed && m->nheap) {
        mfile *f = &m->f[m->heap[0]];
        f->pos += m->rec_size;
        int rc = mf_fill(m, f, e);
        if (rc < 0) return -1;
        if (rc == 0) m->heap[0] = m->heap[--m->nheap];
        if (m->nheap) mf_sift(m, 0);
    }
    m->primed = 1;
    if (!m->nheap) return 0;
    mfile *f = &m->f[m->heap[0]];
    *rec = f->buf + f->pos;
    return 1;
}

void xs_merge_close(xs_merge *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) {
        if (m->f[i].fd >= 0) close(m->f[i].fd);
        free(m->f[i].buf);
    }
    free(m->f);
    free(m->heap);
    free(m);
}

/* ------------------------------------------------------------ file helpers */

int dd_pread(int fd, void *buf, size_t n, uint64_t off, const char *name, cd_err *e)
{
    char *p = buf;
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return cd_fail(e, CD_EIO, "%s: read at offset %llu failed: %s", name, (unsigned long long)off,
                                   r < 0 ? strerror(errno) : "end of file");
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

int dd_pwrite(int fd, const void *buf, size_t n, uint64_t off, const char *name, cd_err *e)
{
    const char *p = buf;
    while (n) {
        ssize_t r = pwrite(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return cd_fail(e, CD_EIO, "%s: write failed: %s", name, strerror(errno));
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

int dd_out_open(dd_out *o, const char *path, cd_err *e)
{
    memset(o, 0, sizeof *o);
    o->path = xstrdup(path);
    const char *base = strrchr(path, '/');
    if (base) o->tmp = xasprintf("%.*s/.%s.tmp", (int)(base - path), path, base + 1);
    else o->tmp = xasprintf(".%s.tmp", path);
    o->f = fopen(o->tmp, "wb");
    if (!o->f) {
        int rc = cd_fail(e, CD_EIO, "cannot create %s: %s", o->tmp, strerror(errno));
        free(o->path);
        free(o->tmp);
        memset(o, 0, sizeof *o);
        return rc;
    }
    setvbuf(o->f, NULL, _IOFBF, 1u << 18);
    XXH3_state_t *st = XXH3_createState();
    XXH3_64bits_reset(st);
    o->hash_state = st;
    return 0;
}

int dd_out_write(dd_out *o, const void *p, size_t n, cd_err *e)
{
    if (fwrite(p, 1, n, o->f) != n) return cd_fail(e, CD_EIO, "%s: write failed: %s", o->tmp, strerror(errno));
    XXH3_64bits_update(o->hash_state, p, n);
    o->bytes += n;
    return 0;
}

static void dd_out_free(dd_out *o)
{
    XXH3_freeState(o->hash_state);
    free(o->path);
    free(o->tmp);
    memset(o, 0, sizeof *o);
}

int dd_out_close(dd_out *o, char checksum[17], cd_err *e)
{
    int rc = 0;
    if (fflush(o->f) != 0 || fsync(fileno(o->f)) != 0)
        rc = cd_fail(e, CD_EIO, "%s: flush failed: %s", o->tmp, strerror(errno));
    if (fclose(o->f) != 0 && !rc) rc = cd_fail(e, CD_EIO, "%s: close failed: %s", o->tmp, strerror(errno));
    if (!rc && rename(o->tmp, o->path) != 0)
        rc = cd_fail(e, CD_EIO, "cannot rename %s: %s", o->tmp, strerror(errno));
    if (rc) unlink(o->tmp);
    if (checksum) snprintf(checksum, 17, "%016llx", (unsigned long long)XXH3_64bits_digest(o->hash_state));
    dd_out_free(o);
    return rc;
}

void dd_out_abort(dd_out *o)
{
    if (!o->f) return;
    fclose(o->f);
    unlink(o->tmp);
    dd_out_free(o);
}

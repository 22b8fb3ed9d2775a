/*
 * warc_par.c: speculative parallel inflate of gzip members for the WARC
 * reader (see warc_par.h for the contract).
 *
 * The consumer thread reads the source into a ring of `njobs` blocks (job k
 * holds the bytes [base + k*JOB_OWN, base + (k+1)*JOB_OWN + JOB_OVERLAP), the
 * overlap being copied from the next block's first bytes), and queues each
 * block for the workers. A worker scans its block's own range for candidate
 * member starts (1f 8b 08 and a FLG without reserved bits) and inflates a
 * whole member from each with ISA-L into the block's output buffer; after a
 * member that inflates and passes its CRC it continues right after it (where
 * the next member of a per-record-gzip file starts), after a failure one byte
 * on. A fake header inside a member's compressed bytes therefore costs a
 * failed attempt, never a wrong result: the reader only takes the member that
 * starts exactly where its serial path stands.
 *
 * Invariants:
 *  - A result is offered only when the member finished (trailer and CRC
 *    checked) with at most member_limit = min(ratio_floor, max_member)
 *    inflated bytes, so the serial path's bomb checks could not have fired at
 *    any point inside it; anything else is inflated again serially.
 *  - A slot is reused only when its job is no longer queued or running and
 *    lies wholly below every position the reader can still ask for.
 *  - All shared state is under `mu`; a job's buffers belong to the worker
 *    while it is RUNNING and to the consumer otherwise.
 */
#include "crawl/warc_par.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>

#define JOB_OWN (256u << 10)
#define JOB_OVERLAP (128u << 10)
#define JOB_OUT_START (2u << 20)
#define JOB_OUT_CAP (24u << 20)
#define MAX_MISSES 32     /* consecutive lookups without a result: give up */

enum { J_EMPTY, J_QUEUED, J_RUNNING, J_DONE };

typedef struct pres {
    uint64_t cstart, clen;
    size_t ooff, olen;
} pres;

typedef struct pjob {
    int64_t k;                     /* block number; -1 while the slot is unused */
    int state;
    uint64_t off;                  /* offset of buf[0] */
    size_t own, len;               /* members starting in buf[0, own) are inflated */
    unsigned char *buf;
    pres *res;
    size_t nres, rescap, cursor;
    unsigned char *out;
    size_t olen, ocap;
} pjob;

struct warc_par {
    io_source *src;
    uint64_t base, end;            /* end: valid once eof or failed */
    int eof, failed;
    cd_err err;
    size_t member_limit, lookback;
    int njobs, nthreads;
    atomic_int off, stop;       /* off: serve nothing more (read only) */
    pjob *jobs;
    int64_t next_fill, next_take;
    unsigned char *tail;           /* the overlap bytes of the last filled job */
    size_t tail_len;
    uint64_t last_read, last_lookup;
    int misses;
    pthread_mutex_t mu;
    pthread_cond_t work_cv, done_cv;
    pthread_t *th;
};

/* ------------------------------------------------------------------ worker */

/* Inflates the member at buf[p] in one stateless call (straight into the
 * job's output: the stateful call would decode each member's first 64 KiB
 * into its own window and copy it out); 1 with *used and the output
 * appended to the job's output, 0 when it is not a whole valid member
 * within the limits, -1 when the job's output is full (stop the job). */
static int inflate_member(warc_par *P, pjob *j, struct inflate_state *st, size_t p, size_t *used)
{
    for (;;) {
        size_t room = j->ocap - j->olen;
        if (room > P->member_limit) room = P->member_limit;
        st->next_in = j->buf + p;
        st->avail_in = (uint32_t)(j->len - p);
        st->next_out = j->out + j->olen;
        st->avail_out = (uint32_t)room;
        st->crc_flag = ISAL_GZIP;
        int rc = isal_inflate_stateless(st);
        if (rc == ISAL_DECOMP_OK) {
            *used = (j->len - p) - st->avail_in;
            j->olen += room - st->avail_out;
            return 1;
        }
        if (rc != ISAL_OUT_OVERFLOW) return 0;          /* corrupt, or input ran out */
        if (room >= P->member_limit) return 0;          /* too big to serve */
        if (j->ocap >= JOB_OUT_CAP) return -1;
        j->ocap = j->ocap * 2 > JOB_OUT_CAP ? JOB_OUT_CAP : j->ocap * 2;
        j->out = xrealloc(j->out, j->ocap);
    }
}

static void run_job(warc_par *P, pjob *j, struct inflate_state *st)
{
    j->nres = j->cursor = 0;
    j->olen = 0;
    if (!j->out) {
        j->ocap = j->len * 4 < JOB_OUT_START ? (j->len * 4 > (64u << 10) ? j->len * 4 : (64u << 10)) : JOB_OUT_START;
        j->out = xmalloc(j->ocap);
    }
    size_t p = 0;
    while (p < j->own && !P->stop && !P->off) {
        const unsigned char *q = memchr(j->buf + p, 0x1f, j->own - p);
        if (!q) break;
        p = (size_t)(q - j->buf);
        if (p + 10 > j->len) break;
        if (q[1] != 0x8b || q[2] != 8 || (q[3] & 0xe0)) {
            p++;
            continue;
        }
        size_t o0 = j->olen, used = 0;
        int rc = inflate_member(P, j, st, p, &used);
        if (rc < 0) break;
        if (rc == 0) {
            j->olen = o0;
            p++;
            continue;
        }
        if (j->nres == j->rescap) {
            j->rescap = j->rescap ? j->rescap * 2 : 64;
            j->res = xrealloc(j->res, j->rescap * sizeof *j->res);
        }
        j->res[j->nres++] = (pres){j->off + p, used, o0, j->olen - o0};
        p += used;
    }
}

static void *worker(void *arg)
{
    warc_par *P = arg;
    struct inflate_state *st = xmalloc(sizeof *st);
    isal_inflate_init(st);
    pthread_mutex_lock(&P->mu);
    for (;;) {
        while (!P->stop && P->next_take >= P->next_fill) pthread_cond_wait(&P->work_cv, &P->mu);
        if (P->stop) break;
        int64_t t = P->next_take++;
        pjob *j = &P->jobs[t % P->njobs];
        if (j->k != t || j->state != J_QUEUED) continue;
        j->state = J_RUNNING;
        pthread_mutex_unlock(&P->mu);
        run_job(P, j, st);
        pthread_mutex_lock(&P->mu);
        j->state = J_DONE;
        pthread_cond_broadcast(&P->done_cv);
    }
    pthread_mutex_unlock(&P->mu);
    free(st);
    return NULL;
}

/* ---------------------------------------------------------------- consumer */

static uint64_t low_mark(const warc_par *P)
{
    uint64_t a = P->last_lookup, b = P->last_read > P->lookback ? P->last_read - P->lookback : 0;
    return a > b ? a : b;
}

/* Reads block k (the next to fill) into job j from the source. */
static void fill_one(warc_par *P, pjob *j, int64_t k)
{
    if (!j->buf) j->buf = xmalloc(JOB_OWN + JOB_OVERLAP);
    j->off = P->base + (uint64_t)k * JOB_OWN;
    memcpy(j->buf, P->tail, P->tail_len);
    size_t len = P->tail_len, want = JOB_OWN + JOB_OVERLAP;
    while (len < want && !P->eof) {
        ssize_t n = P->src->read(P->src->ctx, j->buf + len, want - len, &P->err);
        if (n < 0) {
            P->failed = P->eof = 1;
            break;
        }
        if (n == 0) P->eof = 1;
        len += (size_t)n;
    }
    j->len = len;
    j->own = len < JOB_OWN ? len : JOB_OWN;
    P->tail_len = len > JOB_OWN ? len - JOB_OWN : 0;
    memcpy(P->tail, j->buf + JOB_OWN, P->tail_len);
    if (P->eof) P->end = j->off + len;
}

/* Makes job `need` filled, and fills ahead while slots are free. Called
 * with mu held. */
static void fill_to(warc_par *P, int64_t need)
{
    for (;;) {
        int64_t k = P->next_fill;
        if (k >= need + P->njobs) return;
        if (P->eof && P->base + (uint64_t)k * JOB_OWN >= P->end) return;
        pjob *j = &P->jobs[k % P->njobs];
        if (j->k >= 0) {
            uint64_t jend = j->off + j->own;
            if (jend > low_mark(P)) {
                if (k > need) return;
                /* Cannot happen with the lookback bound (see warc_par.h). */
                cd_die("warc_par: block %lld still needed", (long long)j->k);
            }
            if (j->state == J_QUEUED || j->state == J_RUNNING) {
                if (k > need) return;
                while (j->state == J_QUEUED || j->state == J_RUNNING) pthread_cond_wait(&P->done_cv, &P->mu);
            }
        }
        /* The slot is ours: no worker touches a job that is not QUEUED. */
        j->k = k;
        j->state = J_EMPTY;
        pthread_mutex_unlock(&P->mu);
        fill_one(P, j, k);
        pthread_mutex_lock(&P->mu);
        if (P->off || j->own == 0) {
            j->state = J_DONE;
            j->nres = j->cursor = 0;
        } else {
            j->state = J_QUEUED;
        }
        P->next_fill = k + 1;
        if (j->state == J_QUEUED) pthread_cond_signal(&P->work_cv);
        if (j->own == 0) return;
    }
}

static pjob *job_at(warc_par *P, uint64_t pos)
{
    int64_t k = (int64_t)((pos - P->base) / JOB_OWN);
    fill_to(P, k);   /* also fills ahead into freed slots */
    pjob *j = &P->jobs[k % P->njobs];
    return j->k == k ? j : NULL;
}

ssize_t warc_par_read(warc_par *P, uint64_t pos, void *buf, size_t n, cd_err *e)
{
    pthread_mutex_lock(&P->mu);
    P->last_read = pos;
    ssize_t got = 0;
    if (P->eof && pos >= P->end) {
        if (P->failed) {
            if (e) *e = P->err;
            got = -1;
        }
        pthread_mutex_unlock(&P->mu);
        return got;
    }
    pjob *j = job_at(P, pos);
    if (j && pos >= j->off && pos < j->off + j->own) {
        size_t k = (size_t)(j->off + j->own - pos);
        if (k > n) k = n;
        memcpy(buf, j->buf + (pos - j->off), k);
        got = (ssize_t)k;
    } else if (P->failed) {
        if (e) *e = P->err;
        got = -1;
    }
    pthread_mutex_unlock(&P->mu);
    return got;
}

int warc_par_lookup(warc_par *P, uint64_t pos, const unsigned char **out, size_t *olen, uint64_t *clen)
{
    if (pos < P->base || P->off) return 0;
    pthread_mutex_lock(&P->mu);
    if (pos > P->last_lookup) P->last_lookup = pos;
    int found = 0;
    pjob *j = (P->eof && pos >= P->end) ? NULL : job_at(P, pos);
    if (j) {
        while (j->state == J_QUEUED || j->state == J_RUNNING) pthread_cond_wait(&P->done_cv, &P->mu);
        while (j->cursor < j->nres && j->res[j->cursor].cstart < pos) j->cursor++;
        if (j->cursor < j->nres && j->res[j->cursor].cstart == pos) {
            const pres *r = &j->res[j->cursor];
            *out = j->out + r->ooff;
            *olen = r->olen;
            *clen = r->clen;
            found = 1;
        }
    }
    if (found) P->misses = 0;
    else if (++P->misses >= MAX_MISSES) P->off = 1;   /* not a per-record-gzip layout */
    pthread_mutex_unlock(&P->mu);
    return found;
}

warc_par *warc_par_start(io_source *src, uint64_t base, int threads, const warc_limits *lim, size_t lookback)
{
    if (threads < 2) return NULL;
    warc_par *P = xcalloc(1, sizeof *P);
    P->src = src;
    P->base = P->last_read = P->last_lookup = base;
    P->lookback = lookback;
    uint64_t ml = lim->ratio_floor;
    if (lim->max_member && lim->max_member < ml) ml = lim->max_member;
    if (ml > JOB_OUT_CAP) ml = JOB_OUT_CAP;
    P->member_limit = (size_t)ml;
    P->nthreads = threads;
    P->njobs = threads + 3;
    P->jobs = xcalloc((size_t)P->njobs, sizeof *P->jobs);
    for (int i = 0; i < P->njobs; i++) {
        P->jobs[i].k = -1;   /* buffers are allocated on first use */
    }
    P->tail = xmalloc(JOB_OVERLAP);
    pthread_mutex_init(&P->mu, NULL);
    pthread_cond_init(&P->work_cv, NULL);
    pthread_cond_init(&P->done_cv, NULL);
    P->th = xcalloc((size_t)threads, sizeof *P->th);
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&P->th[i], NULL, worker, P)) {
            P->nthreads = i;
            break;
        }
    }
    if (P->nthreads == 0) P->off = 1;   /* no workers: serve nothing, read only */
    return P;
}

void warc_par_free(warc_par *P)
{
    if (!P) return;
    pthread_mutex_lock(&P->mu);
    P->stop = 1;
    pthread_cond_broadcast(&P->work_cv);
    pthread_mutex_unlock(&P->mu);
    for (int i = 0; i < P->nthreads; i++) pthread_join(P->th[i], NULL);
    for (int i = 0; i < P->njobs; i++) {
        free(P->jobs[i].buf);
        free(P->jobs[i].out);
        free(P->jobs[i].res);
    }
    free(P->jobs);
    free(P->tail);
    free(P->th);
    pthread_mutex_destroy(&P->mu);
    pthread_cond_destroy(&P->work_cv);
    pthread_cond_destroy(&P->done_cv);
    free(P);
}

#else /* !HAVE_ISAL: the reader stays serial */

warc_par *warc_par_start(io_source *src, uint64_t base, int threads, const warc_limits *lim, size_t lookback)
{
    (void)src, (void)base, (void)threads, (void)lim, (void)lookback;
    return NULL;
}
ssize_t warc_par_read(warc_par *p, uint64_t pos, void *buf, size_t n, cd_err *e)
{
    (void)p, (void)pos, (void)buf, (void)n, (void)e;
    return 0;
}
int warc_par_lookup(warc_par *p, uint64_t pos, const unsigned char **out, size_t *olen, uint64_t *clen)
{
    (void)p, (void)pos, (void)out, (void)olen, (void)clen;
    return 0;
}
void warc_par_free(warc_par *p) { (void)p; }

#endif

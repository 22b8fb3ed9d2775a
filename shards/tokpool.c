/*
 * tokpool.c: encodes a batch of documents on several threads (see
 * shards.h). Document i goes to worker i mod T, each worker with its own
 * bpe_ctx; results land in out[i], so what the caller writes, in input
 * order, does not depend on the thread count. In JSONL mode the workers
 * also parse each record (the parse costs about half as much as the
 * encoding, and would otherwise be serial).
 */
#include "shards/shards.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct tok_job {
    const bpe *t;
    bpe_ctx *ctx;
    doc *const *docs;
    const char *const *lines;      /* JSONL mode: parse, then encode "text" */
    const size_t *lens;
    unsigned char *bad;
    bpe_ids *out;
    size_t n, first, step;
    unsigned flags;
    int failed;
    cd_err err;
} tok_job;

struct tokpool {
    const bpe *t;
    unsigned flags;
    int threads;
    tok_job *jobs;
};

tokpool *tokpool_new(const bpe *t, int threads, unsigned flags)
{
    tokpool *p = xcalloc(1, sizeof *p);
    p->t = t;
    p->flags = flags;
    p->threads = threads < 1 ? 1 : threads > 256 ? 256 : threads;
    p->jobs = xcalloc((size_t)p->threads, sizeof *p->jobs);
    for (int i = 0; i < p->threads; i++) p->jobs[i].ctx = bpe_ctx_new(t);
    return p;
}

int tokpool_threads(const tokpool *p) { return p->threads; }

static void *tok_worker(void *arg)
{
    tok_job *j = arg;
    for (size_t i = j->first; i < j->n; i += j->step) {
        j->out[i].len = 0;
        const doc *d = j->docs ? j->docs[i] : NULL;
        doc *parsed = NULL;
        if (!d) {
            cd_err de;
            if (!(d = parsed = doc_from_json(j->lines[i], j->lens[i], &de))) {
                j->bad[i] = 1;
                continue;
            }
            j->bad[i] = 0;
        }
        int rc = bpe_encode(j->t, j->ctx, d->text, d->text_len, j->flags, &j->out[i], &j->err);
        doc_free(parsed);
        if (rc) {
            j->failed = 1;
            return NULL;
        }
    }
    return NULL;
}

static int run_jobs(tokpool *p, doc *const *docs, const char *const *lines, const size_t *lens, unsigned char *bad,
                    size_t n, bpe_ids *out, cd_err *e)
{
    /* No more threads than documents; the caller's thread is worker 0. */
    int nt = (size_t)p->threads > n ? (int)(n ? n : 1) : p->threads;
    pthread_t tids[256];
    int started = 1;
    for (int i = 0; i < nt; i++) {
        tok_job *j = &p->jobs[i];
        j->t = p->t;
        j->docs = docs;
        j->lines = lines;
        j->lens = lens;
        j->bad = bad;
        j->out = out;
        j->n = n;
        j->first = (size_t)i;
        j->step = (size_t)nt;
        j->flags = p->flags;
        j->failed = 0;
    }
    for (int i = 1; i < nt; i++) {
        if (pthread_create(&tids[i], NULL, tok_worker, &p->jobs[i])) break;
        started++;
    }
    if (started < nt) /* fewer threads than asked: worker 0 takes the rest's documents too */
        for (int i = started; i < nt; i++) tok_worker(&p->jobs[i]);
    tok_worker(&p->jobs[0]);
    for (int i = 1; i < started; i++) pthread_join(tids[i], NULL);
    for (int i = 0; i < nt; i++)
        if (p->jobs[i].failed) {
            if (e) *e = p->jobs[i].err;
            return -1;
        }
    return 0;
}

int tokpool_encode(tokpool *p, doc *const *docs, size_t n, bpe_ids *out, cd_err *e)
{
    return run_jobs(p, docs, NULL, NULL, NULL, n, out, e);
}

int tokpool_encode_jsonl(tokpool *p, const char *const *lines, const size_t *lens, size_t n, bpe_ids *out,
                         unsigned char *bad, cd_err *e)
{
    return run_jobs(p, NULL, lines, lens, bad, n, out, e);
}

void tokpool_free(tokpool *p)
{
    if (!p) return;
    for (int i = 0; i < p->threads; i++) bpe_ctx_free(p->jobs[i].ctx);
    free(p->jobs);
    free(p);
}

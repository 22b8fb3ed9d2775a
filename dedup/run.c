/*
 * run.c: the global dedup run, in phases (see dedup.h for the removal rule
 * and docs/dedup.md for the design):
 *
 *  1 sign     each rank signs its share of the inputs, in parallel, into
 *             per-input work files: document keys and band records.
 *  2 rank     document keys are sent to rank 0 and externally sorted by
 *             (keep-policy key, id, input, position); the position in that
 *             order is the document's gid (after every earlier snapshot's).
 *             Rank 0 writes the snapshot's id table and the docnum -> gid map.
 *  2b store  with jaccard_check, each document's verification record
 *             (signature or shingle set) goes into the snapshot's
 *             verify-RRR.dat, indexed by gid in verify.idx.
 *  3 bands    band records (gid now) are shuffled to the rank owning their
 *             hash, externally sorted into this snapshot's run partition,
 *             and merged with the index's earlier runs; inside each
 *             (band, hash) group every new member pairs with the group's
 *             K earliest gids (K = 1 without a check).
 *  4 decide   pairs go to the rank owning the member's gid; it sorts them,
 *             and the smallest partner passing the check is duplicate_of.
 *             Roots: local pass, then pointer jumping over ranks (at most
 *             ceil(log2 N) rounds); rank 0 writes the ledger rows.
 *  5 rewrite  each rank rewrites its inputs: kept documents to OUT_DIR,
 *             removed ones (with their metadata) to the rejects file.
 *  6 commit   rank 0 records the snapshot in the index ledger in one
 *             transaction (and compacts the runs when there are many).
 *
 * Every exchange between ranks goes through dedup_comm in bounded rounds;
 * a single process uses a trivial comm and takes the very same path, which
 * is what makes an MPI run identical to a single-process one. Memory: the
 * sorters and merge buffers get fixed shares of memory_limit.
 */
#include "dedup/dedup.h"
#include "dedup/index.h"
#include "core/doc.h"
#include "core/io.h"
#include "core/log.h"
#include "core/pipeline.h"
#include "core/pool.h"
#include "core/stage.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIVE_RUNS 4
#define ID_KEY_MAX 4096

/* ------------------------------------------------------------ local comm */

static int local_exchange(void *ctx, const char *const *send, const size_t *len,
                          int (*recv)(void *arg, int from, const char *data, size_t n), void *arg)
{
    (void)ctx;
    return len[0] ? recv(arg, 0, send[0], len[0]) : 0;
}
static int local_or(void *ctx, int v) { (void)ctx; return v; }
static uint64_t local_sum(void *ctx, uint64_t v) { (void)ctx; return v; }
static void local_barrier(void *ctx) { (void)ctx; }
static const dedup_comm LOCAL_COMM = {0, 1, NULL, local_exchange, local_or, local_sum, local_barrier};

/* --------------------------------------------------------------- shuffle */

/* A record source: 1 = a record (rec, len, dest) is set, 0 = end, -1 = error. */
typedef int (*src_fn)(void *arg, int *dest, const void **rec, size_t *len, cd_err *e);
typedef int (*sink_fn)(void *arg, const void *rec, size_t len, cd_err *e);

typedef struct recv_ctx {
    sink_fn sink;
    void *arg;
    cd_err *e;
} recv_ctx;

static int recv_records(void *arg, int from, const char *data, size_t n)
{
    recv_ctx *r = arg;
    (void)from;
    size_t pos = 0;
    while (pos + 4 <= n) {
        uint32_t l;
        memcpy(&l, data + pos, 4);
        pos += 4;
        if (pos + l > n) return cd_fail(r->e, CD_EINTERNAL, "shuffle: torn record");
        if (r->sink(r->arg, data + pos, l, r->e)) return -1;
        pos += l;
    }
    return 0;
}

/* Moves every record of every rank's source to its destination rank, in
 * rounds of about round_bytes per rank. Collective. */
static int shuffle(const dedup_comm *c, size_t round_bytes, src_fn src, void *sarg, sink_fn sink, void *karg,
                   cd_err *e)
{
    sbuf *bufs = xcalloc((size_t)c->size, sizeof *bufs);
    const char **ptrs = xcalloc((size_t)c->size, sizeof *ptrs);
    size_t *lens = xcalloc((size_t)c->size, sizeof *lens);
    int done = 0, failed = 0;
    recv_ctx rc = {sink, karg, e};
    for (;;) {
        size_t total = 0;
        while (!done && !failed && total < round_bytes) {
            int dest;
            const void *rec;
            size_t len;
            int r = src(sarg, &dest, &rec, &len, e);
            if (r < 0) failed = 1;
            else if (r == 0) done = 1;
            else {
                uint32_t l = (uint32_t)len;
                sbuf_append(&bufs[dest], &l, 4);
                sbuf_append(&bufs[dest], rec, len);
                total += len + 4;
            }
        }
        for (int d = 0; d < c->size; d++) {
            ptrs[d] = bufs[d].data ? bufs[d].data : "";
            lens[d] = bufs[d].len;
        }
        if (c->exchange(c->ctx, ptrs, lens, recv_records, &rc)) failed = 1;
        for (int d = 0; d < c->size; d++) bufs[d].len = 0;
        /* Everyone loops until every rank is done; a failure ends it for all. */
        if (c->allreduce_or(c->ctx, failed)) {
            failed = 1;
            break;
        }
        if (!c->allreduce_or(c->ctx, !done)) break;
    }
    for (int d = 0; d < c->size; d++) sbuf_free(&bufs[d]);
    free(bufs);
    free(ptrs);
    free(lens);
    if (failed && !e->code) cd_fail(e, CD_EINTERNAL, "another rank failed");
    return failed ? -1 : 0;
}

/* ------------------------------------------------------------ comparators */

static int cmp_bytes(const void *a, size_t al, const void *b, size_t bl)
{
    /* doc key records: [u32 keylen][key][id] */
    uint32_t ka, kb;
    memcpy(&ka, a, 4);
    memcpy(&kb, b, 4);
    size_t n = ka < kb ? ka : kb;
    int c = memcmp((const char *)a + 4, (const char *)b + 4, n);
    if (c) return c;
    (void)al;
    (void)bl;
    return ka < kb ? -1 : ka > kb;
}

static int cmp_u64x2(const void *a, size_t al, const void *b, size_t bl)
{
    (void)al;
    (void)bl;
    const uint64_t *x = a, *y = b;
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    if (x[1] != y[1]) return x[1] < y[1] ? -1 : 1;
    return 0;
}

static int cmp_pair(const void *a, size_t al, const void *b, size_t bl)
{
    int c = cmp_u64x2(a, al, b, bl);
    if (c) return c;
    const uint64_t *x = a, *y = b;
    return x[2] < y[2] ? -1 : x[2] > y[2];
}

static int cmp_band(const void *a, size_t al, const void *b, size_t bl)
{
    (void)al;
    (void)bl;
    const dd_band_rec *x = a, *y = b;
    if (x->band != y->band) return x->band < y->band ? -1 : 1;
    if (x->hi != y->hi) return x->hi < y->hi ? -1 : 1;
    if (x->lo != y->lo) return x->lo < y->lo ? -1 : 1;
    if (x->gid != y->gid) return x->gid < y->gid ? -1 : 1;
    return 0;
}

/* ------------------------------------------------------------ run context */

typedef struct input_info {
    uint64_t docs, empty, bytes, bad;
    int failed;
} input_info;

typedef struct run_ctx {
    const dedup_run_opts *o;
    const dedup_params *p;
    const dedup_comm *c;
    dd_index *idx;
    dd_snap *snap;
    char *work;
    char **stems;
    input_info *info;       /* per input (filled for all after phase 1) */
    uint64_t *offsets;      /* global docnum of each input's first document */
    uint64_t ndocs, base;
    size_t *mine;           /* this rank's inputs */
    size_t nmine;
    atomic_int task_failed;
    cd_err task_err;
    pthread_mutex_t lock;
    dedup_run_stats *st;
    atomic_uint_fast64_t removed, removed_exact, removed_minhash;
} run_ctx;

static char *work_path(run_ctx *r, const char *what, size_t input)
{
    return xasprintf("%s/%s-%06zu", r->work, what, input);
}

static void task_fail(run_ctx *r, const cd_err *e)
{
    pthread_mutex_lock(&r->lock);
    if (!atomic_load(&r->task_failed)) r->task_err = *e;
    atomic_store(&r->task_failed, 1);
    pthread_mutex_unlock(&r->lock);
}

/* Opens input i with its reader (by suffix, JSONL by default). */
static int open_reader(run_ctx *r, size_t i, reader *rd, stage_ctx *ctx, cd_err *e)
{
    const reader_ops *ro = registry_reader_for_path(r->o->inputs[i]);
    if (!ro) ro = registry_reader("jsonl");
    if (!ro) return cd_fail(e, CD_ECONFIG, "no reader for %s", r->o->inputs[i]);
    memset(rd, 0, sizeof *rd);
    memset(ctx, 0, sizeof *ctx);
    ctx->input = r->o->inputs[i];
    ctx->input_stem = r->stems[i];
    ctx->out_dir = r->o->out_dir;
    ctx->threads = 1;
    rd->ops = ro;
    rd->ctx = ctx;
    rd->params = cfg_params_bind(ro->params, NULL, ro->name, e);
    if (!rd->params) return -1;
    if (ro->open(rd, r->o->inputs[i], e)) {
        cfg_params_free((cfg_params *)rd->params);
        return -1;
    }
    return 0;
}

static void close_reader(reader *rd)
{
    rd->ops->close(rd);
    cfg_params_free((cfg_params *)rd->params);
    stats_free(&rd->stats);
}

/* ------------------------------------------------------------- doc keys */

static void put_escaped(sbuf *b, const char *s, size_t n, int invert)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        unsigned char out[2];
        size_t k = 1;
        if (c == 0) out[0] = 1, out[1] = 1, k = 2;
        else if (c == 1) out[0] = 1, out[1] = 2, k = 2;
        else out[0] = c;
        for (size_t j = 0; j < k; j++) sbuf_putc(b, (char)(invert ? (unsigned char)~out[j] : out[j]));
    }
    sbuf_putc(b, (char)(invert ? 0xFF : 0x00));
}

static void put_be64(sbuf *b, uint64_t v)
{
    for (int i = 7; i >= 0; i--) sbuf_putc(b, (char)(v >> (i * 8)));
}

static uint64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

static const char *json_scalar_text(const json_value *v, size_t *n)
{
    if (!v) return NULL;
    if (v->type == JSON_STRING) return json_str(v, n);
    if (v->type == JSON_NUMBER) {
        *n = v->u.number.raw_len;
        return v->u.number.raw;
    }
    return NULL;
}

static uint64_t ordered_double(double v)
{
    uint64_t u;
    if (v == 0) v = 0;   /* -0 == +0 */
    memcpy(&u, &v, 8);
    return (u >> 63) ? ~u : (u | (1ULL << 63));
}

/* The composite policy: each key in turn, as order-preserving bytes
 * (inverted for desc). Missing strings are "" (first ascending, last
 * descending); missing numbers take the entry's `missing` value. */
static void put_composite(const dedup_params *p, const doc *d, sbuf *b)
{
    for (int i = 0; i < p->nkeep_keys; i++) {
        const dedup_keep_key *k = &p->keep_keys[i];
        if (k->what == DEDUP_KK_LENGTH) {
            uint64_t v = (uint64_t)d->text_len;
            put_be64(b, k->desc ? ~v : v);
            continue;
        }
        const json_value *jv = doc_meta_get(d, k->name);
        size_t n = 0;
        const char *s = json_scalar_text(jv, &n);
        if (k->has_prefer) {
            int hit = s && n == strlen(k->prefer) && !memcmp(s, k->prefer, n);
            if (jv && jv->type == JSON_BOOL) hit = !strcmp(k->prefer, jv->u.boolean ? "true" : "false");
            sbuf_putc(b, hit ? 0 : 1);
        } else if (k->numeric) {
            double v = jv && jv->type == JSON_NUMBER && !isnan(jv->u.number.value) ? jv->u.number.value : k->missing;
            uint64_t u = ordered_double(v);
            put_be64(b, k->desc ? ~u : u);
        } else {
            put_escaped(b, s ? s : "", s ? n : 0, k->desc);
        }
    }
}

/* Work-file form: [u32 keylen][key = policy ‖ escaped id ‖ input BE ‖ seq BE][u32 idlen][raw id].
 * The sorter gets the same without idlen (the record length implies it). */
static void build_key(const dedup_params *p, const doc *d, size_t input, uint64_t seq, sbuf *b)
{
    sbuf_reset(b);
    uint32_t zero = 0;
    sbuf_append(b, &zero, 4);
    size_t n = 0;
    const char *snap = json_scalar_text(doc_meta_get(d, "snapshot"), &n);
    switch (p->keep) {
    case DEDUP_KEEP_OLDEST: put_escaped(b, snap ? snap : "", snap ? n : 0, 0); break;
    case DEDUP_KEEP_NEWEST: put_escaped(b, snap ? snap : "", snap ? n : 0, 1); break;
    case DEDUP_KEEP_LONGEST: put_be64(b, ~(uint64_t)d->text_len); break;
    case DEDUP_KEEP_QUALITY: {
        const json_value *q = doc_meta_get(d, "quality");
        double v = q && q->type == JSON_NUMBER && !isnan(q->u.number.value) ? q->u.number.value : -INFINITY;
        uint64_t u;
        memcpy(&u, &v, 8);
        u = (u >> 63) ? ~u : (u | (1ULL << 63));   /* order-preserving */
        put_be64(b, ~u);                           /* highest first */
        break;
    }
    case DEDUP_KEEP_COMPOSITE: put_composite(p, d, b); break;
    }
    size_t idn = d->id_len > ID_KEY_MAX ? ID_KEY_MAX : d->id_len;
    put_escaped(b, d->id, idn, 0);
    put_be64(b, (uint64_t)input);
    put_be64(b, seq);
    uint32_t keylen = (uint32_t)(b->len - 4), idl = (uint32_t)idn;
    memcpy(b->data, &keylen, 4);
    sbuf_append(b, &idl, 4);
    sbuf_append(b, d->id, idn);
}

/* --------------------------------------------------------- phase 1: sign */

typedef struct wfile {
    FILE *f;
    char *path;
} wfile;

static int wopen(wfile *w, char *path, cd_err *e)
{
    w->path = path;
    w->f = fopen(path, "wb");
    if (!w->f) return cd_fail(e, CD_EIO, "cannot create %s: %s", path, strerror(errno));
    setvbuf(w->f, NULL, _IOFBF, 1u << 18);
    return 0;
}

static int wclose(wfile *w, cd_err *e)
{
    int rc = 0;
    if (w->f && fclose(w->f) != 0) rc = cd_fail(e, CD_EIO, "%s: write failed: %s", w->path, strerror(errno));
    free(w->path);
    w->f = NULL;
    w->path = NULL;
    return rc;
}

static int wput(wfile *w, const void *p, size_t n, cd_err *e)
{
    if (fwrite(p, 1, n, w->f) != n) return cd_fail(e, CD_EIO, "%s: write failed: %s", w->path, strerror(errno));
    return 0;
}

static void sign_task(void *arg, size_t task, int worker)
{
    (void)worker;
    run_ctx *r = arg;
    if (atomic_load(&r->task_failed)) return;
    size_t i = r->mine[task];
    const dedup_params *p = r->p;
    cd_err e;
    cd_err_clear(&e);
    input_info inf = {0};
    wfile keys = {0}, bands = {0}, vrec = {0};
    sbuf shingles = SBUF_INIT;
    reader rd;
    stage_ctx sctx;
    dedup_signer *sg = p->minhash ? dedup_signer_new(p) : NULL;
    uint64_t *sig = xcalloc((size_t)(p->bands * p->rows) + 8, sizeof *sig);
    dedup_hash128 *bh = xcalloc((size_t)p->bands, sizeof *bh);
    sbuf norm = SBUF_INIT, enorm = SBUF_INIT, key = SBUF_INIT;
    int same_norm = !memcmp(&p->norm, &p->exact_norm, sizeof p->norm);
    int opened = 0, rc = 0;
    if (wopen(&keys, work_path(r, "keys", i), &e) || wopen(&bands, work_path(r, "bands", i), &e) ||
        (p->jaccard_check && wopen(&vrec, work_path(r, "vrec", i), &e))) {
        rc = -1;
        goto out;
    }
    if (sg && p->jaccard_check == DEDUP_CHECK_EXACT) dedup_signer_collect(sg, &shingles);
    if (open_reader(r, i, &rd, &sctx, &e)) {
        log_error("dedup: %s", e.msg);
        inf.failed = 1;
        cd_err_clear(&e);
        goto out;
    }
    opened = 1;
    for (uint64_t seq = 0;; seq++) {
        doc *d = NULL;
        int got = rd.ops->next(&rd, &d, &e);
        if (got < 0) {
            log_error("dedup: input %s failed: %s (its documents are left out)", r->o->inputs[i], e.msg);
            inf.failed = 1;
            cd_err_clear(&e);
            break;
        }
        if (got == 0) break;
        inf.docs++;
        inf.bytes += d->text_len;
        build_key(p, d, i, seq, &key);
        if (wput(&keys, key.data, key.len, &e)) {
            doc_free(d);
            rc = -1;
            break;
        }
        dd_band_rec rec = {0};
        rec.gid = seq;
        sbuf_reset(&norm);
        if (p->minhash || same_norm) dedup_normalize(&p->norm, d->text, d->text_len, &norm);
        int any = 0;
        if (p->exact) {
            const char *kp = NULL;
            size_t kn = 0;
            if (p->exact_key == DEDUP_KEY_URL) {
                size_t un;
                const char *u = json_str(doc_meta_get(d, "url"), &un);
                if (u && un) {
                    sbuf_reset(&enorm);
                    dedup_normalize_url(u, un, &enorm);
                    kp = enorm.data, kn = enorm.len;
                }
            } else if (same_norm) {
                kp = norm.data, kn = norm.len;
            } else {
                sbuf_reset(&enorm);
                dedup_normalize(&p->exact_norm, d->text, d->text_len, &enorm);
                kp = enorm.data, kn = enorm.len;
            }
            if (kp && kn) {
                dedup_hash128 h = dedup_exact_hash(kp, kn);
                rec.hi = h.hi, rec.lo = h.lo, rec.band = DD_EXACT_BAND;
                if (wput(&bands, &rec, sizeof rec, &e)) rc = -1;
                any = 1;
            }
        }
        sbuf_reset(&shingles);
        uint32_t nv = 0;
        const void *vp = NULL;
        if (p->minhash && rc == 0 && dedup_signer_sign(sg, norm.data ? norm.data : "", norm.len, sig) > 0) {
            dedup_band_hashes(p, sig, bh);
            for (int b = 0; b < p->bands && rc == 0; b++) {
                rec.hi = bh[b].hi, rec.lo = bh[b].lo, rec.band = (uint32_t)b;
                if (wput(&bands, &rec, sizeof rec, &e)) rc = -1;
            }
            any = 1;
            if (p->jaccard_check == DEDUP_CHECK_SIGNATURE) {
                nv = (uint32_t)(p->bands * p->rows);
                vp = sig;
            } else if (p->jaccard_check == DEDUP_CHECK_EXACT) {
                nv = (uint32_t)dedup_hash_set((uint64_t *)shingles.data, shingles.len / 8);
                vp = shingles.data;
            }
        }
        if (p->jaccard_check && rc == 0 && (wput(&vrec, &nv, 4, &e) || (nv && wput(&vrec, vp, (size_t)nv * 8, &e))))
            rc = -1;
        if (!any) inf.empty++;
        doc_free(d);
        if (rc) break;
    }
    inf.bad = stats_get_drop(&rd.stats, "malformed_json");
out:
    if (opened) close_reader(&rd);
    if (keys.f && wclose(&keys, &e)) rc = -1;
    if (bands.f && wclose(&bands, &e)) rc = -1;
    if (vrec.f && wclose(&vrec, &e)) rc = -1;
    if (inf.failed) inf.docs = inf.empty = inf.bytes = 0;
    if (rc == 0) {
        char *ip = work_path(r, "info", i);
        char line[256];
        int n = snprintf(line, sizeof line, "%llu %llu %llu %llu %d\n", (unsigned long long)inf.docs,
                         (unsigned long long)inf.empty, (unsigned long long)inf.bytes, (unsigned long long)inf.bad,
                         inf.failed);
        if (cd_write_file_atomic(ip, line, (size_t)n, &e)) rc = -1;
        free(ip);
    }
    if (rc) task_fail(r, &e);
    dedup_signer_free(sg);
    free(sig);
    free(bh);
    sbuf_free(&norm);
    sbuf_free(&enorm);
    sbuf_free(&key);
    sbuf_free(&shingles);
}

static int read_infos(run_ctx *r, cd_err *e)
{
    uint64_t off = 0;
    for (size_t i = 0; i < r->o->ninputs; i++) {
        char *ip = work_path(r, "info", i);
        size_t n;
        char *s = cd_read_file(ip, &n, e);
        free(ip);
        if (!s) return -1;
        unsigned long long a = 0, b = 0, c = 0, d = 0;
        int f = 0;
        if (sscanf(s, "%llu %llu %llu %llu %d", &a, &b, &c, &d, &f) != 5) {
            free(s);
            return cd_fail(e, CD_EINTERNAL, "bad work file for input %zu", i);
        }
        free(s);
        r->info[i] = (input_info){a, b, c, d, f};
        r->offsets[i] = off;
        off += a;
    }
    r->ndocs = off;
    return 0;
}

/* ------------------------------------------------- sequential file source */

typedef struct file_src {
    run_ctx *r;
    size_t k;            /* index into r->mine */
    FILE *f;
    const char *what;
    size_t rec_size;     /* 0 = key records */
    sbuf buf;
    /* bands: docnum -> gid via the gid map */
    int gmap_fd;
    uint64_t *gbuf;
    uint64_t gfirst, gcount;
} file_src;

static int gmap_get(file_src *s, uint64_t docnum, uint64_t *gid, cd_err *e)
{
    if (docnum < s->gfirst || docnum >= s->gfirst + s->gcount) {
        s->gfirst = docnum;
        uint64_t want = 65536;
        if (docnum + want > s->r->ndocs) want = s->r->ndocs - docnum;
        if (dd_pread(s->gmap_fd, s->gbuf, want * 8, docnum * 8, "gid map", e)) return -1;
        s->gcount = want;
    }
    *gid = s->gbuf[docnum - s->gfirst];
    return 0;
}

static int file_src_next(void *arg, int *dest, const void **rec, size_t *len, cd_err *e)
{
    file_src *s = arg;
    run_ctx *r = s->r;
    for (;;) {
        if (!s->f) {
            while (s->k < r->nmine && r->info[r->mine[s->k]].failed) s->k++;
            if (s->k >= r->nmine) return 0;
            char *p = work_path(r, s->what, r->mine[s->k]);
            s->f = fopen(p, "rb");
            if (!s->f) {
                int rc = cd_fail(e, CD_EIO, "cannot open %s: %s", p, strerror(errno));
                free(p);
                return rc;
            }
            free(p);
            setvbuf(s->f, NULL, _IOFBF, 1u << 18);
        }
        if (s->rec_size) {
            sbuf_reset(&s->buf);
            sbuf_reserve(&s->buf, s->rec_size);
            size_t got = fread(s->buf.data, 1, s->rec_size, s->f);
            if (got == s->rec_size) {
                dd_band_rec *b = (dd_band_rec *)s->buf.data;
                size_t input = r->mine[s->k];
                if (gmap_get(s, r->offsets[input] + b->gid, &b->gid, e)) return -1;
                *dest = (int)(b->hi % (uint64_t)r->c->size);
                *rec = b;
                *len = s->rec_size;
                return 1;
            }
        } else {
            uint32_t kl;
            if (fread(&kl, 1, 4, s->f) == 4) {
                sbuf_reset(&s->buf);
                sbuf_append(&s->buf, &kl, 4);
                sbuf_reserve(&s->buf, kl + 4);
                if (fread(s->buf.data + 4, 1, kl + 4, s->f) != (size_t)kl + 4)
                    return cd_fail(e, CD_EIO, "short key record");
                uint32_t idl;
                memcpy(&idl, s->buf.data + 4 + kl, 4);
                s->buf.len = 4 + kl;
                sbuf_reserve(&s->buf, idl);
                if (idl && fread(s->buf.data + s->buf.len, 1, idl, s->f) != idl)
                    return cd_fail(e, CD_EIO, "short key record");
                s->buf.len += idl;
                *dest = 0;
                *rec = s->buf.data;
                *len = s->buf.len;
                return 1;
            }
        }
        if (ferror(s->f)) return cd_fail(e, CD_EIO, "read error in a work file");
        fclose(s->f);
        s->f = NULL;
        s->k++;
    }
}

/* --------------------------------------------------------- phase 2: rank */

static int empty_src(void *arg, int *dest, const void **rec, size_t *len, cd_err *e)
{
    (void)arg, (void)dest, (void)rec, (void)len, (void)e;
    return 0;
}

static int sink_xs(void *arg, const void *rec, size_t len, cd_err *e) { return xs_add(arg, rec, len, e); }

static int phase_rank(run_ctx *r, cd_err *e)
{
    size_t mem = (size_t)r->o->memory_limit;
    extsort *keys = r->c->rank == 0 ? xs_new(r->work, 0, mem / 2, cmp_bytes) : NULL;
    file_src src = {.r = r, .what = "keys"};
    int rc = shuffle(r->c, mem / 16 > (64u << 20) ? (64u << 20) : mem / 16, file_src_next, &src, sink_xs, keys, e);
    if (src.f) fclose(src.f);
    sbuf_free(&src.buf);
    if (rc || r->c->rank != 0) {
        xs_free(keys);
        return rc;
    }
    if (xs_finish(keys, e)) {
        xs_free(keys);
        return -1;
    }
    extsort *gm = xs_new(r->work, 16, mem / 4, cmp_u64x2);
    dd_out ids, off;
    char *pids = xasprintf("%s/ids.dat", r->snap->dir), *poff = xasprintf("%s/ids.off", r->snap->dir);
    rc = dd_out_open(&ids, pids, e);
    if (!rc && dd_out_open(&off, poff, e)) {
        dd_out_abort(&ids);
        rc = -1;
    }
    free(pids);
    free(poff);
    if (rc) {
        xs_free(keys);
        xs_free(gm);
        return -1;
    }
    uint64_t pos = 0, rank = 0;
    const void *rec;
    size_t len;
    int got = 0;
    while (rc == 0 && (got = xs_next(keys, &rec, &len, e)) == 1) {
        uint32_t kl;
        memcpy(&kl, rec, 4);
        const unsigned char *key = (const unsigned char *)rec + 4;
        uint64_t input = get_be64(key + kl - 16), seq = get_be64(key + kl - 8);
        const char *id = (const char *)rec + 4 + kl;
        size_t idn = len - 4 - kl;
        uint64_t pair[2] = {r->offsets[input] + seq, r->base + rank};
        rc = dd_out_write(&off, &pos, 8, e) || dd_out_write(&ids, id, idn, e) || xs_add(gm, pair, 16, e);
        pos += idn;
        rank++;
    }
    if (got < 0) rc = -1;
    if (!rc) rc = dd_out_write(&off, &pos, 8, e);
    xs_free(keys);
    if (rank != r->ndocs && !rc) rc = cd_fail(e, CD_EINTERNAL, "ranked %llu documents of %llu",
                                              (unsigned long long)rank, (unsigned long long)r->ndocs);
    if (!rc) {
        rc = dd_out_close(&ids, NULL, e);
        if (dd_out_close(&off, NULL, e)) rc = -1;
    } else {
        dd_out_abort(&ids);
        dd_out_abort(&off);
    }
    if (!rc) rc = xs_finish(gm, e);
    if (!rc) {
        dd_out gmo;
        char *pg = xasprintf("%s/gidmap.u64", r->work);
        rc = dd_out_open(&gmo, pg, e);
        free(pg);
        uint64_t expect = 0;
        while (!rc && (got = xs_next(gm, &rec, &len, e)) == 1) {
            const uint64_t *pr = rec;
            if (pr[0] != expect++) rc = cd_fail(e, CD_EINTERNAL, "gid map has a hole");
            else rc = dd_out_write(&gmo, &pr[1], 8, e);
        }
        if (got < 0) rc = -1;
        if (rc) dd_out_abort(&gmo);
        else rc = dd_out_close(&gmo, NULL, e);
    }
    xs_free(gm);
    return rc;
}

/* ------------------------------------------ phase 2b: verification records */

static int sync_fail(run_ctx *r, int rc, cd_err *e);

/* Creates a file of n bytes (zeros) in the snapshot directory: rank 0 only. */
static int create_sized(const char *path, uint64_t n, cd_err *e)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return cd_fail(e, CD_EIO, "cannot create %s: %s", path, strerror(errno));
    int rc = 0;
    if (ftruncate(fd, (off_t)n) != 0) rc = cd_fail(e, CD_EIO, "%s: cannot size: %s", path, strerror(errno));
    close(fd);
    return rc;
}

/* With jaccard_check, each rank moves its documents' verification records
 * (signature, or sorted shingle set) from the per-input work files into
 * verify-RRR.dat (appended in input order) and writes their gid-indexed
 * entries into the snapshot's verify.idx. Collective. */
static int phase_store(run_ctx *r, cd_err *e)
{
    if (!r->p->jaccard_check) return 0;
    char *pidx = xasprintf("%s/verify.idx", r->snap->dir);
    int rc = 0;
    if (r->c->rank == 0) rc = create_sized(pidx, r->ndocs * sizeof(dd_vrec_entry), e);
    if (sync_fail(r, rc, e)) {
        free(pidx);
        return -1;
    }
    int ifd = open(pidx, O_WRONLY | O_CLOEXEC);
    free(pidx);
    char *pg = xasprintf("%s/gidmap.u64", r->work);
    int gfd = open(pg, O_RDONLY | O_CLOEXEC);
    free(pg);
    if (ifd < 0 || (gfd < 0 && r->ndocs)) rc = cd_fail(e, CD_EIO, "cannot open verify.idx or the gid map: %s", strerror(errno));
    dd_out out;
    int opened = 0;
    if (!rc) {
        char *pd = xasprintf("%s/verify-%03d.dat", r->snap->dir, r->c->rank);
        rc = dd_out_open(&out, pd, e);
        opened = rc == 0;
        free(pd);
    }
    sbuf buf = SBUF_INIT;
    uint64_t off = 0;
    for (size_t k = 0; k < r->nmine && !rc; k++) {
        size_t i = r->mine[k];
        if (r->info[i].failed) continue;
        char *wp = work_path(r, "vrec", i);
        FILE *f = fopen(wp, "rb");
        if (!f) rc = cd_fail(e, CD_EIO, "cannot open %s: %s", wp, strerror(errno));
        free(wp);
        if (f) setvbuf(f, NULL, _IOFBF, 1u << 18);
        for (uint64_t seq = 0; !rc && seq < r->info[i].docs; seq++) {
            uint32_t n;
            uint64_t gid;
            if (fread(&n, 1, 4, f) != 4) {
                rc = cd_fail(e, CD_EIO, "short verification work file");
                break;
            }
            sbuf_reset(&buf);
            sbuf_reserve(&buf, (size_t)n * 8);
            if (n && fread(buf.data, 8, n, f) != n) {
                rc = cd_fail(e, CD_EIO, "short verification work file");
                break;
            }
            if (dd_pread(gfd, &gid, 8, (r->offsets[i] + seq) * 8, "gid map", e)) {
                rc = -1;
                break;
            }
            dd_vrec_entry ent = {off, n, (uint32_t)r->c->rank};
            rc = dd_pwrite(ifd, &ent, sizeof ent, (gid - r->base) * sizeof ent, "verify.idx", e) ||
                 (n && dd_out_write(&out, buf.data, (size_t)n * 8, e));
            off += (uint64_t)n * 8;
        }
        if (f) fclose(f);
    }
    sbuf_free(&buf);
    if (!rc && fsync(ifd) != 0) rc = cd_fail(e, CD_EIO, "verify.idx: fsync failed");
    if (ifd >= 0) close(ifd);
    if (gfd >= 0) close(gfd);
    if (opened) {
        if (rc) dd_out_abort(&out);
        else rc = dd_out_close(&out, NULL, e);
    }
    return rc;
}

/* -------------------------------------------------------- phase 3: bands */

typedef struct part_filter {
    int rank, size;
} part_filter;

static int accept_part(void *arg, const void *rec)
{
    const part_filter *f = arg;
    return (int)(((const dd_band_rec *)rec)->hi % (uint64_t)f->size) == f->rank;
}

typedef struct pair_writer {
    FILE *f;
    uint64_t n;
} pair_writer;

static int phase_bands(run_ctx *r, char **run_part, char **merged, cd_err *e)
{
    size_t mem = (size_t)r->o->memory_limit;
    extsort *xs = xs_new(r->work, sizeof(dd_band_rec), mem * 6 / 10, cmp_band);
    file_src src = {.r = r, .what = "bands", .rec_size = sizeof(dd_band_rec)};
    char *pg = xasprintf("%s/gidmap.u64", r->work);
    src.gmap_fd = open(pg, O_RDONLY | O_CLOEXEC);
    free(pg);
    src.gbuf = xmalloc(65536 * 8);
    int rc = 0;
    if (src.gmap_fd < 0 && r->ndocs) rc = cd_fail(e, CD_EIO, "cannot open the gid map: %s", strerror(errno));
    /* Collective even after a local failure: the others wait in shuffle. */
    rc = shuffle(r->c, mem / 16 > (64u << 20) ? (64u << 20) : mem / 16, rc ? empty_src : file_src_next, &src, sink_xs,
                 xs, e) || rc;
    if (src.f) fclose(src.f);
    if (src.gmap_fd >= 0) close(src.gmap_fd);
    free(src.gbuf);
    sbuf_free(&src.buf);
    if (rc) {
        xs_free(xs);
        return -1;
    }
    /* Write this rank's partition of the snapshot's run. */
    *run_part = xasprintf("%s/bands-%03d.run", r->snap->dir, r->c->rank);
    dd_out out;
    rc = xs_finish(xs, e) || dd_out_open(&out, *run_part, e);
    if (rc) {
        xs_free(xs);
        return -1;
    }
    rc = dd_out_write(&out, DD_RUN_MAGIC, DD_RUN_HEADER, e);
    const void *rec;
    size_t len;
    int got = 0;
    while (!rc && (got = xs_next(xs, &rec, &len, e)) == 1) {
        rc = dd_out_write(&out, rec, len, e);
    }
    if (got < 0) rc = -1;
    xs_free(xs);
    if (rc) {
        dd_out_abort(&out);
        return -1;
    }
    if (dd_out_close(&out, NULL, e)) return -1;

    /* Merge with the earlier runs; a compaction rewrites everything into one
     * run when a single process holds more than MAX_LIVE_RUNS. */
    size_t nin = r->idx->nruns + 1;
    char **paths = xcalloc(nin, sizeof *paths);
    for (size_t i = 0; i < r->idx->nruns; i++) paths[i] = r->idx->runs[i];
    paths[nin - 1] = *run_part;
    part_filter pf = {r->c->rank, r->c->size};
    xs_merge *m = xs_merge_open(paths, nin, DD_RUN_HEADER, sizeof(dd_band_rec), mem / 8, cmp_band,
                                r->c->size > 1 ? accept_part : NULL, &pf, e);
    free(paths);
    if (!m) return -1;
    dd_out comp;
    int compact = r->c->size == 1 && nin > MAX_LIVE_RUNS;
    if (compact) {
        *merged = xasprintf("%s/merged.run", r->snap->dir);
        if (dd_out_open(&comp, *merged, e) || dd_out_write(&comp, DD_RUN_MAGIC, DD_RUN_HEADER, e)) {
            xs_merge_close(m);
            return -1;
        }
    }
    char *pp = xasprintf("%s/pairs-%03d", r->work, r->c->rank);
    FILE *pf_out = fopen(pp, "wb");
    free(pp);
    if (!pf_out) {
        xs_merge_close(m);
        if (compact) dd_out_abort(&comp);
        return cd_fail(e, CD_EIO, "cannot create the pair file: %s", strerror(errno));
    }
    setvbuf(pf_out, NULL, _IOFBF, 1u << 18);
    dd_band_rec cur = {0};
    int have = 0, ng = 0;
    uint64_t npairs = 0;
    /* Each new member pairs with the K earliest members of its group (K = 1
     * without a Jaccard check: the earliest is then always accepted). */
    int K = r->p->jaccard_check ? r->p->jaccard_candidates : 1;
    uint64_t *first = xcalloc((size_t)K, sizeof *first);
    while (rc == 0 && (got = xs_merge_next(m, &rec, e)) == 1) {
        const dd_band_rec *b = rec;
        if (compact && dd_out_write(&comp, b, sizeof *b, e)) {
            rc = -1;
            break;
        }
        if (!have || b->band != cur.band || b->hi != cur.hi || b->lo != cur.lo) {
            cur = *b;
            have = 1;
            ng = 0;
        }
        if (b->gid >= r->base) {
            for (int j = 0; j < ng && rc == 0; j++) {
                if (first[j] == b->gid) continue;
                uint64_t pr[3] = {b->gid, first[j], b->band == DD_EXACT_BAND ? 1u : 0u};
                if (fwrite(pr, 1, sizeof pr, pf_out) != sizeof pr) rc = cd_fail(e, CD_EIO, "pair file write failed");
                npairs++;
            }
        }
        if (ng < (b->band == DD_EXACT_BAND ? 1 : K)) first[ng++] = b->gid;
    }
    free(first);
    if (got < 0) rc = -1;
    xs_merge_close(m);
    if (fclose(pf_out) != 0 && !rc) rc = cd_fail(e, CD_EIO, "pair file write failed");
    if (compact) {
        if (rc) dd_out_abort(&comp);
        else if (dd_out_close(&comp, NULL, e)) rc = -1;
    }
    pthread_mutex_lock(&r->lock);
    r->st->candidate_pairs += npairs;
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* ------------------------------------------------------- phase 4: decide */

/* Rank r owns the new gids [lo, hi): contiguous blocks of ceil(ndocs/N). */
static uint64_t own_chunk(const run_ctx *r)
{
    uint64_t n = (uint64_t)r->c->size;
    return r->ndocs ? (r->ndocs + n - 1) / n : 1;
}

static void own_range(const run_ctx *r, int rank, uint64_t *lo, uint64_t *hi)
{
    uint64_t ch = own_chunk(r), a = (uint64_t)rank * ch, b = a + ch;
    *lo = r->base + (a < r->ndocs ? a : r->ndocs);
    *hi = r->base + (b < r->ndocs ? b : r->ndocs);
}

static int owner_of(const run_ctx *r, uint64_t gid) { return (int)((gid - r->base) / own_chunk(r)); }

typedef struct pair_src {
    run_ctx *r;
    FILE *f;
    uint64_t rec[3];
} pair_src;

static int pair_src_next(void *arg, int *dest, const void **rec, size_t *len, cd_err *e)
{
    pair_src *s = arg;
    if (!s->f) return 0;
    size_t got = fread(s->rec, 1, sizeof s->rec, s->f);
    if (got == 0) return 0;
    if (got != sizeof s->rec) return cd_fail(e, CD_EIO, "short pair record");
    *dest = owner_of(s->r, s->rec[0]);
    *rec = s->rec;
    *len = sizeof s->rec;
    return 1;
}

/* Sequential writer of one rank's block of a per-gid u64 file, with reads
 * of what it already wrote (from its buffer or the file). */
typedef struct block_w {
    int fd;
    uint64_t *buf;
    size_t n, cap;
    uint64_t start;     /* file index of the block's first entry */
    uint64_t flushed;   /* entries of the block already on disk */
    const char *name;
} block_w;

static int block_flush(block_w *w, cd_err *e)
{
    if (!w->n) return 0;
    if (dd_pwrite(w->fd, w->buf, w->n * 8, (w->start + w->flushed) * 8, w->name, e)) return -1;
    w->flushed += w->n;
    w->n = 0;
    return 0;
}

static int block_put(block_w *w, uint64_t v, cd_err *e)
{
    w->buf[w->n++] = v;
    return w->n == w->cap ? block_flush(w, e) : 0;
}

static int block_get(block_w *w, uint64_t k, uint64_t *v, cd_err *e)
{
    if (k >= w->flushed) {
        *v = w->buf[k - w->flushed];
        return 0;
    }
    return dd_pread(w->fd, v, 8, (w->start + k) * 8, w->name, e);
}

static int insert_removed(run_ctx *r, sqlite3_stmt *ins, uint64_t v, uint64_t u, uint64_t root, int exact,
                          sbuf *tmp, cd_err *e)
{
    sqlite3_reset(ins);
    sqlite3_bind_int64(ins, 1, r->snap->ord);
    if (dd_index_id(r->idx, v, tmp, e)) return -1;
    sqlite3_bind_text(ins, 2, tmp->data, (int)tmp->len, SQLITE_TRANSIENT);
    if (dd_index_id(r->idx, u, tmp, e)) return -1;
    sqlite3_bind_text(ins, 3, tmp->data, (int)tmp->len, SQLITE_TRANSIENT);
    if (dd_index_id(r->idx, root, tmp, e)) return -1;
    sqlite3_bind_text(ins, 4, tmp->data, (int)tmp->len, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 5, exact ? "exact" : "minhash", -1, SQLITE_STATIC);
    if (sqlite3_step(ins) != SQLITE_DONE)
        return cd_fail(e, CD_EIO, "index ledger: %s", sqlite3_errmsg(r->idx->db));
    return 0;
}

/* Does the candidate (g, u) pass the Jaccard check? vg holds g's record. */
static int check_pair(run_ctx *r, const sbuf *vg, uint64_t u, sbuf *vu, int *pass, cd_err *e)
{
    if (dd_index_vrec(r->idx, u, vu, e)) return -1;
    const uint64_t *a = (const uint64_t *)vg->data, *b = (const uint64_t *)vu->data;
    size_t na = vg->len / 8, nb = vu->len / 8;
    double sim;
    if (r->p->jaccard_check == DEDUP_CHECK_SIGNATURE) sim = na == nb ? dedup_signature_similarity(a, b, na) : 0.0;
    else sim = dedup_set_jaccard(a, na, b, nb);
    *pass = sim >= r->p->jaccard_threshold;
    return 0;
}

/* Roots: in roots.u64 a resolved entry is the root gid; an unresolved one
 * is UNRESOLVED | a gid in a lower rank's block whose root it shares. */
#define UNRESOLVED (1ULL << 63)

typedef struct jump_src {
    run_ctx *r;
    int fd;
    uint64_t lo, hi, pos, bfirst, bn;
    uint64_t *blk;
    uint64_t rec[2];
} jump_src;

/* Requests {v, t}: every unresolved entry of this rank's block. */
static int jump_src_next(void *arg, int *dest, const void **rec, size_t *len, cd_err *e)
{
    jump_src *s = arg;
    while (s->pos < s->hi) {
        if (s->pos >= s->bfirst + s->bn) {
            s->bfirst = s->pos;
            s->bn = s->hi - s->pos < 65536 ? s->hi - s->pos : 65536;
            if (dd_pread(s->fd, s->blk, s->bn * 8, (s->bfirst - s->r->base) * 8, "roots", e)) return -1;
        }
        uint64_t v = s->pos++, x = s->blk[v - s->bfirst];
        if (!(x & UNRESOLVED)) continue;
        s->rec[0] = v;
        s->rec[1] = x & ~UNRESOLVED;
        *dest = owner_of(s->r, s->rec[1]);
        *rec = s->rec;
        *len = 16;
        return 1;
    }
    return 0;
}

typedef struct jump_io {
    run_ctx *r;
    int fd;
    FILE *replies;
    uint64_t rec[2], unresolved;
} jump_io;

/* At the owner of t: answer {v, roots[t]} (read before any update of this round). */
static int jump_answer(void *arg, const void *rec, size_t len, cd_err *e)
{
    jump_io *j = arg;
    uint64_t q[2], x;
    if (len != 16) return cd_fail(e, CD_EINTERNAL, "bad jump request");
    memcpy(q, rec, 16);
    if (dd_pread(j->fd, &x, 8, (q[1] - j->r->base) * 8, "roots", e)) return -1;
    q[1] = x;
    if (fwrite(q, 1, 16, j->replies) != 16) return cd_fail(e, CD_EIO, "reply file write failed");
    return 0;
}

static int reply_next(void *arg, int *dest, const void **rec, size_t *len, cd_err *e)
{
    jump_io *j = arg;
    size_t got = fread(j->rec, 1, 16, j->replies);
    if (got == 0) return 0;
    if (got != 16) return cd_fail(e, CD_EIO, "short reply record");
    *dest = owner_of(j->r, j->rec[0]);
    *rec = j->rec;
    *len = 16;
    return 1;
}

/* At the owner of v: roots[v] = the answer (a root, or a pointer further down). */
static int jump_apply(void *arg, const void *rec, size_t len, cd_err *e)
{
    jump_io *j = arg;
    uint64_t q[2];
    if (len != 16) return cd_fail(e, CD_EINTERNAL, "bad jump reply");
    memcpy(q, rec, 16);
    if (q[1] & UNRESOLVED) j->unresolved++;
    return dd_pwrite(j->fd, &q[1], 8, (q[0] - j->r->base) * 8, "roots", e);
}

/* Pointer jumping over ranks. After the local pass every unresolved entry
 * points into a strictly lower rank's block, so a chain is at most N-1
 * hops long; each synchronous round (all answers are read before any
 * update) doubles the hops an entry skips, so ceil(log2 N) rounds end it.
 * Collective; memory: one shuffle round plus a reply file on disk. */
static int resolve_roots(run_ctx *r, int fd, uint64_t lo, uint64_t hi, uint64_t unresolved, size_t round_bytes,
                         cd_err *e)
{
    int rc = 0, rounds = 0;
    uint64_t *blk = xmalloc(65536 * 8);
    char *rp = xasprintf("%s/replies-%03d", r->work, r->c->rank);
    while (r->c->allreduce_sum(r->c->ctx, rc ? 0 : unresolved) > 0) {
        if (++rounds > 64) {
            rc = cd_fail(e, CD_EINTERNAL, "roots did not resolve in 64 rounds");
            break;
        }
        jump_src src = {.r = r, .fd = fd, .lo = lo, .hi = hi, .pos = lo, .bfirst = lo, .bn = 0, .blk = blk};
        jump_io io = {.r = r, .fd = fd};
        io.replies = fopen(rp, "w+b");
        int lrc = io.replies ? 0 : cd_fail(e, CD_EIO, "cannot create %s: %s", rp, strerror(errno));
        lrc = shuffle(r->c, round_bytes, lrc ? empty_src : jump_src_next, &src, jump_answer, &io, e) || lrc;
        if (!lrc && fflush(io.replies) != 0) lrc = cd_fail(e, CD_EIO, "reply file write failed");
        if (io.replies) rewind(io.replies);
        lrc = shuffle(r->c, round_bytes, lrc || !io.replies ? empty_src : reply_next, &io, jump_apply, &io, e) || lrc;
        if (io.replies) fclose(io.replies);
        unresolved = io.unresolved;
        if (lrc) {
            rc = -1;
            break;
        }
    }
    unlink(rp);
    free(rp);
    free(blk);
    if (!rc && rounds && r->c->rank == 0) log_info("dedup: cluster roots resolved across ranks in %d round(s)", rounds);
    return rc;
}

/* Rank 0 writes the ledger rows of the removed documents (and counts them). */
static int write_ledger(run_ctx *r, int dfd, int rfd, cd_err *e)
{
    sqlite3_stmt *ins = NULL;
    sqlite3_prepare_v2(r->idx->db, "INSERT INTO dedup_removed(snap, id, duplicate_of, cluster, method) VALUES(?,?,?,?,?)",
                       -1, &ins, NULL);
    sbuf tmp = SBUF_INIT;
    uint64_t *d = xmalloc(65536 * 8), *rt = xmalloc(65536 * 8);
    int rc = 0;
    for (uint64_t k = 0; k < r->ndocs && !rc; k += 65536) {
        uint64_t n = r->ndocs - k < 65536 ? r->ndocs - k : 65536;
        rc = dd_pread(dfd, d, n * 8, k * 8, "dupof", e) || dd_pread(rfd, rt, n * 8, k * 8, "roots", e);
        for (uint64_t j = 0; j < n && !rc; j++) {
            if (d[j] == DD_NONE) continue;
            int exact = (d[j] & DD_EXACT_BIT) != 0;
            if (exact) atomic_fetch_add(&r->removed_exact, 1);
            else atomic_fetch_add(&r->removed_minhash, 1);
            atomic_fetch_add(&r->removed, 1);
            rc = insert_removed(r, ins, r->base + k + j, d[j] & ~DD_EXACT_BIT, rt[j], exact, &tmp, e);
        }
    }
    free(d);
    free(rt);
    sqlite3_finalize(ins);
    sbuf_free(&tmp);
    return rc;
}

/* Pairs go to the rank owning their member; each rank decides duplicate_of
 * for its block of gids (the smallest partner that passes the check) and
 * the roots it can see locally; pointer jumping resolves the rest. */
static int phase_decide(run_ctx *r, cd_err *e)
{
    size_t mem = (size_t)r->o->memory_limit;
    size_t round = mem / 16 > (64u << 20) ? (64u << 20) : mem / 16;
    dd_snap *s = r->snap;
    char *pd = xasprintf("%s/dupof.u64", s->dir), *pr = xasprintf("%s/roots.u64", s->dir);
    int rc = 0;
    if (r->c->rank == 0) rc = create_sized(pd, r->ndocs * 8, e) || create_sized(pr, r->ndocs * 8, e);
    if (sync_fail(r, rc, e)) {
        free(pd);
        free(pr);
        return -1;
    }
    extsort *xs = xs_new(r->work, 24, mem * 6 / 10, cmp_pair);
    pair_src src = {.r = r};
    char *pp = xasprintf("%s/pairs-%03d", r->work, r->c->rank);
    src.f = fopen(pp, "rb");
    free(pp);
    rc = shuffle(r->c, round, pair_src_next, &src, sink_xs, xs, e);
    if (src.f) fclose(src.f);
    if (!rc) rc = xs_finish(xs, e);
    int dfd = open(pd, O_RDWR | O_CLOEXEC), rfd = open(pr, O_RDWR | O_CLOEXEC);
    if (!rc && (dfd < 0 || rfd < 0)) rc = cd_fail(e, CD_EIO, "cannot open %s or %s: %s", pd, pr, strerror(errno));
    free(pd);
    free(pr);
    /* The id tables and verification records are read below. */
    if (!rc && r->c->rank == 0) {
        char *p1 = xasprintf("%s/ids.dat", s->dir), *p2 = xasprintf("%s/ids.off", s->dir);
        s->fd_ids = open(p1, O_RDONLY | O_CLOEXEC);
        s->fd_off = open(p2, O_RDONLY | O_CLOEXEC);
        free(p1);
        free(p2);
        if (s->fd_ids < 0 || s->fd_off < 0) rc = cd_fail(e, CD_EIO, "cannot open the new id table");
    }
    uint64_t lo, hi;
    own_range(r, r->c->rank, &lo, &hi);
    block_w dw = {.fd = dfd, .cap = 65536, .start = lo - r->base, .name = "dupof"};
    block_w rw = {.fd = rfd, .cap = 65536, .start = lo - r->base, .name = "roots"};
    dw.buf = xmalloc(dw.cap * 8);
    rw.buf = xmalloc(rw.cap * 8);
    sbuf vg = SBUF_INIT, vu = SBUF_INIT;
    uint64_t unresolved = 0, checked = 0, failed_checks = 0;
    const void *rec = NULL;
    size_t len;
    int got = rc ? 0 : xs_next(xs, &rec, &len, e);
    if (got < 0) rc = -1;
    for (uint64_t g = lo; g < hi && rc == 0; g++) {
        uint64_t dupof = DD_NONE, root = g;
        int loaded = 0;
        while (got == 1 && ((const uint64_t *)rec)[0] == g) {
            /* Records of one partner u are adjacent, the exact flag last. */
            const uint64_t *p = rec;
            uint64_t u = p[1];
            int exact = 0;
            while (got == 1 && ((const uint64_t *)rec)[0] == g && ((const uint64_t *)rec)[1] == u) {
                if (((const uint64_t *)rec)[2]) exact = 1;
                got = xs_next(xs, &rec, &len, e);
            }
            if (got < 0) {
                rc = -1;
                break;
            }
            if (dupof != DD_NONE) continue;   /* decided by a smaller partner */
            int pass = 1;
            if (!exact && r->p->jaccard_check) {
                if (!loaded && dd_index_vrec(r->idx, g, &vg, e)) {
                    rc = -1;
                    break;
                }
                loaded = 1;
                checked++;
                if (check_pair(r, &vg, u, &vu, &pass, e)) {
                    rc = -1;
                    break;
                }
                if (!pass) failed_checks++;
            }
            if (pass) dupof = u | (exact ? DD_EXACT_BIT : 0);
        }
        if (rc) break;
        if (got == 1 && ((const uint64_t *)rec)[0] < g) {
            rc = cd_fail(e, CD_EINTERNAL, "pair outside this rank's block");
            break;
        }
        if (dupof != DD_NONE) {
            uint64_t u = dupof & ~DD_EXACT_BIT;
            if (u < r->base) rc = dd_index_u64(r->idx, DD_ROOTS, u, &root, e);   /* final */
            else if (u >= lo) rc = block_get(&rw, u - lo, &root, e);            /* may be a pointer */
            else root = u | UNRESOLVED;                                           /* a lower rank's */
            if (!rc && (root & UNRESOLVED)) unresolved++;
        }
        if (!rc) rc = block_put(&dw, dupof, e) || block_put(&rw, root, e);
    }
    if (!rc && got == 1) rc = cd_fail(e, CD_EINTERNAL, "pair outside this rank's block");
    if (!rc) rc = block_flush(&dw, e) || block_flush(&rw, e);
    xs_free(xs);
    sbuf_free(&vg);
    sbuf_free(&vu);
    free(dw.buf);
    free(rw.buf);
    pthread_mutex_lock(&r->lock);
    r->st->checked_pairs += checked;
    r->st->rejected_pairs += failed_checks;
    pthread_mutex_unlock(&r->lock);
    /* Every block is written before any rank answers a jump request. */
    if (sync_fail(r, rc, e)) rc = -1;
    if (!rc) rc = resolve_roots(r, rfd, lo, hi, unresolved, round, e);
    if (!rc && (fsync(dfd) != 0 || fsync(rfd) != 0)) rc = cd_fail(e, CD_EIO, "dupof/roots: fsync failed");
    if (sync_fail(r, rc, e)) rc = -1;
    if (!rc && r->c->rank == 0) rc = write_ledger(r, dfd, rfd, e);
    if (dfd >= 0) close(dfd);
    if (rfd >= 0) close(rfd);
    return rc;
}

/* ------------------------------------------------------ phase 5: rewrite */

static char *out_path_for(run_ctx *r, size_t i)
{
    return xasprintf("%s/%s.jsonl.zst", r->o->out_dir, r->stems[i]);
}

static void rewrite_task(void *arg, size_t task, int worker)
{
    (void)worker;
    run_ctx *r = arg;
    if (atomic_load(&r->task_failed)) return;
    size_t i = r->mine[task];
    if (r->info[i].failed) return;
    cd_err e;
    cd_err_clear(&e);
    reader rd;
    stage_ctx sctx;
    io_writer *out = NULL, *rej = NULL;
    int rc = 0, opened = 0, gfd = -1;
    sbuf line = SBUF_INIT, tmp = SBUF_INIT;
    uint64_t *gbuf = xmalloc(8192 * sizeof *gbuf), gfirst = 0, gcount = 0;
    char *op = out_path_for(r, i);
    out = io_writer_create(op, IO_ZSTD, &e);
    free(op);
    if (!out) {
        rc = -1;
        goto done;
    }
    if (r->o->rejects) {
        char *rp = work_path(r, "rejects", i);
        rej = io_writer_create(rp, io_compression_for_path(r->o->rejects), &e);
        free(rp);
        if (!rej) {
            rc = -1;
            goto done;
        }
    }
    char *pg = xasprintf("%s/gidmap.u64", r->work);
    gfd = open(pg, O_RDONLY | O_CLOEXEC);
    free(pg);
    if (gfd < 0 && r->info[i].docs) {
        rc = cd_fail(&e, CD_EIO, "cannot open the gid map");
        goto done;
    }
    if (open_reader(r, i, &rd, &sctx, &e)) {
        rc = -1;
        goto done;
    }
    opened = 1;
    for (uint64_t seq = 0; rc == 0; seq++) {
        doc *d = NULL;
        int got = rd.ops->next(&rd, &d, &e);
        if (got < 0) {
            rc = -1;
            break;
        }
        if (got == 0) {
            if (seq != r->info[i].docs)
                rc = cd_fail(&e, CD_EINPUT, "%s changed between the two passes (%llu documents, then %llu)",
                             r->o->inputs[i], (unsigned long long)r->info[i].docs, (unsigned long long)seq);
            break;
        }
        if (seq >= r->info[i].docs) {
            doc_free(d);
            rc = cd_fail(&e, CD_EINPUT, "%s changed between the two passes", r->o->inputs[i]);
            break;
        }
        uint64_t gid, dupof, root;
        if (seq >= gfirst + gcount) {   /* the gid map is read sequentially, in chunks */
            gfirst = seq;
            gcount = r->info[i].docs - seq < 8192 ? r->info[i].docs - seq : 8192;
            rc = dd_pread(gfd, gbuf, gcount * 8, (r->offsets[i] + seq) * 8, "gid map", &e);
            if (rc) break;
        }
        gid = gbuf[seq - gfirst];
        if (!rc) rc = dd_pread(r->snap->fd_dupof, &dupof, 8, (gid - r->base) * 8, "dupof", &e);
        if (!rc && dupof != DD_NONE) {
            rc = dd_pread(r->snap->fd_roots, &root, 8, (gid - r->base) * 8, "roots", &e);
            if (!rc) rc = dd_index_id(r->idx, dupof & ~DD_EXACT_BIT, &tmp, &e);
            if (!rc) doc_meta_set_strn(d, "duplicate_of", tmp.data, tmp.len);
            if (!rc) rc = dd_index_id(r->idx, root, &tmp, &e);
            if (!rc) doc_meta_set_strn(d, "dedup_cluster", tmp.data, tmp.len);
            doc_meta_set_str(d, "dedup_method", (dupof & DD_EXACT_BIT) ? "exact" : "minhash");
            doc_drop(d, "duplicate");
            if (!rc && rej) {
                sbuf_reset(&line);
                doc_to_json(d, &line, 1);
                rc = io_write(rej, line.data, line.len, &e);
            }
        } else if (!rc) {
            sbuf_reset(&line);
            doc_to_json(d, &line, 0);
            rc = io_write(out, line.data, line.len, &e);
        }
        doc_free(d);
    }
done:
    if (opened) close_reader(&rd);
    if (gfd >= 0) close(gfd);
    if (out) {
        if (rc) io_writer_abort(out);
        else if (io_writer_commit(out, NULL, &e)) rc = -1;
    }
    if (rej) {
        if (rc) io_writer_abort(rej);
        else if (io_writer_commit(rej, NULL, &e)) rc = -1;
    }
    sbuf_free(&line);
    sbuf_free(&tmp);
    free(gbuf);
    if (rc) task_fail(r, &e);
}

static int concat_rejects(run_ctx *r, cd_err *e)
{
    dd_out o;
    if (dd_out_open(&o, r->o->rejects, e)) return -1;
    char *buf = xmalloc(1u << 20);
    int rc = 0;
    for (size_t i = 0; i < r->o->ninputs && !rc; i++) {
        if (r->info[i].failed) continue;
        char *p = work_path(r, "rejects", i);
        FILE *f = fopen(p, "rb");
        if (!f) rc = cd_fail(e, CD_EIO, "cannot open %s: %s", p, strerror(errno));
        free(p);
        size_t n;
        while (!rc && (n = fread(buf, 1, 1u << 20, f)) > 0) rc = dd_out_write(&o, buf, n, e);
        if (f) fclose(f);
    }
    free(buf);
    if (rc) dd_out_abort(&o);
    else rc = dd_out_close(&o, NULL, e);
    return rc;
}

/* After a pool_run of per-input tasks: the first task's error, or a stop
 * request (SIGTERM/SIGINT) that made the pool skip tasks; 0 when all ran. */
static int pool_outcome(run_ctx *r, cd_err *e)
{
    if (atomic_load(&r->task_failed)) {
        *e = r->task_err;
        return -1;
    }
    if (pool_stopping()) return cd_fail(e, CD_EIO, "interrupted by a stop request; nothing was committed");
    return 0;
}

/* -------------------------------------------------------- phase 6: commit */

static int add_file_row(run_ctx *r, sqlite3_stmt *st, const char *abs, const char *kind, cd_err *e)
{
    char sum[17];
    uint64_t size;
    if (io_file_checksum(abs, sum, &size, e)) return -1;
    const char *rel = abs + strlen(r->idx->dir) + 1;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, rel, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, r->snap->ord);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)size);
    sqlite3_bind_text(st, 5, sum, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return cd_fail(e, CD_EIO, "index ledger: %s", sqlite3_errmsg(r->idx->db));
    return 0;
}

static int phase_commit(run_ctx *r, const char *merged, cd_err *e)
{
    sqlite3 *db = r->idx->db;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO dedup_files(path, kind, snap, bytes, checksum, live) VALUES(?,?,?,?,?,1)",
                       -1, &st, NULL);
    const char *kinds[4][2] = {{"ids.dat", "ids"}, {"ids.off", "idoff"}, {"dupof.u64", "dupof"}, {"roots.u64", "roots"}};
    int rc = 0;
    for (int k = 0; k < 4 && !rc; k++) {
        char *p = xasprintf("%s/%s", r->snap->dir, kinds[k][0]);
        rc = add_file_row(r, st, p, kinds[k][1], e);
        free(p);
    }
    if (r->p->jaccard_check) {
        char *p = xasprintf("%s/verify.idx", r->snap->dir);
        if (!rc) rc = add_file_row(r, st, p, "verify", e);
        free(p);
        for (int k = 0; k < r->c->size && !rc; k++) {
            p = xasprintf("%s/verify-%03d.dat", r->snap->dir, k);
            rc = add_file_row(r, st, p, "verify", e);
            free(p);
        }
    }
    if (merged) {
        /* The compaction replaces every earlier run and this snapshot's part. */
        if (!rc) rc = add_file_row(r, st, merged, "run", e);
    } else {
        for (int k = 0; k < r->c->size && !rc; k++) {
            char *p = xasprintf("%s/bands-%03d.run", r->snap->dir, k);
            rc = add_file_row(r, st, p, "run", e);
            free(p);
        }
    }
    sqlite3_finalize(st);
    if (rc) return -1;
    if (merged) {
        char *sql = xasprintf("UPDATE dedup_files SET live=0 WHERE kind='run' AND path != 'snap-%06lld/merged.run'",
                              (long long)r->snap->ord);
        char *msg = NULL;
        if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) rc = cd_fail(e, CD_EIO, "index ledger: %s", msg);
        sqlite3_free(msg);
        free(sql);
        if (rc) return -1;
    }
    sqlite3_prepare_v2(db, "INSERT INTO dedup_snapshots(ord, name, base, count, created) VALUES(?,?,?,?,?)", -1, &st, NULL);
    sqlite3_bind_int64(st, 1, r->snap->ord);
    sqlite3_bind_text(st, 2, r->snap->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)r->base);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)r->ndocs);
    sqlite3_bind_double(st, 5, (double)time(NULL));
    if (sqlite3_step(st) != SQLITE_DONE) rc = cd_fail(e, CD_EIO, "index ledger: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    if (!rc) {
        sbuf sig = SBUF_INIT;
        dedup_params_signature(r->p, &sig);
        sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO dedup_meta(key, value) VALUES('params', ?)", -1, &st, NULL);
        sqlite3_bind_text(st, 1, sig.data, (int)sig.len, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE) rc = cd_fail(e, CD_EIO, "index ledger: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        sbuf_free(&sig);
    }
    return rc;
}

/* Deletes run files the catalogue no longer lists as live. */
static void drop_dead_runs(dd_index *x)
{
    sqlite3_stmt *st;
    sqlite3_prepare_v2(x->db, "SELECT path FROM dedup_files WHERE live=0", -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        char *p = xasprintf("%s/%s", x->dir, (const char *)sqlite3_column_text(st, 0));
        unlink(p);
        free(p);
    }
    sqlite3_finalize(st);
    sqlite3_exec(x->db, "DELETE FROM dedup_files WHERE live=0", NULL, NULL, NULL);
}

/* ------------------------------------------------------------------- run */

static int sync_fail(run_ctx *r, int rc, cd_err *e)
{
    /* A phase boundary: if any rank failed, all stop. */
    int any = r->c->allreduce_or(r->c->ctx, rc != 0);
    if (any && !rc) cd_fail(e, CD_EINTERNAL, "another rank failed (see its log)");
    return any ? -1 : 0;
}

static char **make_stems(char **inputs, size_t n)
{
    char **stems = xcalloc(n ? n : 1, sizeof *stems);
    for (size_t i = 0; i < n; i++) {
        char *s = pipeline_input_stem(inputs[i]);
        int clash = 0;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(stems[j], s)) clash = 1;
        if (clash) {
            char *t = xasprintf("%s-%zu", s, i);
            free(s);
            s = t;
        }
        stems[i] = s;
    }
    return stems;
}

int dedup_run(const dedup_run_opts *o, dedup_run_stats *st, cd_err *e)
{
    memset(st, 0, sizeof *st);
    run_ctx R;
    memset(&R, 0, sizeof R);
    run_ctx *r = &R;
    r->o = o;
    r->p = &o->params;
    r->c = o->comm ? o->comm : &LOCAL_COMM;
    r->st = st;
    pthread_mutex_init(&r->lock, NULL);
    int rc = 0;
    char *run_part = NULL, *merged = NULL;
    int began = 0;
    if (r->c->rank == 0) {
        rc = cd_mkdirs(o->out_dir, e) || cd_mkdirs(o->index_dir, e);
    }
    if (sync_fail(r, rc, e)) goto out;
    /* Rank 0 opens the index as its writer and verifies every checksum;
     * the other ranks only read it. */
    if (r->c->rank == 0) r->idx = dd_index_open(o->index_dir, 1, 1, e);
    if (sync_fail(r, r->c->rank == 0 && !r->idx, e)) goto out;
    if (r->c->rank != 0) r->idx = dd_index_open(o->index_dir, 0, 0, e);
    if (sync_fail(r, !r->idx, e)) goto out;
    {
        sbuf sig = SBUF_INIT;
        dedup_params_signature(r->p, &sig);
        if (r->idx->params_sig && strcmp(r->idx->params_sig, sig.data))
            rc = cd_fail(e, CD_ECONFIG,
                         "index %s was built with other signing parameters (%s); this config has (%s)",
                         o->index_dir, r->idx->params_sig, sig.data);
        sbuf_free(&sig);
    }
    char *name = o->snapshot ? xstrdup(o->snapshot) : xasprintf("snapshot-%lld", (long long)r->idx->next_ord);
    if (!rc && dd_index_has_snap(r->idx, name))
        rc = cd_fail(e, CD_ECONFIG, "snapshot '%s' is already in index %s (use another --snapshot name)", name,
                     o->index_dir);
    for (size_t i = 0; i < r->idx->nsnaps && !rc; i++)
        if (dd_snap_open_files(&r->idx->snaps[i], e)) rc = -1;
    r->base = r->idx->next_gid;
    r->snap = dd_index_add_snap(r->idx, name, 0);
    free(name);
    r->work = xasprintf("%s/work-%06lld", o->index_dir, (long long)r->snap->ord);
    if (!rc && r->c->rank == 0) {
        dd_rmtree(r->work);
        dd_rmtree(r->snap->dir);
        rc = cd_mkdirs(r->work, e) || cd_mkdirs(r->snap->dir, e);
    }
    if (sync_fail(r, rc, e)) goto out;
    began = 1;

    r->stems = make_stems(o->inputs, o->ninputs);
    r->info = xcalloc(o->ninputs ? o->ninputs : 1, sizeof *r->info);
    r->offsets = xcalloc(o->ninputs ? o->ninputs : 1, sizeof *r->offsets);
    r->mine = xcalloc(o->ninputs ? o->ninputs : 1, sizeof *r->mine);
    for (size_t i = 0; i < o->ninputs; i++)
        if ((int)(i % (size_t)r->c->size) == r->c->rank) r->mine[r->nmine++] = i;

    /* 1: sign */
    double t0 = cd_now();
    pool_run(o->threads > 0 ? o->threads : cd_ncpus(), r->nmine, sign_task, r);
    rc = pool_outcome(r, e);
    if (sync_fail(r, rc, e)) goto out;
    if (read_infos(r, e)) rc = -1;
    if (sync_fail(r, rc, e)) goto out;
    r->snap->count = r->ndocs;
    st->sign_seconds = cd_now() - t0;

    /* 2: rank */
    t0 = cd_now();
    rc = phase_rank(r, e);
    if (sync_fail(r, rc, e)) goto out;
    rc = phase_store(r, e);
    if (sync_fail(r, rc, e)) goto out;
    /* 3: bands and candidate pairs */
    rc = phase_bands(r, &run_part, &merged, e);
    if (sync_fail(r, rc, e)) goto out;
    st->sort_seconds = cd_now() - t0;
    /* 4: decide */
    t0 = cd_now();
    if (r->c->rank == 0) {
        char *msg = NULL;
        if (sqlite3_exec(r->idx->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
            rc = cd_fail(e, CD_EIO, "index ledger: %s", msg);
        sqlite3_free(msg);
    }
    if (!rc) rc = phase_decide(r, e);
    if (sync_fail(r, rc, e)) goto rollback;
    st->merge_seconds = cd_now() - t0;
    /* 5: rewrite */
    t0 = cd_now();
    {
        dd_snap *s = r->snap;
        if (s->fd_ids >= 0) close(s->fd_ids);
        if (s->fd_off >= 0) close(s->fd_off);
        s->fd_ids = s->fd_off = s->fd_dupof = s->fd_roots = -1;
        rc = dd_snap_open_files(s, e);
    }
    if (!rc) {
        pool_run(o->threads > 0 ? o->threads : cd_ncpus(), r->nmine, rewrite_task, r);
        rc = pool_outcome(r, e);
    }
    if (sync_fail(r, rc, e)) goto rollback;
    if (r->c->rank == 0 && o->rejects) rc = concat_rejects(r, e);
    if (sync_fail(r, rc, e)) goto rollback;
    st->write_seconds = cd_now() - t0;
    /* 6: commit. Every rank is past phase 5 (sync_fail above is collective), so
     * the work directory is dropped first: a kill between the commit and a
     * later removal would leave it behind a committed snapshot. */
    if (r->c->rank == 0) {
        dd_rmtree(r->work);
        rc = phase_commit(r, merged, e);
        char *msg = NULL;
        if (!rc && sqlite3_exec(r->idx->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
            rc = cd_fail(e, CD_EIO, "index ledger: commit failed: %s", msg);
        sqlite3_free(msg);
        if (rc) sqlite3_exec(r->idx->db, "ROLLBACK", NULL, NULL, NULL);
        else {
            drop_dead_runs(r->idx);
            if (merged) unlink(run_part);
        }
    }
    if (sync_fail(r, rc, e)) goto out;
    began = 0;
    goto out;
rollback:
    if (r->c->rank == 0) sqlite3_exec(r->idx->db, "ROLLBACK", NULL, NULL, NULL);
out:
    /* stats, summed over ranks */
    {
        uint64_t docs = 0, empty = 0, bytes = 0, failed = 0, bad = 0;
        for (size_t k = 0; k < r->nmine; k++) {
            size_t i = r->mine[k];
            docs += r->info[i].docs;
            empty += r->info[i].empty;
            bytes += r->info[i].bytes;
            bad += r->info[i].bad;
            failed += (uint64_t)r->info[i].failed;
        }
        int ok = e->code == 0;
        if (r->info && ok) {
            st->docs = r->c->allreduce_sum(r->c->ctx, docs);
            st->empty = r->c->allreduce_sum(r->c->ctx, empty);
            st->bytes = r->c->allreduce_sum(r->c->ctx, bytes);
            st->failed_inputs = r->c->allreduce_sum(r->c->ctx, failed);
            st->bad_records = r->c->allreduce_sum(r->c->ctx, bad);
            st->candidate_pairs = r->c->allreduce_sum(r->c->ctx, st->candidate_pairs);
            st->checked_pairs = r->c->allreduce_sum(r->c->ctx, st->checked_pairs);
            st->rejected_pairs = r->c->allreduce_sum(r->c->ctx, st->rejected_pairs);
        }
        st->removed = atomic_load(&r->removed);
        st->removed_exact = atomic_load(&r->removed_exact);
        st->removed_minhash = atomic_load(&r->removed_minhash);
    }
    if (r->work) {
        r->c->barrier(r->c->ctx);
        if (r->c->rank == 0) {
            dd_rmtree(r->work);
            if (began && r->snap) dd_rmtree(r->snap->dir);   /* a failed ingest leaves nothing */
        }
    }
    for (size_t i = 0; r->stems && i < o->ninputs; i++) free(r->stems[i]);
    free(r->stems);
    free(r->info);
    free(r->offsets);
    free(r->mine);
    free(r->work);
    free(run_part);
    free(merged);
    dd_index_close(r->idx);
    pthread_mutex_destroy(&r->lock);
    return e->code ? -1 : 0;
}

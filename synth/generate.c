/*
 * generate.c: sampling and batched generation over many sequences.
 *
 * synth_generate runs continuous batching: up to max_batch sequences are in
 * flight; each forward call mixes the prompts of sequences that just joined
 * (prefill, chunked SSD scan) with one token of every other sequence
 * (decode, single-step recurrence). A finished sequence's slot takes the
 * next request. Each request samples with its own RNG seeded from its own
 * seed, so its tokens do not depend on what else is in the batch (up to the
 * rounding of batched GEMMs) nor on the thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "synth/backend.h"
#include "synth/synth.h"

uint64_t synth_rng_seed(uint64_t seed) { return seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull; }

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

typedef struct cand {
    float logit;
    int id;
} cand;

static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->logit != y->logit) return x->logit > y->logit ? -1 : 1;
    return x->id - y->id;
}

int synth_sampling_greedy(const synth_sampling *s) { return s->temperature <= 0 || s->top_k == 1; }

double synth_rng_uniform(uint64_t *rng) { return (double)(rng_next(rng) >> 11) / 9007199254740992.0; }

int synth_sample(float *logits, int vocab, const synth_sampling *s, uint64_t *rng)
{
    return synth_sample_u(logits, vocab, s, synth_sampling_greedy(s) ? 0.0 : synth_rng_uniform(rng));
}

int synth_sample_u(const float *logits, int vocab, const synth_sampling *s, double u01)
{
    if (synth_sampling_greedy(s)) {
        int best = 0;
        for (int i = 1; i < vocab; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }
    cand *c = malloc((size_t)vocab * sizeof *c);
    if (!c) return 0;
    for (int i = 0; i < vocab; i++) {
        c[i].logit = logits[i] / s->temperature;
        c[i].id = i;
    }
    qsort(c, (size_t)vocab, sizeof *c, cand_cmp);
    int n = s->top_k > 0 && s->top_k < vocab ? s->top_k : vocab;
    double sum = 0;
    double *p = malloc((size_t)n * sizeof *p);
    if (!p) {
        int id = c[0].id;
        free(c);
        return id;
    }
    for (int i = 0; i < n; i++) sum += p[i] = exp((double)c[i].logit - c[0].logit);
    if (s->top_p > 0 && s->top_p < 1) {
        double acc = 0;
        int keep = n;
        for (int i = 0; i < n; i++) {
            acc += p[i] / sum;
            if (acc >= s->top_p) {
                keep = i + 1;
                break;
            }
        }
        n = keep;
        sum = 0;
        for (int i = 0; i < n; i++) sum += p[i];
    }
    double u = u01 * sum, acc = 0;
    int id = c[n - 1].id;
    for (int i = 0; i < n; i++) {
        acc += p[i];
        if (u < acc) {
            id = c[i].id;
            break;
        }
    }
    free(p);
    free(c);
    return id;
}

typedef struct slot {
    int req;          /* -1 when free */
    int fed;          /* prompt tokens fed so far */
    int fresh;        /* prompt not completely fed yet */
    int32_t last;
    uint64_t rng;
    synth_seq *seq;
} slot;

static int is_stop(const synth_request *r, const synth_config *c, int32_t t)
{
    if (r->stop) {
        for (int i = 0; i < r->n_stop; i++)
            if (r->stop[i] == t) return 1;
        return 0;
    }
    for (int i = 0; i < c->n_eos; i++)
        if (c->eos_ids[i] == t) return 1;
    return 0;
}

int synth_generate(synth_model *m, synth_request *reqs, int n, int max_batch, int prefill_chunk, cd_err *e)
{
    return synth_generate_ex(m, reqs, n, max_batch, prefill_chunk, NULL, e);
}

int synth_generate_ex(synth_model *m, synth_request *reqs, int n, int max_batch, int prefill_chunk,
                      synth_gen_stats *stats, cd_err *e)
{
    const synth_config *c = synth_model_config(m);
    if (max_batch < 1) max_batch = 1;
    int ctx = 1;
    for (int i = 0; i < n; i++) {
        reqs[i].n_out = 0;
        reqs[i].stopped = 0;
        int need = (reqs[i].prompt_len > 0 ? reqs[i].prompt_len : 1) + reqs[i].max_new;
        if (need > ctx) ctx = need;
    }
    slot *sl = xcalloc((size_t)max_batch, sizeof *sl);
    for (int i = 0; i < max_batch; i++) {
        sl[i].req = -1;
        if (!(sl[i].seq = synth_seq_new(m, ctx))) {
            for (int k = 0; k < i; k++) synth_seq_free(sl[k].seq);
            free(sl);
            return cd_fail(e, CD_EIO, "out of memory for %d sequence caches of %d positions", max_batch, ctx);
        }
    }
    int next = 0, active = 0, rc = 0;
    size_t tok_cap = 1024;
    int32_t *toks = xmalloc(tok_cap * sizeof *toks);
    int *ntok = xmalloc((size_t)max_batch * sizeof *ntok);
    synth_seq **seqs = xmalloc((size_t)max_batch * sizeof *seqs);
    int *who = xmalloc((size_t)max_batch * sizeof *who);
    synth_sample_row *rows = xmalloc((size_t)max_batch * sizeof *rows);
    int *rowslot = xmalloc((size_t)max_batch * sizeof *rowslot);
    int32_t *picked = xmalloc((size_t)max_batch * sizeof *picked);
    for (;;) {
        for (int i = 0; i < max_batch && next < n; i++) {
            if (sl[i].req >= 0) continue;
            while (next < n && reqs[next].max_new <= 0) next++;
            if (next >= n) break;
            sl[i].req = next++;
            sl[i].fresh = 1;
            sl[i].fed = 0;
            sl[i].rng = synth_rng_seed(reqs[sl[i].req].sampling.seed);
            synth_seq_reset(sl[i].seq);
            active++;
        }
        if (!active) break;
        int ns = 0;
        size_t nt = 0;
        for (int i = 0; i < max_batch; i++) {
            if (sl[i].req < 0) continue;
            synth_request *r = &reqs[sl[i].req];
            const int32_t *src = &sl[i].last;
            int k = 1;
            if (sl[i].fresh) {
                if (r->prompt_len > 0) {
                    src = r->prompt + sl[i].fed;
                    k = r->prompt_len - sl[i].fed;
                    if (prefill_chunk > 0 && k > prefill_chunk) k = prefill_chunk;
                    sl[i].fed += k;
                } else {
                    sl[i].last = c->bos_id;
                    sl[i].fed = 0;
                }
            }
            if (nt + (size_t)k > tok_cap) {
                while (nt + (size_t)k > tok_cap) tok_cap *= 2;
                toks = xrealloc(toks, tok_cap * sizeof *toks);
            }
            memcpy(toks + nt, src, (size_t)k * sizeof *toks);
            nt += (size_t)k;
            ntok[ns] = k;
            seqs[ns] = sl[i].seq;
            who[ns++] = i;
        }
        if (stats) {
            /* Occupancy: sequences in this step against the batch's slots;
             * "warm" steps are those with requests still waiting. */
            stats->steps++;
            stats->busy += ns;
            if (next < n) {
                stats->warm_steps++;
                stats->warm_busy += ns;
            }
            stats->max_batch = max_batch;
        }
        /* Logits stay on the backend; only the sampled ids come back. */
        if (synth_forward(m, seqs, ns, toks, ntok, 0, NULL, e)) {
            rc = -1;
            break;
        }
        int nrows = 0;
        for (int j = 0; j < ns; j++) {
            slot *s = &sl[who[j]];
            synth_request *r = &reqs[s->req];
            if (s->fresh && s->fed < r->prompt_len) continue;   /* mid-prompt: its logits are not sampled */
            const synth_sampling *sp = &r->sampling;
            rows[nrows] = (synth_sample_row){j, sp->temperature, sp->top_k, sp->top_p,
                                             synth_sampling_greedy(sp) ? 0.0 : synth_rng_uniform(&s->rng)};
            rowslot[nrows++] = who[j];
        }
        if (nrows && synth_sample_rows(m, rows, nrows, picked, e)) {
            rc = -1;
            break;
        }
        for (int q = 0; q < nrows; q++) {
            slot *s = &sl[rowslot[q]];
            synth_request *r = &reqs[s->req];
            s->fresh = 0;
            int32_t t = picked[q];
            int done = 0;
            if (is_stop(r, c, t)) {
                r->stopped = 1;
                done = 1;
            } else {
                r->out[r->n_out++] = t;
                s->last = t;
                done = r->n_out >= r->max_new;
            }
            if (done) {
                s->req = -1;
                active--;
            }
        }
    }
    for (int i = 0; i < max_batch; i++) synth_seq_free(sl[i].seq);
    free(sl);
    free(toks);
    free(ntok);
    free(seqs);
    free(who);
    free(rows);
    free(rowslot);
    free(picked);
    return rc;
}

void synth_plan_compute(const synth_config *c, int batch, int64_t ctx, int weight_bytes, int kv_bytes, int state_bytes,
                        int act_rows, synth_plan *p)
{
    memset(p, 0, sizeof *p);
    p->weight_bytes = (double)synth_config_params(c) * weight_bytes;
    p->kv_bytes_per_seq = 2.0 * synth_config_count(c, '*') * (double)ctx * c->n_kv_head * c->head_dim * kv_bytes;
    p->ssm_bytes_per_seq = (double)synth_config_count(c, 'M') * c->m_heads * c->m_head_dim * c->d_state * state_bytes;
    p->conv_bytes_per_seq = (double)synth_config_count(c, 'M') * (c->d_conv - 1) * c->conv_dim * state_bytes;
    /* Activations (fp32, as synth/graph.c allocates them): per token row three
     * hidden-width buffers, the widest projection, K and V, conv input and the
     * mixer output; plus the logits of one row per sequence. */
    double w = c->d_in_proj > c->d_ff ? c->d_in_proj : c->d_ff;
    double qd = (double)c->n_head * c->head_dim, kd = (double)c->n_kv_head * c->head_dim;
    if (qd > w) w = qd;
    double yw = c->d_inner > qd ? c->d_inner : qd;
    if (act_rows < batch) act_rows = batch;
    p->act_bytes = (double)act_rows * (3.0 * c->hidden + w + 2 * kd + c->conv_dim + yw) * 4 + (double)batch * c->vocab * 4;
    p->total_bytes = p->weight_bytes + batch * (p->kv_bytes_per_seq + p->ssm_bytes_per_seq + p->conv_bytes_per_seq) + p->act_bytes;
}

void synth_plan_gpu(const synth_config *c, int batch, int64_t ctx, int state_bytes, int prefill_chunk, synth_plan *p)
{
    int rows = prefill_chunk > batch ? prefill_chunk : batch;
    synth_plan_compute(c, batch, ctx, 2, 4, state_bytes, rows, p);
    p->conv_bytes_per_seq = (double)synth_config_count(c, 'M') * (c->d_conv - 1) * c->conv_dim * 4;   /* always fp32 */
    /* scratch of synth/cuda/cuda_backend.cu; buffers grow to twice the need */
    double cols = c->hidden;
    double widths[] = {(double)c->d_inner, (double)c->d_ff, (double)c->n_head * c->head_dim};
    for (int i = 0; i < 3; i++)
        if (widths[i] > cols) cols = widths[i];
    double gemm_in = 2.0 * rows * cols * 2;
    double workspace = 32.0 * 1048576;
    double L = c->chunk > 0 ? c->chunk : 1, nc = ceil(prefill_chunk / L);
    double ssd = (2.0 * c->m_heads * prefill_chunk + c->n_groups * nc * L * L + nc * c->m_heads * (double)c->m_head_dim * c->d_state) * 4;
    double sampler = 2.0 * batch * (double)c->vocab * 8;
    double splits = 2.0 * batch * c->n_head * 32.0 * (c->head_dim + 2) * 4;
    p->act_bytes += gemm_in + workspace + ssd + sampler + splits;
    p->total_bytes = p->weight_bytes + batch * (p->kv_bytes_per_seq + p->ssm_bytes_per_seq + p->conv_bytes_per_seq) + p->act_bytes;
}

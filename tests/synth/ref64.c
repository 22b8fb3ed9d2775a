/*
 * ref64.c: a deliberately naive float64 reference for the Nemotron-H forward
 * pass, written for the tests independently of synth/: its own safetensors
 * reading (core/json only), its own loops, token-by-token Mamba-2 recurrence
 * and full-softmax attention recomputed from scratch at every position. It
 * shares no kernel with the engine, so agreement between the two is
 * evidence, not tautology. Slow on purpose; only for tiny models.
 */
#include "tests/synth/ref64.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/util.h"

typedef struct rt {
    char name[200];
    double *v;
    size_t n;
} rt;

typedef struct ref {
    rt *t;
    size_t n;
    arena a;
    json_value *cfg;
} ref;

static double bf(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static int ref_read(ref *r, const char *dir)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    size_t n;
    cd_err e;
    unsigned char *buf = (unsigned char *)cd_read_file(p, &n, &e);
    if (!buf) return -1;
    uint64_t hl = 0;
    memcpy(&hl, buf, 8);
    json_value *h = json_parse(&r->a, (char *)buf + 8, hl, 8, &e);
    if (!h) {
        free(buf);
        return -1;
    }
    r->t = calloc(h->u.object.len, sizeof *r->t);
    for (size_t i = 0; i < h->u.object.len; i++) {
        json_member *m = &h->u.object.items[i];
        if (!strncmp(m->key, "__metadata__", m->key_len)) continue;
        rt *t = &r->t[r->n++];
        snprintf(t->name, sizeof t->name, "%.*s", (int)m->key_len, m->key);
        const char *dt = json_str(json_object_get(m->value, "dtype"), NULL);
        json_value *off = json_object_get(m->value, "data_offsets");
        size_t b0 = (size_t)off->u.array.items[0]->u.number.value, b1 = (size_t)off->u.array.items[1]->u.number.value;
        const unsigned char *d = buf + 8 + hl + b0;
        int is_bf = !strncmp(dt, "BF16", 4);
        t->n = (b1 - b0) / (is_bf ? 2 : 4);
        t->v = malloc(t->n * sizeof *t->v);
        for (size_t k = 0; k < t->n; k++) {
            if (is_bf) {
                uint16_t x;
                memcpy(&x, d + 2 * k, 2);
                t->v[k] = bf(x);
            } else {
                float x;
                memcpy(&x, d + 4 * k, 4);
                t->v[k] = x;
            }
        }
    }
    free(buf);
    snprintf(p, sizeof p, "%s/config.json", dir);
    char *c = cd_read_file(p, &n, &e);
    if (!c) return -1;
    /* the tests' configs are plain JSON */
    char *copy = arena_strndup(&r->a, c, n);
    free(c);
    r->cfg = json_parse(&r->a, copy, n, 16, &e);
    return r->cfg ? 0 : -1;
}

static const double *W(ref *r, const char *fmt, int l)
{
    char name[200], alt[220];
    snprintf(name, sizeof name, fmt, l);
    for (size_t i = 0; i < r->n; i++) {
        if (!strcmp(r->t[i].name, name)) return r->t[i].v;
        snprintf(alt, sizeof alt, "backbone.%s", name);
        if (!strcmp(r->t[i].name, alt)) return r->t[i].v;
    }
    fprintf(stderr, "ref64: missing %s\n", name);
    abort();   /* test-only code: a missing tensor is a bug in the test */
}

static int I(ref *r, const char *k) { return (int)json_num(json_object_get(r->cfg, k), 0); }

/* y[o] = sum_i M[o*in + i] x[i] */
static void mv(const double *M, const double *x, int out, int in, double *y)
{
    for (int o = 0; o < out; o++) {
        double s = 0;
        for (int i = 0; i < in; i++) s += M[(size_t)o * in + i] * x[i];
        y[o] = s;
    }
}

static void rms(const double *x, const double *w, int d, double eps, double *y)
{
    double ss = 0;
    for (int i = 0; i < d; i++) ss += x[i] * x[i];
    double r = 1 / sqrt(ss / d + eps);
    for (int i = 0; i < d; i++) y[i] = x[i] * r * w[i];
}

static double silu(double v) { return v / (1 + exp(-v)); }

int ref64_forward(const char *dir, const int32_t *tok, int T, float *out)
{
    ref r = {0};
    arena_init(&r.a, 0);
    if (ref_read(&r, dir)) return -1;
    int D = I(&r, "hidden_size"), V = I(&r, "vocab_size"), nh = I(&r, "num_attention_heads"),
        nkv = I(&r, "num_key_value_heads"), hd = I(&r, "head_dim"), H = I(&r, "mamba_num_heads"),
        P = I(&r, "mamba_head_dim"), N = I(&r, "ssm_state_size"), G = I(&r, "n_groups"), K = I(&r, "conv_kernel");
    double eps = json_num(json_object_get(r.cfg, "layer_norm_epsilon"), 1e-5);
    const char *pat = json_str(json_object_get(r.cfg, "hybrid_override_pattern"), NULL);
    int L = (int)strlen(pat), DI = H * P, CD = DI + 2 * G * N;
    /* hidden states of every position through the layers: x[t][D] */
    double *x = calloc((size_t)T * D, sizeof *x), *h = malloc((size_t)D * sizeof *h);
    const double *emb = W(&r, "embeddings.weight", 0);
    for (int t = 0; t < T; t++)
        for (int i = 0; i < D; i++) x[(size_t)t * D + i] = emb[(size_t)tok[t] * D + i];

    for (int l = 0; l < L; l++) {
        const double *nw = W(&r, "layers.%d.norm.weight", l);
        if (pat[l] == 'M') {
            const double *inp = W(&r, "layers.%d.mixer.in_proj.weight", l), *cw = W(&r, "layers.%d.mixer.conv1d.weight", l),
                         *cb = W(&r, "layers.%d.mixer.conv1d.bias", l), *dtb = W(&r, "layers.%d.mixer.dt_bias", l),
                         *al = W(&r, "layers.%d.mixer.A_log", l), *Dp = W(&r, "layers.%d.mixer.D", l),
                         *gn = W(&r, "layers.%d.mixer.norm.weight", l), *op = W(&r, "layers.%d.mixer.out_proj.weight", l);
            int PR = 2 * DI + 2 * G * N + H;
            double *proj = malloc((size_t)T * PR * sizeof *proj);
            for (int t = 0; t < T; t++) {
                rms(x + (size_t)t * D, nw, D, eps, h);
                mv(inp, h, PR, D, proj + (size_t)t * PR);
            }
            double *S = calloc((size_t)H * P * N, sizeof *S);
            double *xc = malloc((size_t)CD * sizeof *xc), *y = malloc((size_t)DI * sizeof *y), *o = malloc((size_t)D * sizeof *o);
            for (int t = 0; t < T; t++) {
                const double *pr = proj + (size_t)t * PR;
                for (int c = 0; c < CD; c++) {
                    double s = cb[c];
                    for (int k = 0; k < K; k++) {
                        int src = t - (K - 1) + k;
                        if (src >= 0) s += cw[(size_t)c * K + k] * proj[(size_t)src * PR + DI + c];
                    }
                    xc[c] = silu(s);
                }
                for (int hh = 0; hh < H; hh++) {
                    int g = hh / (H / G);
                    double v = pr[DI + CD + hh] + dtb[hh];
                    double dt = v > 30 ? v : log1p(exp(v));
                    double A = -exp(al[hh]), dA = exp(dt * A);
                    for (int p = 0; p < P; p++) {
                        double xv = xc[hh * P + p], acc = 0;
                        for (int n = 0; n < N; n++) {
                            double *s = &S[((size_t)hh * P + p) * N + n];
                            *s = dA * *s + dt * xv * xc[DI + g * N + n];
                            acc += *s * xc[DI + G * N + g * N + n];
                        }
                        y[hh * P + p] = acc + Dp[hh] * xv;
                    }
                }
                for (int i = 0; i < DI; i++) y[i] *= silu(pr[i]);
                int gs = DI / G;
                for (int g = 0; g < G; g++) rms(y + g * gs, gn + g * gs, gs, eps, y + g * gs);
                mv(op, y, D, DI, o);
                for (int i = 0; i < D; i++) x[(size_t)t * D + i] += o[i];
            }
            free(S); free(xc); free(y); free(o); free(proj);
        } else if (pat[l] == '*') {
            const double *q = W(&r, "layers.%d.mixer.q_proj.weight", l), *k = W(&r, "layers.%d.mixer.k_proj.weight", l),
                         *v = W(&r, "layers.%d.mixer.v_proj.weight", l), *op = W(&r, "layers.%d.mixer.o_proj.weight", l);
            int QD = nh * hd, KD = nkv * hd;
            double *Q = malloc((size_t)T * QD * sizeof *Q), *Kc = malloc((size_t)T * KD * sizeof *Kc),
                   *Vc = malloc((size_t)T * KD * sizeof *Vc), *ctx = malloc((size_t)QD * sizeof *ctx),
                   *o = malloc((size_t)D * sizeof *o), *sc = malloc((size_t)T * sizeof *sc);
            for (int t = 0; t < T; t++) {
                rms(x + (size_t)t * D, nw, D, eps, h);
                mv(q, h, QD, D, Q + (size_t)t * QD);
                mv(k, h, KD, D, Kc + (size_t)t * KD);
                mv(v, h, KD, D, Vc + (size_t)t * KD);
            }
            double *xn = malloc((size_t)T * D * sizeof *xn);
            for (int t = 0; t < T; t++) {
                for (int qh = 0; qh < nh; qh++) {
                    int kh = qh / (nh / nkv);
                    double mx = -1e300, sum = 0;
                    for (int j = 0; j <= t; j++) {
                        double s = 0;
                        for (int d = 0; d < hd; d++) s += Q[(size_t)t * QD + qh * hd + d] * Kc[(size_t)j * KD + kh * hd + d];
                        sc[j] = s / sqrt((double)hd);
                        if (sc[j] > mx) mx = sc[j];
                    }
                    for (int j = 0; j <= t; j++) sum += sc[j] = exp(sc[j] - mx);
                    for (int d = 0; d < hd; d++) {
                        double acc = 0;
                        for (int j = 0; j <= t; j++) acc += sc[j] / sum * Vc[(size_t)j * KD + kh * hd + d];
                        ctx[qh * hd + d] = acc;
                    }
                }
                mv(op, ctx, D, QD, o);
                for (int i = 0; i < D; i++) xn[(size_t)t * D + i] = x[(size_t)t * D + i] + o[i];
            }
            memcpy(x, xn, (size_t)T * D * sizeof *x);
            free(xn); free(Q); free(Kc); free(Vc); free(ctx); free(o); free(sc);
        } else {
            const double *up = W(&r, "layers.%d.mixer.up_proj.weight", l), *dn = W(&r, "layers.%d.mixer.down_proj.weight", l);
            int F = I(&r, "intermediate_size");
            double *u = malloc((size_t)F * sizeof *u), *o = malloc((size_t)D * sizeof *o);
            for (int t = 0; t < T; t++) {
                rms(x + (size_t)t * D, nw, D, eps, h);
                mv(up, h, F, D, u);
                for (int i = 0; i < F; i++) u[i] = u[i] > 0 ? u[i] * u[i] : 0;
                mv(dn, u, D, F, o);
                for (int i = 0; i < D; i++) x[(size_t)t * D + i] += o[i];
            }
            free(u); free(o);
        }
    }
    const double *nf = W(&r, "norm_f.weight", 0);
    const double *lm = NULL;
    for (size_t i = 0; i < r.n; i++)
        if (!strcmp(r.t[i].name, "lm_head.weight")) lm = r.t[i].v;
    double *lg = malloc((size_t)V * sizeof *lg);
    for (int t = 0; t < T; t++) {
        rms(x + (size_t)t * D, nf, D, eps, h);
        mv(lm, h, V, D, lg);
        for (int i = 0; i < V; i++) out[(size_t)t * V + i] = (float)lg[i];
    }
    free(lg); free(x); free(h);
    for (size_t i = 0; i < r.n; i++) free(r.t[i].v);
    free(r.t);
    arena_free(&r.a);
    return 0;
}

/* test_backend_ops.c: every kernel of the CUDA backend against the CPU
 * backend on random inputs (the ggml test-backend-ops idea), then the tiny
 * model end to end. fp32 kernels must agree to 1e-5 relative (Frobenius);
 * bf16 GEMMs and whole-model logits to 1e-2. Runs under `make test-gpu`
 * (CORPUSD_TEST_GPU=1) on a machine with an NVIDIA GPU; skips otherwise. */
#include <math.h>
#include <stdint.h>

#include "synth/backend.h"
#include "synth/synth.h"
#include "tests/test.h"

static const synth_backend *gpu_or_skip(void)
{
    const char *g = getenv("CORPUSD_TEST_GPU");
    if (!g || strcmp(g, "1")) test_skip("GPU kernel tests run with `make test-gpu` (CORPUSD_TEST_GPU=1)");
    char why[256] = "";
    const synth_backend *cu = synth_cuda_load(why, sizeof why);
    if (!cu) test_skip("no CUDA backend: %s", why);
    return cu;
}

static double rel(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        num += d * d;
        den += (double)b[i] * b[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

static uint64_t g_r = 77;
static float rnd(void)
{
    g_r = g_r * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(g_r >> 11) / 9007199254740992.0 * 2 - 1);
}
static float *rand_host(size_t n, float scale)
{
    float *p = malloc(n * 4);
    for (size_t i = 0; i < n; i++) p[i] = rnd() * scale;
    return p;
}
static float *dev(const synth_backend *be, const float *h, size_t n)
{
    float *d = be->alloc(n * 4);
    be->upload(d, h, n * 4);
    return d;
}
static float *back(const synth_backend *be, const float *d, size_t n)
{
    float *h = malloc(n * 4);
    be->download(h, d, n * 4);
    return h;
}


TEST(synth_backend_ops_cuda_vs_cpu)
{
    const synth_backend *cu = gpu_or_skip();
    const synth_backend *bes[2] = {&synth_cpu_backend, cu};
    float *out[2];
    /* matmul (bf16 on CUDA) */
    int n = 7, rows = 300, cols = 257;
    float *x = rand_host((size_t)n * cols, 1), *w = rand_host((size_t)rows * cols, 0.1f);
    for (int b = 0; b < 2; b++) {
        synth_wt wt;
        CHECK(bes[b]->weight_upload(&wt, ST_F32, w, rows, cols) == 0);
        float *dx = dev(bes[b], x, (size_t)n * cols), *dy = bes[b]->alloc((size_t)n * rows * 4);
        bes[b]->matmul(&wt, dx, n, dy);
        out[b] = back(bes[b], dy, (size_t)n * rows);
        bes[b]->weight_free(&wt);
        bes[b]->free(dx);
        bes[b]->free(dy);
    }
    CHECK_MSG(rel(out[1], out[0], (size_t)n * rows) < 1e-2, "matmul %.3g", rel(out[1], out[0], (size_t)n * rows));
    free(out[0]); free(out[1]); free(x); free(w);
    /* rmsnorm and gated norm */
    int d = 96, grp = 24;
    x = rand_host((size_t)n * d, 2);
    w = rand_host((size_t)d, 1);
    float *z = rand_host((size_t)n * 2 * d, 2);
    for (int b = 0; b < 2; b++) {
        float *dx = dev(bes[b], x, (size_t)n * d), *dw = dev(bes[b], w, d), *dz = dev(bes[b], z, (size_t)n * 2 * d),
              *dy = bes[b]->alloc((size_t)n * d * 4);
        bes[b]->rmsnorm(dx, dw, n, d, 1e-5f, dy);
        bes[b]->gated_norm(dy, dz, 2 * d, dw, n, d, grp, 1e-5f);
        bes[b]->relu2(dy, (size_t)n * d);
        bes[b]->add(dy, dx, (size_t)n * d);
        out[b] = back(bes[b], dy, (size_t)n * d);
        bes[b]->free(dx); bes[b]->free(dw); bes[b]->free(dz); bes[b]->free(dy);
    }
    CHECK_MSG(rel(out[1], out[0], (size_t)n * d) < 1e-5, "norms %.3g", rel(out[1], out[0], (size_t)n * d));
    free(out[0]); free(out[1]); free(x); free(w); free(z);
    /* conv1d with state, prefill then one step */
    int C = 70, K = 4, T = 13;
    x = rand_host((size_t)(T + 1) * C, 1);
    w = rand_host((size_t)C * K, 0.5f);
    float *bias = rand_host(C, 0.1f), *st = rand_host((size_t)(K - 1) * C, 1);
    for (int b = 0; b < 2; b++) {
        float *dx = dev(bes[b], x, (size_t)(T + 1) * C), *dw = dev(bes[b], w, (size_t)C * K), *db = dev(bes[b], bias, C),
              *ds = dev(bes[b], st, (size_t)(K - 1) * C);
        bes[b]->conv1d(dx, T, C, K, ds, dw, db);
        bes[b]->conv1d(dx + (size_t)T * C, 1, C, K, ds, dw, db);
        out[b] = back(bes[b], dx, (size_t)(T + 1) * C);
        bes[b]->free(dx); bes[b]->free(dw); bes[b]->free(db); bes[b]->free(ds);
    }
    CHECK_MSG(rel(out[1], out[0], (size_t)(T + 1) * C) < 1e-5, "conv1d %.3g", rel(out[1], out[0], (size_t)(T + 1) * C));
    free(out[0]); free(out[1]); free(x); free(w); free(bias); free(st);
    /* SSD scan (several chunk sizes, partial last chunk) and the step */
    int H = 8, P = 16, N = 32, G = 2, ld = H * P + 2 * G * N;
    int lens[] = {37, 130}, chunks[] = {8, 64};
    for (int li = 0; li < 2; li++) {
        T = lens[li];
        float *xbc = rand_host((size_t)(T + 1) * ld, 1), *dt = rand_host((size_t)(T + 1) * H, 2);
        float *dtb = rand_host(H, 0.5f), *al = rand_host(H, 1), *Dv = rand_host(H, 1), *s0 = rand_host((size_t)H * P * N, 0.3f);
        float *y[2], *sf[2];
        for (int b = 0; b < 2; b++) {
            float *dxbc = dev(bes[b], xbc, (size_t)(T + 1) * ld), *ddt = dev(bes[b], dt, (size_t)(T + 1) * H),
                  *ddtb = dev(bes[b], dtb, H), *dal = dev(bes[b], al, H), *dD = dev(bes[b], Dv, H),
                  *ds = dev(bes[b], s0, (size_t)H * P * N), *dy = bes[b]->alloc((size_t)(T + 1) * H * P * 4);
            synth_ssm_args a = {.T = T, .H = H, .P = P, .N = N, .G = G, .chunk = chunks[li], .xbc = dxbc, .ldx = ld,
                                .dt = ddt, .lddt = H, .dt_bias = ddtb, .A_log = dal, .D = dD, .dt_lo = 0,
                                .dt_hi = INFINITY, .state = ds, .y = dy};
            bes[b]->ssm_scan(&a);
            a.T = 1;
            a.xbc = dxbc + (size_t)T * ld;
            a.dt = ddt + (size_t)T * H;
            a.y = dy + (size_t)T * H * P;
            bes[b]->ssm_step(&a);
            y[b] = back(bes[b], dy, (size_t)(T + 1) * H * P);
            sf[b] = back(bes[b], ds, (size_t)H * P * N);
            bes[b]->free(dxbc); bes[b]->free(ddt); bes[b]->free(ddtb); bes[b]->free(dal); bes[b]->free(dD);
            bes[b]->free(ds); bes[b]->free(dy);
        }
        CHECK_MSG(rel(y[1], y[0], (size_t)(T + 1) * H * P) < 1e-5, "ssd T=%d y %.3g", T, rel(y[1], y[0], (size_t)(T + 1) * H * P));
        CHECK_MSG(rel(sf[1], sf[0], (size_t)H * P * N) < 1e-5, "ssd T=%d state %.3g", T, rel(sf[1], sf[0], (size_t)H * P * N));
        free(y[0]); free(y[1]); free(sf[0]); free(sf[1]);
        free(xbc); free(dt); free(dtb); free(al); free(Dv); free(s0);
    }
    /* attention over a cache: prefill of 5 after 7 cached positions */
    int nh = 4, nkv = 2, hd = 40, p0 = 7;
    T = 5;
    float *q = rand_host((size_t)T * nh * hd, 1), *kc = rand_host((size_t)(p0 + T) * nkv * hd, 1),
          *vc = rand_host((size_t)(p0 + T) * nkv * hd, 1);
    for (int b = 0; b < 2; b++) {
        float *dq = dev(bes[b], q, (size_t)T * nh * hd), *dk = dev(bes[b], kc, (size_t)(p0 + T) * nkv * hd),
              *dv = dev(bes[b], vc, (size_t)(p0 + T) * nkv * hd), *dout = bes[b]->alloc((size_t)T * nh * hd * 4);
        synth_attn_args a = {.T = T, .pos0 = p0, .n_head = nh, .n_kv = nkv, .head_dim = hd, .q = dq, .k = dk, .v = dv, .out = dout};
        bes[b]->attention(&a);
        out[b] = back(bes[b], dout, (size_t)T * nh * hd);
        bes[b]->free(dq); bes[b]->free(dk); bes[b]->free(dv); bes[b]->free(dout);
    }
    CHECK_MSG(rel(out[1], out[0], (size_t)T * nh * hd) < 1e-5, "attention %.3g", rel(out[1], out[0], (size_t)T * nh * hd));
    free(out[0]); free(out[1]); free(q); free(kc); free(vc);
}

TEST(synth_cuda_tiny_model_end_to_end)
{
    gpu_or_skip();
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/m", test_tmpdir());
    cd_err e;
    size_t n;
    char *cfg = cd_read_file("configs/models/nemotron-h-tiny.json", &n, &e);
    CHECK(cfg && synth_model_init(cfg, n, 21, 1, dir, &e) == 0);
    free(cfg);
    synth_model *mc, *mg;
    CHECK_MSG(synth_model_load(&mc, dir, "cpu", &e) == 0, "%s", e.msg);
    CHECK_MSG(synth_model_load(&mg, dir, "cuda", &e) == 0, "%s", e.msg);
    int V = 512, T = 40;
    int32_t ids[40];
    for (int i = 0; i < T; i++) ids[i] = (int32_t)((i * 37 + 11) % V);
    float *a = malloc((size_t)T * V * 4), *b = malloc((size_t)T * V * 4);
    synth_seq *sc = synth_seq_new(mc, T), *sg = synth_seq_new(mg, T);
    CHECK(synth_forward(mc, &sc, 1, ids, &T, 1, a, &e) == 0);
    CHECK(synth_forward(mg, &sg, 1, ids, &T, 1, b, &e) == 0);
    CHECK_MSG(rel(b, a, (size_t)T * V) < 1e-2, "tiny model CUDA vs CPU %.3g", rel(b, a, (size_t)T * V));
    synth_seq_free(sc);
    synth_seq_free(sg);
    /* greedy generation: the same first 32 tokens */
    int32_t p[4] = {1, 300, 301, 302}, oc[32], og[32];
    synth_request rc = {p, 4, {0, 0, 1, 0}, 32, p, 0, oc, 0, 0}, rg = rc;
    rg.out = og;
    CHECK(synth_generate(mc, &rc, 1, 1, 0, &e) == 0);
    CHECK(synth_generate(mg, &rg, 1, 1, 0, &e) == 0);
    CHECK_INT_EQ(rc.n_out, rg.n_out);
    CHECK_MEM_EQ(oc, rc.n_out * 4, og, rg.n_out * 4);
    free(a);
    free(b);
    synth_model_free(mc);
    synth_model_free(mg);
}

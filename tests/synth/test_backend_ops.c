/* test_backend_ops.c: every kernel of the CUDA backend against the CPU
 * backend on random inputs (the ggml test-backend-ops idea), then the tiny
 * model end to end. fp32 kernels must agree to 1e-5 relative (Frobenius);
 * bf16 GEMMs and whole-model logits to 1e-2; device sampling must pick the
 * CPU's exact tokens; decode steps replayed from CUDA graphs must give the
 * same bits as direct launches. Runs under `make test-gpu`
 * (CORPUSD_TEST_GPU=1) on a machine with an NVIDIA GPU; skips otherwise. */
#include <math.h>
#include <stdint.h>

#include "synth/backend.h"
#include "synth/safetensors.h"
#include "synth/synth.h"
#include "tests/test.h"

static const synth_backend *gpu_or_skip(void)
{
    const char *g = getenv("CORPUSD_TEST_GPU");
    if (!g || strcmp(g, "1")) test_skip("GPU kernel tests run with `make test-gpu` (CORPUSD_TEST_GPU=1)");
#if defined(__SANITIZE_ADDRESS__)
    /* The CUDA driver maps memory where ASan keeps its shadow gap protected. */
    const char *ao = getenv("ASAN_OPTIONS");
    if (!ao || !strstr(ao, "protect_shadow_gap=0"))
        test_skip("under ASan, CUDA needs ASAN_OPTIONS=protect_shadow_gap=0 (the release run covers these tests)");
#endif
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
    /* matmul: bf16 weights (bf16 GEMM inputs on CUDA: bf16 tolerance) and
     * fp32 weights (fp32 GEMM), decode-sized and prefill-sized n */
    int rows = 300, cols = 257, n = 7;
    int ns[] = {1, 7, 300};
    float *w = rand_host((size_t)rows * cols, 0.1f);
    uint16_t *wb = malloc((size_t)rows * cols * 2);
    for (size_t i = 0; i < (size_t)rows * cols; i++) wb[i] = st_f32_to_bf16(w[i]);
    for (int ni = 0; ni < 3; ni++)
        for (int f32 = 0; f32 < 2; f32++) {
            int nn = ns[ni];
            float *x = rand_host((size_t)nn * cols, 1);
            for (int b = 0; b < 2; b++) {
                synth_wt wt;
                CHECK(bes[b]->weight_upload(&wt, f32 ? ST_F32 : ST_BF16, f32 ? (const void *)w : (const void *)wb, rows,
                                            cols) == 0);
                CHECK(wt.dtype == (f32 ? ST_F32 : ST_BF16));
                float *dx = dev(bes[b], x, (size_t)nn * cols), *dy = bes[b]->alloc((size_t)nn * rows * 4);
                bes[b]->matmul(&wt, dx, nn, dy);
                out[b] = back(bes[b], dy, (size_t)nn * rows);
                bes[b]->weight_free(&wt);
                bes[b]->free(dx);
                bes[b]->free(dy);
            }
            double r = rel(out[1], out[0], (size_t)nn * rows);
            CHECK_MSG(r < (f32 ? 1e-5 : 1e-2), "matmul %s n=%d: %.3g", f32 ? "fp32" : "bf16", nn, r);
            free(out[0]); free(out[1]); free(x);
        }
    free(w); free(wb);
    /* rmsnorm and gated norm */
    int d = 96, grp = 24;
    float *x = rand_host((size_t)n * d, 2);
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

/* bf16 SSM state: the chunked scan (state rounded at the end of the call),
 * the step and the batched step (rounded after every row) on CUDA against
 * the CPU doing the same; bf16 tolerance. */
TEST(synth_backend_ops_cuda_bf16_state)
{
    const synth_backend *cu = gpu_or_skip();
    const synth_backend *bes[2] = {&synth_cpu_backend, cu};
    enum { NS = 3 };
    int H = 8, P = 16, N = 32, G = 2, ld = H * P + 2 * G * N, SZ = H * P * N, T = 45;
    float *xbc = rand_host((size_t)(T + NS) * ld, 1), *dt = rand_host((size_t)(T + NS) * H, 2), *dtb = rand_host(H, 0.5f),
          *al = rand_host(H, 1), *Dv = rand_host(H, 1), *s0 = rand_host((size_t)NS * SZ, 0.3f);
    uint16_t *h0 = malloc((size_t)NS * SZ * 2);
    for (int i = 0; i < NS * SZ; i++) h0[i] = st_f32_to_bf16(s0[i]);
    float *y[2], *sf[2];
    for (int b = 0; b < 2; b++) {
        const synth_backend *be = bes[b];
        float *dxbc = dev(be, xbc, (size_t)(T + NS) * ld), *ddt = dev(be, dt, (size_t)(T + NS) * H), *ddtb = dev(be, dtb, H),
              *dal = dev(be, al, H), *dD = dev(be, Dv, H), *dy = be->alloc((size_t)(T + NS) * H * P * 4), *ds[NS];
        for (int i = 0; i < NS; i++) {
            ds[i] = be->alloc((size_t)SZ * 2);
            be->upload(ds[i], h0 + (size_t)i * SZ, (size_t)SZ * 2);
        }
        float **tab = be->alloc(sizeof ds);
        be->upload(tab, ds, sizeof ds);
        synth_ssm_args a = {.T = T, .H = H, .P = P, .N = N, .G = G, .chunk = 8, .xbc = dxbc, .ldx = ld, .dt = ddt,
                            .lddt = H, .dt_bias = ddtb, .A_log = dal, .D = dD, .dt_lo = 0, .dt_hi = INFINITY,
                            .state = ds[0], .state_bf16 = 1, .y = dy};
        be->ssm_scan(&a);   /* sequence 0: T rows */
        a.T = 1;
        a.xbc = dxbc + (size_t)T * ld;
        a.dt = ddt + (size_t)T * H;
        a.y = dy + (size_t)T * H * P;
        be->ssm_step(&a);   /* sequence 0: one more */
        a.T = NS - 1;
        a.xbc = dxbc + (size_t)(T + 1) * ld;
        a.dt = ddt + (size_t)(T + 1) * H;
        a.y = dy + (size_t)(T + 1) * H * P;
        a.state = NULL;
        be->ssm_step_batch(&a, tab + 1);   /* sequences 1 and 2: one step each */
        y[b] = back(be, dy, (size_t)(T + NS) * H * P);
        sf[b] = malloc((size_t)NS * SZ * 4);
        uint16_t *hh = malloc((size_t)SZ * 2);
        for (int i = 0; i < NS; i++) {
            be->download(hh, ds[i], (size_t)SZ * 2);
            for (int k = 0; k < SZ; k++) sf[b][(size_t)i * SZ + k] = st_bf16_to_f32(hh[k]);
            be->free(ds[i]);
        }
        free(hh);
        be->free(tab); be->free(dxbc); be->free(ddt); be->free(ddtb); be->free(dal); be->free(dD); be->free(dy);
    }
    CHECK_MSG(rel(y[1], y[0], (size_t)(T + NS) * H * P) < 1e-2, "bf16 state y %.3g", rel(y[1], y[0], (size_t)(T + NS) * H * P));
    CHECK_MSG(rel(sf[1], sf[0], (size_t)NS * SZ) < 1e-2, "bf16 state %.3g", rel(sf[1], sf[0], (size_t)NS * SZ));
    free(y[0]); free(y[1]); free(sf[0]); free(sf[1]); free(h0);
    free(xbc); free(dt); free(dtb); free(al); free(Dv); free(s0);
}

/* The tiled attention kernel: several query tiles and key tiles, GQA groups
 * of 4 and 5, head_dim 128 (Nano-2's) and 80, prefill after a cached
 * prefix, and one query row (keys split over blocks, empty splits too). */
TEST(synth_backend_ops_cuda_attention_tiled)
{
    const synth_backend *cu = gpu_or_skip();
    const synth_backend *bes[2] = {&synth_cpu_backend, cu};
    struct { int T, p0, nh, nkv, hd; } cs[] = {
        {70, 45, 8, 2, 128}, {1, 300, 8, 2, 128}, {33, 0, 10, 2, 80}, {1, 0, 5, 1, 64}, {1, 1000, 40, 8, 128}, {200, 3, 4, 4, 32},
    };
    for (size_t ci = 0; ci < sizeof cs / sizeof cs[0]; ci++) {
        int T = cs[ci].T, p0 = cs[ci].p0, nh = cs[ci].nh, nkv = cs[ci].nkv, hd = cs[ci].hd;
        size_t nq = (size_t)T * nh * hd, nk = (size_t)(p0 + T) * nkv * hd;
        float *q = rand_host(nq, 1), *kc = rand_host(nk, 1), *vc = rand_host(nk, 1), *out[2];
        for (int b = 0; b < 2; b++) {
            float *dq = dev(bes[b], q, nq), *dk = dev(bes[b], kc, nk), *dv = dev(bes[b], vc, nk), *dout = bes[b]->alloc(nq * 4);
            synth_attn_args a = {.T = T, .pos0 = p0, .n_head = nh, .n_kv = nkv, .head_dim = hd, .q = dq, .k = dk, .v = dv, .out = dout};
            bes[b]->attention(&a);
            out[b] = back(bes[b], dout, nq);
            bes[b]->free(dq); bes[b]->free(dk); bes[b]->free(dv); bes[b]->free(dout);
        }
        CHECK_MSG(rel(out[1], out[0], nq) < 1e-5, "attention T=%d pos0=%d hd=%d: %.3g", T, p0, hd, rel(out[1], out[0], nq));
        free(out[0]); free(out[1]); free(q); free(kc); free(vc);
    }
}

/* Batched decode kernels: three sequences at different positions, each with
 * its own state / caches reached through a pointer table in backend memory. */
TEST(synth_backend_ops_cuda_decode_batch)
{
    const synth_backend *cu = gpu_or_skip();
    const synth_backend *bes[2] = {&synth_cpu_backend, cu};
    enum { NS = 3 };
    /* conv1d_batch */
    int C = 70, K = 4;
    float *x = rand_host((size_t)NS * C, 1), *w = rand_host((size_t)C * K, 0.5f), *bias = rand_host(C, 0.1f);
    float *st = rand_host((size_t)NS * (K - 1) * C, 1), *y[2], *sf[2];
    for (int b = 0; b < 2; b++) {
        const synth_backend *be = bes[b];
        float *dx = dev(be, x, (size_t)NS * C), *dw = dev(be, w, (size_t)C * K), *db = dev(be, bias, C), *ds[NS];
        for (int i = 0; i < NS; i++) ds[i] = dev(be, st + (size_t)i * (K - 1) * C, (size_t)(K - 1) * C);
        float **tab = be->alloc(sizeof ds);
        be->upload(tab, ds, sizeof ds);
        be->conv1d_batch(dx, NS, C, K, tab, dw, db);
        y[b] = back(be, dx, (size_t)NS * C);
        sf[b] = malloc((size_t)NS * (K - 1) * C * 4);
        for (int i = 0; i < NS; i++) {
            be->download(sf[b] + (size_t)i * (K - 1) * C, ds[i], (size_t)(K - 1) * C * 4);
            be->free(ds[i]);
        }
        be->free(tab); be->free(dx); be->free(dw); be->free(db);
    }
    CHECK_MSG(rel(y[1], y[0], (size_t)NS * C) < 1e-5, "conv1d_batch %.3g", rel(y[1], y[0], (size_t)NS * C));
    CHECK_MSG(rel(sf[1], sf[0], (size_t)NS * (K - 1) * C) < 1e-5, "conv1d_batch state");
    free(y[0]); free(y[1]); free(sf[0]); free(sf[1]); free(x); free(w); free(bias); free(st);
    /* ssm_step_batch */
    int H = 8, P = 16, N = 32, G = 2, ld = H * P + 2 * G * N, SZ = H * P * N;
    float *xbc = rand_host((size_t)NS * ld, 1), *dt = rand_host((size_t)NS * H, 2), *dtb = rand_host(H, 0.5f),
          *al = rand_host(H, 1), *Dv = rand_host(H, 1), *s0 = rand_host((size_t)NS * SZ, 0.3f);
    for (int b = 0; b < 2; b++) {
        const synth_backend *be = bes[b];
        float *dxbc = dev(be, xbc, (size_t)NS * ld), *ddt = dev(be, dt, (size_t)NS * H), *ddtb = dev(be, dtb, H),
              *dal = dev(be, al, H), *dD = dev(be, Dv, H), *dy = be->alloc((size_t)NS * H * P * 4), *ds[NS];
        for (int i = 0; i < NS; i++) ds[i] = dev(be, s0 + (size_t)i * SZ, SZ);
        float **tab = be->alloc(sizeof ds);
        be->upload(tab, ds, sizeof ds);
        synth_ssm_args a = {.T = NS, .H = H, .P = P, .N = N, .G = G, .chunk = 8, .xbc = dxbc, .ldx = ld, .dt = ddt,
                            .lddt = H, .dt_bias = ddtb, .A_log = dal, .D = dD, .dt_lo = 0, .dt_hi = INFINITY,
                            .state = NULL, .y = dy};
        be->ssm_step_batch(&a, tab);
        y[b] = back(be, dy, (size_t)NS * H * P);
        sf[b] = malloc((size_t)NS * SZ * 4);
        for (int i = 0; i < NS; i++) {
            be->download(sf[b] + (size_t)i * SZ, ds[i], (size_t)SZ * 4);
            be->free(ds[i]);
        }
        be->free(tab); be->free(dxbc); be->free(ddt); be->free(ddtb); be->free(dal); be->free(dD); be->free(dy);
    }
    CHECK_MSG(rel(y[1], y[0], (size_t)NS * H * P) < 1e-5, "ssm_step_batch y %.3g", rel(y[1], y[0], (size_t)NS * H * P));
    CHECK_MSG(rel(sf[1], sf[0], (size_t)NS * SZ) < 1e-5, "ssm_step_batch state %.3g", rel(sf[1], sf[0], (size_t)NS * SZ));
    free(y[0]); free(y[1]); free(sf[0]); free(sf[1]);
    free(xbc); free(dt); free(dtb); free(al); free(Dv); free(s0);
    /* attention_decode: appends K/V at each sequence's position, attends over it */
    int nh = 8, nkv = 2, hd = 128, kd = nkv * hd, qd = nh * hd, cap = 400;
    int32_t pos[NS] = {0, 17, 333};
    float *q = rand_host((size_t)NS * qd, 1), *kn = rand_host((size_t)NS * kd, 1), *vn = rand_host((size_t)NS * kd, 1);
    float *kc = rand_host((size_t)NS * cap * kd, 1), *vc = rand_host((size_t)NS * cap * kd, 1), *kf[2];
    for (int b = 0; b < 2; b++) {
        const synth_backend *be = bes[b];
        float *dq = dev(be, q, (size_t)NS * qd), *dkn = dev(be, kn, (size_t)NS * kd), *dvn = dev(be, vn, (size_t)NS * kd),
              *dout = be->alloc((size_t)NS * qd * 4), *dk[NS], *dv[NS];
        for (int i = 0; i < NS; i++) {
            dk[i] = dev(be, kc + (size_t)i * cap * kd, (size_t)cap * kd);
            dv[i] = dev(be, vc + (size_t)i * cap * kd, (size_t)cap * kd);
        }
        float **tk = be->alloc(sizeof dk), **tv = be->alloc(sizeof dv);
        int32_t *dpos = be->alloc(sizeof pos);
        be->upload(tk, dk, sizeof dk);
        be->upload(tv, dv, sizeof dv);
        be->upload(dpos, pos, sizeof pos);
        synth_attn_args a = {.T = NS, .n_head = nh, .n_kv = nkv, .head_dim = hd, .q = dq, .out = dout};
        be->attention_decode(&a, dkn, dvn, tk, tv, dpos);
        y[b] = back(be, dout, (size_t)NS * qd);
        kf[b] = malloc((size_t)NS * cap * kd * 4);
        for (int i = 0; i < NS; i++) {
            be->download(kf[b] + (size_t)i * cap * kd, dk[i], (size_t)cap * kd * 4);
            be->free(dk[i]);
            be->free(dv[i]);
        }
        be->free(tk); be->free(tv); be->free(dpos); be->free(dq); be->free(dkn); be->free(dvn); be->free(dout);
    }
    CHECK_MSG(rel(y[1], y[0], (size_t)NS * qd) < 1e-5, "attention_decode %.3g", rel(y[1], y[0], (size_t)NS * qd));
    CHECK_MEM_EQ(kf[1], (size_t)NS * cap * kd * 4, kf[0], (size_t)NS * cap * kd * 4);
    free(y[0]); free(y[1]); free(kf[0]); free(kf[1]); free(q); free(kn); free(vn); free(kc); free(vc);
}

/* Device sampling picks exactly the CPU's token (synth_sample_u) for the
 * same logits and uniform draws: greedy, top-k, top-p, both, temperature
 * only, and rows with tied logits. */
TEST(synth_backend_ops_cuda_sampling)
{
    const synth_backend *cu = gpu_or_skip();
    int V = 3001, R = 48;
    float *lg = rand_host((size_t)R * V, 4);
    for (int i = 0; i < V; i++) lg[(size_t)5 * V + i] = (float)((i * 7) % 5);   /* heavy ties */
    for (int i = 0; i < V; i++) lg[(size_t)6 * V + i] = 1.0f;                   /* all equal */
    synth_sample_row rows[48];
    const struct { float temp; int k; float p; } modes[] = {
        {0, 0, 1}, {1, 1, 1}, {0.8f, 50, 1}, {1, 0, 0.9f}, {0.7f, 20, 0.5f}, {1.5f, 0, 1}, {1, 3000, 0.99f}, {2, 1, 0.3f},
    };
    for (int i = 0; i < R; i++) {
        int md = i % 8;
        rows[i] = (synth_sample_row){i, modes[md].temp, modes[md].k, modes[md].p, (rnd() + 1) / 2 * 0.999999};
    }
    int32_t want[48], got[48];
    float *dl = dev(cu, lg, (size_t)R * V);
    CHECK(synth_cpu_backend.sample(lg, V, rows, R, want) == 0);
    CHECK(cu->sample(dl, V, rows, R, got) == 0);
    for (int i = 0; i < R; i++) CHECK_MSG(want[i] == got[i], "row %d mode %d: cpu %d cuda %d", i, i % 8, want[i], got[i]);
    /* a subset of rows, in another order */
    synth_sample_row sub[3] = {rows[40], rows[3], rows[5]};
    CHECK(cu->sample(dl, V, sub, 3, got) == 0);
    CHECK_INT_EQ(got[0], want[40]);
    CHECK_INT_EQ(got[1], want[3]);
    CHECK_INT_EQ(got[2], want[5]);
    cu->free(dl);
    free(lg);
}

/* Logits of a 40-token prompt, then greedy generation (one request, then
 * five under continuous batching with chunked prefill and CUDA graphs),
 * CUDA against the CPU. Returns the number of requests whose 32 (or 27)
 * tokens all agree; *logit_err gets the relative logits error. */
static int tiny_cuda_vs_cpu(int bf16, double *logit_err)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/m%d", test_tmpdir(), bf16);
    cd_err e;
    size_t n;
    char *cfg = cd_read_file("configs/models/nemotron-h-tiny.json", &n, &e);
    CHECK(cfg && synth_model_init(cfg, n, 21, bf16, dir, &e) == 0);
    free(cfg);
    synth_model *mc, *mg;
    CHECK_MSG(synth_model_load(&mc, dir, "cpu", &e) == 0, "%s", e.msg);
    CHECK_MSG(synth_model_load(&mg, dir, "cuda", &e) == 0, "%s", e.msg);
    int V = synth_model_config(mc)->vocab, T = 40;
    int32_t ids[40];
    for (int i = 0; i < T; i++) ids[i] = (int32_t)((i * 37 + 11) % V);
    float *a = malloc((size_t)T * V * 4), *b = malloc((size_t)T * V * 4);
    synth_seq *sc = synth_seq_new(mc, T), *sg = synth_seq_new(mg, T);
    CHECK(synth_forward(mc, &sc, 1, ids, &T, 1, a, &e) == 0);
    CHECK(synth_forward(mg, &sg, 1, ids, &T, 1, b, &e) == 0);
    *logit_err = rel(b, a, (size_t)T * V);
    synth_seq_free(sc);
    synth_seq_free(sg);
    free(a);
    free(b);
    enum { NR = 6 };
    int32_t prompts[NR][9], outc[NR][32], outg[NR][32];
    synth_request qc[NR], qg[NR];
    for (int i = 0; i < NR; i++) {
        for (int k = 0; k < 9; k++) prompts[i][k] = (int32_t)(1 + (i * 53 + k * 29) % (V - 1));
        int plen = i == 0 ? 4 : 3 + 3 * (i % 3), mx = 32 - 5 * (i % 2);
        /* stop list given but empty: no stop tokens */
        qc[i] = (synth_request){prompts[i], plen, {0, 0, 1, 0}, mx, prompts[i], 0, outc[i], 0, 0};
        qg[i] = qc[i];
        qg[i].out = outg[i];
    }
    /* request 0 alone, then 1..5 with at most 3 in flight, prompts fed 4 tokens a step */
    CHECK(synth_generate(mc, qc, 1, 1, 0, &e) == 0);
    CHECK(synth_generate(mg, qg, 1, 1, 0, &e) == 0);
    CHECK(synth_generate(mc, qc + 1, NR - 1, 3, 4, &e) == 0);
    CHECK(synth_generate(mg, qg + 1, NR - 1, 3, 4, &e) == 0);
    int same = 0;
    for (int i = 0; i < NR; i++) {
        int k = 0;
        while (k < qc[i].n_out && k < qg[i].n_out && outc[i][k] == outg[i][k]) k++;
        printf("    %s checkpoint, request %d: CUDA and CPU agree on the first %d of %d greedy tokens\n",
               bf16 ? "bf16" : "fp32", i, k, qc[i].max_new);
        same += qc[i].n_out == qg[i].n_out && k == qc[i].n_out;
    }
    synth_model_free(mc);
    synth_model_free(mg);
    return same;
}

/* fp32 checkpoint: CUDA runs fp32 GEMMs, so CUDA and CPU differ only by
 * summation order and greedy tokens must agree exactly (32 steps, alone and
 * under continuous batching). bf16 checkpoint (bf16 GEMM inputs on CUDA,
 * fp32 on the CPU): logits within bf16 tolerance; a greedy token can flip
 * where the top two logits are closer than that, so the agreement is
 * reported, not required. */
TEST(synth_cuda_tiny_model_end_to_end)
{
    gpu_or_skip();
    double err;
    int same = tiny_cuda_vs_cpu(0, &err);
    printf("    fp32 checkpoint: logits relative error %.3g\n", err);
    CHECK_MSG(err < 1e-4, "fp32 tiny model CUDA vs CPU %.3g", err);
    CHECK_MSG(same == 6, "fp32 checkpoint: only %d of 6 requests gave the CPU's greedy tokens", same);
    same = tiny_cuda_vs_cpu(1, &err);
    printf("    bf16 checkpoint: logits relative error %.3g; %d of 6 requests token-identical\n", err, same);
    CHECK_MSG(err < 1e-2, "bf16 tiny model CUDA vs CPU %.3g", err);
}

/* CUDA graphs replay exactly the launches they captured: decode steps with
 * graphs give bit-identical logits to the same steps without; a sequence
 * joining and leaving changes the batch size (another graph) and pointers
 * (the tables), and prefill steps in between grow scratch (stale graphs). */
TEST(synth_cuda_graphs_replay_exactly)
{
    gpu_or_skip();
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/m", test_tmpdir());
    cd_err e;
    size_t n;
    char *cfg = cd_read_file("configs/models/nemotron-h-tiny.json", &n, &e);
    CHECK(cfg && synth_model_init(cfg, n, 5, 1, dir, &e) == 0);
    free(cfg);
    synth_model *m;
    CHECK_MSG(synth_model_load(&m, dir, "cuda", &e) == 0, "%s", e.msg);
    int V = synth_model_config(m)->vocab;
    enum { STEPS = 12 };
    float *lg[2];
    for (int pass = 0; pass < 2; pass++) {
        synth_model_use_graphs(m, pass == 0);
        synth_seq *s[3] = {synth_seq_new(m, 64), synth_seq_new(m, 64), synth_seq_new(m, 64)};
        int32_t pr[20];
        for (int k = 0; k < 20; k++) pr[k] = (int32_t)(3 + k * 11 % (V - 3));
        int lens[3] = {5, 9, 20};
        CHECK(synth_forward(m, s, 2, pr, lens, 0, NULL, &e) == 0);
        lg[pass] = malloc((size_t)STEPS * 3 * V * 4);
        for (int t = 0; t < STEPS; t++) {
            int32_t tok[3] = {(int32_t)(7 + t), (int32_t)(100 + t), (int32_t)(200 + t)};
            int one[3] = {1, 1, 1};
            if (t == 6) CHECK(synth_forward(m, s + 2, 1, pr, &lens[2], 0, NULL, &e) == 0);   /* a prefill between */
            int ns = t < 6 ? 2 : 3;
            synth_seq *use[3] = {s[0], s[1], s[2]};
            if (t >= 9) use[0] = s[2], ns = 2;   /* another pair, same batch size: other pointers, same graph */
            CHECK_MSG(synth_forward(m, use, ns, tok, one, 0, lg[pass] + (size_t)t * 3 * V, &e) == 0, "%s", e.msg);
        }
        for (int i = 0; i < 3; i++) synth_seq_free(s[i]);
    }
    for (int t = 0; t < STEPS; t++) {
        int ns = t >= 6 && t < 9 ? 3 : 2;
        CHECK_MSG(!memcmp(lg[0] + (size_t)t * 3 * V, lg[1] + (size_t)t * 3 * V, (size_t)ns * V * 4),
                  "step %d: graph and direct logits differ", t);
    }
    free(lg[0]);
    free(lg[1]);
    synth_model_free(m);
}

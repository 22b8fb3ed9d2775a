/*
 * cpu_backend.c: the CPU implementation of the synth kernel table
 * (synth/backend.h). fp32 compute. fp32 weights go to OpenBLAS (sgemv for
 * one row, sgemm otherwise); bf16 weights stay bf16 in memory (half the
 * bytes a decode step reads) and are widened on the fly: an AVX2/FMA dot
 * kernel (chosen at run time, plain C otherwise) for decode-sized batches,
 * 256-row fp32 tiles fed to sgemm for prefill. fp16 is widened to fp32 once
 * at load. The scan and attention kernels split their work by head over
 * core/pool.h threads.
 *
 * Invariants: kernels never allocate backend memory that outlives the call;
 * results do not depend on the thread count (each head is computed by one
 * thread in a fixed order).
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "core/util.h"
#include "synth/backend.h"
#include "synth/synth.h"

#include "synth/cpu/blas.h"

static atomic_int g_threads;

void synth_set_threads(int n)
{
    atomic_store(&g_threads, n);
    cd_blas_set_threads(n);
}

int synth_cpu_threads(void)
{
    int n = atomic_load(&g_threads);
    return n > 0 ? n : cd_ncpus();
}

/* Runs fn over ntasks on the kernel threads when the work (flops) is worth a thread start. */
static void cpu_parallel(size_t ntasks, pool_task_fn fn, void *arg, double work)
{
    int nt = work > 4e6 ? synth_cpu_threads() : 1;
    pool_run(nt, ntasks, fn, arg);
}

static void *cpu_alloc(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64)) return NULL;
    memset(p, 0, bytes);
    return p;
}
static void cpu_free(void *p) { free(p); }
static void cpu_copy(void *dst, const void *src, size_t bytes)
{
    if (bytes) memmove(dst, src, bytes);
}
static void cpu_memzero(void *dst, size_t bytes) { memset(dst, 0, bytes); }
static void cpu_sync(void) {}

static int cpu_weight_upload(synth_wt *w, st_dtype dt, const void *src, int rows, int cols)
{
    size_t n = (size_t)rows * cols;
    if (dt == ST_BF16) {   /* kept as bf16: half the bytes per decode step, widened on the fly */
        uint16_t *h = cpu_alloc(n * 2);
        if (!h) return -1;
        memcpy(h, src, n * 2);
        w->dtype = ST_BF16;
        w->rows = rows;
        w->cols = cols;
        w->data = h;
        return 0;
    }
    float *d = cpu_alloc(n * sizeof *d);
    if (!d) return -1;
    st_to_f32(dt, src, n, d);
    w->dtype = ST_F32;
    w->rows = rows;
    w->cols = cols;
    w->data = d;
    return 0;
}
static void cpu_weight_free(synth_wt *w)
{
    free(w->data);
    w->data = NULL;
}

static int cpu_weight_random(synth_wt *w, int rows, int cols, float scale, uint64_t seed, st_dtype want)
{
    size_t n = (size_t)rows * cols;
    float *d = cpu_alloc(n * sizeof *d);
    if (!d) return -1;
    int bf = want == ST_BF16;
    uint64_t z = seed;
    float a = scale * 1.7320508f;
    for (size_t i = 0; i < n; i++) {
        z += 0x9e3779b97f4a7c15ull;
        uint64_t x = z;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
        x ^= x >> 31;
        d[i] = a * (float)((double)(x >> 11) / 4503599627370496.0 - 1.0);
    }
    if (bf) {   /* narrow in place: element i's two bytes land at or before float i */
        uint16_t *h = (uint16_t *)d;
        for (size_t i = 0; i < n; i++) h[i] = st_f32_to_bf16(d[i]);
    }
    w->dtype = bf ? ST_BF16 : ST_F32;
    w->rows = rows;
    w->cols = cols;
    w->data = d;
    return 0;
}

static void cpu_embed(const synth_wt *emb, const int32_t *ids, int n, float *out)
{
    size_t D = (size_t)emb->cols;
    for (int i = 0; i < n; i++) {
        if (emb->dtype == ST_BF16) st_to_f32(ST_BF16, (const uint16_t *)emb->data + (size_t)ids[i] * D, D, out + i * D);
        else memcpy(out + i * D, (const float *)emb->data + (size_t)ids[i] * D, D * 4);
    }
}

typedef struct mm_job {
    const synth_wt *w;
    const float *x;
    int n;
    float *y;
} mm_job;
static void mm_task(void *arg, size_t task, int worker)
{
    mm_job *j = arg;
    int r0 = (int)task * 64, r1 = r0 + 64 < j->w->rows ? r0 + 64 : j->w->rows;
    const float *W = j->w->data;
    for (int i = 0; i < j->n; i++)
        for (int r = r0; r < r1; r++) {
            const float *a = j->x + (size_t)i * j->w->cols, *b = W + (size_t)r * j->w->cols;
            float s = 0;
            for (int k = 0; k < j->w->cols; k++) s += a[k] * b[k];
            j->y[(size_t)i * j->w->rows + r] = s;
        }
}

/* ---- own GEMV for decode-sized batches (fp32 and bf16 weights); bf16 GEMM for prefill
 *      (weights widened to fp32 tiles on the fly). */

#if defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("avx2,fma"))) static float dot_bf16_avx2(const float *x, const uint16_t *w, int n)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    int k = 0;
    for (; k + 16 <= n; k += 16) {
        __m256i u0 = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(w + k)));
        __m256i u1 = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(w + k + 8)));
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k), _mm256_castsi256_ps(_mm256_slli_epi32(u0, 16)), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k + 8), _mm256_castsi256_ps(_mm256_slli_epi32(u1, 16)), a1);
    }
    float t[8];
    _mm256_storeu_ps(t, _mm256_add_ps(a0, a1));
    float s = ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
    for (; k < n; k++) s += x[k] * st_bf16_to_f32(w[k]);
    return s;
}

__attribute__((target("avx2,fma"))) static float dot_f32_avx2(const float *x, const float *w, int n)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    int k = 0;
    for (; k + 16 <= n; k += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k), _mm256_loadu_ps(w + k), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k + 8), _mm256_loadu_ps(w + k + 8), a1);
    }
    float t[8];
    _mm256_storeu_ps(t, _mm256_add_ps(a0, a1));
    float s = ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
    for (; k < n; k++) s += x[k] * w[k];
    return s;
}
#endif

static float dot_f32_plain(const float *x, const float *w, int n)
{
    float s[8] = {0};
    int k = 0;
    for (; k + 8 <= n; k += 8)
        for (int j = 0; j < 8; j++) s[j] += x[k + j] * w[k + j];
    float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; k < n; k++) r += x[k] * w[k];
    return r;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void axpy_avx2(float *y, float a, const float *x, int n)
{
    __m256 va = _mm256_set1_ps(a);
    int k = 0;
    for (; k + 8 <= n; k += 8) _mm256_storeu_ps(y + k, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + k), _mm256_loadu_ps(y + k)));
    for (; k < n; k++) y[k] += a * x[k];
}
#endif

static void axpy_plain(float *y, float a, const float *x, int n)
{
    for (int k = 0; k < n; k++) y[k] += a * x[k];
}

/* Kernels picked once per call by CPU features (the build targets any x86-64). */
typedef struct vec_ops {
    float (*dot)(const float *, const float *, int);
    void (*axpy)(float *, float, const float *, int);
} vec_ops;

static vec_ops pick_vec_ops(void)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return (vec_ops){dot_f32_avx2, axpy_avx2};
#endif
    return (vec_ops){dot_f32_plain, axpy_plain};
}

static float dot_bf16_plain(const float *x, const uint16_t *w, int n)
{
    float s[8] = {0};
    int k = 0;
    for (; k + 8 <= n; k += 8)
        for (int j = 0; j < 8; j++) s[j] += x[k + j] * st_bf16_to_f32(w[k + j]);
    float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; k < n; k++) r += x[k] * st_bf16_to_f32(w[k]);
    return r;
}

typedef struct mm_job2 {
    const synth_wt *w;
    const float *x;
    int n;
    float *y;
    int block;
} mm_job2;

/* Decode-sized n: each task takes a block of weight rows and dots them with every x row. */
static void gemv_task(void *arg, size_t task, int worker)
{
    mm_job2 *j = arg;
    const uint16_t *W = j->w->data;
    int r0 = (int)task * j->block, r1 = r0 + j->block < j->w->rows ? r0 + j->block : j->w->rows, K = j->w->cols;
#if defined(__x86_64__)
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    int avx2 = 0;
#endif
    int f32 = j->w->dtype == ST_F32;
    for (int r = r0; r < r1; r++)
        for (int i = 0; i < j->n; i++) {
            const float *xi = j->x + (size_t)i * K;
            float v;
            if (f32) {
                const float *wr = (const float *)j->w->data + (size_t)r * K;
#if defined(__x86_64__)
                v = avx2 ? dot_f32_avx2(xi, wr, K) : dot_f32_plain(xi, wr, K);
#else
                v = dot_f32_plain(xi, wr, K);
#endif
            } else {
                const uint16_t *wr = W + (size_t)r * K;
#if defined(__x86_64__)
                v = avx2 ? dot_bf16_avx2(xi, wr, K) : dot_bf16_plain(xi, wr, K);
#else
                v = dot_bf16_plain(xi, wr, K);
#endif
            }
            j->y[(size_t)i * j->w->rows + r] = v;
        }
}

/* Prefill-sized n: widen a block of weight rows to fp32 and hand it to sgemm. */
static void bf16_gemm_task(void *arg, size_t task, int worker)
{
    mm_job2 *j = arg;
    const uint16_t *W = j->w->data;
    int K = j->w->cols, r0 = (int)task * j->block, nr = r0 + j->block < j->w->rows ? j->block : j->w->rows - r0;
    float *tile = xmalloc((size_t)nr * K * sizeof *tile);
    st_to_f32(ST_BF16, W + (size_t)r0 * K, (size_t)nr * K, tile);
    const cd_blas_fns *blas = cd_blas();
    if (blas)
        blas->sgemm(CD_BLAS_ROW_MAJOR, CD_BLAS_NO_TRANS, CD_BLAS_TRANS, j->n, nr, K, 1.0f, j->x, K, tile, K, 0.0f,
                    j->y + r0, j->w->rows);
    else
    for (int i = 0; i < j->n; i++)
        for (int r = 0; r < nr; r++) {
            float s = 0;
            for (int k = 0; k < K; k++) s += j->x[(size_t)i * K + k] * tile[(size_t)r * K + k];
            j->y[(size_t)i * j->w->rows + r0 + r] = s;
        }
    free(tile);
}

static void cpu_matmul_bf16(const synth_wt *w, const float *x, int n, float *y)
{
    double work = (double)n * w->rows * w->cols;
    if (n <= 16) {
        mm_job2 j = {w, x, n, y, 64};
        cpu_parallel((size_t)(w->rows + 63) / 64, gemv_task, &j, work > 1e6 ? 1e9 : 0);
    } else {
        /* One sgemm per block of 256 weight rows, run in order (sgemm is threaded itself). */
        mm_job2 j = {w, x, n, y, 256};
        for (int t = 0; t * 256 < w->rows; t++) bf16_gemm_task(&j, (size_t)t, 0);
    }
}

static void cpu_matmul(const synth_wt *w, const float *x, int n, float *y)
{
    if (w->dtype == ST_BF16) {
        cpu_matmul_bf16(w, x, n, y);
        return;
    }
    if (n <= 16) {
        /* Decode: our blocked dot kernel measured faster than OpenBLAS sgemv here (bench/synth). */
        mm_job2 j = {w, x, n, y, 64};
        cpu_parallel((size_t)(w->rows + 63) / 64, gemv_task, &j, (double)n * w->rows * w->cols > 1e6 ? 1e9 : 0);
        return;
    }
    const cd_blas_fns *blas = cd_blas();
    if (blas) {
        blas->sgemm(CD_BLAS_ROW_MAJOR, CD_BLAS_NO_TRANS, CD_BLAS_TRANS, n, w->rows, w->cols, 1.0f, x, w->cols,
                    w->data, w->cols, 0.0f, y, w->rows);
        return;
    }
    mm_job j = {w, x, n, y};
    cpu_parallel((size_t)(w->rows + 63) / 64, mm_task, &j, (double)n * w->rows * w->cols);
}

static void cpu_rmsnorm(const float *x, const float *w, int n, int d, float eps, float *y)
{
    for (int i = 0; i < n; i++) {
        const float *a = x + (size_t)i * d;
        float *o = y + (size_t)i * d;
        double ss = 0;
        for (int k = 0; k < d; k++) ss += (double)a[k] * a[k];
        float r = (float)(1.0 / sqrt(ss / d + eps));
        for (int k = 0; k < d; k++) o[k] = a[k] * r * w[k];
    }
}

static inline float silu(float v) { return v / (1.0f + expf(-v)); }

static void cpu_gated_norm(float *y, const float *z, int ldz, const float *w, int n, int d, int group, float eps)
{
    for (int i = 0; i < n; i++) {
        float *a = y + (size_t)i * d;
        const float *g = z + (size_t)i * ldz;
        for (int k = 0; k < d; k++) a[k] *= silu(g[k]);
        for (int g0 = 0; g0 < d; g0 += group) {
            double ss = 0;
            for (int k = g0; k < g0 + group; k++) ss += (double)a[k] * a[k];
            float r = (float)(1.0 / sqrt(ss / group + eps));
            for (int k = g0; k < g0 + group; k++) a[k] = a[k] * r * w[k];
        }
    }
}

static void cpu_add(float *x, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] += y[i];
}

static void cpu_relu2(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i] > 0 ? x[i] : 0;
        x[i] = v * v;
    }
}

static void cpu_copy_cols(float *dst, int ldd, const float *src, int lds, int n, int ncols)
{
    for (int i = 0; i < n; i++) memcpy(dst + (size_t)i * ldd, src + (size_t)i * lds, (size_t)ncols * 4);
}

static void cpu_conv1d(float *xbc, int T, int C, int K, float *state, const float *w, const float *b)
{
    /* win holds the K-1 state rows followed by the T inputs. */
    size_t rows = (size_t)(K - 1) + T;
    float *win = xmalloc(rows * C * sizeof *win);
    memcpy(win, state, (size_t)(K - 1) * C * 4);
    memcpy(win + (size_t)(K - 1) * C, xbc, (size_t)T * C * 4);
    for (int t = 0; t < T; t++) {
        float *o = xbc + (size_t)t * C;
        for (int c = 0; c < C; c++) {
            float s = b ? b[c] : 0.0f;
            for (int k = 0; k < K; k++) s += w[(size_t)c * K + k] * win[((size_t)t + k) * C + c];
            o[c] = silu(s);
        }
    }
    memcpy(state, win + (size_t)T * C, (size_t)(K - 1) * C * 4);
    free(win);
}

static inline float softplus(float v) { return v > 20.0f ? v : log1pf(expf(v)); }

static float dt_value(const synth_ssm_args *a, int t, int h)
{
    float d = softplus(a->dt[(size_t)t * a->lddt + h] + a->dt_bias[h]);
    if (d < a->dt_lo) d = a->dt_lo;
    if (d > a->dt_hi) d = a->dt_hi;
    return d;
}

/* The chunked SSD scan for one head: within a chunk, y_t = sum_{s<=t}
 * (C_t.B_s) exp(cum_t - cum_s) dt_s x_s + exp(cum_t) (S_prev C_t); between
 * chunks the state carries S = exp(cum_L) S_prev + sum_s exp(cum_L - cum_s)
 * dt_s x_s B_s^T. */
static void ssd_head(const synth_ssm_args *a, int h)
{
    int P = a->P, N = a->N, HP = a->H * a->P;
    int g = h / (a->H / a->G);
    float A = -expf(a->A_log[h]), Dh = a->D[h];
    float *S = a->state + (size_t)h * P * N;
    int L = a->chunk;
    vec_ops v = pick_vec_ops();
    float *cum = xmalloc((size_t)L * 3 * sizeof *cum);
    float *dts = cum + L, *cb = xmalloc((size_t)L * sizeof *cb);
    float *Snew = xmalloc((size_t)P * N * sizeof *Snew);
    for (int t0 = 0; t0 < a->T; t0 += L) {
        int n = a->T - t0 < L ? a->T - t0 : L;
        float acc = 0;
        for (int i = 0; i < n; i++) {
            dts[i] = dt_value(a, t0 + i, h);
            acc += dts[i] * A;
            cum[i] = acc;
        }
        for (int i = 0; i < n; i++) {
            int t = t0 + i;
            const float *Ct = a->xbc + (size_t)t * a->ldx + HP + a->G * N + (size_t)g * N;
            const float *xt = a->xbc + (size_t)t * a->ldx + (size_t)h * P;
            float *yt = a->y + (size_t)t * HP + (size_t)h * P;
            float et = expf(cum[i]);
            for (int p = 0; p < P; p++) yt[p] = et * v.dot(S + (size_t)p * N, Ct, N) + Dh * xt[p];
            for (int j = 0; j <= i; j++) {
                const float *Bs = a->xbc + (size_t)(t0 + j) * a->ldx + HP + (size_t)g * N;
                cb[j] = v.dot(Ct, Bs, N) * expf(cum[i] - cum[j]) * dts[j];
            }
            for (int j = 0; j <= i; j++) v.axpy(yt, cb[j], a->xbc + (size_t)(t0 + j) * a->ldx + (size_t)h * P, P);
        }
        float eL = expf(cum[n - 1]);
        for (size_t k = 0; k < (size_t)P * N; k++) Snew[k] = eL * S[k];
        for (int j = 0; j < n; j++) {
            const float *Bs = a->xbc + (size_t)(t0 + j) * a->ldx + HP + (size_t)g * N;
            const float *xs = a->xbc + (size_t)(t0 + j) * a->ldx + (size_t)h * P;
            float c = expf(cum[n - 1] - cum[j]) * dts[j];
            for (int p = 0; p < P; p++) v.axpy(Snew + (size_t)p * N, c * xs[p], Bs, N);
        }
        memcpy(S, Snew, (size_t)P * N * 4);
    }
    free(cum);
    free(cb);
    free(Snew);
}

static void ssd_task(void *arg, size_t task, int worker) { ssd_head(arg, (int)task); }

static void cpu_ssm_scan(const synth_ssm_args *a);
static void cpu_ssm_step(const synth_ssm_args *a);

/* bf16 state: widened to fp32, rounded back (nearest even) after the scan,
 * or after every row of the step (as the CUDA kernels do). */
static void with_f32_state(const synth_ssm_args *a, int step)
{
    size_t n = (size_t)a->H * a->P * a->N;
    float *tmp = xmalloc(n * sizeof *tmp);
    uint16_t *h = (uint16_t *)a->state;
    int rows = step ? a->T : 1;
    for (int t = 0; t < rows; t++) {
        st_to_f32(ST_BF16, h, n, tmp);
        synth_ssm_args b = *a;
        b.state = tmp;
        b.state_bf16 = 0;
        if (step) {
            b.T = 1;
            b.xbc = a->xbc + (size_t)t * a->ldx;
            b.dt = a->dt + (size_t)t * a->lddt;
            b.y = a->y + (size_t)t * a->H * a->P;
            cpu_ssm_step(&b);
        } else cpu_ssm_scan(&b);
        for (size_t i = 0; i < n; i++) h[i] = st_f32_to_bf16(tmp[i]);
    }
    free(tmp);
}

static void cpu_ssm_scan(const synth_ssm_args *a)
{
    if (a->state_bf16) {
        with_f32_state(a, 0);
        return;
    }
    cpu_parallel((size_t)a->H, ssd_task, (void *)a, (double)a->T * a->H * a->P * (a->N + a->chunk));
}

static void step_head(const synth_ssm_args *a, int h)
{
    int P = a->P, N = a->N, HP = a->H * a->P;
    int g = h / (a->H / a->G);
    float A = -expf(a->A_log[h]), Dh = a->D[h];
    float *S = a->state + (size_t)h * P * N;
    for (int t = 0; t < a->T; t++) {
        float dt = dt_value(a, t, h), dA = expf(dt * A);
        const float *row = a->xbc + (size_t)t * a->ldx;
        const float *xt = row + (size_t)h * P, *Bt = row + HP + (size_t)g * N, *Ct = row + HP + a->G * N + (size_t)g * N;
        float *yt = a->y + (size_t)t * HP + (size_t)h * P;
        for (int p = 0; p < P; p++) {
            float *Sp = S + (size_t)p * N, dx = dt * xt[p], s = 0;
            for (int k = 0; k < N; k++) {
                Sp[k] = dA * Sp[k] + dx * Bt[k];
                s += Sp[k] * Ct[k];
            }
            yt[p] = s + Dh * xt[p];
        }
    }
}

static void step_task(void *arg, size_t task, int worker) { step_head(arg, (int)task); }

static void cpu_ssm_step(const synth_ssm_args *a)
{
    if (a->state_bf16) {
        with_f32_state(a, 1);
        return;
    }
    cpu_parallel((size_t)a->H, step_task, (void *)a, (double)a->T * a->H * a->P * a->N * 4);
}

static void attn_head(const synth_attn_args *a, int qh)
{
    int hd = a->head_dim, kvh = qh / (a->n_head / a->n_kv);
    int ldq = a->n_head * hd, ldk = a->n_kv * hd;
    float scale = 1.0f / sqrtf((float)hd);
    float *sc = xmalloc((size_t)(a->pos0 + a->T) * sizeof *sc);
    for (int t = 0; t < a->T; t++) {
        int npos = a->pos0 + t + 1;
        const float *q = a->q + (size_t)t * ldq + (size_t)qh * hd;
        float mx = -INFINITY;
        for (int j = 0; j < npos; j++) {
            const float *k = a->k + (size_t)j * ldk + (size_t)kvh * hd;
            float s = 0;
            for (int d = 0; d < hd; d++) s += q[d] * k[d];
            sc[j] = s * scale;
            if (sc[j] > mx) mx = sc[j];
        }
        double sum = 0;
        for (int j = 0; j < npos; j++) {
            sc[j] = expf(sc[j] - mx);
            sum += sc[j];
        }
        float inv = (float)(1.0 / sum);
        float *o = a->out + (size_t)t * ldq + (size_t)qh * hd;
        memset(o, 0, (size_t)hd * 4);
        for (int j = 0; j < npos; j++) {
            const float *v = a->v + (size_t)j * ldk + (size_t)kvh * hd;
            float p = sc[j] * inv;
            for (int d = 0; d < hd; d++) o[d] += p * v[d];
        }
    }
    free(sc);
}

static void attn_task(void *arg, size_t task, int worker) { attn_head(arg, (int)task); }

static void cpu_attention(const synth_attn_args *a)
{
    double work = (double)a->T * (a->pos0 + a->T) * a->n_head * a->head_dim * 2;
    cpu_parallel((size_t)a->n_head, attn_task, (void *)a, work);
}

/* ---- batched decode: the single-sequence kernels, one sequence at a time
 *      (so results are bit-identical to the per-sequence path). */

static void cpu_conv1d_batch(float *xbc, int n, int C, int K, float *const *states, const float *w, const float *b)
{
    for (int i = 0; i < n; i++) cpu_conv1d(xbc + (size_t)i * C, 1, C, K, states[i], w, b);
}

static void cpu_ssm_step_batch(const synth_ssm_args *a, float *const *states)
{
    for (int i = 0; i < a->T; i++) {
        synth_ssm_args one = *a;
        one.T = 1;
        one.xbc = a->xbc + (size_t)i * a->ldx;
        one.dt = a->dt + (size_t)i * a->lddt;
        one.y = a->y + (size_t)i * a->H * a->P;
        one.state = states[i];
        cpu_ssm_step(&one);
    }
}

static void cpu_attention_decode(const synth_attn_args *a, const float *knew, const float *vnew, float *const *kc,
                                 float *const *vc, const int32_t *pos)
{
    size_t kd = (size_t)a->n_kv * a->head_dim, qd = (size_t)a->n_head * a->head_dim;
    for (int i = 0; i < a->T; i++) {
        memcpy(kc[i] + (size_t)pos[i] * kd, knew + i * kd, kd * 4);
        memcpy(vc[i] + (size_t)pos[i] * kd, vnew + i * kd, kd * 4);
        synth_attn_args one = *a;
        one.T = 1;
        one.pos0 = pos[i];
        one.q = a->q + i * qd;
        one.k = kc[i];
        one.v = vc[i];
        one.out = a->out + i * qd;
        cpu_attention(&one);
    }
}

static int cpu_sample(const float *logits, int vocab, const synth_sample_row *rows, int n, int32_t *out)
{
    for (int i = 0; i < n; i++) {
        synth_sampling s = {rows[i].temperature, rows[i].top_k, rows[i].top_p, 0};
        out[i] = synth_sample_u(logits + (size_t)rows[i].row * vocab, vocab, &s, rows[i].u);
    }
    return 0;
}

const synth_backend synth_cpu_backend = {
    .name = "cpu",
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = cpu_copy,
    .download = cpu_copy,
    .copy = cpu_copy,
    .memzero = cpu_memzero,
    .weight_upload = cpu_weight_upload,
    .weight_free = cpu_weight_free,
    .weight_random = cpu_weight_random,
    .copy_bandwidth = NULL,
    .sync = cpu_sync,
    .embed = cpu_embed,
    .matmul = cpu_matmul,
    .rmsnorm = cpu_rmsnorm,
    .gated_norm = cpu_gated_norm,
    .add = cpu_add,
    .relu2 = cpu_relu2,
    .copy_cols = cpu_copy_cols,
    .conv1d = cpu_conv1d,
    .ssm_scan = cpu_ssm_scan,
    .ssm_step = cpu_ssm_step,
    .attention = cpu_attention,
    .embed_dev = cpu_embed,
    .conv1d_batch = cpu_conv1d_batch,
    .ssm_step_batch = cpu_ssm_step_batch,
    .attention_decode = cpu_attention_decode,
    .sample = cpu_sample,
};

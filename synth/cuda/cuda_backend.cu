/*
 * cuda_backend.cu: the CUDA implementation of the synth kernel table
 * (synth/backend.h), built into lib/corpusd-cuda.so and loaded at run time
 * by synth/cuda_load.c through synth_cuda_backend_get().
 *
 * Storage: weights bf16 on the device; activations, SSM/conv state and KV
 * cache fp32. GEMMs: cuBLASLt, bf16 x bf16 with fp32 accumulation and fp32
 * output (activations are cast to bf16 just before each GEMM). Every kernel
 * runs on one stream; download() synchronises it.
 *
 * Kernels: embedding gather, RMSNorm, gated group RMSNorm, causal conv1d
 * (one thread per channel carrying its window, so prefill and the single
 * step are the same kernel), the Mamba-2 SSD chunked scan (per-chunk C.B
 * products and chunk states, a sequential pass over chunk states, then the
 * chunk outputs), the single-step state update, attention with online
 * softmax (one warp per query head and position; not yet a tiled
 * FlashAttention kernel), squared ReLU and residual add.
 *
 * Invariants: no kernel allocates memory that outlives its call except the
 * GEMM descriptor cache and the growable bf16/id scratch owned by this file;
 * the plugin never aborts the process: CUDA errors are logged to stderr.
 */
#define _Noreturn [[noreturn]]
extern "C" {
#include "synth/backend.h"
}
#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cudaStream_t g_stream;
static cublasLtHandle_t g_lt;
static void *g_ws;
static const size_t g_ws_size = 32u << 20;
static __nv_bfloat16 *g_xb;
static size_t g_xb_cap;
static int32_t *g_ids;
static size_t g_ids_cap;

#define CK(x)                                                                                 \
    do {                                                                                      \
        cudaError_t e_ = (x);                                                                 \
        if (e_ != cudaSuccess) fprintf(stderr, "corpusd-cuda: %s: %s\n", #x, cudaGetErrorString(e_)); \
    } while (0)

static unsigned blocks(size_t n, unsigned t) { return (unsigned)((n + t - 1) / t); }

/* ----------------------------------------------------------------- memory */

static void *cu_alloc(size_t bytes)
{
    void *p = NULL;
    if (cudaMalloc(&p, bytes ? bytes : 64) != cudaSuccess) return NULL;
    cudaMemsetAsync(p, 0, bytes, g_stream);
    return p;
}
static void cu_free(void *p)
{
    cudaStreamSynchronize(g_stream);
    cudaFree(p);
}
static void cu_upload(void *dst, const void *src, size_t bytes)
{
    CK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, g_stream));
    CK(cudaStreamSynchronize(g_stream));
}
static void cu_download(void *dst, const void *src, size_t bytes)
{
    CK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, g_stream));
    CK(cudaStreamSynchronize(g_stream));
}
static void cu_copy(void *dst, const void *src, size_t bytes)
{
    if (bytes) CK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, g_stream));
}
static void cu_memzero(void *dst, size_t bytes) { CK(cudaMemsetAsync(dst, 0, bytes, g_stream)); }
static void cu_sync(void) { CK(cudaStreamSynchronize(g_stream)); }

static int cu_weight_upload(synth_wt *w, st_dtype dt, const void *src, int rows, int cols)
{
    size_t n = (size_t)rows * cols;
    uint16_t *h = (uint16_t *)malloc(n * 2);
    if (!h) return -1;
    if (dt == ST_BF16) memcpy(h, src, n * 2);
    else {
        float *f = (float *)malloc(n * 4);
        if (!f) {
            free(h);
            return -1;
        }
        st_to_f32(dt, src, n, f);
        for (size_t i = 0; i < n; i++) h[i] = st_f32_to_bf16(f[i]);
        free(f);
    }
    void *d = NULL;
    if (cudaMalloc(&d, n * 2) != cudaSuccess) {
        free(h);
        return -1;
    }
    CK(cudaMemcpy(d, h, n * 2, cudaMemcpyHostToDevice));
    free(h);
    w->dtype = ST_BF16;
    w->rows = rows;
    w->cols = cols;
    w->data = d;
    return 0;
}
static void cu_weight_free(synth_wt *w)
{
    cudaStreamSynchronize(g_stream);
    cudaFree(w->data);
    w->data = NULL;
}

__global__ static void k_random_bf16(__nv_bfloat16 *w, size_t n, float a, unsigned long long seed)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    unsigned long long x = seed + (i + 1) * 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
    w[i] = __float2bfloat16(a * (float)((double)(x >> 11) / 4503599627370496.0 - 1.0));
}

static int cu_weight_random(synth_wt *w, int rows, int cols, float scale, uint64_t seed, st_dtype want)
{
    size_t n = (size_t)rows * cols;
    void *d = NULL;
    if (cudaMalloc(&d, n * 2) != cudaSuccess) return -1;
    k_random_bf16<<<blocks(n, 256), 256, 0, g_stream>>>((__nv_bfloat16 *)d, n, scale * 1.7320508f, seed);
    w->dtype = ST_BF16;
    w->rows = rows;
    w->cols = cols;
    w->data = d;
    return 0;
}

/* Device-to-device copy bandwidth (read + write bytes per second), 1 GiB. */
static double cu_copy_bandwidth(void)
{
    size_t n = (size_t)1 << 30;
    void *a = NULL, *b = NULL;
    if (cudaMalloc(&a, n) != cudaSuccess) return 0;
    if (cudaMalloc(&b, n) != cudaSuccess) {
        cudaFree(a);
        return 0;
    }
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    double best = 0;
    for (int r = 0; r < 5; r++) {
        cudaEventRecord(e0, g_stream);
        cudaMemcpyAsync(b, a, n, cudaMemcpyDeviceToDevice, g_stream);
        cudaEventRecord(e1, g_stream);
        cudaEventSynchronize(e1);
        float ms = 0;
        cudaEventElapsedTime(&ms, e0, e1);
        if (ms > 0 && 2.0 * n / (ms * 1e-3) > best) best = 2.0 * n / (ms * 1e-3);
    }
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    cudaFree(a);
    cudaFree(b);
    return best;
}

/* ---------------------------------------------------------------- kernels */

__device__ static inline float silu_d(float v) { return v / (1.0f + __expf(-v)); }
__device__ static inline float softplus_d(float v) { return v > 20.0f ? v : log1pf(expf(v)); }

__global__ static void k_embed(const __nv_bfloat16 *emb, const int32_t *ids, int D, float *out)
{
    int r = blockIdx.x;
    const __nv_bfloat16 *src = emb + (size_t)ids[r] * D;
    for (int i = threadIdx.x; i < D; i += blockDim.x) out[(size_t)r * D + i] = __bfloat162float(src[i]);
}

static void cu_embed(const synth_wt *emb, const int32_t *ids, int n, float *out)
{
    if ((size_t)n > g_ids_cap) {
        cudaFree(g_ids);
        g_ids_cap = (size_t)n * 2;
        CK(cudaMalloc((void **)&g_ids, g_ids_cap * 4));
    }
    CK(cudaMemcpyAsync(g_ids, ids, (size_t)n * 4, cudaMemcpyHostToDevice, g_stream));
    k_embed<<<n, 256, 0, g_stream>>>((const __nv_bfloat16 *)emb->data, g_ids, emb->cols, out);
}

__global__ static void k_to_bf16(const float *x, __nv_bfloat16 *y, size_t n)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = __float2bfloat16(x[i]);
}

/* GEMM plans cached by shape. */
typedef struct gemm_plan {
    int rows, cols, n;
    cublasLtMatmulDesc_t op;
    cublasLtMatrixLayout_t a, b, c;
    cublasLtMatmulAlgo_t algo;
    int ok;
} gemm_plan;
#define N_PLANS 128
static gemm_plan g_plans[N_PLANS];
static int g_nplans;

static gemm_plan *plan_for(int rows, int cols, int n)
{
    for (int i = 0; i < g_nplans; i++)
        if (g_plans[i].rows == rows && g_plans[i].cols == cols && g_plans[i].n == n) return &g_plans[i];
    gemm_plan *p = g_nplans < N_PLANS ? &g_plans[g_nplans++] : &g_plans[(rows + cols + n) % N_PLANS];
    if (p->ok) {
        cublasLtMatmulDescDestroy(p->op);
        cublasLtMatrixLayoutDestroy(p->a);
        cublasLtMatrixLayoutDestroy(p->b);
        cublasLtMatrixLayoutDestroy(p->c);
    }
    memset(p, 0, sizeof *p);
    p->rows = rows;
    p->cols = cols;
    p->n = n;
    cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
    cublasLtMatmulDescCreate(&p->op, CUBLAS_COMPUTE_32F, CUDA_R_32F);
    cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta);
    cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb);
    /* column-major: C[rows x n] = W^T(view [cols x rows])^T * X^T(view [cols x n]) */
    cublasLtMatrixLayoutCreate(&p->a, CUDA_R_16BF, cols, rows, cols);
    cublasLtMatrixLayoutCreate(&p->b, CUDA_R_16BF, cols, n, cols);
    cublasLtMatrixLayoutCreate(&p->c, CUDA_R_32F, rows, n, rows);
    cublasLtMatmulPreference_t pref;
    cublasLtMatmulPreferenceCreate(&pref);
    size_t ws = g_ws_size;
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws);
    cublasLtMatmulHeuristicResult_t res;
    int cnt = 0;
    if (cublasLtMatmulAlgoGetHeuristic(g_lt, p->op, p->a, p->b, p->c, p->c, pref, 1, &res, &cnt) == CUBLAS_STATUS_SUCCESS &&
        cnt > 0) {
        p->algo = res.algo;
        p->ok = 1;
    } else {
        fprintf(stderr, "corpusd-cuda: no cuBLASLt algorithm for %d x %d x %d\n", rows, cols, n);
        p->ok = 2;
    }
    cublasLtMatmulPreferenceDestroy(pref);
    return p;
}

static void cu_matmul(const synth_wt *w, const float *x, int n, float *y)
{
    size_t nx = (size_t)n * w->cols;
    if (nx > g_xb_cap) {
        cudaStreamSynchronize(g_stream);
        cudaFree(g_xb);
        g_xb_cap = nx * 2;
        CK(cudaMalloc((void **)&g_xb, g_xb_cap * 2));
    }
    k_to_bf16<<<blocks(nx, 256), 256, 0, g_stream>>>(x, g_xb, nx);
    gemm_plan *p = plan_for(w->rows, w->cols, n);
    if (p->ok != 1) return;
    float alpha = 1.0f, beta = 0.0f;
    cublasStatus_t st = cublasLtMatmul(g_lt, p->op, &alpha, w->data, p->a, g_xb, p->b, &beta, y, p->c, y, p->c, &p->algo,
                                       g_ws, g_ws_size, g_stream);
    if (st != CUBLAS_STATUS_SUCCESS) fprintf(stderr, "corpusd-cuda: cublasLtMatmul failed (%d)\n", (int)st);
}

/* Block sum over blockDim.x threads (a multiple of 32, at most 1024). */
__device__ static float block_sum(float v)
{
    __shared__ float sh[32];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) sh[wid] = v;
    __syncthreads();
    int nw = (blockDim.x + 31) >> 5;
    v = lane < nw ? sh[lane] : 0.0f;
    if (wid == 0)
        for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    __shared__ float total;
    if (threadIdx.x == 0) total = v;
    __syncthreads();
    return total;
}

__global__ static void k_rmsnorm(const float *x, const float *w, int d, float eps, float *y)
{
    const float *a = x + (size_t)blockIdx.x * d;
    float *o = y + (size_t)blockIdx.x * d;
    float ss = 0;
    for (int i = threadIdx.x; i < d; i += blockDim.x) ss += a[i] * a[i];
    ss = block_sum(ss);
    float r = rsqrtf(ss / d + eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x) o[i] = a[i] * r * w[i];
}

static void cu_rmsnorm(const float *x, const float *w, int n, int d, float eps, float *y)
{
    k_rmsnorm<<<n, 256, 0, g_stream>>>(x, w, d, eps, y);
}

__global__ static void k_gated_norm(float *y, const float *z, int ldz, const float *w, int d, int group, float eps)
{
    int row = blockIdx.x, g0 = blockIdx.y * group;
    float *a = y + (size_t)row * d + g0;
    const float *gz = z + (size_t)row * ldz + g0;
    float ss = 0;
    for (int i = threadIdx.x; i < group; i += blockDim.x) {
        float v = a[i] * silu_d(gz[i]);
        a[i] = v;
        ss += v * v;
    }
    ss = block_sum(ss);
    float r = rsqrtf(ss / group + eps);
    for (int i = threadIdx.x; i < group; i += blockDim.x) a[i] = a[i] * r * w[g0 + i];
}

static void cu_gated_norm(float *y, const float *z, int ldz, const float *w, int n, int d, int group, float eps)
{
    dim3 grid((unsigned)n, (unsigned)(d / group));
    k_gated_norm<<<grid, 256, 0, g_stream>>>(y, z, ldz, w, d, group, eps);
}

__global__ static void k_add(float *x, const float *y, size_t n)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] += y[i];
}
static void cu_add(float *x, const float *y, size_t n) { k_add<<<blocks(n, 256), 256, 0, g_stream>>>(x, y, n); }

__global__ static void k_relu2(float *x, size_t n)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        float v = fmaxf(x[i], 0.0f);
        x[i] = v * v;
    }
}
static void cu_relu2(float *x, size_t n) { k_relu2<<<blocks(n, 256), 256, 0, g_stream>>>(x, n); }

static void cu_copy_cols(float *dst, int ldd, const float *src, int lds, int n, int ncols)
{
    CK(cudaMemcpy2DAsync(dst, (size_t)ldd * 4, src, (size_t)lds * 4, (size_t)ncols * 4, (size_t)n,
                         cudaMemcpyDeviceToDevice, g_stream));
}

#define MAX_CONV 16
__global__ static void k_conv1d(float *xbc, int T, int C, int K, float *state, const float *w, const float *b)
{
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    float win[MAX_CONV];
    for (int k = 0; k < K - 1; k++) win[k] = state[(size_t)k * C + c];
    float bias = b ? b[c] : 0.0f;
    for (int t = 0; t < T; t++) {
        float xin = xbc[(size_t)t * C + c], s = bias;
        for (int k = 0; k < K - 1; k++) s += w[(size_t)c * K + k] * win[k];
        s += w[(size_t)c * K + K - 1] * xin;
        for (int k = 0; k + 1 < K - 1; k++) win[k] = win[k + 1];
        if (K > 1) win[K - 2] = xin;
        xbc[(size_t)t * C + c] = silu_d(s);
    }
    for (int k = 0; k < K - 1; k++) state[(size_t)k * C + c] = win[k];
}

static void cu_conv1d(float *xbc, int T, int C, int K, float *state, const float *w, const float *b)
{
    if (K > MAX_CONV) {
        fprintf(stderr, "corpusd-cuda: conv_kernel %d > %d is not supported\n", K, MAX_CONV);
        return;
    }
    k_conv1d<<<blocks((size_t)C, 128), 128, 0, g_stream>>>(xbc, T, C, K, state, w, b);
}

__device__ static float dt_of(const synth_ssm_args a, int t, int h)
{
    float d = softplus_d(a.dt[(size_t)t * a.lddt + h] + a.dt_bias[h]);
    return fminf(fmaxf(d, a.dt_lo), a.dt_hi);
}

/* One block per head, one thread per channel p: the plain recurrence. */
__global__ static void k_ssm_step(synth_ssm_args a)
{
    int h = blockIdx.x, p = threadIdx.x;
    if (p >= a.P) return;
    int HP = a.H * a.P, N = a.N, g = h / (a.H / a.G);
    float A = -expf(a.A_log[h]), Dh = a.D[h];
    float *S = a.state + ((size_t)h * a.P + p) * N;
    for (int t = 0; t < a.T; t++) {
        float dt = dt_of(a, t, h), dA = expf(dt * A);
        const float *row = a.xbc + (size_t)t * a.ldx;
        float x = row[h * a.P + p], dx = dt * x, acc = 0;
        const float *B = row + HP + g * N, *C = row + HP + a.G * N + g * N;
        for (int n = 0; n < N; n++) {
            float s = dA * S[n] + dx * B[n];
            S[n] = s;
            acc += s * C[n];
        }
        a.y[(size_t)t * HP + h * a.P + p] = acc + Dh * x;
    }
}

static void cu_ssm_step(const synth_ssm_args *a) { k_ssm_step<<<a->H, (unsigned)((a->P + 31) / 32 * 32), 0, g_stream>>>(*a); }

/* SSD chunked scan. Scratch: dt and cumulative dt*A per (head, t); C.B per
 * (group, chunk, i, j); chunk states per (chunk, head, p, n). */
__global__ static void k_ssd_prep(synth_ssm_args a, float *dts, float *cum)
{
    int h = blockIdx.x;
    if (threadIdx.x != 0) return;
    float A = -expf(a.A_log[h]), acc = 0;
    for (int t = 0; t < a.T; t++) {
        if (t % a.chunk == 0) acc = 0;
        float d = dt_of(a, t, h);
        acc += d * A;
        dts[(size_t)h * a.T + t] = d;
        cum[(size_t)h * a.T + t] = acc;
    }
}

__global__ static void k_ssd_cb(synth_ssm_args a, float *cb)
{
    int c = blockIdx.x, g = blockIdx.y, L = a.chunk, HP = a.H * a.P, N = a.N;
    int t0 = c * L, n = min(L, a.T - t0);
    float *out = cb + ((size_t)g * gridDim.x + c) * L * L;
    for (int idx = threadIdx.x; idx < n * n; idx += blockDim.x) {
        int i = idx / n, j = idx % n;
        if (j > i) continue;
        const float *Ci = a.xbc + (size_t)(t0 + i) * a.ldx + HP + a.G * N + g * N;
        const float *Bj = a.xbc + (size_t)(t0 + j) * a.ldx + HP + g * N;
        float s = 0;
        for (int k = 0; k < N; k++) s += Ci[k] * Bj[k];
        out[(size_t)i * L + j] = s;
    }
}

__global__ static void k_ssd_chunk_state(synth_ssm_args a, const float *dts, const float *cum, float *cs)
{
    int c = blockIdx.x, h = blockIdx.y, L = a.chunk, HP = a.H * a.P, N = a.N, P = a.P;
    int g = h / (a.H / a.G), t0 = c * L, n = min(L, a.T - t0);
    const float *dh = dts + (size_t)h * a.T + t0, *ch = cum + (size_t)h * a.T + t0;
    float last = ch[n - 1];
    float *out = cs + ((size_t)c * a.H + h) * P * N;
    for (int idx = threadIdx.x; idx < P * N; idx += blockDim.x) {
        int p = idx / N, k = idx % N;
        float s = 0;
        for (int j = 0; j < n; j++) {
            const float *row = a.xbc + (size_t)(t0 + j) * a.ldx;
            s += expf(last - ch[j]) * dh[j] * row[h * P + p] * row[HP + g * N + k];
        }
        out[idx] = s;
    }
}

/* Sequential over chunks: cs[c] becomes the state entering chunk c; a.state the final one. */
__global__ static void k_ssd_pass(synth_ssm_args a, const float *cum, float *cs, int nc)
{
    int h = blockIdx.x, PN = a.P * a.N, L = a.chunk;
    float *S = a.state + (size_t)h * PN;
    for (int idx = threadIdx.x; idx < PN; idx += blockDim.x) {
        float s = S[idx];
        for (int c = 0; c < nc; c++) {
            int n = min(L, a.T - c * L);
            float decay = expf(cum[(size_t)h * a.T + c * L + n - 1]);
            float *slot = cs + ((size_t)c * a.H + h) * PN + idx;
            float contrib = *slot;
            *slot = s;
            s = decay * s + contrib;
        }
        S[idx] = s;
    }
}

__global__ static void k_ssd_out(synth_ssm_args a, const float *dts, const float *cum, const float *cb, const float *cs)
{
    int c = blockIdx.x, h = blockIdx.y, p = threadIdx.x, L = a.chunk, HP = a.H * a.P, N = a.N, P = a.P;
    if (p >= P) return;
    int g = h / (a.H / a.G), t0 = c * L, n = min(L, a.T - t0);
    const float *dh = dts + (size_t)h * a.T + t0, *ch = cum + (size_t)h * a.T + t0;
    const float *Sin = cs + ((size_t)c * a.H + h) * P * N + (size_t)p * N;
    const float *cbg = cb + ((size_t)g * gridDim.x + c) * L * L;
    float Dh = a.D[h];
    for (int i = 0; i < n; i++) {
        const float *row = a.xbc + (size_t)(t0 + i) * a.ldx;
        const float *Ci = row + HP + a.G * N + g * N;
        float s = 0;
        for (int k = 0; k < N; k++) s += Sin[k] * Ci[k];
        float y = expf(ch[i]) * s + Dh * row[h * P + p];
        for (int j = 0; j <= i; j++)
            y += cbg[(size_t)i * L + j] * expf(ch[i] - ch[j]) * dh[j] * a.xbc[(size_t)(t0 + j) * a.ldx + h * P + p];
        a.y[(size_t)(t0 + i) * HP + h * P + p] = y;
    }
}

static void cu_ssm_scan(const synth_ssm_args *a)
{
    int L = a->chunk, nc = (a->T + L - 1) / L;
    size_t n_dt = (size_t)a->H * a->T, n_cb = (size_t)a->G * nc * L * L, n_cs = (size_t)nc * a->H * a->P * a->N;
    float *scratch = NULL;
    if (cudaMallocAsync((void **)&scratch, (2 * n_dt + n_cb + n_cs) * 4, g_stream) != cudaSuccess) {
        fprintf(stderr, "corpusd-cuda: out of memory for the SSD scan scratch\n");
        return;
    }
    float *dts = scratch, *cum = dts + n_dt, *cb = cum + n_dt, *cs = cb + n_cb;
    k_ssd_prep<<<a->H, 32, 0, g_stream>>>(*a, dts, cum);
    k_ssd_cb<<<dim3((unsigned)nc, (unsigned)a->G), 256, 0, g_stream>>>(*a, cb);
    k_ssd_chunk_state<<<dim3((unsigned)nc, (unsigned)a->H), 256, 0, g_stream>>>(*a, dts, cum, cs);
    k_ssd_pass<<<a->H, 256, 0, g_stream>>>(*a, cum, cs, nc);
    k_ssd_out<<<dim3((unsigned)nc, (unsigned)a->H), (unsigned)((a->P + 31) / 32 * 32), 0, g_stream>>>(*a, dts, cum, cb, cs);
    cudaFreeAsync(scratch, g_stream);
}

/* Attention: one warp per (position, query head), online softmax over the cache. */
#define MAX_HD_PER_LANE 8
__global__ static void k_attention(synth_attn_args a)
{
    int t = blockIdx.x, qh = blockIdx.y, lane = threadIdx.x, hd = a.head_dim;
    int kvh = qh / (a.n_head / a.n_kv), ldq = a.n_head * hd, ldk = a.n_kv * hd;
    float q[MAX_HD_PER_LANE], acc[MAX_HD_PER_LANE];
    int per = (hd + 31) / 32;
    float scale = rsqrtf((float)hd);
    for (int i = 0; i < per; i++) {
        int d = lane + 32 * i;
        q[i] = d < hd ? a.q[(size_t)t * ldq + qh * hd + d] * scale : 0.0f;
        acc[i] = 0;
    }
    float m = -INFINITY, l = 0;
    int npos = a.pos0 + t + 1;
    for (int j = 0; j < npos; j++) {
        const float *k = a.k + (size_t)j * ldk + kvh * hd;
        float s = 0;
        for (int i = 0; i < per; i++) {
            int d = lane + 32 * i;
            if (d < hd) s += q[i] * k[d];
        }
        for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
        float mn = fmaxf(m, s), corr = expf(m - mn), e = expf(s - mn);
        l = l * corr + e;
        const float *v = a.v + (size_t)j * ldk + kvh * hd;
        for (int i = 0; i < per; i++) {
            int d = lane + 32 * i;
            acc[i] = acc[i] * corr + (d < hd ? e * v[d] : 0.0f);
        }
        m = mn;
    }
    for (int i = 0; i < per; i++) {
        int d = lane + 32 * i;
        if (d < hd) a.out[(size_t)t * ldq + qh * hd + d] = acc[i] / l;
    }
}

static void cu_attention(const synth_attn_args *a)
{
    if (a->head_dim > 32 * MAX_HD_PER_LANE) {
        fprintf(stderr, "corpusd-cuda: head_dim %d > %d is not supported\n", a->head_dim, 32 * MAX_HD_PER_LANE);
        return;
    }
    k_attention<<<dim3((unsigned)a->T, (unsigned)a->n_head), 32, 0, g_stream>>>(*a);
}

static const synth_backend g_cuda = {
    "cuda",         cu_alloc,    cu_free,       cu_upload,   cu_download, cu_copy,      cu_memzero,
    cu_weight_upload, cu_weight_free, cu_weight_random, cu_copy_bandwidth, cu_sync,  cu_embed,    cu_matmul,   cu_rmsnorm,   cu_gated_norm,
    cu_add,         cu_relu2,    cu_copy_cols,  cu_conv1d,   cu_ssm_scan, cu_ssm_step,  cu_attention,
};

extern "C" const synth_backend *synth_cuda_backend_get(char *why, size_t why_len)
{
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n == 0) {
        snprintf(why, why_len, "no usable CUDA device (%s)", e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
        return NULL;
    }
    if (!g_lt) {
        if (cudaStreamCreate(&g_stream) != cudaSuccess || cublasLtCreate(&g_lt) != CUBLAS_STATUS_SUCCESS ||
            cudaMalloc(&g_ws, g_ws_size) != cudaSuccess) {
            snprintf(why, why_len, "CUDA initialisation failed");
            return NULL;
        }
    }
    return &g_cuda;
}

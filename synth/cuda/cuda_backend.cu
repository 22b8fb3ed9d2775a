/*
 * cuda_backend.cu: the CUDA implementation of the synth kernel table
 * (synth/backend.h), built into lib/corpusd-cuda.so and loaded at run time
 * by synth/cuda_load.c through synth_cuda_backend_get().
 *
 * Storage: weights bf16 on the device (fp32 checkpoints stay fp32, with
 * fp32 GEMMs: the exact path the tests compare); activations, KV cache (fixed slots)
 * and conv state fp32; SSM state fp32 or bf16 (synth_ssm_args.state_bf16).
 * GEMMs: cuBLASLt, bf16 x bf16 with fp32 accumulation and fp32 output
 * (activations are cast to bf16 just before each GEMM). Every kernel runs on
 * one stream; download() synchronises it.
 *
 * Kernels: embedding gather, RMSNorm, gated group RMSNorm, causal conv1d
 * (one thread per channel carrying its window; a batched single step over a
 * table of per-sequence states), the Mamba-2 SSD chunked scan (per-chunk C.B
 * products and chunk states, a sequential pass over chunk states, then the
 * chunk outputs), the recurrence step (one warp per head and channel, single
 * or batched), FlashAttention-style tiled attention with online softmax
 * (split over the keys for decode, then merged), squared ReLU, residual add,
 * device top-k/top-p sampling, and CUDA graph capture of decode steps.
 *
 * Invariants: no kernel allocates memory that outlives its call except the
 * GEMM descriptor cache and the growable scratch owned by this file; every
 * reallocation of scratch bumps g_gen, which makes graphs captured before it
 * stale (graph_launch refuses them); nothing allocates or synchronises while
 * a graph is being captured (grow() fails the capture instead); the plugin
 * never aborts the process: CUDA errors are logged to stderr.
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
static int g_nsm = 1;               /* streaming multiprocessors */
/* Scratch generation: bumped whenever a scratch buffer a captured graph may
 * use is reallocated, which makes every older graph stale. */
static unsigned g_gen;
static int g_capturing, g_capture_bad;
static void *g_part, *g_rows, *g_out, *g_pbuf;
static size_t g_part_cap, g_rows_cap, g_out_cap, g_pbuf_cap;

#define CK(x)                                                                                 \
    do {                                                                                      \
        cudaError_t e_ = (x);                                                                 \
        if (e_ != cudaSuccess) fprintf(stderr, "corpusd-cuda: %s: %s\n", #x, cudaGetErrorString(e_)); \
    } while (0)

static unsigned blocks(size_t n, unsigned t) { return (unsigned)((n + t - 1) / t); }

/* Grows a scratch buffer to at least `need` bytes (twice that, to grow
 * rarely). Never while a graph is being captured: the capture is marked
 * failed instead (and the caller skips its launch), since allocation and
 * synchronisation are not allowed then. */
static int grow(void **p, size_t *cap, size_t need)
{
    if (need <= *cap) return 0;
    if (g_capturing) {
        g_capture_bad = 1;
        return -1;
    }
    cudaStreamSynchronize(g_stream);
    cudaFree(*p);
    *p = NULL;
    *cap = 0;
    g_gen++;
    if (cudaMalloc(p, need * 2) != cudaSuccess) {
        *p = NULL;
        fprintf(stderr, "corpusd-cuda: out of device memory for %zu bytes of scratch\n", need * 2);
        return -1;
    }
    *cap = need * 2;
    return 0;
}

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
    if (dt == ST_F32) {   /* fp32 checkpoints stay fp32: fp32 GEMMs (the exact path the tests compare) */
        void *d = NULL;
        if (cudaMalloc(&d, n * 4) != cudaSuccess) return -1;
        CK(cudaMemcpy(d, src, n * 4, cudaMemcpyHostToDevice));
        w->dtype = ST_F32;
        w->rows = rows;
        w->cols = cols;
        w->data = d;
        return 0;
    }
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

__global__ static void k_embed(const void *emb, int f32, const int32_t *ids, int D, float *out)
{
    int r = blockIdx.x;
    size_t off = (size_t)ids[r] * D;
    for (int i = threadIdx.x; i < D; i += blockDim.x)
        out[(size_t)r * D + i] = f32 ? ((const float *)emb)[off + i] : __bfloat162float(((const __nv_bfloat16 *)emb)[off + i]);
}

static void cu_embed(const synth_wt *emb, const int32_t *ids, int n, float *out)
{
    if (grow((void **)&g_ids, &g_ids_cap, (size_t)n * 4)) return;
    CK(cudaMemcpyAsync(g_ids, ids, (size_t)n * 4, cudaMemcpyHostToDevice, g_stream));
    k_embed<<<n, 256, 0, g_stream>>>(emb->data, emb->dtype == ST_F32, g_ids, emb->cols, out);
}

/* ids already in device memory (the decode tables): capturable in a graph. */
static void cu_embed_dev(const synth_wt *emb, const int32_t *ids, int n, float *out)
{
    k_embed<<<n, 256, 0, g_stream>>>(emb->data, emb->dtype == ST_F32, ids, emb->cols, out);
}

__global__ static void k_to_bf16(const float *x, __nv_bfloat16 *y, size_t n)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = __float2bfloat16(x[i]);
}

/* GEMM plans cached by shape. */
typedef struct gemm_plan {
    int rows, cols, n, f32;
    cublasLtMatmulDesc_t op;
    cublasLtMatrixLayout_t a, b, c;
    cublasLtMatmulAlgo_t algo;
    int ok;
} gemm_plan;
#define N_PLANS 128
static gemm_plan g_plans[N_PLANS];
static int g_nplans;

static gemm_plan *plan_for(int rows, int cols, int n, int f32)
{
    for (int i = 0; i < g_nplans; i++)
        if (g_plans[i].rows == rows && g_plans[i].cols == cols && g_plans[i].n == n && g_plans[i].f32 == f32)
            return &g_plans[i];
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
    p->f32 = f32;
    cudaDataType_t in = f32 ? CUDA_R_32F : CUDA_R_16BF;   /* fp32: COMPUTE_32F without TF32 */
    cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
    cublasLtMatmulDescCreate(&p->op, CUBLAS_COMPUTE_32F, CUDA_R_32F);
    cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta);
    cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb);
    /* column-major: C[rows x n] = W^T(view [cols x rows])^T * X^T(view [cols x n]) */
    cublasLtMatrixLayoutCreate(&p->a, in, cols, rows, cols);
    cublasLtMatrixLayoutCreate(&p->b, in, cols, n, cols);
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
    int f32 = w->dtype == ST_F32;
    const void *xin = x;
    if (!f32) {   /* bf16 weights: activations cast to bf16 */
        size_t nx = (size_t)n * w->cols;
        if (grow((void **)&g_xb, &g_xb_cap, nx * 2)) return;
        k_to_bf16<<<blocks(nx, 256), 256, 0, g_stream>>>(x, g_xb, nx);
        xin = g_xb;
    }
    gemm_plan *p = plan_for(w->rows, w->cols, n, f32);
    if (p->ok != 1) return;
    float alpha = 1.0f, beta = 0.0f;
    cublasStatus_t st = cublasLtMatmul(g_lt, p->op, &alpha, w->data, p->a, xin, p->b, &beta, y, p->c, y, p->c, &p->algo,
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

/* One decode step per sequence: row i of xbc with the state states[i]; one
 * thread per (channel, sequence). Same arithmetic order as k_conv1d. */
__global__ static void k_conv1d_batch(float *xbc, int C, int K, float *const *states, const float *w, const float *b)
{
    int c = blockIdx.x * blockDim.x + threadIdx.x, i = blockIdx.y;
    if (c >= C) return;
    float *st = states[i], *x = xbc + (size_t)i * C;
    float xin = x[c], s = b ? b[c] : 0.0f;
    for (int k = 0; k < K - 1; k++) s += w[(size_t)c * K + k] * st[(size_t)k * C + c];
    s += w[(size_t)c * K + K - 1] * xin;
    for (int k = 0; k + 1 < K - 1; k++) st[(size_t)k * C + c] = st[(size_t)(k + 1) * C + c];
    if (K > 1) st[(size_t)(K - 2) * C + c] = xin;
    x[c] = silu_d(s);
}

static void cu_conv1d_batch(float *xbc, int n, int C, int K, float *const *states, const float *w, const float *b)
{
    if (n < 1) return;
    k_conv1d_batch<<<dim3(blocks((size_t)C, 128), (unsigned)n), 128, 0, g_stream>>>(xbc, C, K, states, w, b);
}

/* The SSM state element i, stored fp32 or bf16 (synth_ssm_args.state_bf16). */
__device__ static inline float ld_state(const float *S, size_t i, int bf)
{
    return bf ? __bfloat162float(((const __nv_bfloat16 *)S)[i]) : S[i];
}
__device__ static inline void st_state(float *S, size_t i, float v, int bf)
{
    if (bf) ((__nv_bfloat16 *)S)[i] = __float2bfloat16(v);
    else S[i] = v;
}

__device__ static float dt_of(const synth_ssm_args a, int t, int h)
{
    float d = softplus_d(a.dt[(size_t)t * a.lddt + h] + a.dt_bias[h]);
    return fminf(fmaxf(d, a.dt_lo), a.dt_hi);
}

/* The plain recurrence: one warp per (head, channel p), lanes over the
 * state dimension (coalesced state reads and writes). Without a table the
 * T rows of one sequence run in order on a.state; with `states`, row
 * blockIdx.y is one step of sequence blockIdx.y on states[blockIdx.y]. */
__global__ static void k_ssm_step(synth_ssm_args a, float *const *states)
{
    int warp = (int)((blockIdx.x * blockDim.x + threadIdx.x) >> 5), lane = threadIdx.x & 31;
    int HP = a.H * a.P;
    if (warp >= HP) return;   /* whole warps only */
    int h = warp / a.P, p = warp % a.P, N = a.N, g = h / (a.H / a.G);
    float A = -expf(a.A_log[h]), Dh = a.D[h];
    int t0 = states ? (int)blockIdx.y : 0, t1 = states ? t0 + 1 : a.T;
    float *S = states ? states[blockIdx.y] : a.state;
    const size_t s0 = ((size_t)h * a.P + p) * N;
    const int bf = a.state_bf16;
    for (int t = t0; t < t1; t++) {
        float dt = dt_of(a, t, h), dA = expf(dt * A);
        const float *row = a.xbc + (size_t)t * a.ldx;
        float x = row[h * a.P + p], dx = dt * x, acc = 0;
        const float *B = row + HP + g * N, *C = row + HP + a.G * N + g * N;
        for (int n = lane; n < N; n += 32) {
            float sv = dA * ld_state(S, s0 + n, bf) + dx * B[n];
            st_state(S, s0 + n, sv, bf);   /* bf16: rounded once per row; y uses the fp32 value */
            acc += sv * C[n];
        }
        for (int o = 16; o > 0; o >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, o);
        if (lane == 0) a.y[(size_t)t * HP + h * a.P + p] = acc + Dh * x;
    }
}

static void cu_ssm_step(const synth_ssm_args *a)
{
    k_ssm_step<<<blocks((size_t)a->H * a->P * 32, 256), 256, 0, g_stream>>>(*a, NULL);
}

static void cu_ssm_step_batch(const synth_ssm_args *a, float *const *states)
{
    if (a->T < 1) return;
    k_ssm_step<<<dim3(blocks((size_t)a->H * a->P * 32, 256), (unsigned)a->T), 256, 0, g_stream>>>(*a, states);
}

/* SSD chunked scan. Scratch: dt and cumulative dt*A per (head, t), the
 * decay exp(cum at chunk end) per (head, chunk); C.B per (group, chunk, i,
 * j); chunk states per (chunk, head, p, n). Every exponential depends on
 * (head, t) or (head, i, j) only, so each is computed once per block and
 * shared, not once per channel. */
__global__ static void k_ssd_prep(synth_ssm_args a, int nc, float *dts, float *cum, float *dec)
{
    int id = blockIdx.x * blockDim.x + threadIdx.x;   /* = h * nc + c: one thread per (head, chunk) */
    if (id >= a.H * nc) return;
    int h = id / nc, c = id % nc, t0 = c * a.chunk, t1 = min(a.T, t0 + a.chunk);
    float A = -expf(a.A_log[h]), acc = 0;
    for (int t = t0; t < t1; t++) {
        float d = dt_of(a, t, h);
        acc += d * A;
        dts[(size_t)h * a.T + t] = d;
        cum[(size_t)h * a.T + t] = acc;
    }
    dec[id] = expf(acc);
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

/* Chunk states: shared memory w[j] = exp(cum_last - cum_j) * dt_j (chunk floats). */
__global__ static void k_ssd_chunk_state(synth_ssm_args a, const float *dts, const float *cum, float *cs)
{
    extern __shared__ float wsh[];
    int c = blockIdx.x, h = blockIdx.y, L = a.chunk, HP = a.H * a.P, N = a.N, P = a.P;
    int g = h / (a.H / a.G), t0 = c * L, n = min(L, a.T - t0);
    const float *dh = dts + (size_t)h * a.T + t0, *ch = cum + (size_t)h * a.T + t0;
    float last = ch[n - 1];
    for (int j = threadIdx.x; j < n; j += blockDim.x) wsh[j] = expf(last - ch[j]) * dh[j];
    __syncthreads();
    float *out = cs + ((size_t)c * a.H + h) * P * N;
    for (int idx = threadIdx.x; idx < P * N; idx += blockDim.x) {
        int p = idx / N, k = idx % N;
        float s = 0;
        for (int j = 0; j < n; j++) {
            const float *row = a.xbc + (size_t)(t0 + j) * a.ldx;
            s += wsh[j] * row[h * P + p] * row[HP + g * N + k];
        }
        out[idx] = s;
    }
}

/* Sequential over chunks: cs[c] becomes the state entering chunk c; a.state the final one. */
__global__ static void k_ssd_pass(synth_ssm_args a, const float *dec, float *cs, int nc)
{
    int h = blockIdx.x, PN = a.P * a.N;
    const size_t S0 = (size_t)h * PN;
    for (int idx = threadIdx.x; idx < PN; idx += blockDim.x) {
        float s = ld_state(a.state, S0 + idx, a.state_bf16);
        for (int c = 0; c < nc; c++) {
            float decay = dec[(size_t)h * nc + c];
            float *slot = cs + ((size_t)c * a.H + h) * PN + idx;
            float contrib = *slot;
            *slot = s;
            s = decay * s + contrib;
        }
        st_state(a.state, S0 + idx, s, a.state_bf16);
    }
}

/* Chunk outputs. Shared memory: the chunk's x [n x P], then per output row i
 * m[j] = (C_i.B_j) exp(cum_i - cum_j) dt_j for j <= i and m[L] = exp(cum_i). */
__global__ static void k_ssd_out(synth_ssm_args a, const float *dts, const float *cum, const float *cb, const float *cs)
{
    extern __shared__ float sm[];
    int c = blockIdx.x, h = blockIdx.y, L = a.chunk, HP = a.H * a.P, N = a.N, P = a.P;
    int g = h / (a.H / a.G), t0 = c * L, n = min(L, a.T - t0);
    float *xs = sm, *mrow = sm + (size_t)L * P;
    const float *dh = dts + (size_t)h * a.T + t0, *ch = cum + (size_t)h * a.T + t0;
    const float *cbg = cb + ((size_t)g * gridDim.x + c) * L * L;
    const float *S = cs + ((size_t)c * a.H + h) * P * N;
    float Dh = a.D[h];
    for (int idx = threadIdx.x; idx < n * P; idx += blockDim.x) {
        int j = idx / P, p = idx - j * P;
        xs[idx] = a.xbc[(size_t)(t0 + j) * a.ldx + h * P + p];
    }
    for (int i = 0; i < n; i++) {
        __syncthreads();   /* xs is written; the previous row's m is consumed */
        for (int j = threadIdx.x; j <= i; j += blockDim.x) mrow[j] = cbg[(size_t)i * L + j] * expf(ch[i] - ch[j]) * dh[j];
        if (threadIdx.x == 0) mrow[L] = expf(ch[i]);
        __syncthreads();
        const float *Ci = a.xbc + (size_t)(t0 + i) * a.ldx + HP + a.G * N + g * N;
        for (int p = threadIdx.x; p < P; p += blockDim.x) {
            const float *Sin = S + (size_t)p * N;
            float s = 0;
            for (int k = 0; k < N; k++) s += Sin[k] * Ci[k];
            float y = mrow[L] * s + Dh * xs[(size_t)i * P + p];
            for (int j = 0; j <= i; j++) y += mrow[j] * xs[(size_t)j * P + p];
            a.y[(size_t)(t0 + i) * HP + h * P + p] = y;
        }
    }
}
#define SSD_MAX_SMEM (96 * 1024)   /* k_ssd_out's opt-in shared memory (sm_86/89 allow 99 KiB) */

static void cu_ssm_scan(const synth_ssm_args *a)
{
    int L = a->chunk, nc = (a->T + L - 1) / L;
    size_t out_smem = ((size_t)L * a->P + L + 1) * 4;
    if ((size_t)L * 4 > 48 * 1024 || out_smem > SSD_MAX_SMEM || a->P > 1024) {
        fprintf(stderr, "corpusd-cuda: SSD scan with chunk %d and head_dim %d is not supported (shared memory)\n", L, a->P);
        return;
    }
    size_t n_dt = (size_t)a->H * a->T, n_dec = (size_t)a->H * nc, n_cb = (size_t)a->G * nc * L * L,
           n_cs = (size_t)nc * a->H * a->P * a->N;
    float *scratch = NULL;
    if (cudaMallocAsync((void **)&scratch, (2 * n_dt + n_dec + n_cb + n_cs) * 4, g_stream) != cudaSuccess) {
        fprintf(stderr, "corpusd-cuda: out of memory for the SSD scan scratch\n");
        return;
    }
    float *dts = scratch, *cum = dts + n_dt, *dec = cum + n_dt, *cb = dec + n_dec, *cs = cb + n_cb;
    k_ssd_prep<<<blocks(n_dec, 128), 128, 0, g_stream>>>(*a, nc, dts, cum, dec);
    k_ssd_cb<<<dim3((unsigned)nc, (unsigned)a->G), 256, 0, g_stream>>>(*a, cb);
    k_ssd_chunk_state<<<dim3((unsigned)nc, (unsigned)a->H), 256, (size_t)L * 4, g_stream>>>(*a, dts, cum, cs);
    k_ssd_pass<<<a->H, 256, 0, g_stream>>>(*a, dec, cs, nc);
    k_ssd_out<<<dim3((unsigned)nc, (unsigned)a->H), (unsigned)((a->P + 31) / 32 * 32), out_smem, g_stream>>>(*a, dts, cum, cb,
                                                                                                           cs);
    cudaFreeAsync(scratch, g_stream);
}

/* ------------------------------------------------------------- attention
 *
 * FlashAttention-style tiling with online softmax. A block of AT_THREADS
 * threads serves one KV head and AT_ITEMS query "items" (item = position t
 * x query head of that KV head's GQA group, so the heads sharing a KV head
 * share its tiles); K/V tiles of AT_KEYS positions go through shared memory
 * once per block. Warp w keeps items w, w + 4, w + 8, w + 12: per tile, lane
 * j scores key j against the item's query (from shared memory), the warp
 * rescales its running max / sum / output (lanes split head_dim) and adds
 * the tile's probabilities times V. Decode at small batch splits the keys
 * over blockIdx.z (flash-decoding): each split writes its unnormalised
 * output, max and sum, and k_attn_combine merges them.
 */
#define AT_ITEMS 16
#define AT_KEYS 32
#define AT_THREADS 128
#define AT_PER_WARP (AT_ITEMS / (AT_THREADS / 32))
#define MAX_HD_PER_LANE 8
#define AT_MAX_HD (32 * MAX_HD_PER_LANE)

typedef struct attn_p {
    int T, n_head, n_kv, hd, group, ldq, ldk;
    const float *q;        /* row (seq * T + t): q + row * ldq + qh * hd */
    float *out;            /* same layout as q */
    const float *k, *v;    /* one sequence: caches and pos0 */
    int pos0;
    float *const *kt;      /* or per-sequence caches and positions (device tables) */
    float *const *vt;
    const int32_t *pos;
    int nsplit;
    float *part;           /* NULL: write out; else [seq][qh][split][hd + 2] (T == 1 only) */
} attn_p;

static size_t attn_smem(int hd) { return (size_t)(AT_KEYS * (hd | 1) + AT_KEYS * hd + AT_ITEMS * hd) * 4; }

__global__ static void __launch_bounds__(AT_THREADS) k_attn(attn_p a)
{
    extern __shared__ float sm[];
    const int hd = a.hd, ks = hd | 1;   /* odd K row stride: lane j reads bank (j * ks + d) % 32, all distinct */
    float *Ks = sm, *Vs = Ks + AT_KEYS * ks, *Qs = Vs + AT_KEYS * hd;
    const int seq = (int)blockIdx.z / a.nsplit, split = (int)blockIdx.z % a.nsplit, kvh = (int)blockIdx.y;
    const int item0 = (int)blockIdx.x * AT_ITEMS, nitems = a.T * a.group;
    const float *K = a.kt ? a.kt[seq] : a.k, *V = a.vt ? a.vt[seq] : a.v;
    const int pos0 = a.pos ? a.pos[seq] : a.pos0;
    const int ilast = min(item0 + AT_ITEMS, nitems) - 1;
    const int nkeys = pos0 + ilast / a.group + 1;   /* keys 0 .. nkeys-1 are visible to some item here */
    int per = (nkeys + a.nsplit - 1) / a.nsplit;
    per = (per + AT_KEYS - 1) / AT_KEYS * AT_KEYS;
    const int k0 = split * per, k1 = min(nkeys, k0 + per);
    const float scale = rsqrtf((float)hd);
    for (int idx = threadIdx.x; idx < AT_ITEMS * hd; idx += AT_THREADS) {
        int it = idx / hd, d = idx - it * hd, item = item0 + it;
        float v = 0.0f;
        if (item < nitems) {
            int t = item / a.group, qh = kvh * a.group + item % a.group;
            v = a.q[(size_t)(seq * a.T + t) * a.ldq + (size_t)qh * hd + d] * scale;
        }
        Qs[idx] = v;
    }
    const int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    float m[AT_PER_WARP], l[AT_PER_WARP], acc[AT_PER_WARP][MAX_HD_PER_LANE];
#pragma unroll
    for (int r = 0; r < AT_PER_WARP; r++) {
        m[r] = -INFINITY;
        l[r] = 0.0f;
#pragma unroll
        for (int i = 0; i < MAX_HD_PER_LANE; i++) acc[r][i] = 0.0f;
    }
    for (int kt0 = k0; kt0 < k1; kt0 += AT_KEYS) {
        const int nk = min(AT_KEYS, k1 - kt0);
        __syncthreads();   /* the previous tile is consumed (first time: Q is written) */
        for (int idx = threadIdx.x; idx < nk * hd; idx += AT_THREADS) {
            int j = idx / hd, d = idx - j * hd;
            size_t off = (size_t)(kt0 + j) * a.ldk + (size_t)kvh * hd + d;
            Ks[j * ks + d] = K[off];
            Vs[j * hd + d] = V[off];
        }
        __syncthreads();
#pragma unroll
        for (int r = 0; r < AT_PER_WARP; r++) {
            const int it = w + (AT_THREADS / 32) * r, item = item0 + it;
            if (item >= nitems) continue;   /* the same for the whole warp */
            const int qpos = pos0 + item / a.group;
            float sc = -INFINITY;
            if (lane < nk && kt0 + lane <= qpos) {
                const float *qr = Qs + it * hd, *kr = Ks + lane * ks;
                float d0 = 0.0f;
                for (int d = 0; d < hd; d++) d0 += qr[d] * kr[d];
                sc = d0;
            }
            float tmax = sc;
            for (int o = 16; o > 0; o >>= 1) tmax = fmaxf(tmax, __shfl_xor_sync(0xffffffffu, tmax, o));
            if (tmax == -INFINITY) continue;   /* no visible key in this tile (the same for the whole warp) */
            const float mn = fmaxf(m[r], tmax), corr = expf(m[r] - mn), pr = expf(sc - mn);
            float ps = pr;
            for (int o = 16; o > 0; o >>= 1) ps += __shfl_xor_sync(0xffffffffu, ps, o);
            l[r] = l[r] * corr + ps;
#pragma unroll
            for (int i = 0; i < MAX_HD_PER_LANE; i++) acc[r][i] *= corr;
            for (int j = 0; j < nk; j++) {
                const float pj = __shfl_sync(0xffffffffu, pr, j);
#pragma unroll
                for (int i = 0; i < MAX_HD_PER_LANE; i++) {
                    const int d = lane + 32 * i;
                    if (d < hd) acc[r][i] += pj * Vs[j * hd + d];
                }
            }
            m[r] = mn;
        }
    }
#pragma unroll
    for (int r = 0; r < AT_PER_WARP; r++) {
        const int it = w + (AT_THREADS / 32) * r, item = item0 + it;
        if (item >= nitems) continue;
        const int t = item / a.group, qh = kvh * a.group + item % a.group;
        if (!a.part) {
            float *o = a.out + (size_t)(seq * a.T + t) * a.ldq + (size_t)qh * hd;
#pragma unroll
            for (int i = 0; i < MAX_HD_PER_LANE; i++) {
                const int d = lane + 32 * i;
                if (d < hd) o[d] = acc[r][i] / l[r];
            }
        } else {
            float *o = a.part + (((size_t)seq * a.n_head + qh) * a.nsplit + split) * (hd + 2);
#pragma unroll
            for (int i = 0; i < MAX_HD_PER_LANE; i++) {
                const int d = lane + 32 * i;
                if (d < hd) o[d] = acc[r][i];
            }
            if (lane == 0) {
                o[hd] = m[r];
                o[hd + 1] = l[r];
            }
        }
    }
}

/* Merges the splits of one (sequence, query head); T == 1, so the output
 * row is the sequence. Split 0 always holds key 0, so M is finite. */
__global__ static void k_attn_combine(const float *part, int nsplit, int hd, int n_head, float *out, int ldq)
{
    int qh = blockIdx.x, seq = blockIdx.y;
    const float *pp = part + ((size_t)seq * n_head + qh) * nsplit * (hd + 2);
    float M = -INFINITY, L = 0.0f;
    for (int s = 0; s < nsplit; s++) M = fmaxf(M, pp[(size_t)s * (hd + 2) + hd]);
    for (int s = 0; s < nsplit; s++) {
        float ms = pp[(size_t)s * (hd + 2) + hd];
        if (ms > -INFINITY) L += expf(ms - M) * pp[(size_t)s * (hd + 2) + hd + 1];
    }
    for (int d = threadIdx.x; d < hd; d += blockDim.x) {
        float v = 0.0f;
        for (int s = 0; s < nsplit; s++) {
            float ms = pp[(size_t)s * (hd + 2) + hd];
            if (ms > -INFINITY) v += expf(ms - M) * pp[(size_t)s * (hd + 2) + d];
        }
        out[(size_t)seq * ldq + (size_t)qh * hd + d] = v / L;
    }
}

/* Key splits for nseq decoding sequences: enough blocks for two waves of the SMs. */
static int attn_splits(int n_kv, int nseq)
{
    int base = n_kv * nseq, s = (2 * g_nsm + base - 1) / base;
    if (s > 32) s = 32;
    if (s > 65535 / nseq) s = 65535 / nseq;
    return s < 1 ? 1 : s;
}

static int attn_check(const synth_attn_args *a)
{
    if (a->head_dim > AT_MAX_HD || a->n_kv < 1 || a->n_head % a->n_kv) {
        fprintf(stderr, "corpusd-cuda: attention with head_dim %d (max %d), %d heads over %d KV heads is not supported\n",
                a->head_dim, AT_MAX_HD, a->n_head, a->n_kv);
        return -1;
    }
    return 0;
}

static void attn_launch(attn_p p, int nseq)
{
    dim3 grid(blocks((size_t)p.T * p.group, AT_ITEMS), (unsigned)p.n_kv, (unsigned)(nseq * p.nsplit));
    k_attn<<<grid, AT_THREADS, attn_smem(p.hd), g_stream>>>(p);
    if (p.part) k_attn_combine<<<dim3((unsigned)p.n_head, (unsigned)nseq), 128, 0, g_stream>>>(p.part, p.nsplit, p.hd, p.n_head, p.out, p.ldq);
}

static attn_p attn_base(const synth_attn_args *a)
{
    attn_p p;
    memset(&p, 0, sizeof p);
    p.T = a->T;
    p.n_head = a->n_head;
    p.n_kv = a->n_kv;
    p.hd = a->head_dim;
    p.group = a->n_head / a->n_kv;
    p.ldq = a->n_head * a->head_dim;
    p.ldk = a->n_kv * a->head_dim;
    p.q = a->q;
    p.out = a->out;
    p.nsplit = 1;
    return p;
}

static void cu_attention(const synth_attn_args *a)
{
    if (a->T < 1 || attn_check(a)) return;
    attn_p p = attn_base(a);
    p.k = a->k;
    p.v = a->v;
    p.pos0 = a->pos0;
    if (a->T == 1) {   /* one query row: split the keys */
        p.nsplit = attn_splits(a->n_kv, 1);
        if (p.nsplit > 1) {
            if (grow(&g_part, &g_part_cap, (size_t)a->n_head * p.nsplit * (a->head_dim + 2) * 4)) return;
            p.part = (float *)g_part;
        }
    }
    attn_launch(p, 1);
}

__global__ static void k_kv_append(const float *knew, const float *vnew, float *const *kc, float *const *vc,
                                   const int32_t *pos, int kd)
{
    int i = blockIdx.y, d = blockIdx.x * blockDim.x + threadIdx.x;
    if (d >= kd) return;
    size_t off = (size_t)pos[i] * kd + d;
    kc[i][off] = knew[(size_t)i * kd + d];
    vc[i][off] = vnew[(size_t)i * kd + d];
}

static void cu_attention_decode(const synth_attn_args *a, const float *knew, const float *vnew, float *const *kc,
                                float *const *vc, const int32_t *pos)
{
    if (a->T < 1 || attn_check(a)) return;
    int n = a->T, kd = a->n_kv * a->head_dim;
    attn_p p = attn_base(a);
    p.T = 1;
    p.kt = kc;
    p.vt = vc;
    p.pos = pos;
    p.nsplit = attn_splits(a->n_kv, n);
    if (p.nsplit > 1) {
        if (grow(&g_part, &g_part_cap, (size_t)n * a->n_head * p.nsplit * (a->head_dim + 2) * 4)) return;
        p.part = (float *)g_part;
    }
    k_kv_append<<<dim3(blocks((size_t)kd, 256), (unsigned)n), 256, 0, g_stream>>>(knew, vnew, kc, vc, pos, kd);
    attn_launch(p, n);
}

/* -------------------------------------------------------------- sampling
 *
 * One block per row, no sort: every element gets a 64-bit key, the logit
 * (scaled by 1/temperature) in order-preserving bits above the bit-inverted
 * id, so keys are distinct and their descending order is synth_sample_u's
 * (higher logit first, lower id first on ties). The top-k cut, the top-p cut
 * and the draw are each the largest key threshold meeting a monotone
 * condition (count >= k; mass >= top_p * kept; mass > u * kept), found bit
 * by bit with block reductions over the row. Probabilities are exp(logit -
 * max) in double, as on the CPU.
 */
#define SAMPLE_THREADS 1024

__device__ static inline unsigned long long skey(float v, int i)
{
    if (v == 0.0f) v = 0.0f;   /* -0 and +0 compare equal on the CPU */
    unsigned b = __float_as_uint(v);
    unsigned o = (b & 0x80000000u) ? ~b : (b | 0x80000000u);
    return ((unsigned long long)o << 32) | (unsigned long long)(~(unsigned)i);
}
__device__ static inline int skey_id(unsigned long long k) { return (int)~(unsigned)(k & 0xffffffffull); }

struct op_max_u64 {
    __device__ unsigned long long operator()(unsigned long long a, unsigned long long b) const { return a > b ? a : b; }
};
struct op_min_u64 {
    __device__ unsigned long long operator()(unsigned long long a, unsigned long long b) const { return a < b ? a : b; }
};
struct op_add_u32 {
    __device__ unsigned operator()(unsigned a, unsigned b) const { return a + b; }
};
struct op_add_f64 {
    __device__ double operator()(double a, double b) const { return a + b; }
};

/* Reduction over the block; every thread gets the result. */
template <typename T, typename Op> __device__ static T block_reduce(T v, Op op, T ident)
{
    __shared__ T sh[32];
    for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
    __syncthreads();   /* sh is free (a previous reduction has been read) */
    if ((threadIdx.x & 31) == 0) sh[threadIdx.x >> 5] = v;
    __syncthreads();
    int nw = (blockDim.x + 31) >> 5, lane = threadIdx.x & 31;
    v = lane < nw ? sh[lane] : ident;
    for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

/* Probability mass of the keys >= lo (the same summation order every call). */
__device__ static double sample_mass(const float *x, const double *p, int vocab, float temp, unsigned long long lo)
{
    double s = 0;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x)
        if (skey(x[i] / temp, i) >= lo) s += p[i];
    return block_reduce(s, op_add_f64(), 0.0);
}

__global__ static void __launch_bounds__(SAMPLE_THREADS)
    k_sample(const float *logits, int vocab, const synth_sample_row *rows, double *pbuf, int32_t *out)
{
    const synth_sample_row r = rows[blockIdx.x];
    const float *x = logits + (size_t)r.row * vocab;
    const bool greedy = r.temperature <= 0 || r.top_k == 1;
    const float temp = greedy ? 1.0f : r.temperature;
    unsigned long long mk = 0;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        unsigned long long k = skey(x[i] / temp, i);
        if (k > mk) mk = k;
    }
    mk = block_reduce(mk, op_max_u64(), 0ull);
    const int imax = skey_id(mk);
    if (greedy) {   /* the same for the whole block */
        if (threadIdx.x == 0) out[blockIdx.x] = imax;
        return;
    }
    const double c0 = (double)(x[imax] / temp);
    double *p = pbuf + (size_t)blockIdx.x * vocab;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) p[i] = exp((double)(x[i] / temp) - c0);
    /* each thread reads back only the p[i] it wrote: no barrier needed */
    unsigned long long thr = 0;
    if (r.top_k > 0 && r.top_k < vocab) {   /* the k-th largest key: largest t with count(key >= t) >= k */
        unsigned long long t = 0;
        for (int bit = 63; bit >= 0; bit--) {
            const unsigned long long cand = t | (1ull << bit);
            unsigned cnt = 0;
            for (int i = threadIdx.x; i < vocab; i += blockDim.x) cnt += skey(x[i] / temp, i) >= cand;
            if (block_reduce(cnt, op_add_u32(), 0u) >= (unsigned)r.top_k) t = cand;
        }
        thr = t;
    }
    double sum = sample_mass(x, p, vocab, temp, thr);
    if (r.top_p > 0 && r.top_p < 1) {   /* shortest prefix holding top_p of the mass */
        const double need = (double)r.top_p * sum;
        unsigned long long t = 0;
        for (int bit = 63; bit >= 0; bit--) {
            const unsigned long long cand = t | (1ull << bit);
            if (sample_mass(x, p, vocab, temp, cand > thr ? cand : thr) >= need) t = cand;
        }
        if (t > thr) thr = t;
        sum = sample_mass(x, p, vocab, temp, thr);
    }
    /* the first key (in descending order) whose cumulative mass exceeds u * sum */
    const double target = r.u * sum;
    unsigned long long t = 0;
    for (int bit = 63; bit >= 0; bit--) {
        const unsigned long long cand = t | (1ull << bit);
        if (sample_mass(x, p, vocab, temp, cand > thr ? cand : thr) > target) t = cand;
    }
    if (t == 0) {   /* rounding left nothing above the target: the last kept key, as on the CPU */
        unsigned long long mn = ~0ull;
        for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
            unsigned long long k = skey(x[i] / temp, i);
            if (k >= thr && k < mn) mn = k;
        }
        t = block_reduce(mn, op_min_u64(), ~0ull);
    }
    if (threadIdx.x == 0) out[blockIdx.x] = skey_id(t);
}

static int cu_sample(const float *logits, int vocab, const synth_sample_row *rows, int n, int32_t *out)
{
    if (n < 1) return 0;
    int need_p = 0;
    for (int i = 0; i < n; i++) need_p |= !(rows[i].temperature <= 0 || rows[i].top_k == 1);
    if (grow(&g_rows, &g_rows_cap, (size_t)n * sizeof *rows) || grow(&g_out, &g_out_cap, (size_t)n * 4) ||
        (need_p && grow(&g_pbuf, &g_pbuf_cap, (size_t)n * vocab * 8)))
        return -1;
    CK(cudaMemcpyAsync(g_rows, rows, (size_t)n * sizeof *rows, cudaMemcpyHostToDevice, g_stream));
    k_sample<<<n, SAMPLE_THREADS, 0, g_stream>>>(logits, vocab, (const synth_sample_row *)g_rows,
                                                 need_p ? (double *)g_pbuf : NULL, (int32_t *)g_out);
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) e = cudaMemcpyAsync(out, g_out, (size_t)n * 4, cudaMemcpyDeviceToHost, g_stream);
    if (e == cudaSuccess) e = cudaStreamSynchronize(g_stream);
    if (e != cudaSuccess) {
        fprintf(stderr, "corpusd-cuda: sampling: %s\n", cudaGetErrorString(e));
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------- CUDA graphs */

typedef struct cu_graph {
    cudaGraphExec_t exec;
    unsigned gen;   /* g_gen at capture */
} cu_graph;

static int cu_capture_begin(void)
{
    if (cudaStreamBeginCapture(g_stream, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
        cudaGetLastError();
        return -1;
    }
    g_capturing = 1;
    g_capture_bad = 0;
    return 0;
}

static void *cu_capture_end(void)
{
    cudaGraph_t gr = NULL;
    cudaError_t e = cudaStreamEndCapture(g_stream, &gr);
    g_capturing = 0;
    if (e != cudaSuccess || !gr || g_capture_bad) {
        if (gr) cudaGraphDestroy(gr);
        cudaGetLastError();
        return NULL;
    }
    cudaGraphExec_t ex;
    e = cudaGraphInstantiate(&ex, gr, 0);
    cudaGraphDestroy(gr);
    if (e != cudaSuccess) {
        cudaGetLastError();
        return NULL;
    }
    cu_graph *g = (cu_graph *)malloc(sizeof *g);
    if (!g) {
        cudaGraphExecDestroy(ex);
        return NULL;
    }
    g->exec = ex;
    g->gen = g_gen;
    return g;
}

static int cu_graph_launch(void *p)
{
    cu_graph *g = (cu_graph *)p;
    if (g->gen != g_gen) return 1;
    cudaError_t e = cudaGraphLaunch(g->exec, g_stream);
    if (e != cudaSuccess) {
        fprintf(stderr, "corpusd-cuda: graph launch: %s\n", cudaGetErrorString(e));
        return -1;
    }
    return 0;
}

static void cu_graph_free(void *p)
{
    cu_graph *g = (cu_graph *)p;
    if (!g) return;
    cudaStreamSynchronize(g_stream);
    cudaGraphExecDestroy(g->exec);
    free(g);
}

static int cu_mem_info(size_t *free_b, size_t *total_b)
{
    return cudaMemGetInfo(free_b, total_b) == cudaSuccess ? 0 : -1;
}

static synth_backend make_table(void)
{
    synth_backend b;
    memset(&b, 0, sizeof b);
    b.name = "cuda";
    b.alloc = cu_alloc;
    b.free = cu_free;
    b.upload = cu_upload;
    b.download = cu_download;
    b.copy = cu_copy;
    b.memzero = cu_memzero;
    b.weight_upload = cu_weight_upload;
    b.weight_free = cu_weight_free;
    b.weight_random = cu_weight_random;
    b.copy_bandwidth = cu_copy_bandwidth;
    b.sync = cu_sync;
    b.embed = cu_embed;
    b.matmul = cu_matmul;
    b.rmsnorm = cu_rmsnorm;
    b.gated_norm = cu_gated_norm;
    b.add = cu_add;
    b.relu2 = cu_relu2;
    b.copy_cols = cu_copy_cols;
    b.conv1d = cu_conv1d;
    b.ssm_scan = cu_ssm_scan;
    b.ssm_step = cu_ssm_step;
    b.attention = cu_attention;
    b.embed_dev = cu_embed_dev;
    b.conv1d_batch = cu_conv1d_batch;
    b.ssm_step_batch = cu_ssm_step_batch;
    b.attention_decode = cu_attention_decode;
    b.sample = cu_sample;
    b.capture_begin = cu_capture_begin;
    b.capture_end = cu_capture_end;
    b.graph_launch = cu_graph_launch;
    b.graph_free = cu_graph_free;
    b.mem_info = cu_mem_info;
    return b;
}
static synth_backend g_cuda;

extern "C" const synth_backend *synth_cuda_backend_get(char *why, size_t why_len)
{
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n == 0) {
        snprintf(why, why_len, "no usable CUDA device (%s)", e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
        return NULL;
    }
    if (!g_lt) {
        int dev = 0;
        if (cudaGetDevice(&dev) != cudaSuccess || cudaStreamCreate(&g_stream) != cudaSuccess ||
            cublasLtCreate(&g_lt) != CUBLAS_STATUS_SUCCESS || cudaMalloc(&g_ws, g_ws_size) != cudaSuccess) {
            snprintf(why, why_len, "CUDA initialisation failed");
            return NULL;
        }
        cudaDeviceGetAttribute(&g_nsm, cudaDevAttrMultiProcessorCount, dev);
        if (g_nsm < 1) g_nsm = 1;
        /* head_dim up to AT_MAX_HD needs more than the default 48 KiB of shared memory */
        e = cudaFuncSetAttribute(k_attn, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)attn_smem(AT_MAX_HD));
        if (e != cudaSuccess) {
            fprintf(stderr, "corpusd-cuda: attention shared memory: %s (head_dim > 128 unavailable)\n", cudaGetErrorString(e));
            cudaGetLastError();
        }
        e = cudaFuncSetAttribute(k_ssd_out, cudaFuncAttributeMaxDynamicSharedMemorySize, SSD_MAX_SMEM);
        if (e != cudaSuccess) {
            fprintf(stderr, "corpusd-cuda: SSD shared memory: %s\n", cudaGetErrorString(e));
            cudaGetLastError();
        }
        g_cuda = make_table();
    }
    return &g_cuda;
}

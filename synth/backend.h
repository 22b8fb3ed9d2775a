/*
 * backend.h: the kernel table the Nemotron-H graph (synth/graph.c) is written
 * against, in the manner of ggml's backend interface. synth/cpu implements it
 * in C with OpenBLAS; synth/cuda implements it in lib/corpusd-cuda.so, which
 * exports `synth_cuda_backend` and is loaded with dlopen.
 *
 * All float pointers passed to kernels are backend memory (from ->alloc);
 * token ids and scalars are host values. Activations are fp32 row-major
 * [rows x cols]. Weights live in synth_wt, whose storage dtype the backend
 * picks at upload (both keep F32 and BF16 as they are; the CPU widens F16 to
 * fp32, CUDA narrows it to bf16; CUDA's random weights are bf16).
 *
 * Kernel contracts (tests/synth/test_backend_ops.c checks every kernel of
 * every available backend against the CPU on random inputs):
 *  matmul       y[n x rows] = x[n x cols] * W^T
 *  rmsnorm      y = x / sqrt(mean(x^2) + eps) * w, per row of d
 *  gated_norm   y = g / sqrt(mean_group(g^2) + eps) * w with g = y * silu(z),
 *               groups of `group` channels; z has row stride ldz
 *  conv1d       causal depthwise conv of width K over T rows of C channels,
 *               starting from `state` (the K-1 previous rows), + bias, SiLU,
 *               in place; state is updated to the last K-1 inputs
 *  ssm_scan     the Mamba-2 SSD scan (chunked) from/to `state` [H x P x N]
 *  ssm_step     the same for T == 1 by the plain recurrence
 *               (state_bf16: the state is stored as bf16 between calls)
 *  attention    causal GQA over a KV cache holding pos0 + T positions
 *
 * Batched decode (n sequences, one token each; activation row i belongs to
 * sequence i). Per-sequence state pointers, positions and token ids live in
 * backend memory, so one launch serves the whole batch and a captured CUDA
 * graph stays valid while the sequences in the batch change:
 *  embed_dev        embed with ids in backend memory
 *  conv1d_batch     conv1d of one row per sequence, state states[i]
 *  ssm_step_batch   ssm_step of one row per sequence (a->T = n), state
 *                   states[i] (a->state unused)
 *  attention_decode writes row i of knew/vnew at position pos[i] of
 *                   kc[i]/vc[i], then attends q row i over pos[i] + 1
 *                   positions (a->T = n; a->k, a->v, a->pos0 unused)
 *  sample           one token per listed logits row, top-k/top-p/temperature
 *                   exactly as synth_sample_u (synth/generate.c)
 * Graph capture (CUDA only; NULL elsewhere): capture_begin starts recording
 * the launches that follow instead of running them; capture_end returns an
 * executable graph (NULL when capture failed: nothing ran, run the launches
 * directly); graph_launch returns 0 when launched, 1 when the graph is stale
 * (the backend reallocated scratch it uses: drop it), -1 on error.
 */
#ifndef CORPUSD_SYNTH_BACKEND_H
#define CORPUSD_SYNTH_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "synth/safetensors.h"

typedef struct synth_wt {
    st_dtype dtype;   /* storage dtype on the backend */
    int rows, cols;
    void *data;
} synth_wt;

typedef struct synth_ssm_args {
    int T, H, P, N, G, chunk;
    const float *xbc;   /* [T x ldx]: x at col 0 (H*P), B at H*P (G*N), C after B */
    int ldx;
    const float *dt;    /* raw dt [T x lddt], H values per row */
    int lddt;
    const float *dt_bias, *A_log, *D;   /* [H] */
    float dt_lo, dt_hi;
    float *state;       /* [H x P x N], read and updated */
    int state_bf16;     /* state (and the batch's states[i]) hold bf16 (uint16) values, not fp32;
                           the kernels compute in fp32 and round the state to bf16 when they store it */
    float *y;           /* [T x H*P] */
} synth_ssm_args;

typedef struct synth_attn_args {
    int T, pos0, n_head, n_kv, head_dim;
    const float *q;     /* [T x n_head*head_dim] */
    const float *k, *v; /* caches [pos0+T x n_kv*head_dim] */
    float *out;         /* [T x n_head*head_dim] */
} synth_attn_args;

/* One row to sample (synth_backend.sample). */
typedef struct synth_sample_row {
    int row;            /* row of the logits matrix */
    float temperature;  /* <= 0: greedy (argmax, lowest id on ties) */
    int top_k;          /* 0 or >= vocab: off; 1: greedy */
    float top_p;        /* outside (0, 1): off */
    double u;           /* uniform in [0, 1) drawn by the caller; unused when greedy */
} synth_sample_row;

typedef struct synth_backend {
    const char *name;
    void *(*alloc)(size_t bytes);              /* zeroed; NULL on failure */
    void (*free)(void *p);
    void (*upload)(void *dst, const void *src, size_t bytes);
    void (*download)(void *dst, const void *src, size_t bytes);
    void (*copy)(void *dst, const void *src, size_t bytes);
    void (*memzero)(void *dst, size_t bytes);
    int (*weight_upload)(synth_wt *w, st_dtype src_dtype, const void *src, int rows, int cols);
    void (*weight_free)(synth_wt *w);
    /* Random weights uniform in +-sqrt(3)*scale (std = scale), from a seed,
     * stored as `want` where the backend supports it (CUDA: always bf16). */
    int (*weight_random)(synth_wt *w, int rows, int cols, float scale, uint64_t seed, st_dtype want);
    /* Device copy bandwidth in bytes/s (for the decode roofline); 0 if unknown. */
    double (*copy_bandwidth)(void);
    void (*sync)(void);

    void (*embed)(const synth_wt *emb, const int32_t *ids, int n, float *out);
    void (*matmul)(const synth_wt *w, const float *x, int n, float *y);
    void (*rmsnorm)(const float *x, const float *w, int n, int d, float eps, float *y);
    void (*gated_norm)(float *y, const float *z, int ldz, const float *w, int n, int d, int group, float eps);
    void (*add)(float *x, const float *y, size_t n);
    void (*relu2)(float *x, size_t n);
    void (*copy_cols)(float *dst, int ldd, const float *src, int lds, int n, int ncols);
    void (*conv1d)(float *xbc, int T, int C, int K, float *state, const float *w, const float *b);
    void (*ssm_scan)(const synth_ssm_args *a);
    void (*ssm_step)(const synth_ssm_args *a);
    void (*attention)(const synth_attn_args *a);

    /* batched decode and sampling (see above) */
    void (*embed_dev)(const synth_wt *emb, const int32_t *ids, int n, float *out);
    void (*conv1d_batch)(float *xbc, int n, int C, int K, float *const *states, const float *w, const float *b);
    void (*ssm_step_batch)(const synth_ssm_args *a, float *const *states);
    void (*attention_decode)(const synth_attn_args *a, const float *knew, const float *vnew, float *const *kc,
                             float *const *vc, const int32_t *pos);
    /* logits: backend memory [rows x vocab]; rows and out: host memory. 0 on success. */
    int (*sample)(const float *logits, int vocab, const synth_sample_row *rows, int n, int32_t *out);

    /* CUDA graphs of the decode step; NULL where not supported */
    int (*capture_begin)(void);
    void *(*capture_end)(void);
    int (*graph_launch)(void *g);
    void (*graph_free)(void *g);
    /* Free and total device memory in bytes; NULL on the CPU. 0 on success. */
    int (*mem_info)(size_t *free_bytes, size_t *total_bytes);
} synth_backend;

extern const synth_backend synth_cpu_backend;
/* The CUDA backend when lib/corpusd-cuda.so loads and a GPU is present, else
 * NULL with the reason in why (for the "running on the CPU" message). */
const synth_backend *synth_cuda_load(char *why, size_t why_len);
typedef struct synth_model synth_model;
const synth_backend *synth_model_backend_ops(const synth_model *m);
/* CPU threads to use (synth_set_threads). */
int synth_cpu_threads(void);

#endif

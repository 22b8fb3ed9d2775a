/*
 * synth.h: corpusd's embedded inference engine for NVIDIA's Nemotron-H hybrid
 * Mamba-2 / Transformer models (Nemotron Nano 2), and the public API of the
 * synth stage.
 *
 * The model is read from a Hugging Face directory: config.json plus
 * model.safetensors or shards listed in model.safetensors.index.json. The
 * graph (synth/graph.c) is written once against the kernel table of
 * synth/backend.h; synth/cpu implements it and synth/cuda does too when
 * lib/corpusd-cuda.so is present.
 *
 * Semantics (those of the CUDA kernels and training, see docs/synth.md):
 * pre-norm residual blocks, GQA attention without positional encoding,
 * squared-ReLU MLP, Mamba-2 mixer with dt = clamp(softplus(dt + dt_bias),
 * time_step_limit) (no clamp at time_step_min), the gate applied before the
 * group RMSNorm, final norm_f and an untied lm_head.
 *
 * Thread-safety: a synth_model may be shared read-only, but synth_forward
 * uses per-model scratch buffers, so one forward runs on a model at a time.
 * Sequences (synth_seq) belong to one caller.
 */
#ifndef CORPUSD_SYNTH_SYNTH_H
#define CORPUSD_SYNTH_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

#define SYNTH_MAX_STOP 16

typedef struct synth_config {
    int n_layer;
    char *pattern;           /* n_layer chars: 'M' Mamba-2, '*' attention, '-' MLP */
    int hidden, vocab;
    int n_head, n_kv_head, head_dim;
    int d_ff;
    int m_heads, m_head_dim, d_state, n_groups, d_conv, chunk;
    int conv_bias;
    double eps;
    double time_step_min;    /* reported only: the engine does not clamp there */
    double dt_lo, dt_hi;     /* time_step_limit, default (0, inf) */
    int max_pos;
    int bos_id, pad_id;
    int eos_ids[SYNTH_MAX_STOP];
    int n_eos;
    /* derived */
    int d_inner, conv_dim, d_in_proj;
} synth_config;

int synth_config_parse(synth_config *c, const char *json, size_t n, const char *name, cd_err *e);
int synth_config_load(synth_config *c, const char *path, cd_err *e);
void synth_config_free(synth_config *c);
/* Number of layers of a type ('M', '*', '-'). */
int synth_config_count(const synth_config *c, char type);
/* Parameter count of the whole model. */
int64_t synth_config_params(const synth_config *c);

typedef struct synth_model synth_model;
typedef struct synth_seq synth_seq;

/* Loads DIR on the best backend available ("cpu" or "cuda"; NULL = auto). */
int synth_model_load(synth_model **out, const char *dir, const char *backend, cd_err *e);
/* A model with random weights drawn directly on the backend from a config
 * (JSON text), with no files: for benchmarks of full-size configurations.
 * bf16 asks for bf16 weight storage (the CUDA backend always uses bf16). */
int synth_model_random(synth_model **out, const char *config_json, size_t len, uint64_t seed, int bf16,
                       const char *backend, cd_err *e);
void synth_model_free(synth_model *m);
const synth_config *synth_model_config(const synth_model *m);
const char *synth_model_backend(const synth_model *m);
/* Bytes of weights held by the backend (what one decode step reads). */
size_t synth_model_weight_bytes(const synth_model *m);
/* Bytes per element of the stored embedding table (2 for bf16, 4 for fp32). */
int synth_model_weight_elem_bytes(const synth_model *m);
/* CPU threads for the kernels and BLAS (0 = all cores). */
void synth_set_threads(int n);

/* A sequence's caches: conv and SSM states per Mamba layer, a KV cache of
 * max_ctx positions per attention layer. */
synth_seq *synth_seq_new(synth_model *m, int max_ctx);
void synth_seq_reset(synth_seq *s);
void synth_seq_free(synth_seq *s);
int synth_seq_pos(const synth_seq *s);
/* Makes dst a copy of src (caches and position; the same model and state
 * dtype, and a context holding src's position). */
int synth_seq_copy(synth_seq *dst, const synth_seq *src, cd_err *e);

/* Feeds ntok[i] tokens to sequence seqs[i] (tokens concatenated in order).
 * A sequence fed more than one token uses the chunked SSD scan; one token
 * uses the single-step recurrence. Logits: all_logits ? every position
 * [sum ntok x vocab] : the last position of each sequence [nseq x vocab]. */
int synth_forward(synth_model *m, synth_seq **seqs, int nseq, const int32_t *tokens, const int *ntok, int all_logits,
                  float *logits, cd_err *e);
/* logits may be NULL: they then stay in backend memory for synth_sample_rows,
 * which samples one token per row given (rows[i].row indexes the logits of
 * the last forward call) on the backend itself (CUDA: on the device, only
 * the token ids come back). */
typedef struct synth_sample_row synth_sample_row;
int synth_sample_rows(synth_model *m, const synth_sample_row *rows, int n, int32_t *out, cd_err *e);
/* Stores the Mamba SSM state of sequences created from now on as bf16 (half
 * the bytes a decode step reads and writes per sequence) instead of fp32
 * (the default); the recurrence still computes in fp32. */
void synth_model_set_bf16_state(synth_model *m, int on);
/* CUDA graphs for decode steps (on by default where the backend has them). */
void synth_model_use_graphs(synth_model *m, int on);

/* ---------------------------------------------------------------- generation */

typedef struct synth_sampling {
    float temperature;  /* 0 = greedy */
    int top_k;          /* 0 = off */
    float top_p;        /* 1 = off */
    uint64_t seed;
} synth_sampling;

/* Samples one token from logits (modified in place) with the RNG state *rng. */
int synth_sample(float *logits, int vocab, const synth_sampling *s, uint64_t *rng);
/* The same with the uniform draw u in [0, 1) given: logits scaled by
 * 1/temperature, sorted (descending, lowest id first on ties), cut to top_k,
 * then to the shortest prefix holding top_p of the mass; the token is the
 * first whose cumulative mass exceeds u * (kept mass). Greedy (temperature
 * <= 0 or top_k == 1) takes the argmax and ignores u. */
int synth_sample_u(const float *logits, int vocab, const synth_sampling *s, double u);
/* 1 when s samples greedily (no random draw). */
int synth_sampling_greedy(const synth_sampling *s);
/* The next uniform draw in [0, 1) of the RNG state *rng (what synth_sample uses). */
double synth_rng_uniform(uint64_t *rng);
uint64_t synth_rng_seed(uint64_t seed);

typedef struct synth_request {
    const int32_t *prompt;
    int prompt_len;
    synth_sampling sampling;
    int max_new;
    const int32_t *stop;    /* stop token ids (NULL: the config's eos ids) */
    int n_stop;
    /* results */
    int32_t *out;           /* max_new slots, owned by the caller */
    int n_out;
    int stopped;            /* 1 when a stop token ended it (not included in out) */
} synth_request;

/* Generates for n requests with up to max_batch sequences in flight
 * (continuous batching: a finished sequence's slot takes the next request).
 * Prompts are fed at most prefill_chunk tokens per step (0 = whole), so a
 * long prompt does not stall the decoding of the others. */
int synth_generate(synth_model *m, synth_request *reqs, int n, int max_batch, int prefill_chunk, cd_err *e);

/* Scheduler statistics, accumulated over calls: forward steps, sequences
 * stepped (busy), and the same over "warm" steps, when requests were still
 * waiting for a slot. Occupancy = busy / (steps * max_batch). */
typedef struct synth_gen_stats {
    uint64_t steps, busy, warm_steps, warm_busy;
    int max_batch;
} synth_gen_stats;
int synth_generate_ex(synth_model *m, synth_request *reqs, int n, int max_batch, int prefill_chunk,
                      synth_gen_stats *stats, cd_err *e);

/* ------------------------------------------------------------------ planning */

typedef struct synth_plan {
    double weight_bytes;
    double kv_bytes_per_seq;      /* at the given context */
    double ssm_bytes_per_seq;
    double conv_bytes_per_seq;
    double act_bytes;             /* scratch for a decode step of the batch */
    double total_bytes;
} synth_plan;

/* Bytes per element of weights, KV cache and SSM/conv state; act_rows is
 * the number of token rows one step processes (batch, or the prefill chunk). */
void synth_plan_compute(const synth_config *c, int batch, int64_t ctx, int weight_bytes, int kv_bytes, int state_bytes,
                        int act_rows, synth_plan *p);
/* The CUDA backend's layout: bf16 weights, fp32 KV cache (fixed slots of
 * ctx positions) and activations, SSM/conv state of state_bytes, plus its
 * scratch (act_bytes): bf16 GEMM inputs, the cuBLASLt workspace, the SSD
 * scan of one prefill chunk, the sampler's probabilities, attention splits. */
void synth_plan_gpu(const synth_config *c, int batch, int64_t ctx, int state_bytes, int prefill_chunk, synth_plan *p);

/* ---------------------------------------------------------------- model-init */

/* Writes a random model for the config (text config_json) into dir:
 * config.json, model.safetensors (dtype F32 or BF16), tokenizer.json and
 * tokenizer_config.json. */
int synth_model_init(const char *config_json, size_t config_len, uint64_t seed, int bf16, const char *dir, cd_err *e);

#endif

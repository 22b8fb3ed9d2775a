/*
 * cmd_bench.c: `corpusd bench-gen`: times prefill and decode of a Nemotron-H
 * model (a checkpoint, or random weights from a config) and puts the figures
 * next to the machine's own limits measured in the same run: the memory read
 * bandwidth (decode at small batch is bound by reading the weights once per
 * step) and the BLAS sgemm peak (prefill is GEMM-bound).
 *
 * --random-weights draws the weights directly on the backend
 * (synth_model_random): no files, so the 9B configuration can be timed on
 * any machine with the memory for it. On CUDA the decode roofline uses the
 * device copy bandwidth measured in the same run; the sgemm peak is the
 * CPU's (OpenBLAS) and is only printed for the CPU backend.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/pool.h"
#include "core/stage.h"
#include "synth/backend.h"
#include "synth/synth.h"

#include "synth/cpu/blas.h"

#if defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("avx2"))) static float sum_avx2(const float *p, size_t n)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_add_ps(a0, _mm256_load_ps(p + i));
        a1 = _mm256_add_ps(a1, _mm256_load_ps(p + i + 8));
        a2 = _mm256_add_ps(a2, _mm256_load_ps(p + i + 16));
        a3 = _mm256_add_ps(a3, _mm256_load_ps(p + i + 24));
    }
    float t[8];
    _mm256_storeu_ps(t, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    float s = t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
    for (; i < n; i++) s += p[i];
    return s;
}
#endif

static float sum_plain(const float *p, size_t n)
{
    float s[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) s[k] += p[i + k];
    for (; i < n; i++) s[0] += p[i];
    return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}

typedef struct bw_job {
    const float *buf;
    size_t n, per;
    float out[256];
} bw_job;

static void bw_task(void *arg, size_t task, int worker)
{
    bw_job *j = arg;
    size_t a = task * j->per, b = a + j->per < j->n ? a + j->per : j->n;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) {
        j->out[task % 256] += sum_avx2(j->buf + a, b - a);
        return;
    }
#endif
    j->out[task % 256] += sum_plain(j->buf + a, b - a);
}

/* Read bandwidth in bytes/s: the best of several passes over 1 GiB with every core. */
static double measure_bandwidth(int threads)
{
    size_t n = (size_t)1 << 28;
    float *buf = NULL;
    if (posix_memalign((void **)&buf, 64, n * 4)) return 0;
    for (size_t i = 0; i < n; i++) buf[i] = (float)(i & 7);
    bw_job j = {buf, n, (n + (size_t)threads - 1) / threads, {0}};
    double best = 0;
    for (int r = 0; r < 5; r++) {
        double t = cd_now();
        pool_run(threads, (size_t)threads, bw_task, &j);
        double dt = cd_now() - t;
        if (n * 4 / dt > best) best = n * 4 / dt;
    }
    free(buf);
    return best;
}

/* sgemm peak in FLOP/s on 2048^3, best of several runs. */
static double measure_gemm(void)
{
    const cd_blas_fns *blas = cd_blas();
    if (!blas) return 0;
    int n = 2048;
    float *a = malloc((size_t)n * n * 4), *b = malloc((size_t)n * n * 4), *c = malloc((size_t)n * n * 4);
    for (size_t i = 0; i < (size_t)n * n; i++) {
        a[i] = (float)((i * 7) % 13) / 13.0f;
        b[i] = (float)((i * 5) % 11) / 11.0f;
    }
    double best = 0;
    for (int r = 0; r < 4; r++) {
        double t = cd_now();
        blas->sgemm(CD_BLAS_ROW_MAJOR, CD_BLAS_NO_TRANS, CD_BLAS_TRANS, n, n, n, 1, a, n, b, n, 0, c, n);
        double dt = cd_now() - t;
        double f = 2.0 * n * n * (double)n / dt;
        if (f > best) best = f;
    }
    free(a);
    free(b);
    free(c);
    return best;
}

static int cmd_bench_gen(int argc, char **argv)
{
    static const char *const bools[] = {"random-weights", "no-graphs", "shared-prompt", NULL};
    static const char *const known[] = {"config", "model", "random-weights", "batch", "prompt-len", "gen-len", "threads",
                                        "backend", "seed", "dtype", "prefill-chunk", "no-graphs", "ssm-state", "shared-prompt", "time-limit", NULL};
    cli_args a;
    if (cli_parse(argc, argv, bools, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd bench-gen (--model DIR | --config CONFIG.json --random-weights) [--batch B]\n"
               "                         [--prompt-len L] [--gen-len G] [--threads N] [--backend cpu|cuda]\n"
               "                         [--prefill-chunk T]  (tokens per prefill call, default 8192)\n"
               "                         [--no-graphs]  (CUDA: launch the decode step without CUDA graphs)\n"
               "                         [--ssm-state f32|bf16]  (Mamba state storage, default f32)\n"
               "                         [--shared-prompt]  (prefill one prompt and copy its caches to all B\n"
               "                          sequences: times decode at batch B without B prefills)\n"
               "                         [--time-limit S]  (stop decoding after S seconds; figures over the\n"
               "                          steps done)\n\n"
               "Prefills B prompts of L random tokens at once, then decodes G steps for all B, and\n"
               "reports tokens/s against the memory bandwidth and the BLAS sgemm peak measured here.\n");
        cli_free(&a);
        return EXIT_OK;
    }
    const char *cfg = cli_get(&a, "config"), *dir = cli_get(&a, "model");
    int B = cli_get(&a, "batch") ? atoi(cli_get(&a, "batch")) : 1;
    int L = cli_get(&a, "prompt-len") ? atoi(cli_get(&a, "prompt-len")) : 16;
    int G = cli_get(&a, "gen-len") ? atoi(cli_get(&a, "gen-len")) : 32;
    if (cli_check(&a, "bench-gen", known) || (!dir && !(cfg && cli_has(&a, "random-weights"))) || B < 1 || L < 1 || G < 0) {
        fprintf(stderr, "usage: corpusd bench-gen (--model DIR | --config CONFIG.json --random-weights) ...\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    int threads = cli_get(&a, "threads") ? atoi(cli_get(&a, "threads")) : cd_ncpus();
    synth_set_threads(threads);
    cd_err e = {0};
    synth_model *m = NULL;
    int rc;
    if (!dir) {
        size_t n;
        char *txt = cd_read_file(cfg, &n, &e);
        rc = !txt || synth_model_random(&m, txt, n, cli_get(&a, "seed") ? strtoull(cli_get(&a, "seed"), NULL, 10) : 1,
                                        cli_get(&a, "dtype") && !strcmp(cli_get(&a, "dtype"), "bf16"),
                                        cli_get(&a, "backend"), &e);
        free(txt);
    } else {
        rc = synth_model_load(&m, dir, cli_get(&a, "backend"), &e);
    }
    if (rc) {
        fprintf(stderr, "corpusd bench-gen: %s\n", e.msg);
        cli_free(&a);
        return EXIT_FAILURES;
    }
    if (cli_has(&a, "no-graphs")) synth_model_use_graphs(m, 0);
    int state_bf16 = cli_get(&a, "ssm-state") && !strcmp(cli_get(&a, "ssm-state"), "bf16");
    synth_model_set_bf16_state(m, state_bf16);
    const synth_config *c = synth_model_config(m);
    int on_cpu = !strcmp(synth_model_backend(m), "cpu");
    const synth_backend *be = synth_model_backend_ops(m);
    double bw = on_cpu || !be->copy_bandwidth ? measure_bandwidth(threads) : be->copy_bandwidth();
    double peak = on_cpu ? measure_gemm() : 0;
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    double wall0 = cd_now();
    synth_seq **seqs = xcalloc((size_t)B, sizeof *seqs);
    int32_t *toks = xmalloc((size_t)B * L * sizeof *toks);
    int *ntok = xmalloc((size_t)B * sizeof *ntok);
    int32_t *next = xcalloc((size_t)B, sizeof *next);   /* each sequence's next token */
    synth_sample_row *rows = xmalloc((size_t)B * sizeof *rows);
    for (int i = 0; i < B; i++) rows[i] = (synth_sample_row){i, 0, 0, 1, 0};   /* greedy, on the backend */
    uint64_t r = 12345;
    for (int i = 0; i < B * L; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        toks[i] = (int32_t)((r >> 33) % (uint64_t)c->vocab);
    }
    for (int i = 0; i < B; i++) {
        seqs[i] = synth_seq_new(m, L + G + 1);
        ntok[i] = L;
    }
    int code = EXIT_OK;
    {   /* warm-up: fault the mapped weights in and size the scratch buffers */
        synth_seq *w = synth_seq_new(m, 4);
        int one = 1;
        if (!w || synth_forward(m, &w, 1, toks, &one, 0, NULL, &e)) code = EXIT_FAILURES;
        synth_seq_free(w);
    }
    /* Prefill in calls of at most `chunk` tokens: whole prompts packed
     * together when they fit, long prompts cut into pieces. */
    int chunk = cli_get(&a, "prefill-chunk") ? atoi(cli_get(&a, "prefill-chunk")) : 8192;
    if (chunk < 1) chunk = 8192;
    double t0 = cd_now();
    int shared = cli_has(&a, "shared-prompt") && B > 1;
    int PB = shared ? 1 : B;   /* sequences prefilled */
    if (L <= chunk) {
        int per = chunk / L;
        for (int i = 0; i < PB && code == EXIT_OK; i += per) {
            int k = PB - i < per ? PB - i : per;
            if (synth_forward(m, seqs + i, k, toks + (size_t)i * L, ntok + i, 0, NULL, &e) ||
                synth_sample_rows(m, rows, k, next + i, &e))
                code = EXIT_FAILURES;
        }
    } else {
        for (int i = 0; i < PB && code == EXIT_OK; i++)
            for (int off = 0; off < L && code == EXIT_OK; off += chunk) {
                int k = L - off < chunk ? L - off : chunk;
                if (synth_forward(m, &seqs[i], 1, toks + (size_t)i * L + off, &k, 0, NULL, &e) ||
                    (off + k >= L && synth_sample_rows(m, rows, 1, next + i, &e)))
                    code = EXIT_FAILURES;
            }
    }
    double t_prefill = cd_now() - t0;   /* the sampling of each prompt's first token synchronised */
    for (int i = 1; shared && i < B && code == EXIT_OK; i++) {
        if (synth_seq_copy(seqs[i], seqs[0], &e)) code = EXIT_FAILURES;
        next[i] = next[0];
    }
    double t_decode = 0;
    for (int i = 0; i < B; i++) ntok[i] = 1;
    /* Each decode step: forward of B tokens, then greedy sampling on the
     * backend (only B token ids come back), both timed. */
    double limit = cli_get(&a, "time-limit") ? atof(cli_get(&a, "time-limit")) : 0;
    int G0 = G;
    t0 = cd_now();
    for (int s = 0; s < G && code == EXIT_OK; s++) {
        if (synth_forward(m, seqs, B, next, ntok, 0, NULL, &e) || synth_sample_rows(m, rows, B, next, &e))
            code = EXIT_FAILURES;
        if (limit > 0 && cd_now() - t0 > limit && s + 1 < G) G = s + 1;   /* figures over the steps done */
    }
    t_decode = cd_now() - t0;
    if (G < G0) printf("decode: stopped after %d of %d steps (--time-limit %.0f s)\n", G, G0, limit);
    if (code != EXIT_OK) fprintf(stderr, "corpusd bench-gen: %s\n", e.msg);
    getrusage(RUSAGE_SELF, &ru1);
    double cpu_s = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
                   (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    double share = cpu_s / ((cd_now() - wall0) * threads);
    /* Matmul parameters: every weight matrix except the embedding table. */
    double params = (double)synth_config_params(c) - (double)c->vocab * c->hidden;
    double prefill_flops = 2.0 * (params - (double)c->vocab * c->hidden) * PB * L + 2.0 * c->vocab * c->hidden * PB;
    /* weight bytes read per step: everything but the embedding table (one row of it) */
    double ebytes = (double)c->vocab * c->hidden * synth_model_weight_elem_bytes(m);
    double wbytes = (double)synth_model_weight_bytes(m) - ebytes + ebytes / c->vocab;
    int nM = synth_config_count(c, 'M'), nA = synth_config_count(c, '*');
    double state = (double)nM * ((double)c->m_heads * c->m_head_dim * c->d_state * (state_bf16 ? 2 : 4) +
                                 (double)(c->d_conv - 1) * c->conv_dim * 4);
    double kv = 2.0 * nA * (L + G / 2.0) * c->n_kv_head * c->head_dim * 4;
    double step_bytes = wbytes + B * (2 * state + kv);   /* states read and written once per step */
    double dec_tps = G ? B * G / t_decode : 0, step_s = G ? t_decode / G : 0;
    double roof_tps = bw / step_bytes * B;
    printf("model: %d layers (%d M, %d *, %d -), %.1fM parameters, %s backend, %d threads, %s SSM state\n", c->n_layer,
           nM, nA, synth_config_count(c, '-'), synth_config_params(c) / 1e6, synth_model_backend(m), threads,
           state_bf16 ? "bf16" : "fp32");
    if (on_cpu)
        printf("machine: memory read bandwidth %.2f GB/s, sgemm 2048^3 peak %.1f GFLOP/s; this process got %.0f%% of "
               "%d cores while timed (the rest went to other jobs)\n",
               bw / 1e9, peak / 1e9, 100 * share, threads);
    else
        printf("device: copy bandwidth %.1f GB/s (read + write)\n", bw / 1e9);
    if (shared) printf("prefill: one prompt, its caches copied to the %d sequences (--shared-prompt)\n", B);
    if (peak > 0)
        printf("prefill: batch %d x %d tokens in %.3f s = %.1f tokens/s, %.1f GFLOP/s = %.0f%% of the sgemm peak\n", PB,
               L, t_prefill, PB * L / t_prefill, prefill_flops / t_prefill / 1e9,
               100 * prefill_flops / t_prefill / peak);
    else
        printf("prefill: batch %d x %d tokens in %.3f s = %.1f tokens/s, %.1f TFLOP/s\n", PB, L, t_prefill,
               PB * L / t_prefill, prefill_flops / t_prefill / 1e12);
    if (G)
        printf("decode: batch %d, %d steps: %.2f tokens/s, %.2f ms/step (time per output token); bytes per step %.1f MB; "
               "roofline %.2f tokens/s; %.0f%% of roofline (achieved %.2f GB/s)\n",
               B, G, dec_tps, step_s * 1e3, step_bytes / 1e6, roof_tps, 100 * dec_tps / roof_tps,
               step_bytes / step_s / 1e9);
    for (int i = 0; i < B; i++) synth_seq_free(seqs[i]);
    free(seqs);
    free(toks);
    free(ntok);
    free(rows);
    free(next);
    synth_model_free(m);
    cli_free(&a);
    return code;
}
CORPUSD_COMMAND("bench-gen", "time Nemotron-H prefill and decode against measured memory bandwidth and GEMM peak",
                cmd_bench_gen)

/* test_synth_decode.c: the CPU side of the batched decode path and the
 * options issue #11 added: the backend sampler draws exactly what
 * synth_sample draws from the same RNG; bf16 SSM state stays close to fp32
 * state (and is actually used); sequences of another state dtype are
 * refused; the GPU plan for a given card. These run without a GPU. */
#include <math.h>
#include <stdint.h>

#include "synth/backend.h"
#include "synth/synth.h"
#include "tests/test.h"

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

TEST(synth_backend_sampler_equals_synth_sample)
{
    enum { V = 257, R = 40 };
    static float lg[R * V];
    uint64_t r = 9;
    for (int i = 0; i < R * V; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        lg[i] = (float)((double)(r >> 11) / 9007199254740992.0 * 8 - 4);
    }
    const synth_sampling modes[] = {{0, 0, 1, 0}, {1, 1, 1, 0}, {0.8f, 20, 1, 0}, {1, 0, 0.7f, 0}, {1.3f, 5, 0.5f, 0}};
    uint64_t a = synth_rng_seed(77), b = a;
    for (int i = 0; i < R; i++) {
        const synth_sampling *s = &modes[i % 5];
        int want = synth_sample(lg + (size_t)i * V, V, s, &a);
        synth_sample_row row = {i, s->temperature, s->top_k, s->top_p, synth_sampling_greedy(s) ? 0.0 : synth_rng_uniform(&b)};
        int32_t got = -1;
        CHECK(synth_cpu_backend.sample(lg, V, &row, 1, &got) == 0);
        CHECK_MSG(got == want, "row %d: backend %d, synth_sample %d", i, got, want);
    }
    CHECK(a == b);   /* the same number of draws */
}

static char *tiny_dir(const char *sub, uint64_t seed)
{
    static char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", test_tmpdir(), sub);
    cd_err e;
    size_t n;
    char *cfg = cd_read_file("configs/models/nemotron-h-tiny.json", &n, &e);
    CHECK_MSG(cfg != NULL, "%s", e.msg);
    if (!cfg) return NULL;
    int rc = synth_model_init(cfg, n, seed, 1, dir, &e);
    free(cfg);
    CHECK_MSG(rc == 0, "%s", e.msg);
    return rc ? NULL : dir;
}

/* Prefill (chunked scan) then batched decode steps, fp32 state vs bf16. */
TEST(synth_bf16_state_close_to_fp32)
{
    char *dir = tiny_dir("m", 4);
    if (!dir) return;
    synth_model *m;
    cd_err e;
    CHECK_MSG(synth_model_load(&m, dir, "cpu", &e) == 0, "%s", e.msg);
    int V = synth_model_config(m)->vocab;
    enum { NS = 2, STEPS = 10, P = 23 };
    int32_t prompt[NS * P];
    for (int i = 0; i < NS * P; i++) prompt[i] = (int32_t)((i * 97 + 5) % V);
    float *lg[2];
    for (int bf = 0; bf < 2; bf++) {
        synth_model_set_bf16_state(m, bf);
        synth_seq *s[NS] = {synth_seq_new(m, 64), synth_seq_new(m, 64)};
        int lens[NS] = {P, P};
        lg[bf] = malloc((size_t)(STEPS + 1) * NS * V * 4);
        CHECK(synth_forward(m, s, NS, prompt, lens, 0, lg[bf], &e) == 0);
        int one[NS] = {1, 1};
        for (int t = 0; t < STEPS; t++) {
            int32_t tok[NS] = {(int32_t)(t + 3), (int32_t)(2 * t + 9)};
            CHECK(synth_forward(m, s, NS, tok, one, 0, lg[bf] + (size_t)(t + 1) * NS * V, &e) == 0);
        }
        if (bf) {   /* a sequence of the other state dtype is refused */
            synth_model_set_bf16_state(m, 0);
            synth_seq *o = synth_seq_new(m, 8);
            synth_model_set_bf16_state(m, 1);
            int32_t t1 = 3;
            CHECK(synth_forward(m, &o, 1, &t1, one, 0, NULL, &e) != 0);
            synth_seq_free(o);
        }
        for (int i = 0; i < NS; i++) synth_seq_free(s[i]);
    }
    size_t n = (size_t)(STEPS + 1) * NS * V;
    double r = rel(lg[1], lg[0], n);
    printf("    bf16 vs fp32 SSM state, prefill + %d decode steps: relative logits error %.3g\n", STEPS, r);
    CHECK_MSG(r < 1e-2, "bf16 vs fp32 state: %.3g", r);
    CHECK_MSG(r > 0, "bf16 state gave the fp32 logits bit for bit: the option did nothing");
    free(lg[0]);
    free(lg[1]);
    synth_model_free(m);
}

TEST(synth_plan_gpu_view)
{
    cd_err e;
    synth_config c;
    CHECK_MSG(synth_config_load(&c, "configs/models/nemotron-nano-9b-v2.json", &e) == 0, "%s", e.msg);
    synth_plan p, q;
    synth_plan_gpu(&c, 8, 9217, 4, 8192, &p);
    synth_plan_gpu(&c, 8, 9217, 2, 8192, &q);
    /* bf16 weights: 2 bytes per parameter; fp32 KV on the 4 attention layers:
     * 2 (K, V) x 4 layers x 9217 positions x 8 KV heads x 128 x 4 bytes */
    CHECK(fabs(p.weight_bytes - 2.0 * synth_config_params(&c)) < 1);
    CHECK(fabs(p.kv_bytes_per_seq - 2.0 * 4 * 9217 * 8 * 128 * 4) < 1);
    /* SSM state: 27 Mamba layers x 128 heads x 80 x 128, fp32 or bf16 */
    CHECK(fabs(p.ssm_bytes_per_seq - 27.0 * 128 * 80 * 128 * 4) < 1);
    CHECK(fabs(q.ssm_bytes_per_seq - 27.0 * 128 * 80 * 128 * 2) < 1);
    CHECK(q.conv_bytes_per_seq == p.conv_bytes_per_seq);   /* the conv state stays fp32 */
    CHECK(p.total_bytes > p.weight_bytes + 8 * (p.kv_bytes_per_seq + p.ssm_bytes_per_seq));
    CHECK(q.total_bytes < p.total_bytes);
    synth_config_free(&c);
}

/* A copied sequence continues exactly as the original (bench-gen --shared-prompt). */
TEST(synth_seq_copy_continues_identically)
{
    char *dir = tiny_dir("m", 6);
    if (!dir) return;
    synth_model *m;
    cd_err e;
    CHECK_MSG(synth_model_load(&m, dir, "cpu", &e) == 0, "%s", e.msg);
    int V = synth_model_config(m)->vocab;
    synth_seq *a = synth_seq_new(m, 40), *b = synth_seq_new(m, 40), *small = synth_seq_new(m, 4);
    int32_t pr[17];
    for (int i = 0; i < 17; i++) pr[i] = (int32_t)((i * 31 + 2) % V);
    int n = 17, one[2] = {1, 1};
    CHECK(synth_forward(m, &a, 1, pr, &n, 0, NULL, &e) == 0);
    CHECK(synth_seq_copy(b, a, &e) == 0);
    CHECK_INT_EQ(synth_seq_pos(b), 17);
    CHECK(synth_seq_copy(small, a, &e) != 0);   /* 17 positions do not fit 4 */
    float *lg = malloc((size_t)2 * V * 4);
    synth_seq *both[2] = {a, b};
    for (int t = 0; t < 5; t++) {
        int32_t tok[2] = {(int32_t)(t + 1), (int32_t)(t + 1)};
        CHECK(synth_forward(m, both, 2, tok, one, 0, lg, &e) == 0);
        CHECK_MEM_EQ(lg, (size_t)V * 4, lg + V, (size_t)V * 4);
    }
    free(lg);
    synth_seq_free(a);
    synth_seq_free(b);
    synth_seq_free(small);
    synth_model_free(m);
}

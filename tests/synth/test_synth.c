/* test_synth.c: the Nemotron-H engine's correctness properties: chunked SSD
 * equals the recurrence, prefill equals decode, batching changes nothing,
 * agreement with the independent fp64 reference (tests/synth/ref64.c), the
 * loader's errors, hostile safetensors, sampling and the planner. */
#include <math.h>
#include <stdint.h>

#include "synth/backend.h"
#include "synth/safetensors.h"
#include "synth/synth.h"
#include "tests/synth/ref64.h"
#include "tests/test.h"

static double rel_err(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        num += d * d;
        den += (double)b[i] * b[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

static uint64_t g_rng = 42;
static double urand(void)
{
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(g_rng >> 11) / 9007199254740992.0;
}

/* Writes a tiny random model (the shipped tiny config, optionally edited) into the test's tmpdir. */
static const char *make_model(const char *sub, const char *edit_from, const char *edit_to, int bf16, uint64_t seed)
{
    static char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", test_tmpdir(), sub);
    cd_err e;
    size_t n;
    char *cfg = cd_read_file("configs/models/nemotron-h-tiny.json", &n, &e);
    if (!cfg) test_fail(__FILE__, __LINE__, "%s", e.msg);
    if (!cfg) return NULL;
    sbuf b = SBUF_INIT;
    if (edit_from) {
        char *p = strstr(cfg, edit_from);
        if (!p) test_fail(__FILE__, __LINE__, "edit '%s' not found", edit_from);
        if (!p) return NULL;
        sbuf_append(&b, cfg, (size_t)(p - cfg));
        sbuf_puts(&b, edit_to);
        sbuf_puts(&b, p + strlen(edit_from));
    } else sbuf_append(&b, cfg, n);
    free(cfg);
    int rc = synth_model_init(b.data, b.len, seed, bf16, dir, &e);
    sbuf_free(&b);
    CHECK_MSG(rc == 0, "%s", e.msg);
    return rc ? NULL : dir;
}

/* ------------------------------------------------------------- SSD kernels */

TEST(synth_ssd_chunked_equals_recurrence)
{
    const synth_backend *be = &synth_cpu_backend;
    int H = 6, P = 5, N = 7, G = 3, ld = H * P + 2 * G * N;
    int lens[] = {1, 2, 7, 8, 9, 16, 23, 40};
    int chunks[] = {1, 4, 8, 64};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++)
        for (size_t ci = 0; ci < sizeof chunks / sizeof chunks[0]; ci++) {
            int T = lens[li];
            float *xbc = malloc((size_t)T * ld * 4), *dt = malloc((size_t)T * H * 4);
            float dtb[6], al[6], Dv[6];
            for (int i = 0; i < T * ld; i++) xbc[i] = (float)(2 * urand() - 1);
            for (int i = 0; i < T * H; i++) dt[i] = (float)(4 * urand() - 3);
            for (int h = 0; h < H; h++) {
                dtb[h] = (float)(urand() - 0.5);
                al[h] = (float)log(1 + 8 * urand());
                Dv[h] = (float)urand();
            }
            size_t ss = (size_t)H * P * N;
            float *s1 = malloc(ss * 4), *s2 = malloc(ss * 4), *y1 = malloc((size_t)T * H * P * 4), *y2 = malloc((size_t)T * H * P * 4);
            for (size_t i = 0; i < ss; i++) s1[i] = s2[i] = (float)(urand() - 0.5);   /* a non-zero initial state */
            synth_ssm_args a = {.T = T, .H = H, .P = P, .N = N, .G = G, .chunk = chunks[ci], .xbc = xbc, .ldx = ld,
                                .dt = dt, .lddt = H, .dt_bias = dtb, .A_log = al, .D = Dv, .dt_lo = 0, .dt_hi = INFINITY,
                                .state = s1, .y = y1};
            be->ssm_scan(&a);
            for (int t = 0; t < T; t++) {
                synth_ssm_args b = a;
                b.T = 1;
                b.xbc = xbc + (size_t)t * ld;
                b.dt = dt + (size_t)t * H;
                b.state = s2;
                b.y = y2 + (size_t)t * H * P;
                be->ssm_step(&b);
            }
            double ey = rel_err(y1, y2, (size_t)T * H * P), es = rel_err(s1, s2, ss);
            CHECK_MSG(ey < 1e-5 && es < 1e-5, "T=%d chunk=%d: y err %.3g, state err %.3g", T, chunks[ci], ey, es);
            free(xbc); free(dt); free(s1); free(s2); free(y1); free(y2);
        }
}

/* --------------------------------------------------------------- the model */

static void ids_random(int32_t *ids, int n, int vocab)
{
    for (int i = 0; i < n; i++) ids[i] = (int32_t)(urand() * vocab);
}

static void prefill_equals_decode(int bf16)
{
    const char *dir = make_model(bf16 ? "mb" : "m", NULL, NULL, bf16, 3);
    if (!dir) return;
    synth_model *m;
    cd_err e;
    CHECK_MSG(synth_model_load(&m, dir, "cpu", &e) == 0, "%s", e.msg);
    int V = synth_model_config(m)->vocab, T = 37;   /* chunk 8: four full chunks and a partial one */
    int32_t ids[64];
    ids_random(ids, T, V);
    float *all = malloc((size_t)T * V * 4), *step = malloc((size_t)V * 4), *part = malloc((size_t)T * V * 4);
    synth_seq *s = synth_seq_new(m, T);
    CHECK(synth_forward(m, &s, 1, ids, &T, 1, all, &e) == 0);
    synth_seq_reset(s);
    int one = 1;
    double worst = 0;
    for (int t = 0; t < T; t++) {
        CHECK(synth_forward(m, &s, 1, ids + t, &one, 0, step, &e) == 0);
        double er = rel_err(step, all + (size_t)t * V, (size_t)V);
        if (er > worst) worst = er;
    }
    CHECK_MSG(worst < 1e-5, "prefill vs decode: worst position error %.3g", worst);
    /* prefill in pieces (chunked prefill continuing from the caches) */
    synth_seq_reset(s);
    int pieces[] = {5, 11, 1, 20};
    int off = 0;
    for (int i = 0; i < 4; i++) {
        CHECK(synth_forward(m, &s, 1, ids + off, &pieces[i], 1, part + (size_t)off * V, &e) == 0);
        off += pieces[i];
    }
    double ep = rel_err(part, all, (size_t)T * V);
    CHECK_MSG(ep < 1e-5, "pieces vs one prefill: %.3g", ep);
    CHECK_INT_EQ(synth_seq_pos(s), T);
    /* going past the context is an error, not a crash */
    CHECK(synth_forward(m, &s, 1, ids, &one, 0, step, &e) != 0);
    int32_t bad = V;
    synth_seq_reset(s);
    CHECK(synth_forward(m, &s, 1, &bad, &one, 0, step, &e) != 0);
    CHECK(strstr(e.msg, "outside the vocabulary") != NULL);
    synth_seq_free(s);
    free(all); free(step); free(part);
    synth_model_free(m);
}

TEST(synth_prefill_equals_decode) { prefill_equals_decode(0); }
TEST(synth_prefill_equals_decode_bf16) { prefill_equals_decode(1); }

TEST(synth_matches_fp64_reference)
{
    struct { const char *from, *to; int bf16; } variants[] = {
        {NULL, NULL, 0},
        {NULL, NULL, 1},
        /* more groups, another chunk size, a longer pattern starting with attention */
        {"\"M-M*-M-*M-\"", "\"*MM-M*M--M\"", 0},
        {"\"n_groups\": 2", "\"n_groups\": 4", 0},
        {"\"chunk_size\": 8", "\"chunk_size\": 5", 0},
    };
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        char sub[16];
        snprintf(sub, sizeof sub, "v%zu", v);
        const char *dir = make_model(sub, variants[v].from, variants[v].to, variants[v].bf16, 100 + v);
        if (!dir) return;
        synth_model *m;
        cd_err e;
        CHECK_MSG(synth_model_load(&m, dir, "cpu", &e) == 0, "%s", e.msg);
        if (!m) return;
        int V = synth_model_config(m)->vocab, T = 29;
        int32_t ids[64];
        ids_random(ids, T, V);
        float *a = malloc((size_t)T * V * 4), *b = malloc((size_t)T * V * 4);
        synth_seq *s = synth_seq_new(m, T);
        CHECK(synth_forward(m, &s, 1, ids, &T, 1, a, &e) == 0);
        CHECK(ref64_forward(dir, ids, T, b) == 0);
        double er = rel_err(a, b, (size_t)T * V);
        CHECK_MSG(er < 1e-5, "variant %zu: engine vs fp64 reference %.3g", v, er);
        synth_seq_free(s);
        synth_model_free(m);
        free(a); free(b);
    }
}

TEST(synth_fp64_reference_matches_golden)
{
    /* The test reference itself against the shared golden file (both independent of the engine). */
    const char *sh = test_shared_data();
    if (!sh) test_skip("../shared/data is absent");
    char dir[1024], p[1100];
    snprintf(dir, sizeof dir, "%s/nemotron-h-tiny", sh);
    snprintf(p, sizeof p, "%s/logits.f32", dir);
    int32_t ids[] = {1,5,17,42,99,3,250,7,7,7,12,400,2,3,4,5,6,7,8,9,300,301,302,303,11,11,11,11,11,11,11,11,11,11,11,11,500,499,498,497,60,61,62,63};
    int T = 44;
    size_t n;
    cd_err e;
    float *g = (float *)cd_read_file(p, &n, &e), *r = malloc((size_t)T * 512 * 4);
    CHECK(g && n == (size_t)T * 512 * 4);
    CHECK(ref64_forward(dir, ids, T, r) == 0);
    double er = rel_err(r, g, (size_t)T * 512);
    CHECK_MSG(er < 1e-6, "fp64 reference vs golden %.3g", er);
    free(g); free(r);
}

TEST(synth_batched_equals_alone)
{
    const char *dir = make_model("m", NULL, NULL, 0, 9);
    if (!dir) return;
    synth_model *m;
    cd_err e;
    CHECK_MSG(synth_model_load(&m, dir, "cpu", &e) == 0, "%s", e.msg);
    int V = synth_model_config(m)->vocab;
    /* forward: a mixed batch (prefills of different lengths + decodes) equals each alone */
    int lens[4] = {9, 1, 17, 3};
    int32_t ids[64];
    ids_random(ids, 30, V);
    synth_seq *s[4];
    for (int i = 0; i < 4; i++) s[i] = synth_seq_new(m, 64);
    float *lb = malloc((size_t)4 * V * 4), *la = malloc((size_t)V * 4);
    CHECK(synth_forward(m, s, 4, ids, lens, 0, lb, &e) == 0);
    int off = 0;
    for (int i = 0; i < 4; i++) {
        synth_seq *one = synth_seq_new(m, 64);
        CHECK(synth_forward(m, &one, 1, ids + off, &lens[i], 0, la, &e) == 0);
        double er = rel_err(lb + (size_t)i * V, la, (size_t)V);
        CHECK_MSG(er < 1e-5, "sequence %d in a batch vs alone: %.3g", i, er);
        off += lens[i];
        synth_seq_free(one);
    }
    for (int i = 0; i < 4; i++) synth_seq_free(s[i]);
    free(lb); free(la);
    /* generation: continuous batching (batch 3 for 6 requests) equals one at a time */
    enum { NR = 6, MAXNEW = 12 };
    synth_request rq[NR], al[NR];
    int32_t prompts[NR][20], outb[NR][MAXNEW], outa[NR][MAXNEW];
    for (int i = 0; i < NR; i++) {
        int pl = 1 + i * 3;
        ids_random(prompts[i], pl, V);
        memset(&rq[i], 0, sizeof rq[i]);
        rq[i].prompt = prompts[i];
        rq[i].prompt_len = pl;
        rq[i].max_new = MAXNEW - (i % 3);
        rq[i].sampling = (synth_sampling){i % 2 ? 0.8f : 0.0f, i == 3 ? 20 : 0, i == 5 ? 0.9f : 1.0f, 1000 + i};
        int32_t stop[1] = {-1};
        rq[i].stop = stop;   /* no stop token: lengths are fixed */
        rq[i].n_stop = 0;
        al[i] = rq[i];
        rq[i].out = outb[i];
        al[i].out = outa[i];
    }
    CHECK(synth_generate(m, rq, NR, 3, 4, &e) == 0);
    for (int i = 0; i < NR; i++) CHECK(synth_generate(m, &al[i], 1, 1, 0, &e) == 0);
    for (int i = 0; i < NR; i++) {
        CHECK_INT_EQ(rq[i].n_out, rq[i].max_new);
        CHECK_MEM_EQ(outb[i], rq[i].n_out * 4, outa[i], al[i].n_out * 4);
    }
    synth_model_free(m);
}

TEST(synth_sampling)
{
    float lg[8] = {0.1f, 2.0f, 1.5f, -1.0f, 0.0f, 1.9f, -3.0f, 0.5f}, c[8];
    uint64_t r = synth_rng_seed(1);
    synth_sampling greedy = {0, 0, 1, 0}, k1 = {1.0f, 1, 1, 0}, p_small = {1.0f, 0, 0.01f, 0}, t1 = {1.0f, 0, 1, 0},
                   k2 = {1.0f, 2, 1, 0};
    memcpy(c, lg, sizeof c);
    CHECK_INT_EQ(synth_sample(c, 8, &greedy, &r), 1);
    CHECK_INT_EQ(synth_sample(c, 8, &k1, &r), 1);
    CHECK_INT_EQ(synth_sample(c, 8, &p_small, &r), 1);
    int hist[8] = {0};
    for (int i = 0; i < 20000; i++) hist[synth_sample(c, 8, &k2, &r)]++;
    CHECK(hist[1] + hist[5] == 20000);
    /* softmax(2.0, 1.9): p(1) = 0.525 */
    CHECK_MSG(fabs(hist[1] / 20000.0 - 0.525) < 0.02, "top-2 frequency %.3f", hist[1] / 20000.0);
    memset(hist, 0, sizeof hist);
    double z = 0;
    for (int i = 0; i < 8; i++) z += exp(lg[i]);
    for (int i = 0; i < 40000; i++) hist[synth_sample(c, 8, &t1, &r)]++;
    for (int i = 0; i < 8; i++)
        CHECK_MSG(fabs(hist[i] / 40000.0 - exp(lg[i]) / z) < 0.015, "token %d: %.3f vs %.3f", i, hist[i] / 40000.0, exp(lg[i]) / z);
    /* the same seed gives the same draws */
    uint64_t a = synth_rng_seed(7), b = synth_rng_seed(7);
    for (int i = 0; i < 50; i++) CHECK_INT_EQ(synth_sample(c, 8, &t1, &a), synth_sample(c, 8, &t1, &b));
}

/* ------------------------------------------------------------------ loader */

enum { RW_DROP, RW_SHRINK, RW_I32, RW_MODEL_PREFIX, RW_SHARD };

/* Rewrites dir/model.safetensors: drops, shrinks or retypes `target`, renames
 * every tensor to transformers' `model.` / `embedding` names, or splits the
 * file into two shards with an index. */
static int rewrite(const char *dir, int mode, const char *target)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    st_file f;
    cd_err e;
    if (st_open(&f, p, &e)) return -1;
    st_writer w[2] = {{0}};
    void **copies = calloc(f.n, sizeof *copies);
    sbuf idx = SBUF_INIT;
    sbuf_puts(&idx, "{\"metadata\": {}, \"weight_map\": {");
    for (size_t i = 0; i < f.n; i++) {
        st_tensor *t = &f.t[i];
        int hit = target && !strcmp(t->name, target);
        if (hit && mode == RW_DROP) continue;
        copies[i] = malloc(t->nbytes);
        memcpy(copies[i], t->data, t->nbytes);
        char name[300];
        snprintf(name, sizeof name, "%s", t->name);
        if (mode == RW_MODEL_PREFIX && !strncmp(name, "backbone.", 9)) {
            snprintf(name, sizeof name, "model.%s", t->name + 9);
            if (!strcmp(name, "model.embeddings.weight")) snprintf(name, sizeof name, "model.embedding.weight");
        }
        int64_t sh[ST_MAX_DIMS];
        memcpy(sh, t->shape, sizeof sh);
        if (hit && mode == RW_SHRINK) sh[0]--;
        int part = mode == RW_SHARD ? (int)(i % 2) : 0;
        st_writer_add(&w[part], name, t->dtype, t->ndim, sh, copies[i]);
        if (hit && mode == RW_I32) {
            w[part].t[w[part].n - 1].dtype = ST_OTHER;
            snprintf(w[part].t[w[part].n - 1].dtype_name, sizeof w[part].t[0].dtype_name, "I32");
        }
        sbuf_printf(&idx, "%s\"%s\": \"model-0000%d-of-00002.safetensors\"", i ? ", " : "", name, part + 1);
    }
    sbuf_puts(&idx, "}}");
    size_t nt = f.n;
    st_close(&f);
    int rc;
    if (mode == RW_SHARD) {
        remove(p);
        char q[1200];
        snprintf(q, sizeof q, "%s/model-00001-of-00002.safetensors", dir);
        rc = st_writer_write(&w[0], q, &e);
        snprintf(q, sizeof q, "%s/model-00002-of-00002.safetensors", dir);
        rc |= st_writer_write(&w[1], q, &e);
        snprintf(q, sizeof q, "%s/model.safetensors.index.json", dir);
        rc |= cd_write_file_atomic(q, idx.data, idx.len, &e);
    } else {
        rc = st_writer_write(&w[0], p, &e);
    }
    st_writer_free(&w[0]);
    st_writer_free(&w[1]);
    for (size_t i = 0; i < nt; i++) free(copies[i]);
    free(copies);
    sbuf_free(&idx);
    return rc;
}

static int load_err(const char *dir, char *msg, size_t n)
{
    synth_model *m;
    cd_err e = {0};
    int rc = synth_model_load(&m, dir, "cpu", &e);
    snprintf(msg, n, "%s", e.msg);
    if (!rc) synth_model_free(m);
    return rc;
}

TEST(synth_loader_errors_name_the_tensor)
{
    char msg[CD_ERR_MSG];
    const char *dir = make_model("a", NULL, NULL, 0, 1);
    if (!dir) return;
    CHECK(rewrite(dir, RW_DROP, "backbone.layers.2.mixer.A_log") == 0);
    CHECK(load_err(dir, msg, sizeof msg) != 0);
    CHECK_MSG(strstr(msg, "layers.2.mixer.A_log") && strstr(msg, "missing"), "%s", msg);
    dir = make_model("b", NULL, NULL, 0, 1);
    CHECK(rewrite(dir, RW_SHRINK, "backbone.layers.3.mixer.k_proj.weight") == 0);
    CHECK(load_err(dir, msg, sizeof msg) != 0);
    CHECK_MSG(strstr(msg, "backbone.layers.3.mixer.k_proj.weight") && strstr(msg, "shape"), "%s", msg);
    dir = make_model("c", NULL, NULL, 0, 1);
    CHECK(rewrite(dir, RW_I32, "backbone.layers.0.mixer.D") == 0);
    CHECK(load_err(dir, msg, sizeof msg) != 0);
    CHECK_MSG(strstr(msg, "backbone.layers.0.mixer.D") && strstr(msg, "I32"), "%s", msg);
    /* a config that disagrees with the weights */
    dir = make_model("d", NULL, NULL, 0, 1);
    char p[1200];
    snprintf(p, sizeof p, "%s/config.json", dir);
    size_t n;
    cd_err e;
    char *cfg = cd_read_file(p, &n, &e);
    char *at = strstr(cfg, "\"intermediate_size\": 96");
    CHECK(at != NULL);
    if (at) memcpy(at, "\"intermediate_size\": 97", 23);
    CHECK(cd_write_file_atomic(p, cfg, n, &e) == 0);
    free(cfg);
    CHECK(load_err(dir, msg, sizeof msg) != 0);
    CHECK_MSG(strstr(msg, "up_proj.weight") && strstr(msg, "[96,64]") && strstr(msg, "[97,64]"), "%s", msg);
}

static void logits_of(const char *dir, const int32_t *ids, int T, float *out)
{
    synth_model *m;
    cd_err e;
    CHECK_MSG(synth_model_load(&m, dir, "cpu", &e) == 0, "%s: %s", dir, e.msg);
    if (!m) return;
    synth_seq *s = synth_seq_new(m, T);
    CHECK(synth_forward(m, &s, 1, ids, &T, 1, out, &e) == 0);
    synth_seq_free(s);
    synth_model_free(m);
}

TEST(synth_loader_prefixes_and_shards)
{
    int32_t ids[12] = {1, 2, 3, 300, 400, 17, 5, 5, 5, 9, 10, 11};
    int T = 12;
    const char *d0 = make_model("x", NULL, NULL, 0, 5);
    if (!d0) return;
    float *a = malloc((size_t)T * 512 * 4), *b = malloc((size_t)T * 512 * 4);
    logits_of(d0, ids, T, a);
    const char *d1 = make_model("y", NULL, NULL, 0, 5);
    CHECK(rewrite(d1, RW_MODEL_PREFIX, NULL) == 0);
    logits_of(d1, ids, T, b);
    CHECK(rel_err(a, b, (size_t)T * 512) == 0);
    const char *d2 = make_model("z", NULL, NULL, 0, 5);
    CHECK(rewrite(d2, RW_SHARD, NULL) == 0);
    memset(b, 0, (size_t)T * 512 * 4);
    logits_of(d2, ids, T, b);
    CHECK(rel_err(a, b, (size_t)T * 512) == 0);
    free(a);
    free(b);
}

/* ----------------------------------------------------- hostile safetensors */

static int parse_bytes(const char *bytes, size_t n, char *msg, size_t ml)
{
    st_file f;
    cd_err e = {0};
    int rc = st_parse(&f, bytes, n, "x.safetensors", &e);
    snprintf(msg, ml, "%s", e.msg);
    if (!rc) st_close(&f);
    return rc;
}

static size_t build(char *buf, const char *hdr, size_t data_len, uint64_t claim)
{
    size_t hl = strlen(hdr);
    uint64_t l = claim ? claim : hl;
    memcpy(buf, &l, 8);
    memcpy(buf + 8, hdr, hl);
    memset(buf + 8 + hl, 0, data_len);
    return 8 + hl + data_len;
}

TEST(synth_safetensors_hostile)
{
    static char buf[1 << 20];
    char msg[CD_ERR_MSG];
    size_t n = build(buf, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 16, 0);
    CHECK(parse_bytes(buf, n, msg, sizeof msg) == 0);
    /* truncated: data ends early, and fewer than 8 bytes */
    CHECK(parse_bytes(buf, n - 4, msg, sizeof msg) != 0);
    CHECK_MSG(strstr(msg, "'a'") && strstr(msg, "past the end"), "%s", msg);
    CHECK(parse_bytes(buf, 5, msg, sizeof msg) != 0);
    CHECK(strstr(msg, "truncated") != NULL);
    /* header longer than the file */
    n = build(buf, "{}", 0, 1ull << 40);
    CHECK(parse_bytes(buf, n, msg, sizeof msg) != 0);
    CHECK_MSG(strstr(msg, "longer than the file"), "%s", msg);
    /* overlapping ranges */
    n = build(buf, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                   "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16, 0);
    CHECK(parse_bytes(buf, n, msg, sizeof msg) != 0);
    CHECK_MSG(strstr(msg, "overlap"), "%s", msg);
    /* shape and byte count disagree; huge shapes; bad dtype; duplicates */
    n = build(buf, "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16, 0);
    CHECK(parse_bytes(buf, n, msg, sizeof msg) != 0);
    n = build(buf, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,16]}}", 16, 0);
    CHECK(parse_bytes(buf, n, msg, sizeof msg) != 0);
    n = build(buf, "{\"a\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16, 0);
    CHECK(parse_bytes(buf, n, msg, sizeof msg) != 0);
    n = build(buf, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16, 0);
    CHECK(parse_bytes(buf, n, msg, sizeof msg) != 0);
    CHECK_MSG(strstr(msg, "twice"), "%s", msg);
    /* JSON header bomb: deep nesting, and a header claiming more than the limit */
    sbuf bomb = SBUF_INIT;
    for (int i = 0; i < 100000; i++) sbuf_putc(&bomb, '[');
    n = build(buf, "", 0, 0);
    uint64_t bl = bomb.len;
    char *big = malloc(8 + bomb.len);
    memcpy(big, &bl, 8);
    memcpy(big + 8, bomb.data, bomb.len);
    CHECK(parse_bytes(big, 8 + bomb.len, msg, sizeof msg) != 0);
    free(big);
    sbuf_free(&bomb);
    char *huge = calloc(1, 8 + ST_MAX_HEADER + 2);
    uint64_t hl = ST_MAX_HEADER + 1;
    memcpy(huge, &hl, 8);
    CHECK(parse_bytes(huge, 8 + ST_MAX_HEADER + 2, msg, sizeof msg) != 0);
    CHECK_MSG(strstr(msg, "limit"), "%s", msg);
    free(huge);
}

/* ------------------------------------------------------- config and planner */

TEST(synth_config_9b_and_plan)
{
    synth_config c;
    cd_err e;
    CHECK_MSG(synth_config_load(&c, "configs/models/nemotron-nano-9b-v2.json", &e) == 0, "%s", e.msg);
    CHECK_INT_EQ(c.n_layer, 56);
    CHECK_INT_EQ(synth_config_count(&c, 'M'), 27);
    CHECK_INT_EQ(synth_config_count(&c, '*'), 4);
    CHECK_INT_EQ(c.d_inner, 10240);
    CHECK_INT_EQ(c.d_in_proj, 2 * 10240 + 2 * 8 * 128 + 128);
    CHECK(isinf(c.dt_hi) && c.dt_lo == 0);
    int64_t p = synth_config_params(&c);
    CHECK_MSG(p > 8.5e9 && p < 9.3e9, "9B params %lld", (long long)p);
    synth_plan pl;
    synth_plan_compute(&c, 1, 131072, 2, 2, 4, 1, &pl);
    /* 4 attention layers x 2 x 128k x 8 x 128 x 2 bytes = 2 GiB of KV */
    CHECK(fabs(pl.kv_bytes_per_seq - 2147483648.0) < 1);
    CHECK(pl.total_bytes < 22.0 * (1u << 30));
    synth_config_free(&c);
    const char *bad[] = {
        "{\"hybrid_override_pattern\": \"MX\", \"hidden_size\": 8, \"vocab_size\": 8}",
        "{\"hybrid_override_pattern\": \"*\", \"hidden_size\": 8, \"vocab_size\": 8, \"num_attention_heads\": 3, \"num_key_value_heads\": 2}",
        "{\"hidden_size\": 8}",
        "[1,2",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(synth_config_parse(&c, bad[i], strlen(bad[i]), "t", &e) != 0);
}

/* test_synth_golden.c: the engine against the shared golden forward pass of
 * ../shared/data/nemotron-h-tiny (an independent float64 implementation
 * following the CUDA-kernel semantics; see its README). */
#include <math.h>

#include "synth/synth.h"
#include "tests/test.h"

static double rel_err(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        num += d * d;
        den += (double)b[i] * b[i];
    }
    return sqrt(num / den);
}

TEST(synth_golden_tiny)
{
    const char *sh = test_shared_data();
    if (!sh) test_skip("../shared/data is absent: no golden nemotron-h-tiny checkpoint");
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s/nemotron-h-tiny", sh);
    snprintf(path, sizeof path, "%s/tokens.txt", dir);
    cd_err e;
    size_t n;
    char *txt = cd_read_file(path, &n, &e);
    CHECK_MSG(txt != NULL, "%s", e.msg);
    if (!txt) return;
    int32_t ids[256];
    int nt = 0;
    for (char *p = txt; *p && nt < 256;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) break;
        ids[nt++] = (int32_t)v;
        p = end;
        while (*p == ',' || *p == '\n' || *p == ' ') p++;
    }
    free(txt);
    CHECK_INT_EQ(nt, 44);
    synth_model *m;
    CHECK_MSG(synth_model_load(&m, dir, "cpu", &e) == 0, "%s", e.msg);
    int V = synth_model_config(m)->vocab;
    snprintf(path, sizeof path, "%s/logits.f32", dir);
    float *ref = (float *)cd_read_file(path, &n, &e);
    CHECK(ref != NULL && n == (size_t)nt * V * 4);
    float *lg = xmalloc((size_t)nt * V * 4);
    synth_seq *s = synth_seq_new(m, nt);
    CHECK_MSG(synth_forward(m, &s, 1, ids, &nt, 1, lg, &e) == 0, "%s", e.msg);
    double err = rel_err(lg, ref, (size_t)nt * V);
    printf("    golden nemotron-h-tiny: relative Frobenius error %.3g\n", err);
    CHECK_MSG(err <= 1e-5, "relative error %.3g > 1e-5", err);
    /* Also the decode path: prefill 1 then step the rest, compared on the last position. */
    synth_seq_reset(s);
    float *step = xmalloc((size_t)V * 4);
    int one = 1;
    for (int t = 0; t < nt; t++) CHECK(synth_forward(m, &s, 1, &ids[t], &one, 0, step, &e) == 0);
    double err2 = rel_err(step, ref + (size_t)(nt - 1) * V, (size_t)V);
    CHECK_MSG(err2 <= 1e-5, "decode path relative error %.3g > 1e-5", err2);
    free(step);
    synth_seq_free(s);
    free(lg);
    free(ref);
    synth_model_free(m);
}

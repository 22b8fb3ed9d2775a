/*
 * stage_sample.c: the `sample` stage keeps a deterministic, seeded fraction
 * of documents.
 *
 * A document is kept when XXH3-64(id, seed) / 2^64 < fraction. The decision
 * depends on nothing but the id and the seed, so:
 *  - the same input and config give the same sample on every run and at any
 *    thread count;
 *  - when a corpus grows (a new snapshot), the old documents make the same
 *    decisions, so the new sample is a superset of the old one within it;
 *  - raising the fraction only adds documents.
 * The seed defaults to the pipeline seed.
 */
#include "core/stage.h"

#include <math.h>
#include <stdlib.h>
#include <xxhash.h>

typedef struct sample_shared {
    double fraction;
    uint64_t threshold;
    int64_t seed;       /* -1: use the pipeline seed */
    int keep_all;
} sample_shared;

static const param_spec SAMPLE_PARAMS[] = {
    {"fraction", PARAM_DOUBLE, NULL, "share of documents to keep, in (0, 1]"},
    {"seed", PARAM_INT, "-1", "seed for the id hash; -1 = the pipeline seed"},
    {0},
};

static int sample_init(const cfg_params *p, void **shared, cd_err *e)
{
    double f = param_double(p, "fraction");
    if (!(f > 0 && f <= 1)) return cd_fail(e, CD_ECONFIG, "sample: fraction must be in (0, 1], got %g", f);
    sample_shared *s = xcalloc(1, sizeof *s);
    s->fraction = f;
    s->keep_all = f >= 1.0;
    s->threshold = s->keep_all ? UINT64_MAX : (uint64_t)ldexp(f, 64);
    s->seed = param_int(p, "seed");
    *shared = s;
    return 0;
}

static void sample_fini(void *shared) { free(shared); }

static int sample_process(stage *st, doc_batch *b, cd_err *e)
{
    const sample_shared *s = st->shared;
    uint64_t seed = s->seed >= 0 ? (uint64_t)s->seed : st->ctx->seed;
    for (size_t i = 0; i < b->len; i++) {
        doc *d = b->docs[i];
        if (s->keep_all) continue;
        uint64_t h = XXH3_64bits_withSeed(d->id, d->id_len, seed);
        if (h >= s->threshold) doc_drop(d, "sample");
    }
    return 0;
}

static const stage_ops sample_stage = {
    .name = "sample",
    .summary = "keep a deterministic, seeded fraction of documents (by id hash)",
    .params = SAMPLE_PARAMS,
    .init = sample_init,
    .fini = sample_fini,
    .process = sample_process,
};
CORPUSD_STAGE(sample_stage)

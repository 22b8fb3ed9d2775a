/*
 * stage_math_route.c: the `math_route` stage sends math pages to a math
 * subset. It reads metadata.math (written by extract through
 * mathnorm_page_annotate) and sets the document's output subset when the
 * math score reaches min_score. Documents without metadata.math are left
 * where they are. Nothing is dropped. The shared state is read-only.
 */
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/stage.h"

typedef struct route_shared {
    const char *subset;
    double min_score;
} route_shared;

static const param_spec ROUTE_PARAMS[] = {
    {"subset", PARAM_STRING, "math", "output subset for math pages"},
    {"min_score", PARAM_DOUBLE, "1",
     "smallest metadata.math.score routed; 1 = one formula or one OpenWebMath prefilter signal "
     "(OpenWebMath keeps a page on any prefilter signal)"},
    {0},
};

static int route_init(const cfg_params *p, void **shared, cd_err *e)
{
    route_shared *s = xcalloc(1, sizeof *s);
    s->subset = param_str(p, "subset");
    s->min_score = param_double(p, "min_score");
    if (!s->subset || !*s->subset) {
        free(s);
        return cd_fail(e, CD_ECONFIG, "math_route: subset must not be empty");
    }
    *shared = s;
    return 0;
}

static void route_fini(void *shared) { free(shared); }

static int route_process(stage *st, doc_batch *b, cd_err *e)
{
    const route_shared *s = st->shared;
    for (size_t i = 0; i < b->len; i++) {
        doc *d = b->docs[i];
        json_value *score = json_get_path(d->metadata, "math.score");
        if (!score) {
            stats_count(&st->stats, "no_math_metadata", 1);
            continue;
        }
        if (json_num(score, 0) >= s->min_score) {
            d->subset = s->subset;
            stats_count(&st->stats, "routed_math", 1);
        }
    }
    return 0;
}

static const stage_ops math_route_stage = {
    .name = "math_route",
    .summary = "send pages whose metadata.math.score reaches min_score to the math subset",
    .params = ROUTE_PARAMS,
    .init = route_init,
    .fini = route_fini,
    .process = route_process,
};
CORPUSD_STAGE(math_route_stage)

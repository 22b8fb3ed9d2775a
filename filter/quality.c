/*
 * quality.c: the quality_classifier stage and `corpusd quality-percentiles`.
 *
 * A user-supplied supervised fastText model (for example DCLM's
 * openhermes/eli5 classifier, positive label __label__hq) scores every
 * document: metadata.quality = P(label). Nemotron-CC cuts such scores into
 * 20 buckets at percentiles of the whole corpus; the percentiles depend on
 * the run, so they are computed first by
 *
 *   corpusd quality-percentiles IN.jsonl.zst... --model M --state DIR [--buckets 20]
 *
 * which stores {"buckets":B,"n":N,"thresholds":[B-1 cut points],...} in the
 * ledger (ledger_kv_set, key `percentiles_key`). The stage, with `buckets`
 * > 0, reads them back when each input opens and writes
 * metadata.quality_bucket in 0..B-1 (the number of cut points <= score).
 *
 * The model is loaded once (init) and shared read-only; fastText's predict
 * is const and thread-safe.
 */
#include "cli/cli.h"
#include "core/io.h"
#include "core/ledger.h"
#include "core/stage.h"
#include "filter/fasttext_shim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct quality_shared {
    ft_shim *model;
    const char *label, *key, *pkey, *state;
    double min_score;
    int64_t buckets;
} quality_shared;

typedef struct quality_priv {
    double *cuts;
    size_t ncuts;
} quality_priv;

static const param_spec QUALITY_PARAMS[] = {
    {"model", PARAM_STRING, NULL, "path of a supervised fastText model (.bin)"},
    {"label", PARAM_STRING, "__label__hq", "label whose probability is the score; __label__hq: DCLM's classifier"},
    {"key", PARAM_STRING, "quality", "metadata key for the score"},
    {"min_score", PARAM_DOUBLE, "0", "drop documents scoring below (0 keeps all; corpusd)"},
    {"buckets", PARAM_INT, "0",
     "write metadata.<key>_bucket from run percentiles (0 off; Nemotron-CC uses 20); needs "
     "`corpusd quality-percentiles` first"},
    {"percentiles_key", PARAM_STRING, "quality_percentiles", "ledger key holding the cut points"},
    {"state", PARAM_STRING, "", "state directory of the ledger (default: the pipeline's)"},
    {0},
};

static int quality_init(const cfg_params *p, void **shared, cd_err *e)
{
    char msg[512];
    ft_shim *m = ft_shim_load(param_str(p, "model"), msg, sizeof msg);
    if (!m) return cd_fail(e, CD_ECONFIG, "quality_classifier: %s", msg);
    quality_shared *q = xcalloc(1, sizeof *q);
    q->model = m;
    q->label = param_str(p, "label");
    q->key = param_str(p, "key");
    q->min_score = param_double(p, "min_score");
    q->buckets = param_int(p, "buckets");
    q->pkey = param_str(p, "percentiles_key");
    q->state = param_str(p, "state");
    if (q->buckets < 0 || q->buckets > 1000) {
        ft_shim_free(m);
        free(q);
        return cd_fail(e, CD_ECONFIG, "quality_classifier: buckets must be 0..1000");
    }
    *shared = q;
    return 0;
}

static void quality_fini(void *shared)
{
    quality_shared *q = shared;
    if (!q) return;
    ft_shim_free(q->model);
    free(q);
}

/* Parses the stored cut points; they must match the configured bucket count. */
static int parse_cuts(const char *json, int64_t buckets, quality_priv *p, cd_err *e)
{
    arena a;
    arena_init(&a, 0);
    json_value *v = json_parse(&a, json, strlen(json), 0, e);
    int rc = -1;
    const json_value *t = v ? json_object_get(v, "thresholds") : NULL;
    if (!t || t->type != JSON_ARRAY) {
        if (v) cd_fail(e, CD_EINPUT, "stored percentiles have no thresholds array");
    } else if ((int64_t)t->u.array.len != buckets - 1) {
        cd_fail(e, CD_ECONFIG, "stored percentiles have %zu cut points; buckets: %lld needs %lld", t->u.array.len,
                (long long)buckets, (long long)(buckets - 1));
    } else {
        p->cuts = xcalloc(t->u.array.len + 1, sizeof *p->cuts);
        for (size_t i = 0; i < t->u.array.len; i++) p->cuts[i] = json_num(t->u.array.items[i], 0);
        p->ncuts = t->u.array.len;
        rc = 0;
    }
    arena_free(&a);
    return rc;
}

static int quality_open(stage *st, cd_err *e)
{
    const quality_shared *q = st->shared;
    quality_priv *p = xcalloc(1, sizeof *p);
    st->priv = p;
    if (q->buckets <= 0) return 0;
    const char *dir = *q->state ? q->state : st->ctx ? st->ctx->state_dir : NULL;
    if (!dir) return cd_fail(e, CD_ECONFIG, "quality_classifier: buckets need a state directory (param `state`)");
    ledger *l = ledger_open(dir, e);
    if (!l) return -1;
    char *s = ledger_kv_get(l, q->pkey);
    ledger_close(l);
    if (!s)
        return cd_fail(e, CD_ECONFIG,
                       "quality_classifier: no '%s' in %s/ledger.sqlite; run `corpusd quality-percentiles` first",
                       q->pkey, dir);
    int rc = parse_cuts(s, q->buckets, p, e);
    free(s);
    return rc;
}

static void quality_close(stage *st)
{
    quality_priv *p = st->priv;
    if (!p) return;
    free(p->cuts);
    free(p);
}

static int quality_process(stage *st, doc_batch *b, cd_err *e)
{
    const quality_shared *q = st->shared;
    const quality_priv *p = st->priv;
    for (size_t i = 0; i < b->len; i++) {
        doc *d = b->docs[i];
        double s = ft_shim_prob(q->model, d->text, d->text_len, q->label);
        s = (double)(int64_t)(s * 1e6 + 0.5) / 1e6;
        doc_meta_set_num(d, q->key, s);
        if (p->ncuts) {
            size_t lo = 0, hi = p->ncuts;   /* count of cut points <= s */
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (p->cuts[mid] <= s) lo = mid + 1;
                else hi = mid;
            }
            char *k = xasprintf("%s_bucket", q->key);
            doc_meta_set_int(d, k, (int64_t)lo);
            free(k);
        }
        if (s < q->min_score) {
            doc_meta_set_num(d, "filter_value", s);
            doc_drop(d, "quality_low");
        }
    }
    return 0;
}

static const stage_ops quality_stage = {
    .name = "quality_classifier",
    .summary = "score documents with a fastText classifier into metadata.quality (+ percentile buckets)",
    .params = QUALITY_PARAMS,
    .init = quality_init,
    .fini = quality_fini,
    .open = quality_open,
    .process = quality_process,
    .close = quality_close,
};
CORPUSD_STAGE(quality_stage)

/* ------------------------------------------------ quality-percentiles */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmd_percentiles(int argc, char **argv)
{
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd quality-percentiles IN.jsonl[.zst]... --model M.bin --state DIR\n"
               "                                  [--label __label__hq] [--buckets 20] [--key quality_percentiles]\n\n"
               "Scores every document with the fastText model and stores the cut points of\n"
               "BUCKETS equal-count buckets (Nemotron-CC: 20) in DIR/ledger.sqlite under KEY,\n"
               "for the quality_classifier stage's `buckets`. Prints them as JSON.\n");
        cli_free(&a);
        return EXIT_OK;
    }
    static const char *const known[] = {"model", "state", "label", "buckets", "key", NULL};
    const char *model = cli_get(&a, "model"), *state = cli_get(&a, "state");
    if (cli_check(&a, "quality-percentiles", known) || !a.npos || !model || !state) {
        fprintf(stderr, "usage: corpusd quality-percentiles IN... --model M.bin --state DIR [--buckets 20]\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    const char *label = cli_get(&a, "label") ? cli_get(&a, "label") : "__label__hq";
    const char *key = cli_get(&a, "key") ? cli_get(&a, "key") : "quality_percentiles";
    long buckets = cli_get(&a, "buckets") ? strtol(cli_get(&a, "buckets"), NULL, 10) : 20;
    if (buckets < 2 || buckets > 1000) {
        fprintf(stderr, "corpusd quality-percentiles: --buckets must be 2..1000\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    char msg[512];
    ft_shim *m = ft_shim_load(model, msg, sizeof msg);
    if (!m) {
        fprintf(stderr, "corpusd quality-percentiles: %s\n", msg);
        cli_free(&a);
        return EXIT_USAGE;
    }
    double *scores = NULL;
    size_t n = 0, cap = 0;
    int rc = EXIT_OK;
    cd_err e;
    cd_err_clear(&e);
    for (size_t i = 0; i < a.npos && rc == EXIT_OK; i++) {
        io_reader *r = io_open(a.pos[i], &e);
        if (!r) {
            fprintf(stderr, "corpusd quality-percentiles: %s\n", e.msg);
            rc = EXIT_FAILURES;
            break;
        }
        const char *line;
        size_t len;
        int g;
        while ((g = io_getline(r, &line, &len, &e)) == 1) {
            doc *d = doc_from_json(line, len, &e);
            if (!d) {
                fprintf(stderr, "%s:%llu: skipped: %s\n", a.pos[i], (unsigned long long)io_line_number(r), e.msg);
                continue;
            }
            if (n == cap) scores = xrealloc(scores, (cap = cap ? cap * 2 : 1024) * sizeof *scores);
            double s = ft_shim_prob(m, d->text, d->text_len, label);
            scores[n++] = (double)(int64_t)(s * 1e6 + 0.5) / 1e6;   /* as the stage rounds */
            doc_free(d);
        }
        if (g < 0) {
            fprintf(stderr, "corpusd quality-percentiles: %s\n", e.msg);
            rc = EXIT_FAILURES;
        }
        io_close(r);
    }
    ft_shim_free(m);
    if (rc == EXIT_OK && !n) {
        fprintf(stderr, "corpusd quality-percentiles: no documents\n");
        rc = EXIT_FAILURES;
    }
    if (rc == EXIT_OK) {
        qsort(scores, n, sizeof *scores, cmp_double);
        sbuf j = SBUF_INIT;
        sbuf_printf(&j, "{\"model\":");
        json_write_string(&j, model, strlen(model));
        sbuf_printf(&j, ",\"label\":");
        json_write_string(&j, label, strlen(label));
        sbuf_printf(&j, ",\"buckets\":%ld,\"n\":%zu,\"thresholds\":[", buckets, n);
        for (long k = 1; k < buckets; k++) {
            /* cut k: the score at rank floor(k*n/B) (nearest rank, 0-based) */
            size_t idx = (size_t)((double)k * (double)n / (double)buckets);
            if (idx >= n) idx = n - 1;
            if (k > 1) sbuf_putc(&j, ',');
            json_write_number(&j, scores[idx]);
        }
        sbuf_puts(&j, "]}");
        ledger *l = ledger_open(state, &e);
        if (!l || ledger_kv_set(l, key, j.data, &e)) {
            fprintf(stderr, "corpusd quality-percentiles: %s\n", e.msg);
            rc = EXIT_FAILURES;
        } else {
            printf("%s\n", j.data);
        }
        if (l) ledger_close(l);
        sbuf_free(&j);
    }
    free(scores);
    cli_free(&a);
    return rc;
}
CORPUSD_COMMAND("quality-percentiles", "store percentile cut points of fastText quality scores in the ledger",
                cmd_percentiles)

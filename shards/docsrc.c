/*
 * docsrc.c: sequential reading of many inputs for `corpusd tokenize` and
 * `corpusd sample` (see docsrc.h). Inputs are read in the order given; a
 * document's seq is its position within its input.
 */
#include "shards/docsrc.h"

#include "core/log.h"
#include "core/pipeline.h"

#include <stdlib.h>
#include <string.h>

struct docsrc {
    char **inputs;
    size_t n, cur;
    const char *format;
    reader r;
    cfg_params *rp;
    stage_ctx ctx;
    char *stem;
    int open;
    uint64_t seq, failed, bad;
};

docsrc *docsrc_open(char **inputs, size_t n, const char *format, cd_err *e)
{
    if (format && !registry_reader(format)) {
        cd_fail(e, CD_ECONFIG, "unknown input format '%s'", format);
        return NULL;
    }
    docsrc *s = xcalloc(1, sizeof *s);
    s->inputs = inputs;
    s->n = n;
    s->format = format;
    return s;
}

static void close_cur(docsrc *s)
{
    if (!s->open) return;
    s->bad += stats_get_drop(&s->r.stats, "malformed_json");
    s->r.ops->close(&s->r);
    stats_free(&s->r.stats);
    cfg_params_free(s->rp);
    s->rp = NULL;
    free(s->stem);
    s->stem = NULL;
    s->open = 0;
}

int docsrc_next(docsrc *s, doc **out)
{
    for (;;) {
        if (!s->open) {
            if (s->cur >= s->n) return 0;
            const char *path = s->inputs[s->cur++];
            const reader_ops *ro = s->format ? registry_reader(s->format) : registry_reader_for_path(path);
            if (!ro) ro = registry_reader("jsonl");
            cd_err e;
            cd_err_clear(&e);
            s->rp = ro ? cfg_params_bind(ro->params, NULL, ro->name, &e) : NULL;
            if (!s->rp) {
                log_error("%s: %s", path, ro ? e.msg : "no reader");
                s->failed++;
                continue;
            }
            memset(&s->r, 0, sizeof s->r);
            s->r.ops = ro;
            s->r.params = s->rp;
            s->stem = pipeline_input_stem(path);
            s->ctx.input = path;
            s->ctx.input_stem = s->stem;
            s->r.ctx = &s->ctx;
            if (ro->open(&s->r, path, &e)) {
                log_error("%s", e.msg);
                s->failed++;
                cfg_params_free(s->rp);
                s->rp = NULL;
                free(s->stem);
                s->stem = NULL;
                stats_free(&s->r.stats);
                continue;
            }
            s->open = 1;
            s->seq = 0;
        }
        cd_err e;
        cd_err_clear(&e);
        doc *d = NULL;
        int got = s->r.ops->next(&s->r, &d, &e);
        if (got == 1) {
            d->seq = s->seq++;
            *out = d;
            return 1;
        }
        if (got < 0) {
            log_error("input %s failed: %s", s->ctx.input, e.msg);
            s->failed++;
        }
        close_cur(s);
    }
}

uint64_t docsrc_failed_inputs(const docsrc *s) { return s->failed; }
uint64_t docsrc_bad_records(const docsrc *s) { return s->bad; }

void docsrc_close(docsrc *s)
{
    if (!s) return;
    close_cur(s);
    free(s);
}

const char *docsrc_source(const doc *d)
{
    if (d->source && *d->source) return d->source;
    const char *s = json_str(json_object_get(d->metadata, "source"), NULL);
    return s && *s ? s : "unknown";
}

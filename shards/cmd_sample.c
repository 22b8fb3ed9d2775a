/*
 * cmd_sample.c: `corpusd sample`, small representative subsets in the spirit
 * of Nemotron-Pretraining-Dataset-sample.
 *
 *   corpusd sample IN... -o OUT [--by source,metadata.language]
 *                  (--tokens 100M | --fraction F) [--seed S] [--tokenizer T]
 *
 * Selection is by hash of the document id: h = XXH3-64(id, seed). So the same
 * document is picked on every run, at any thread count, whatever the input
 * order, and a stream of unknown size needs no reservoir.
 *  - --fraction F keeps documents with h < F * 2^64 (one pass). When the
 *    corpus grows, every old document makes the same decision, so the new
 *    sample is a superset of the old one; raising F only adds documents.
 *  - --tokens N is a token budget shared by the strata (the distinct values
 *    of the --by fields) in proportion to their token counts (--per-stratum:
 *    N for each stratum). Within a stratum the documents with the smallest h
 *    are kept while their tokens fit in its budget. Three passes over the
 *    inputs (totals, cutoffs, output); memory is bounded by the sample, not
 *    the corpus. A grown corpus keeps the old picks whose h stays under the
 *    new cutoff: a superset where the budget allows.
 * Tokens are counted with --tokenizer when given, else estimated as bytes/4.
 */
#include "cli/cli.h"
#include "core/io.h"
#include "core/json.h"
#include "core/log.h"
#include "shards/docsrc.h"
#include "tokenizer/bpe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

typedef struct stratum {
    char *key;
    uint64_t docs, tokens;          /* pass 1 totals */
    uint64_t budget;
    /* pass 2: max-heap on h of the kept prefix */
    uint64_t *heap_h, *heap_t;
    size_t heap_n, heap_cap;
    uint64_t kept_tokens;
    uint64_t ceiling;                /* smallest h ever evicted: nothing at or above it fits */
    int has_ceiling;
    uint64_t cutoff;                 /* keep h <= cutoff; valid if has_cutoff */
    int has_cutoff;
    uint64_t out_docs, out_tokens;
} stratum;

typedef struct sampler {
    char **fields;
    size_t nfields;
    stratum *st;
    size_t nst;
    const bpe *t;
    bpe_ctx *ctx;
    bpe_ids ids;
    uint64_t seed;
} sampler;

static void stratum_key(const sampler *s, const doc *d, sbuf *k)
{
    sbuf_reset(k);
    for (size_t i = 0; i < s->nfields; i++) {
        if (i) sbuf_putc(k, '|');
        const char *f = s->fields[i];
        if (!strcmp(f, "source")) {
            sbuf_puts(k, docsrc_source(d));
            continue;
        }
        const json_value *v = !strncmp(f, "metadata.", 9) ? json_get_path(d->metadata, f + 9) : NULL;
        size_t n;
        const char *str = json_str(v, &n);
        if (str) sbuf_append(k, str, n);
        else if (v && v->type == JSON_NUMBER) sbuf_append(k, v->u.number.raw, v->u.number.raw_len);
        else if (v && v->type == JSON_BOOL) sbuf_puts(k, v->u.boolean ? "true" : "false");
        else sbuf_puts(k, "(none)");
    }
    if (!s->nfields) sbuf_puts(k, "all");
}

static stratum *find_stratum(sampler *s, const char *key, int create)
{
    for (size_t i = 0; i < s->nst; i++)
        if (!strcmp(s->st[i].key, key)) return &s->st[i];
    if (!create) return NULL;
    s->st = xrealloc(s->st, (s->nst + 1) * sizeof *s->st);
    stratum *x = &s->st[s->nst++];
    memset(x, 0, sizeof *x);
    x->key = xstrdup(key);
    return x;
}

static uint64_t doc_tokens(sampler *s, const doc *d)
{
    if (!s->t) return (d->text_len + 3) / 4;
    s->ids.len = 0;
    cd_err e;
    if (bpe_encode(s->t, s->ctx, d->text, d->text_len, 0, &s->ids, &e)) return (d->text_len + 3) / 4;
    return s->ids.len;
}

static void heap_sift_up(stratum *x, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (x->heap_h[p] >= x->heap_h[i]) break;
        uint64_t th = x->heap_h[p], tt = x->heap_t[p];
        x->heap_h[p] = x->heap_h[i];
        x->heap_t[p] = x->heap_t[i];
        x->heap_h[i] = th;
        x->heap_t[i] = tt;
        i = p;
    }
}

static void heap_pop_max(stratum *x)
{
    x->kept_tokens -= x->heap_t[0];
    x->heap_n--;
    x->heap_h[0] = x->heap_h[x->heap_n];
    x->heap_t[0] = x->heap_t[x->heap_n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < x->heap_n && x->heap_h[l] > x->heap_h[m]) m = l;
        if (r < x->heap_n && x->heap_h[r] > x->heap_h[m]) m = r;
        if (m == i) break;
        uint64_t th = x->heap_h[m], tt = x->heap_t[m];
        x->heap_h[m] = x->heap_h[i];
        x->heap_t[m] = x->heap_t[i];
        x->heap_h[i] = th;
        x->heap_t[i] = tt;
        i = m;
    }
}

/* Keeps the longest hash-prefix of the stratum whose tokens fit in its
 * budget: evicting the largest h lowers a ceiling that later documents must
 * stay under, so the result does not depend on the input order. */
static void heap_offer(stratum *x, uint64_t h, uint64_t tokens)
{
    if (x->has_ceiling && h >= x->ceiling) return;
    if (x->heap_n == x->heap_cap) {
        x->heap_cap = x->heap_cap ? x->heap_cap * 2 : 64;
        x->heap_h = xrealloc(x->heap_h, x->heap_cap * sizeof *x->heap_h);
        x->heap_t = xrealloc(x->heap_t, x->heap_cap * sizeof *x->heap_t);
    }
    x->heap_h[x->heap_n] = h;
    x->heap_t[x->heap_n] = tokens;
    x->kept_tokens += tokens;
    heap_sift_up(x, x->heap_n++);
    while (x->heap_n && x->kept_tokens > x->budget) {
        x->ceiling = x->heap_h[0];
        x->has_ceiling = 1;
        heap_pop_max(x);
    }
}

static int cmd_sample(int argc, char **argv)
{
    static const char *const known[] = {"output", "by", "tokens", "fraction", "seed", "tokenizer", "format",
                                        "per-stratum", "quiet", NULL};
    static const char *const bools[] = {"per-stratum", "quiet", NULL};
    cli_args a;
    if (cli_parse(argc, argv, bools, &a)) return EXIT_USAGE;
    int have_tokens = cli_has(&a, "tokens"), have_frac = cli_has(&a, "fraction");
    if (a.help || !a.npos || have_tokens == have_frac || cli_check(&a, "sample", known)) {
        printf("usage: corpusd sample IN... [-o OUT] [--by source,metadata.FIELD,...]\n"
               "         (--tokens N [--per-stratum] | --fraction F) [--seed S] [--tokenizer T]\n\n"
               "Writes a reproducible, stratified sample of the documents to OUT (JSONL, compressed\n"
               "by suffix; stdout when absent or '-'). A document is picked by the hash of its id\n"
               "and the seed, so the same documents are picked on every run and a grown corpus\n"
               "keeps its old picks (--fraction: always; --tokens: where the budget allows).\n"
               "  --fraction F   keep a share F in (0, 1] of every stratum\n"
               "  --tokens N     token budget (e.g. 100M) shared by the strata in proportion to\n"
               "                 their size; --per-stratum gives N to each stratum\n"
               "  --by FIELDS    strata: 'source' and/or metadata fields (metadata.language, ...)\n"
               "  --tokenizer T  count tokens with T (default: bytes/4 estimate)\n"
               "  --format F     input format (default: by suffix, else jsonl)\n");
        int help = a.help;
        cli_free(&a);
        return help ? EXIT_OK : EXIT_USAGE;
    }
    int code = EXIT_OK;
    cd_err e;
    cd_err_clear(&e);
    sampler s;
    memset(&s, 0, sizeof s);
    s.seed = cli_get(&a, "seed") ? strtoull(cli_get(&a, "seed"), NULL, 10) : 0;
    double fraction = have_frac ? atof(cli_get(&a, "fraction")) : 0;
    int64_t budget = have_tokens ? cd_parse_size(cli_get(&a, "tokens")) : 0;
    if ((have_frac && !(fraction > 0 && fraction <= 1)) || (have_tokens && budget < 0)) {
        fprintf(stderr, "corpusd sample: --fraction must be in (0, 1] and --tokens a size like 100M\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    /* a plain number for --tokens means tokens, not KiB multiples: parse digits + k/M/G as powers of 1000 */
    if (have_tokens) {
        char *end;
        double v = strtod(cli_get(&a, "tokens"), &end);
        double mult = *end == 'k' || *end == 'K' ? 1e3 : *end == 'M' || *end == 'm' ? 1e6 : *end == 'G' || *end == 'g' ? 1e9
                      : *end == 'T' ? 1e12 : 1;
        budget = (int64_t)(v * mult);
    }
    if (cli_get(&a, "by")) {
        char *by = xstrdup(cli_get(&a, "by"));
        for (char *tok = strtok(by, ","); tok; tok = strtok(NULL, ",")) {
            if (strcmp(tok, "source") && strncmp(tok, "metadata.", 9)) {
                fprintf(stderr, "corpusd sample: --by fields are 'source' or 'metadata.NAME', not '%s'\n", tok);
                free(by);
                for (size_t i = 0; i < s.nfields; i++) free(s.fields[i]);
                free(s.fields);
                cli_free(&a);
                return EXIT_USAGE;
            }
            s.fields = xrealloc(s.fields, (s.nfields + 1) * sizeof *s.fields);
            s.fields[s.nfields++] = xstrdup(tok);
        }
        free(by);
    }
    bpe *tok = NULL;
    if (cli_get(&a, "tokenizer")) {
        tok = bpe_load(cli_get(&a, "tokenizer"), &e);
        if (!tok) {
            fprintf(stderr, "corpusd sample: %s\n", e.msg);
            code = EXIT_USAGE;
            goto done;
        }
        s.t = tok;
        s.ctx = bpe_ctx_new(tok);
    }
    const char *format = cli_get(&a, "format");
    uint64_t threshold = have_frac ? (fraction >= 1 ? UINT64_MAX : (uint64_t)ldexp(fraction, 64)) : 0;
    sbuf key = SBUF_INIT;
    if (have_tokens) {
        /* pass 1: strata totals */
        docsrc *src = docsrc_open(a.pos, a.npos, format, &e);
        doc *d;
        while (src && docsrc_next(src, &d)) {
            stratum_key(&s, d, &key);
            stratum *x = find_stratum(&s, key.data, 1);
            x->docs++;
            x->tokens += doc_tokens(&s, d);
            doc_free(d);
        }
        docsrc_close(src);
        uint64_t total = 0;
        for (size_t i = 0; i < s.nst; i++) total += s.st[i].tokens;
        for (size_t i = 0; i < s.nst; i++)
            s.st[i].budget = cli_has(&a, "per-stratum") ? (uint64_t)budget
                             : total ? (uint64_t)((long double)budget * s.st[i].tokens / total) : 0;
        /* pass 2: per-stratum cutoffs */
        src = docsrc_open(a.pos, a.npos, format, &e);
        while (src && docsrc_next(src, &d)) {
            stratum_key(&s, d, &key);
            stratum *x = find_stratum(&s, key.data, 0);
            if (x) heap_offer(x, XXH3_64bits_withSeed(d->id, d->id_len, s.seed), doc_tokens(&s, d));
            doc_free(d);
        }
        docsrc_close(src);
        for (size_t i = 0; i < s.nst; i++)
            if (s.st[i].heap_n) {
                s.st[i].cutoff = s.st[i].heap_h[0];
                s.st[i].has_cutoff = 1;
            }
    }
    /* output pass */
    const char *out = cli_get(&a, "output");
    int to_stdout = !out || !strcmp(out, "-");
    io_writer *w = to_stdout ? NULL : io_writer_create(out, io_compression_for_path(out), &e);
    if (!to_stdout && !w) {
        fprintf(stderr, "corpusd sample: %s\n", e.msg);
        code = EXIT_FAILURES;
        sbuf_free(&key);
        goto done;
    }
    docsrc *src = docsrc_open(a.pos, a.npos, format, &e);
    doc *d;
    sbuf line = SBUF_INIT;
    uint64_t in_docs = 0, out_docs = 0;
    int rc = 0;
    while (src && !rc && docsrc_next(src, &d)) {
        in_docs++;
        uint64_t h = XXH3_64bits_withSeed(d->id, d->id_len, s.seed);
        stratum_key(&s, d, &key);
        stratum *x = find_stratum(&s, key.data, have_frac);
        int keep = have_frac ? (fraction >= 1 || h < threshold) : (x && x->has_cutoff && h <= x->cutoff);
        if (x && have_frac) x->docs++;
        if (keep) {
            out_docs++;
            if (x) {
                x->out_docs++;
                x->out_tokens += have_frac && !s.t ? (d->text_len + 3) / 4 : doc_tokens(&s, d);
            }
            sbuf_reset(&line);
            doc_to_json(d, &line, 0);
            if (to_stdout) rc = fwrite(line.data, 1, line.len, stdout) == line.len ? 0 : cd_fail(&e, CD_EIO, "stdout: write failed");
            else rc = io_write(w, line.data, line.len, &e);
        }
        doc_free(d);
    }
    uint64_t failed = src ? docsrc_failed_inputs(src) : 1;
    docsrc_close(src);
    sbuf_free(&line);
    sbuf_free(&key);
    if (w) {
        if (rc) io_writer_abort(w);
        else {
            io_commit_info info;
            rc = io_writer_commit(w, &info, &e);
        }
    }
    if (rc) {
        fprintf(stderr, "corpusd sample: %s\n", e.msg);
        code = EXIT_FAILURES;
    } else {
        if (!cli_has(&a, "quiet")) {
            fprintf(stderr, "corpusd sample: kept %llu of %llu documents (%s)\n", (unsigned long long)out_docs,
                    (unsigned long long)in_docs, s.t ? "tokens counted" : "tokens estimated as bytes/4");
            for (size_t i = 0; i < s.nst; i++)
                fprintf(stderr, "  %-32s docs %llu/%llu  tokens %llu (budget %llu)\n", s.st[i].key,
                        (unsigned long long)s.st[i].out_docs, (unsigned long long)s.st[i].docs,
                        (unsigned long long)s.st[i].out_tokens, (unsigned long long)s.st[i].budget);
        }
        if (failed) code = EXIT_FAILURES;
    }
done:
    for (size_t i = 0; i < s.nst; i++) {
        free(s.st[i].key);
        free(s.st[i].heap_h);
        free(s.st[i].heap_t);
    }
    free(s.st);
    for (size_t i = 0; i < s.nfields; i++) free(s.fields[i]);
    free(s.fields);
    bpe_ids_free(&s.ids);
    bpe_ctx_free(s.ctx);
    bpe_free(tok);
    cli_free(&a);
    return code;
}
CORPUSD_COMMAND("sample", "stratified, reproducible sample by token budget or fraction (hash of id)", cmd_sample)

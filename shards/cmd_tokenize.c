/*
 * cmd_tokenize.c: `corpusd tokenize` (documents -> token shards with a
 * manifest) and `corpusd detokenize` (one document of a shard back to text).
 *
 * tokenize reads its inputs in order, in batches; each batch is encoded by
 * --threads workers (document i by worker i mod T, each with its own
 * bpe_ctx) and written in input order, so the shards are byte-identical at
 * any thread count. With --shuffle-window W, documents are shuffled within
 * consecutive windows of W documents by a PRNG seeded from --seed and the
 * window number: deterministic, and memory stays bounded by one window.
 * EOD (the tokenizer's end-of-document id, or --eod TOKEN) ends every
 * document; documents that encode to nothing are skipped and counted.
 */
#include "cli/cli.h"
#include "core/io.h"
#include "core/json.h"
#include "core/log.h"
#include "core/version.h"
#include "shards/docsrc.h"
#include "shards/manifest.h"
#include "shards/shards.h"
#include "tokenizer/bpe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define BATCH_DOCS 2048
#define BATCH_BYTES (16u << 20)

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A tokenized document waiting in the shuffle window. */
typedef struct pending {
    int32_t *ids;
    size_t n;
    char *source, *subset;
} pending;

typedef struct tok_run {
    tokshard_writer *w;
    manifest_counts counts;
    pending *win;
    size_t nwin, capwin, window;
    uint64_t seed, nwindows;
} tok_run;

static int flush_window(tok_run *r, cd_err *e)
{
    if (r->window > 1 && r->nwin > 1) {
        uint64_t s = r->seed ^ (r->nwindows * 0xD1B54A32D192ED03ull);
        for (size_t i = r->nwin - 1; i > 0; i--) {
            size_t k = (size_t)(splitmix64(&s) % (i + 1));
            pending tmp = r->win[i];
            r->win[i] = r->win[k];
            r->win[k] = tmp;
        }
    }
    int rc = 0;
    for (size_t i = 0; i < r->nwin; i++) {
        pending *p = &r->win[i];
        if (!rc) {
            rc = tokshard_add(r->w, p->ids, p->n, e);
            if (!rc) manifest_counts_add(&r->counts, p->source, p->subset, 1, p->n);
        }
        free(p->ids);
        free(p->source);
        free(p->subset);
    }
    r->nwin = 0;
    r->nwindows++;
    return rc;
}

static int push_doc(tok_run *r, const doc *d, const bpe_ids *ids, int32_t eod, cd_err *e)
{
    if (r->nwin == r->capwin) {
        r->capwin = r->capwin ? r->capwin * 2 : 64;
        r->win = xrealloc(r->win, r->capwin * sizeof *r->win);
    }
    pending *p = &r->win[r->nwin++];
    p->n = ids->len + 1;
    p->ids = xmalloc(p->n * sizeof *p->ids);
    memcpy(p->ids, ids->ids, ids->len * sizeof *p->ids);
    p->ids[ids->len] = eod;
    p->source = xstrdup(docsrc_source(d));
    const char *sub = json_str(json_object_get(d->metadata, "subset"), NULL);
    p->subset = xstrdup(d->subset ? d->subset : sub ? sub : "all");
    if (r->nwin >= (r->window > 1 ? r->window : 1)) return flush_window(r, e);
    return 0;
}

static void split_prefix(const char *prefix, char **dir, char **base)
{
    const char *slash = strrchr(prefix, '/');
    *dir = slash ? xstrndup(prefix, (size_t)(slash - prefix)) : xstrdup(".");
    if (!**dir) {
        free(*dir);
        *dir = xstrdup("/");
    }
    *base = xstrdup(slash ? slash + 1 : prefix);
}

static int cmd_tokenize(int argc, char **argv)
{
    static const char *const known[] = {"tokenizer", "output", "format", "max-tokens", "threads", "shuffle-window",
                                        "seed", "eod", "parse-special", "input-format", "quiet", NULL};
    static const char *const bools[] = {"quiet", NULL};
    cli_args a;
    if (cli_parse(argc, argv, bools, &a)) return EXIT_USAGE;
    if (a.help || !cli_get(&a, "tokenizer") || !cli_get(&a, "output") || !a.npos || cli_check(&a, "tokenize", known)) {
        printf("usage: corpusd tokenize IN... --tokenizer tokenizer.json|NAME.tiktoken -o PREFIX\n"
               "         [--format megatron|datatrove] [--max-tokens N] [--threads N]\n"
               "         [--shuffle-window DOCS --seed S] [--eod TOKEN] [--parse-special yes|no]\n\n"
               "Tokenizes the documents' text into token shards PREFIX_N.bin/.idx (Megatron-LM\n"
               "MMIDIDX, default) or PREFIX_N.ds/.ds.index (datatrove), each document followed by\n"
               "the EOD token, shards of at most --max-tokens tokens (default: no limit), and\n"
               "writes PREFIX's directory/manifest.json (shards, counts per source and subset,\n"
               "tokenizer hash, config hash, corpusd version). Output is identical at any\n"
               "--threads (default: all cores). --shuffle-window shuffles documents within\n"
               "windows of that many documents (seeded; memory bounded by the window).\n");
        int help = a.help;
        cli_free(&a);
        return help ? EXIT_OK : EXIT_USAGE;
    }
    int code = EXIT_OK;
    cd_err e;
    cd_err_clear(&e);
    const char *tokpath = cli_get(&a, "tokenizer");
    bpe *t = bpe_load(tokpath, &e);
    if (!t) {
        fprintf(stderr, "corpusd tokenize: %s\n", e.msg);
        cli_free(&a);
        return EXIT_USAGE;
    }
    if (cli_get(&a, "eod") && bpe_set_eos(t, cli_get(&a, "eod"))) {
        fprintf(stderr, "corpusd tokenize: --eod '%s' is not a token\n", cli_get(&a, "eod"));
        bpe_free(t);
        cli_free(&a);
        return EXIT_USAGE;
    }
    int32_t eod = bpe_eos_id(t);
    const char *fmts = cli_get(&a, "format") ? cli_get(&a, "format") : "megatron";
    tokshard_format fmt = !strcmp(fmts, "datatrove") ? TOKSHARD_DATATROVE : TOKSHARD_MEGATRON;
    int64_t max_tokens = cli_get(&a, "max-tokens") ? cd_parse_size(cli_get(&a, "max-tokens")) : 0;
    int threads = cli_get(&a, "threads") ? atoi(cli_get(&a, "threads")) : cd_ncpus();
    int64_t window = cli_get(&a, "shuffle-window") ? atoll(cli_get(&a, "shuffle-window")) : 0;
    uint64_t seed = cli_get(&a, "seed") ? strtoull(cli_get(&a, "seed"), NULL, 10) : 0;
    unsigned flags = strncmp(bpe_kind(t), "tiktoken", 8) ? BPE_PARSE_SPECIAL : 0;
    const char *ps = cli_get(&a, "parse-special");
    if (ps) flags = !strcmp(ps, "yes") ? BPE_PARSE_SPECIAL : 0;
    if ((strcmp(fmts, "megatron") && strcmp(fmts, "datatrove")) || max_tokens < 0 || threads < 1 || window < 0 ||
        eod < 0) {
        fprintf(stderr, "corpusd tokenize: %s\n",
                eod < 0 ? "the tokenizer has no end-of-document token; give --eod TOKEN"
                        : "bad --format, --max-tokens, --threads or --shuffle-window");
        bpe_free(t);
        cli_free(&a);
        return EXIT_USAGE;
    }
    char *dir, *base;
    split_prefix(cli_get(&a, "output"), &dir, &base);
    tok_run run;
    memset(&run, 0, sizeof run);
    run.window = (size_t)window;
    run.seed = seed;
    run.w = tokshard_open(dir, base, fmt, tokshard_token_bytes(bpe_vocab_size(t), fmt), (uint64_t)max_tokens,
                          tokpath, &e);
    docsrc *src = run.w ? docsrc_open(a.pos, a.npos, cli_get(&a, "input-format"), &e) : NULL;
    if (!run.w || !src) {
        fprintf(stderr, "corpusd tokenize: %s\n", e.msg);
        tokshard_abort(run.w);
        free(dir);
        free(base);
        bpe_free(t);
        cli_free(&a);
        return EXIT_USAGE;
    }
    tokpool *pool = tokpool_new(t, threads, flags);
    doc **docs = xcalloc(BATCH_DOCS, sizeof *docs);
    bpe_ids *outs = xcalloc(BATCH_DOCS, sizeof *outs);
    uint64_t empty = 0, bytes_in = 0;
    double t0 = cd_now();
    int rc = 0;
    for (int more = 1; more && !rc;) {
        size_t n = 0, nbytes = 0;
        while (n < BATCH_DOCS && nbytes < BATCH_BYTES) {
            doc *d;
            if (!docsrc_next(src, &d)) {
                more = 0;
                break;
            }
            docs[n++] = d;
            nbytes += d->text_len;
        }
        bytes_in += nbytes;
        rc = tokpool_encode(pool, docs, n, outs, &e);
        for (size_t i = 0; i < n; i++) {
            if (!rc) {
                if (outs[i].len == 0) empty++;
                else rc = push_doc(&run, docs[i], &outs[i], eod, &e);
            }
            doc_free(docs[i]);
        }
    }
    if (!rc) rc = flush_window(&run, &e);
    double secs = cd_now() - t0;
    output_list files = {0};
    uint64_t total_tokens = tokshard_total_tokens(run.w), total_docs = tokshard_total_docs(run.w);
    if (!rc) rc = tokshard_commit(run.w, "", "", &files, &e);
    else tokshard_abort(run.w);
    if (!rc) {
        char cfg[512];
        snprintf(cfg, sizeof cfg, "format=%s max_tokens=%lld eod=%d window=%lld seed=%llu flags=%u tokenizer=%s", fmts,
                 (long long)max_tokens, (int)eod, (long long)window, (unsigned long long)seed, flags, bpe_hash(t));
        manifest_info mi = {fmts, tokpath, t, cfg, total_docs, total_tokens, empty, docsrc_bad_records(src),
                            docsrc_failed_inputs(src)};
        char *mpath = xasprintf("%s/manifest.json", dir);
        rc = manifest_write(mpath, &mi, &files, &run.counts, &e);
        free(mpath);
    }
    if (rc) {
        fprintf(stderr, "corpusd tokenize: %s\n", e.msg);
        code = EXIT_FAILURES;
    } else {
        if (!cli_has(&a, "quiet"))
            fprintf(stderr, "corpusd tokenize: %llu documents, %llu tokens, %zu files, %.1f MB/s (%d threads)\n",
                    (unsigned long long)total_docs, (unsigned long long)total_tokens, files.len,
                    secs > 0 ? (double)bytes_in / 1e6 / secs : 0.0, threads);
        if (docsrc_failed_inputs(src)) code = EXIT_FAILURES;
    }
    output_list_free(&files);
    manifest_counts_free(&run.counts);
    free(run.win);
    for (size_t i = 0; i < BATCH_DOCS; i++) bpe_ids_free(&outs[i]);
    free(outs);
    free(docs);
    tokpool_free(pool);
    docsrc_close(src);
    free(dir);
    free(base);
    bpe_free(t);
    cli_free(&a);
    return code;
}
CORPUSD_COMMAND("tokenize", "tokenize documents into Megatron-LM (.bin/.idx) or datatrove (.ds) token shards", cmd_tokenize)

/* ------------------------------------------------------------- detokenize */

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static char *manifest_tokenizer(const char *idx_path)
{
    const char *slash = strrchr(idx_path, '/');
    char *mp = slash ? xasprintf("%.*s/manifest.json", (int)(slash - idx_path), idx_path) : xstrdup("manifest.json");
    size_t n;
    cd_err e;
    char *data = cd_read_file(mp, &n, &e);
    free(mp);
    if (!data) return NULL;
    arena ar;
    arena_init(&ar, 0);
    json_value *v = json_parse(&ar, data, n, 0, &e);
    const char *p = v ? json_str(json_get_path(v, "tokenizer.path"), NULL) : NULL;
    char *out = p ? xstrdup(p) : NULL;
    arena_free(&ar);
    free(data);
    return out;
}

static int cmd_detokenize(int argc, char **argv)
{
    static const char *const known[] = {"doc", "tokenizer", "ids", NULL};
    static const char *const bools[] = {"ids", NULL};
    cli_args a;
    if (cli_parse(argc, argv, bools, &a)) return EXIT_USAGE;
    if (a.help || a.npos != 1 || !cli_get(&a, "doc") || cli_check(&a, "detokenize", known)) {
        printf("usage: corpusd detokenize PREFIX_N.idx|PREFIX_N.ds.index --doc N [--tokenizer T] [--ids]\n\n"
               "Writes document N (0-based) of a token shard as text (its EOD removed), decoded\n"
               "with --tokenizer or the tokenizer named in the directory's manifest.json;\n"
               "--ids prints the token ids instead.\n");
        int help = a.help;
        cli_free(&a);
        return help ? EXIT_OK : EXIT_USAGE;
    }
    const char *idx = a.pos[0];
    uint64_t want = strtoull(cli_get(&a, "doc"), NULL, 10);
    cd_err e;
    size_t n;
    unsigned char *ix = (unsigned char *)cd_read_file(idx, &n, &e);
    int code = EXIT_USAGE;
    char *binpath = NULL, *tokpath = NULL;
    unsigned char *bin = NULL;
    bpe *t = NULL;
    if (!ix) {
        fprintf(stderr, "corpusd detokenize: %s\n", e.msg);
        goto out;
    }
    uint64_t off = 0, count = 0;
    int tb = 0;
    if (cd_ends_with(idx, ".idx")) {
        if (n < 34 || memcmp(ix, "MMIDIDX\0\0", 9) || get_u64(ix + 9) != 1) {
            fprintf(stderr, "corpusd detokenize: %s is not a Megatron MMIDIDX index\n", idx);
            goto out;
        }
        tb = ix[17] == 8 ? 2 : ix[17] == 4 ? 4 : 0;
        uint64_t nseq = get_u64(ix + 18);
        if (!tb || n < 34 + nseq * 12 || want >= nseq) {
            fprintf(stderr, "corpusd detokenize: bad dtype or document %llu out of range (%llu)\n",
                    (unsigned long long)want, (unsigned long long)nseq);
            goto out;
        }
        const unsigned char *lens = ix + 34, *ptrs = lens + nseq * 4;
        count = (uint64_t)lens[want * 4] | (uint64_t)lens[want * 4 + 1] << 8 | (uint64_t)lens[want * 4 + 2] << 16 |
                (uint64_t)lens[want * 4 + 3] << 24;
        off = get_u64(ptrs + want * 8);
        binpath = xasprintf("%.*s.bin", (int)(strlen(idx) - 4), idx);
    } else if (cd_ends_with(idx, ".ds.index")) {
        uint64_t ndocs = n / 8;
        if (want >= ndocs) {
            fprintf(stderr, "corpusd detokenize: document %llu out of range (%llu)\n", (unsigned long long)want,
                    (unsigned long long)ndocs);
            goto out;
        }
        uint64_t start = want ? get_u64(ix + (want - 1) * 8) : 0, end = get_u64(ix + want * 8);
        binpath = xstrndup(idx, strlen(idx) - 6);
        size_t bl;
        char *probe = cd_read_file(binpath, &bl, &e);
        uint64_t total = ndocs ? get_u64(ix + (ndocs - 1) * 8) : 0;
        tb = total && bl == total * 4 ? 4 : 2;
        free(probe);
        off = start * (uint64_t)tb;
        count = end - start;
    } else {
        fprintf(stderr, "corpusd detokenize: give a .idx or .ds.index file\n");
        goto out;
    }
    size_t bl;
    bin = (unsigned char *)cd_read_file(binpath, &bl, &e);
    if (!bin || off + count * (uint64_t)tb > bl) {
        fprintf(stderr, "corpusd detokenize: %s\n", bin ? "index points past the end of the tokens" : e.msg);
        code = EXIT_FAILURES;
        goto out;
    }
    int32_t *ids = xmalloc((count + 1) * sizeof *ids);
    for (uint64_t i = 0; i < count; i++) {
        const unsigned char *p = bin + off + i * (uint64_t)tb;
        ids[i] = tb == 2 ? (int32_t)(p[0] | p[1] << 8) : (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
    }
    if (cli_has(&a, "ids")) {
        for (uint64_t i = 0; i < count; i++) printf(i ? " %d" : "%d", (int)ids[i]);
        printf("\n");
        code = EXIT_OK;
    } else {
        tokpath = cli_get(&a, "tokenizer") ? xstrdup(cli_get(&a, "tokenizer")) : manifest_tokenizer(idx);
        t = tokpath ? bpe_load(tokpath, &e) : NULL;
        if (!t) {
            fprintf(stderr, "corpusd detokenize: %s\n", tokpath ? e.msg : "no --tokenizer and no manifest.json naming one");
        } else {
            if (count && ids[count - 1] == bpe_eos_id(t)) count--;
            sbuf s = SBUF_INIT;
            size_t unknown = 0;
            bpe_decode(t, ids, count, &s, &unknown);
            fwrite(s.data ? s.data : "", 1, s.len, stdout);
            sbuf_free(&s);
            code = unknown ? EXIT_FAILURES : EXIT_OK;
        }
    }
    free(ids);
out:
    bpe_free(t);
    free(tokpath);
    free(bin);
    free(binpath);
    free(ix);
    cli_free(&a);
    return code;
}
CORPUSD_COMMAND("detokenize", "print one document of a token shard as text", cmd_detokenize)

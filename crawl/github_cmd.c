/*
 * github_cmd.c: `corpusd github fetch LIST|ARCHIVE|CLONE... -o OUT.jsonl.zst`
 *
 * Runs the `github` reader over each input and writes every document to
 * OUT (JSONL, compressed by suffix; atomic: written to a temporary name and
 * renamed when complete). Reader parameters are flags: --base-url,
 * --ref, --repo, --max-file-size, --max-total-size, --max-files,
 * --max-archive-size, --max-nontext, --timeout, --retries. Refusals and
 * failures are printed per reason on stderr. Exit 0 when every input could
 * be opened (individual repositories may still have failed: see the
 * counts), 1 when an input failed, 2 on usage errors.
 */
#include "cli/cli.h"
#include "core/io.h"
#include "core/log.h"
#include "core/stage.h"
#include "crawl/github.h"

#include <stdlib.h>
#include <string.h>

static void print_stats(const stage_stats *s, uint64_t docs)
{
    fprintf(stderr, "github fetch: %llu documents\n", (unsigned long long)docs);
    for (size_t i = 0; i < s->ndrops; i++)
        fprintf(stderr, "  refused %-18s %llu\n", s->drops[i].name, (unsigned long long)s->drops[i].value);
    for (size_t i = 0; i < s->ncounters; i++)
        fprintf(stderr, "  %-26s %llu\n", s->counters[i].name, (unsigned long long)s->counters[i].value);
}

static int cmd_github(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "fetch")) {
        fprintf(stderr, "usage: corpusd github fetch LIST|ARCHIVE|CLONE... -o OUT.jsonl.zst [--base-url URL] ...\n");
        return (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) ? EXIT_OK : EXIT_USAGE;
    }
    const reader_ops *ro = registry_reader("github");
    cli_args a;
    if (cli_parse(argc - 1, argv + 1, NULL, &a)) return EXIT_USAGE;
    if (a.help || a.npos == 0) {
        printf("usage: corpusd github fetch LIST|ARCHIVE|CLONE... -o OUT.jsonl.zst [--PARAM VALUE]\n\n"
               "LIST: lines owner/name[@ref], https://github.com/owner/name[/tree/REF] or archive URLs,\n"
               "each downloaded as <base-url>/<owner>/<name>/tar.gz/<ref>. ARCHIVE: a local .tar[.gz|.zst]\n"
               "or .zip. CLONE: a local git repository (the tree at --ref, no checkout).\n\nParameters:\n");
        param_spec_print(ro->params, stdout);
        int rc = a.help ? EXIT_OK : EXIT_USAGE;
        cli_free(&a);
        return rc;
    }
    cfg_node *params = cfg_new_map();
    const char *out = NULL;
    for (size_t i = 0; i < a.nflags; i++) {
        if (!strcmp(a.keys[i], "output") || !strcmp(a.keys[i], "o")) {
            out = a.vals[i];
            continue;
        }
        char *k = xstrdup(a.keys[i]);
        for (char *c = k; *c; c++)
            if (*c == '-') *c = '_';
        cfg_map_put(params, k, cfg_new_scalar(a.vals[i]));
        free(k);
    }
    cd_err e;
    cd_err_clear(&e);
    cfg_params *rp = cfg_params_bind(ro->params, params, "reader 'github'", &e);
    if (!rp || !out) {
        fprintf(stderr, "corpusd github fetch: %s\n", rp ? "give -o OUT" : e.msg);
        cfg_params_free(rp);
        cfg_free(params);
        cli_free(&a);
        return EXIT_USAGE;
    }
    io_writer *w = strcmp(out, "-") ? io_writer_create(out, io_compression_for_path(out), &e) : NULL;
    if (strcmp(out, "-") && !w) {
        fprintf(stderr, "corpusd github fetch: %s\n", e.msg);
        cfg_params_free(rp);
        cfg_free(params);
        cli_free(&a);
        return EXIT_FAILURES;
    }
    stage_stats total = {0};
    uint64_t docs = 0;
    int failed = 0;
    sbuf line = SBUF_INIT;
    stage_ctx ctx = {0, NULL, NULL, NULL, NULL, 1};
    for (size_t i = 0; i < a.npos; i++) {
        reader r;
        memset(&r, 0, sizeof r);
        r.ops = ro;
        r.params = rp;
        r.ctx = &ctx;
        ctx.input = a.pos[i];
        if (ro->open(&r, a.pos[i], &e)) {
            fprintf(stderr, "corpusd github fetch: %s\n", e.msg);
            stats_merge(&total, &r.stats);
            stats_free(&r.stats);
            failed++;
            continue;
        }
        for (;;) {
            doc *d = NULL;
            int got = ro->next(&r, &d, &e);
            if (got < 0) {
                fprintf(stderr, "corpusd github fetch: %s\n", e.msg);
                failed++;
                break;
            }
            if (!got) break;
            sbuf_reset(&line);
            doc_to_json(d, &line, 0);
            doc_free(d);
            docs++;
            if (w ? io_write(w, line.data, line.len, &e) : (fwrite(line.data, 1, line.len, stdout) != line.len)) {
                fprintf(stderr, "corpusd github fetch: %s\n", w ? e.msg : "write error");
                failed++;
                break;
            }
        }
        ro->close(&r);
        stats_merge(&total, &r.stats);
        stats_free(&r.stats);
    }
    sbuf_free(&line);
    int rc = EXIT_OK;
    if (w) {
        io_commit_info info;
        if (io_writer_commit(w, &info, &e)) {
            fprintf(stderr, "corpusd github fetch: %s\n", e.msg);
            rc = EXIT_FAILURES;
        }
    }
    print_stats(&total, docs);
    stats_free(&total);
    cfg_params_free(rp);
    cfg_free(params);
    cli_free(&a);
    return failed ? EXIT_FAILURES : rc;
}
CORPUSD_COMMAND("github", "GitHub ingestion: `github fetch LIST -o OUT.jsonl.zst` (lists, archives, clones)",
                cmd_github)

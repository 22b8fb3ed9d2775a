/*
 * cmd_license.c: `corpusd license DIR_OR_FILE [--json] [--threshold T]` and
 * `corpusd codefilter IN... -o OUT [--rejects R]`.
 *
 * `license` reports every license it finds: license files (by The Stack v2
 * name patterns) and manifests under a directory, SPDX tags and header
 * notices in source files; a single file is handled the same way (license
 * file by name: whole text; else tag and header), and when that finds
 * nothing its whole text is matched as a license text. One line (or one JSON object with
 * path, spdx, score, source, runner_up, runner_up_score) per license, best
 * score first; ties keep path order. Exit 0 when something was found, 1
 * when nothing was, 2 on usage errors.
 */
#include "cli/cli.h"
#include "codefilter/codefilter.h"
#include "core/json.h"
#include "core/stage.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct found {
    char *path, *spdx, *runner_up;
    const char *source;
    double score, runner_up_score;
    size_t seq;
} found;

typedef struct finder {
    found *v;
    size_t n;
    double threshold;
    size_t root_len;
} finder;

static void add(finder *f, const char *path, const char *spdx, const char *source, double score, const char *ru,
                double rus)
{
    f->v = xrealloc(f->v, (f->n + 1) * sizeof *f->v);
    f->v[f->n] = (found){xstrdup(path), xstrdup(spdx), ru ? xstrdup(ru) : NULL, source, score, rus, f->n};
    f->n++;
}

static void scan_file(finder *f, const char *path, const char *rel, int whole_text)
{
    size_t n;
    cd_err e;
    char *t = cd_read_file(path, &n, &e);
    if (!t) {
        fprintf(stderr, "corpusd license: %s\n", e.msg);
        return;
    }
    if (memchr(t, 0, n < 8192 ? n : 8192)) {   /* binary */
        free(t);
        return;
    }
    const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    const cf_license_db *db = cf_license_db_builtin();
    cf_match m;
    int is_lic = cf_is_license_filename(base);
    size_t before = f->n;
    if (is_lic) {
        if (cf_license_match_text(db, t, n, f->threshold, &m))
            add(f, rel, m.spdx, "repo_file", m.score, m.runner_up, m.runner_up_score);
    }
    char *man = cf_manifest_license(base, t, n);
    if (man) {
        add(f, rel, man, "manifest", 1.0, NULL, 0);
        free(man);
    }
    const char *ex;
    size_t exn = cf_spdx_find_tag(t, n, 4096, &ex);
    if (exn) {
        cf_spdx_node *x = cf_spdx_parse(ex, exn, &e);
        if (x) {
            sbuf o = SBUF_INIT;
            cf_spdx_write(x, &o);
            add(f, rel, o.data, "tag", 1.0, NULL, 0);
            sbuf_free(&o);
            cf_spdx_free(x);
        }
    }
    if (!is_lic) {
        const char *hs;
        size_t hn = cf_leading_comment(t, n, &hs);
        if (hn && cf_license_match_header(db, hs, hn, f->threshold, &m))
            add(f, rel, m.spdx, "header", m.score, m.runner_up, m.runner_up_score);
    }
    /* A single file named on the command line that is not a license file by
     * name (gpl-2.0.txt, a source file): its tag and header first, as for a
     * file in a tree; the whole text as a license text only when neither
     * said anything. A source file's header is not a license file: matched
     * whole, its code dilutes the score and the file-level fallback ranks
     * templates differently (a GPL-2.0 header once came out LGPL-2.1). */
    if (whole_text && !is_lic && f->n == before) {
        if (cf_license_match_text(db, t, n, f->threshold, &m))
            add(f, rel, m.spdx, "repo_file", m.score, m.runner_up, m.runner_up_score);
    }
    free(t);
}

static finder *g_finder;

static int walk_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    if (type == FTW_D && ftw->level > 0 && path[ftw->base] == '.') return FTW_SKIP_SUBTREE;  /* .git etc. */
    if (type != FTW_F || !S_ISREG(st->st_mode)) return FTW_CONTINUE;
    if (st->st_size > 16 << 20) return FTW_CONTINUE;
    const char *rel = path + g_finder->root_len;
    while (*rel == '/') rel++;
    scan_file(g_finder, path, rel, 0);
    return FTW_CONTINUE;
}

static int cmp_found(const void *a, const void *b)
{
    const found *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmd_license(int argc, char **argv)
{
    static const char *const bools[] = {"json", NULL};
    static const char *const known[] = {"json", "threshold", NULL};
    cli_args a;
    if (cli_parse(argc, argv, bools, &a)) return EXIT_USAGE;
    if (a.help || a.npos != 1 || cli_check(&a, "license", known)) {
        printf("usage: corpusd license DIR_OR_FILE [--json] [--threshold 0.9]\n\n"
               "Prints the licenses found, best match first: license files and manifests under a\n"
               "directory, SPDX-License-Identifier tags and license headers in source files; a single\n"
               "file is also matched as a whole license text. --json prints one object per license\n"
               "(path, spdx, score, source, runner_up, runner_up_score).\n");
        int rc = a.help ? EXIT_OK : EXIT_USAGE;
        cli_free(&a);
        return rc;
    }
    finder f = {0};
    f.threshold = cli_get(&a, "threshold") ? atof(cli_get(&a, "threshold")) : 0.9;
    const char *root = a.pos[0];
    struct stat st;
    if (stat(root, &st)) {
        fprintf(stderr, "corpusd license: cannot read %s\n", root);
        cli_free(&a);
        return EXIT_USAGE;
    }
    if (S_ISDIR(st.st_mode)) {
        f.root_len = strlen(root);
        g_finder = &f;
        nftw(root, walk_cb, 32, FTW_PHYS | FTW_ACTIONRETVAL);
        g_finder = NULL;
    } else {
        scan_file(&f, root, root, 1);
    }
    qsort(f.v, f.n, sizeof *f.v, cmp_found);
    int json = cli_has(&a, "json");
    sbuf o = SBUF_INIT;
    for (size_t i = 0; i < f.n; i++) {
        found *x = &f.v[i];
        sbuf_reset(&o);
        if (json) {
            sbuf_puts(&o, "{\"path\":");
            json_write_string(&o, x->path, strlen(x->path));
            sbuf_puts(&o, ",\"spdx\":");
            json_write_string(&o, x->spdx, strlen(x->spdx));
            sbuf_printf(&o, ",\"score\":%.4f,\"source\":\"%s\"", x->score, x->source);
            if (x->runner_up) {
                sbuf_puts(&o, ",\"runner_up\":");
                json_write_string(&o, x->runner_up, strlen(x->runner_up));
                sbuf_printf(&o, ",\"runner_up_score\":%.4f", x->runner_up_score);
            }
            sbuf_puts(&o, "}\n");
        } else {
            sbuf_printf(&o, "%s\t%s\t%.4f\t%s", x->path, x->spdx, x->score, x->source);
            if (x->runner_up) sbuf_printf(&o, "\t(runner-up %s %.4f)", x->runner_up, x->runner_up_score);
            sbuf_putc(&o, '\n');
        }
        fwrite(o.data, 1, o.len, stdout);
        free(x->path);
        free(x->spdx);
        free(x->runner_up);
    }
    sbuf_free(&o);
    int rc = f.n ? EXIT_OK : EXIT_FAILURES;
    free(f.v);
    cli_free(&a);
    return rc;
}
CORPUSD_COMMAND("license", "print the licenses of a directory or file (SPDX ids, scores, sources)", cmd_license)

static int cmd_codefilter(int argc, char **argv) { return cli_stage_main("codefilter", argc, argv); }
CORPUSD_COMMAND("codefilter", "license enforcement, StarCoder2 quality filters and secret redaction on JSONL files",
                cmd_codefilter)

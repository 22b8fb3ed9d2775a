/*
 * stage_extract.c: the `extract` stage, the `html` reader and the
 * `corpusd extract` subcommand.
 *
 * Stage: takes the HTML from doc->raw/raw_len when a reader put it there
 * (the warc reader does, converted to UTF-8, with the original charset in
 * metadata.charset), else from doc->text (UTF-8); raw bytes without
 * metadata.charset (the html reader's) are sniffed by libxml2. It replaces
 * the text with the
 * extracted main content and records metadata.title and metadata.html_lang
 * (and metadata.math through mathnorm). A document with no text left is
 * dropped as `extract_empty`. Counters: extract_truncated (input cut at
 * max_html_bytes), extract_unparsed (libxml2 built no document).
 *
 * Reader `html`: one document per .html/.htm file (plain, .gz or .zst),
 * id = the file name without its suffixes, HTML in doc->raw.
 *
 * Command: `corpusd extract FILE.html` prints the text of one page to
 * stdout; any other use (several inputs, -o, WARC or JSONL inputs) runs the
 * stage over the inputs through the readers registry, like every stage
 * subcommand (cli_stage_main).
 *
 * The shared state is read-only options; each instance owns its extract_ctx.
 */
#include "cli/cli.h"
#include "core/io.h"
#include "core/log.h"
#include "core/stage.h"
#include "extract/extract.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const param_spec EXTRACT_PARAMS[] = {
    {"mode", PARAM_STRING, "precision",
     "precision (main content, boilerplate pruned hard), recall (main content, pruned lightly) or full "
     "(all visible text, like lynx -dump); after trafilatura's favour_precision/favour_recall"},
    {"max_html_bytes", PARAM_SIZE, "8M",
     "HTML beyond this is cut before parsing (bounds memory); Common Crawl truncates payloads at 1 MiB"},
    {"math", PARAM_BOOL, "true", "hand math elements to mathnorm/ and splice their LaTeX in place"},
    {0},
};

typedef struct extract_instance {
    extract_ctx *ctx;
    extract_result res;
} extract_instance;

static int extract_init(const cfg_params *p, void **shared, cd_err *e)
{
    extract_opts *o = xcalloc(1, sizeof *o);
    extract_opts_default(o);
    const char *mode = param_str(p, "mode");
    if (extract_mode_parse(mode, &o->mode)) {
        free(o);
        return cd_fail(e, CD_ECONFIG, "extract: mode must be precision, recall or full, not '%s'", mode);
    }
    int64_t max = param_size(p, "max_html_bytes");
    if (max <= 0) {
        free(o);
        return cd_fail(e, CD_ECONFIG, "extract: max_html_bytes must be positive");
    }
    o->max_html_bytes = (size_t)max;
    o->math = param_bool(p, "math");
    extract_global_init();
    *shared = o;
    return 0;
}

static void extract_fini(void *shared) { free(shared); }

static int extract_open(stage *s, cd_err *e)
{
    extract_instance *x = xcalloc(1, sizeof *x);
    x->ctx = extract_ctx_new();
    s->priv = x;
    return 0;
}

static int has_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] > ' ') return 1;
    return 0;
}

static int extract_process(stage *s, doc_batch *b, cd_err *e)
{
    extract_instance *x = s->priv;
    extract_opts o = *(const extract_opts *)s->shared;
    for (size_t i = 0; i < b->len; i++) {
        doc *d = b->docs[i];
        const char *html = d->raw && d->raw_len ? (const char *)d->raw : d->text;
        size_t n = d->raw && d->raw_len ? d->raw_len : d->text_len;
        /* The warc reader hands over raw already converted to UTF-8 and
         * records the page's original charset in metadata.charset; JSON text
         * is UTF-8 too. Only raw bytes without that key (the html reader's
         * files) are sniffed by libxml2 (BOM, <meta charset>). */
        int have_charset = doc_meta_get(d, "charset") != NULL;
        o.encoding = d->raw && d->raw_len && !have_charset ? NULL : "UTF-8";
        extract_html(x->ctx, html ? html : "", html ? n : 0, &o, &x->res, d);
        if (x->res.truncated) stats_count(&s->stats, "extract_truncated", 1);
        if (!x->res.parsed && n) stats_count(&s->stats, "extract_unparsed", 1);
        if (x->res.title.len) doc_meta_set_strn(d, "title", x->res.title.data, x->res.title.len);
        if (x->res.lang.len) doc_meta_set_strn(d, "html_lang", x->res.lang.data, x->res.lang.len);
        doc_set_text(d, x->res.text.data ? x->res.text.data : "", x->res.text.len);
        d->raw = NULL;   /* arena-owned; consumed */
        d->raw_len = 0;
        if (!has_text(d->text, d->text_len)) doc_drop(d, "extract_empty");
    }
    return 0;
}

static void extract_close(stage *s)
{
    extract_instance *x = s->priv;
    if (!x) return;
    extract_ctx_free(x->ctx);
    extract_result_free(&x->res);
    free(x);
    s->priv = NULL;
}

static const stage_ops extract_stage = {
    .name = "extract",
    .summary = "HTML to clean main-content text (precision, recall or full mode)",
    .params = EXTRACT_PARAMS,
    .init = extract_init,
    .fini = extract_fini,
    .open = extract_open,
    .process = extract_process,
    .close = extract_close,
};
CORPUSD_STAGE(extract_stage)

/* ------------------------------------------------------------ html reader */

static const param_spec HTML_READER_PARAMS[] = {
    {"max_bytes", PARAM_SIZE, "64M", "longest HTML file read; the rest is skipped (the stage caps again)"},
    {0},
};

typedef struct html_reader {
    char *path;
    int done;
    int64_t max_bytes;
} html_reader;

static int html_open(reader *r, const char *path, cd_err *e)
{
    html_reader *h = xcalloc(1, sizeof *h);
    h->path = xstrdup(path);
    h->max_bytes = param_size(r->params, "max_bytes");
    r->priv = h;
    return 0;
}

/* Reads a whole (possibly compressed) file, at most max bytes. */
static char *read_all(const char *path, size_t max, size_t *len, int *truncated, cd_err *e)
{
    io_reader *io = io_open(path, e);
    if (!io) return NULL;
    sbuf b = SBUF_INIT;
    *truncated = 0;
    /* one buffer of the file's size (plain files), not a chain of
     * doublings that copies the page again at each step */
    struct stat st;
    if (stat(path, &st) == 0 && st.st_size > 0)
        sbuf_reserve(&b, ((size_t)st.st_size < max ? (size_t)st.st_size : max) + (1 << 16) + 1);
    for (;;) {
        sbuf_reserve(&b, 1 << 16);
        size_t want = b.cap - b.len - 1;
        if (b.len + want > max) want = max - b.len;
        if (want == 0) {
            char one;
            if (io_read(io, &one, 1, e) > 0) *truncated = 1;
            break;
        }
        ssize_t got = io_read(io, b.data + b.len, want, e);
        if (got < 0) {
            io_close(io);
            sbuf_free(&b);
            return NULL;
        }
        if (got == 0) break;
        b.len += (size_t)got;
    }
    io_close(io);
    sbuf_putc(&b, 0);
    b.len--;
    return sbuf_detach(&b, len);
}

static char *html_stem(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *s = xstrdup(base);
    static const char *const SUF[] = {".gz", ".zst", ".html", ".htm", ".xhtml", NULL};
    for (int again = 1; again;) {
        again = 0;
        for (const char *const *x = SUF; *x; x++)
            if (cd_ends_with(s, *x) && strlen(s) > strlen(*x)) {
                s[strlen(s) - strlen(*x)] = 0;
                again = 1;
            }
    }
    return s;
}

static int html_next(reader *r, doc **out, cd_err *e)
{
    html_reader *h = r->priv;
    if (h->done) return 0;
    h->done = 1;
    size_t len;
    int trunc;
    char *data = read_all(h->path, (size_t)h->max_bytes, &len, &trunc, e);
    if (!data) return -1;
    if (trunc) {
        stats_count(&r->stats, "html_truncated", 1);
        log_warn("%s: HTML longer than %lld bytes; the rest is ignored", h->path, (long long)h->max_bytes);
    }
    doc *d = doc_new();
    char *id = html_stem(h->path);
    doc_set_id(d, id, strlen(id));
    free(id);
    doc_set_text(d, "", 0);
    d->raw = arena_alloc(&d->arena, len + 1);
    memcpy(d->raw, data, len + 1);
    d->raw_len = len;
    free(data);
    r->bytes_read = len;
    *out = d;
    return 1;
}

static void html_close(reader *r)
{
    html_reader *h = r->priv;
    if (!h) return;
    free(h->path);
    free(h);
    r->priv = NULL;
}

static const char *const HTML_SUFFIXES[] = {".html", ".htm", ".xhtml", ".html.gz", ".htm.gz", ".html.zst", NULL};

static const reader_ops html_reader_ops = {
    .name = "html",
    .summary = "one document per HTML file (plain, .gz or .zst); the HTML goes to the extract stage",
    .params = HTML_READER_PARAMS,
    .suffixes = HTML_SUFFIXES,
    .open = html_open,
    .next = html_next,
    .close = html_close,
};
CORPUSD_READER(html_reader_ops)

/* ------------------------------------------------------------ command */

static int extract_one_file(const char *path, const cli_args *a)
{
    static const char *const known[] = {"mode", "max_html_bytes", "max-html-bytes", "math", NULL};
    if (cli_check(a, "extract", known)) return EXIT_USAGE;
    extract_opts o;
    extract_opts_default(&o);
    const char *mode = cli_get(a, "mode");
    if (mode && extract_mode_parse(mode, &o.mode)) {
        fprintf(stderr, "corpusd extract: --mode must be precision, recall or full, not '%s'\n", mode);
        return EXIT_USAGE;
    }
    const char *mx = cli_get(a, "max_html_bytes");
    if (!mx) mx = cli_get(a, "max-html-bytes");
    if (mx) {
        int64_t v = cd_parse_size(mx);
        if (v <= 0) {
            fprintf(stderr, "corpusd extract: bad --max-html-bytes '%s'\n", mx);
            return EXIT_USAGE;
        }
        o.max_html_bytes = (size_t)v;
    }
    const char *math = cli_get(a, "math");
    if (math) o.math = !(strcmp(math, "false") == 0 || strcmp(math, "0") == 0 || strcmp(math, "no") == 0);
    cd_err e;
    cd_err_clear(&e);
    size_t len;
    int trunc;
    char *html = read_all(path, o.max_html_bytes, &len, &trunc, &e);
    if (!html) {
        fprintf(stderr, "corpusd extract: %s\n", e.msg);
        return EXIT_FAILURES;
    }
    extract_ctx *c = extract_ctx_new();
    extract_result r = {0};
    extract_html(c, html, len, &o, &r, NULL);
    if (trunc || r.truncated) fprintf(stderr, "corpusd extract: %s: cut at %zu bytes\n", path, o.max_html_bytes);
    if (r.text.len) {
        fwrite(r.text.data, 1, r.text.len, stdout);
        fputc('\n', stdout);
    }
    extract_result_free(&r);
    extract_ctx_free(c);
    free(html);
    return EXIT_OK;
}

static int cmd_extract(int argc, char **argv)
{
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd extract FILE.html [--mode precision|recall|full]\n"
               "       corpusd extract IN... [-o OUT.jsonl.zst] [--mode M] [--rejects R] [--format F]\n\n"
               "With one HTML file (plain, .gz or .zst) and no -o, prints its main text to stdout.\n"
               "Otherwise runs the extract stage over the inputs (WARC, JSONL, HTML files, ...).\n\n");
        cli_free(&a);
        return cli_stage_main("extract", argc, argv);
    }
    int single = 0;
    if (a.npos == 1 && !cli_has(&a, "output") && !cli_has(&a, "rejects") && !cli_has(&a, "format")) {
        const reader_ops *ro = registry_reader_for_path(a.pos[0]);
        single = ro == &html_reader_ops;
    }
    if (single) {
        int rc = extract_one_file(a.pos[0], &a);
        cli_free(&a);
        return rc;
    }
    cli_free(&a);
    return cli_stage_main("extract", argc, argv);
}
CORPUSD_COMMAND("extract", "HTML (pages, WARC records, JSONL) to clean main-content text", cmd_extract)

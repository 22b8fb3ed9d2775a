/*
 * cmd_mathnorm.c: `corpusd mathnorm FILE.html|-`: prints a page's text with
 * every formula normalized to $..$ / $$..$$ (a plain DOM text walk; the
 * real extraction is extract/'s job), and batch modes for the tests:
 *   --mathml-lines FILE     one MathML per line in, one LaTeX per line out
 *   --asciimath-lines FILE  one AsciiMath per line in, one LaTeX per line out
 *   --meta                  also print metadata.math as JSON on stderr
 * Batch modes never stop on bad input: a line that is not MathML prints an
 * empty line and is counted on stderr.
 */
#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/doc.h"
#include "core/json.h"
#include "core/stage.h"
#include "mathnorm/mathnorm.h"

static int is_block(const char *nm)
{
    static const char *const blocks[] = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                                         "tr", "table", "pre", "blockquote", "section", "article", "dd", "dt",
                                         "hr", "center", "header", "footer", NULL};
    for (int i = 0; blocks[i]; i++)
        if (!strcasecmp(nm, blocks[i])) return 1;
    return 0;
}

/* Walks the DOM iteratively: math elements through mathnorm_node, text
 * through mathnorm_text, newlines around blocks. */
static void walk(mathnorm_page *pg, xmlNode *root, sbuf *out)
{
    xmlNode *n = root;
    while (n) {
        int skip = 0;
        if (n->type == XML_ELEMENT_NODE) {
            const char *nm = (const char *)n->name;
            if (mathnorm_node(pg, n, out)) {
                skip = 1;
            } else if (!strcasecmp(nm, "script") || !strcasecmp(nm, "style") || !strcasecmp(nm, "noscript") ||
                       !strcasecmp(nm, "head") || !strcasecmp(nm, "template")) {
                skip = 1;
            } else if (is_block(nm) && out->len && out->data[out->len - 1] != '\n') {
                sbuf_putc(out, '\n');
            }
        } else if (n->type == XML_TEXT_NODE && n->content) {
            const char *s = (const char *)n->content;
            mathnorm_text(pg, s, strlen(s), out);
        }
        if (!skip && n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            continue;
        }
        while (n && n != root && !n->next) {
            n = n->parent;
            if (n && n->type == XML_ELEMENT_NODE && is_block((const char *)n->name) && out->len &&
                out->data[out->len - 1] != '\n')
                sbuf_putc(out, '\n');
        }
        if (!n || n == root) break;
        n = n->next;
    }
}

static int batch_lines(const char *path, int ascii)
{
    cd_err e;
    size_t len;
    char *data = cd_read_file(path, &len, &e);
    if (!data) {
        fprintf(stderr, "corpusd mathnorm: %s\n", e.msg);
        return EXIT_USAGE;
    }
    sbuf out = SBUF_INIT;
    mathnorm_stats st = {0};
    size_t bad = 0, lines = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - data) : len;
        sbuf_reset(&out);
        if (ascii) {
            mathnorm_asciimath_to_latex(data + i, end - i, &out, &st);
        } else if (mathnorm_mathml_to_latex_stats(data + i, end - i, &out, &st, &e) != 0) {
            bad++;
            sbuf_reset(&out);
        }
        for (size_t k = 0; k < out.len; k++)
            if (out.data[k] == '\n' || out.data[k] == '\r') out.data[k] = ' ';
        fwrite(out.data ? out.data : "", 1, out.len, stdout);
        putchar('\n');
        lines++;
        i = end + 1;
    }
    fprintf(stderr,
            "mathnorm: %zu lines, %zu not MathML, %llu unmapped kept as text, %llu depth-limited, %llu unknown elements\n",
            lines, bad, (unsigned long long)st.unmapped, (unsigned long long)st.depth_limited,
            (unsigned long long)st.unknown_elements);
    sbuf_free(&out);
    free(data);
    return EXIT_OK;
}

static int cmd_mathnorm(int argc, char **argv)
{
    static const char *const bools[] = {"meta", NULL};
    static const char *const known[] = {"meta", "mathml-lines", "asciimath-lines", NULL};
    cli_args a;
    if (cli_parse(argc, argv, bools, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd mathnorm FILE.html|- [--meta]\n"
               "       corpusd mathnorm --mathml-lines FILE\n"
               "       corpusd mathnorm --asciimath-lines FILE\n\n"
               "Prints the page text with every formula (MathML, MathJax, KaTeX, LaTeX images,\n"
               "TeX delimiters) normalized to $..$ inline and $$..$$ display; literal $ becomes \\$.\n"
               "  --meta               print metadata.math (forms, score) as JSON on stderr\n"
               "  --mathml-lines FILE  convert one MathML per line to one LaTeX per line\n"
               "  --asciimath-lines F  convert one AsciiMath per line to one LaTeX per line\n");
        cli_free(&a);
        return EXIT_OK;
    }
    if (cli_check(&a, "mathnorm", known)) {
        cli_free(&a);
        return EXIT_USAGE;
    }
    if (cli_get(&a, "mathml-lines") || cli_get(&a, "asciimath-lines")) {
        int ascii = cli_get(&a, "asciimath-lines") != NULL;
        int rc = batch_lines(ascii ? cli_get(&a, "asciimath-lines") : cli_get(&a, "mathml-lines"), ascii);
        cli_free(&a);
        return rc;
    }
    if (a.npos != 1) {
        fprintf(stderr, "usage: corpusd mathnorm FILE.html|- [--meta]\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    sbuf in = SBUF_INIT;
    if (!strcmp(a.pos[0], "-")) {
        char buf[65536];
        size_t k;
        while ((k = fread(buf, 1, sizeof buf, stdin)) > 0) sbuf_append(&in, buf, k);
    } else {
        cd_err e;
        size_t len;
        char *data = cd_read_file(a.pos[0], &len, &e);
        if (!data) {
            fprintf(stderr, "corpusd mathnorm: %s\n", e.msg);
            cli_free(&a);
            return EXIT_USAGE;
        }
        sbuf_append(&in, data, len);
        free(data);
    }
    htmlDocPtr hd = NULL;
    if (in.len < (size_t)1 << 31)
        hd = htmlReadMemory(in.data ? in.data : "", (int)in.len, a.pos[0], NULL,
                            HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
    sbuf out = SBUF_INIT;
    mathnorm_page *pg = mathnorm_page_new(hd);
    if (hd) {
        xmlNode *root = xmlDocGetRootElement(hd);
        if (root) walk(pg, root, &out);
    }
    /* collapse runs of blank lines */
    size_t w = 0;
    for (size_t r = 0; r < out.len; r++) {
        if (out.data[r] == '\n' && w >= 2 && out.data[w - 1] == '\n' && out.data[w - 2] == '\n') continue;
        out.data[w++] = out.data[r];
    }
    out.len = w;
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    if (out.len && out.data[out.len - 1] != '\n') putchar('\n');
    if (cli_has(&a, "meta")) {
        doc *d = doc_new();
        mathnorm_page_annotate(pg, d);
        sbuf js = SBUF_INIT;
        json_write(&js, doc_meta_get(d, "math"));
        fprintf(stderr, "%s\n", js.data);
        sbuf_free(&js);
        doc_free(d);
    }
    mathnorm_page_free(pg);
    if (hd) xmlFreeDoc(hd);
    sbuf_free(&out);
    sbuf_free(&in);
    cli_free(&a);
    return EXIT_OK;
}
CORPUSD_COMMAND("mathnorm", "print a page's text with its math normalized to LaTeX", cmd_mathnorm)

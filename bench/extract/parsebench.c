/*
 * parsebench.c: parse-only throughput of libxml2's HTML parser and of gumbo
 * on the same pages, in one process, single thread (issue #4 asks to
 * measure both before choosing). Files are read into memory first; each
 * parser makes several passes and the fastest pass is reported, in CPU
 * seconds of this process (wall time is meaningless on a loaded machine).
 *
 *   cc -O2 parsebench.c $(pkg-config --cflags --libs libxml-2.0 gumbo) -DHAVE_GUMBO
 *   parsebench PASSES FILE...
 */
#include <libxml/HTMLparser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef HAVE_GUMBO
#include <gumbo.h>
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct { char *p; size_t n; } buf;

static size_t count_xml(xmlNode *n)
{
    size_t k = 0;
    xmlNode *root = n;
    while (n) {
        k++;
        if (n->children) { n = n->children; continue; }
        while (n && n != root && !n->next) n = n->parent;
        if (!n || n == root) break;
        n = n->next;
    }
    return k;
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: parsebench PASSES FILE...\n"); return 2; }
    int passes = atoi(argv[1]);
    int nf = argc - 2;
    buf *b = calloc((size_t)nf, sizeof *b);
    size_t total = 0;
    for (int i = 0; i < nf; i++) {
        FILE *f = fopen(argv[i + 2], "rb");
        if (!f) { perror(argv[i + 2]); return 1; }
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        b[i].p = malloc((size_t)n + 1);
        b[i].n = fread(b[i].p, 1, (size_t)n, f);
        b[i].p[b[i].n] = 0;
        fclose(f);
        total += b[i].n;
    }
    xmlInitParser();
    double best = 1e9;
    size_t nodes = 0;
    for (int p = 0; p < passes; p++) {
        double t = now();
        nodes = 0;
        for (int i = 0; i < nf; i++) {
            xmlDoc *d = htmlReadMemory(b[i].p, (int)b[i].n, NULL, NULL,
                                       HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                           HTML_PARSE_NONET | HTML_PARSE_COMPACT);
            if (d) nodes += count_xml(xmlDocGetRootElement(d));
            xmlFreeDoc(d);
        }
        t = now() - t;
        if (t < best) best = t;
    }
    printf("libxml2 %d docs %.1f MB %.3f s %.1f MB/s %.0f docs/s (%zu nodes)\n", nf, total / 1e6, best,
           total / 1e6 / best, nf / best, nodes);
#ifdef HAVE_GUMBO
    best = 1e9;
    for (int p = 0; p < passes; p++) {
        double t = now();
        for (int i = 0; i < nf; i++) {
            GumboOutput *o = gumbo_parse_with_options(&kGumboDefaultOptions, b[i].p, b[i].n);
            gumbo_destroy_output(&kGumboDefaultOptions, o);
        }
        t = now() - t;
        if (t < best) best = t;
    }
    printf("gumbo   %d docs %.1f MB %.3f s %.1f MB/s %.0f docs/s\n", nf, total / 1e6, best, total / 1e6 / best,
           nf / best);
#else
    printf("gumbo   not built (apt-get install libgumbo-dev)\n");
#endif
    for (int i = 0; i < nf; i++) free(b[i].p);
    free(b);
    return 0;
}

/* fuzz_codefilter.c: the content rules on hostile input: Linguist-like
 * language heuristics (gh_language on every ambiguous extension), the
 * go-enry-like generated-file rules, vendored paths and StarCoder2's
 * quality checks. The first input byte picks the file name; the rest is the
 * text (and, for cf_is_vendored, also a path). Every call must terminate
 * without reading outside the input; results must be deterministic. */
#include "codefilter/codefilter.h"
#include "crawl/github.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const PATHS[] = {"a.h", "b.m", "c.pl", "d.ts", "e.pro", "f.v", "g.fs", "h.cl", "i.d",
                                        "x.go", "y.js", "z.css", "w.min.js", "v.json", "u.html", "t.py",
                                        "lib/x.js.map", "Assets/a.meta", "noext", "pkg/foo.pb.go"};
    if (!size) return 0;
    const char *path = PATHS[data[0] % (sizeof PATHS / sizeof *PATHS)];
    /* a private copy without a terminator: reads past the end are caught */
    size_t n = size - 1;
    char *t = malloc(n ? n : 1);
    memcpy(t, data + 1, n);
    const char *l1 = gh_language(path, t, n);
    const char *l2 = gh_language(path, t, n);
    if (l1 != l2) abort();
    const char *ext = strrchr(path, '.');
    if (ext) gh_disambiguate(ext + 1, t, n);
    int g1 = cf_is_generated(path, t, n);
    if (g1 != cf_is_generated(path, t, n)) abort();
    cf_quality_params q;
    cf_quality_defaults(&q);
    cf_quality_check(&q, l1, path, t, n);
    /* the text as a path (NUL-terminated copy) */
    char *p = malloc(n + 1);
    memcpy(p, t, n);
    p[n] = 0;
    cf_is_vendored(p);
    gh_language(p, t, n);
    free(p);
    free(t);
    return 0;
}

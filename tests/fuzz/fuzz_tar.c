/* fuzz_tar.c: repository archive ingestion (crawl/github.c) on hostile
 * tar/zip/compressed bytes, and the repository-list line parser. Whatever is accepted must respect the limits:
 * relative clean paths (no "..", no leading '/'), sizes within
 * max_file_size, the total within max_total_size, and text content. */
#include "crawl/github.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gh_limits l;
    gh_limits_default(&l);
    l.max_file_size = 1 << 16;
    l.max_total_size = 1 << 20;
    l.max_files = 1000;
    stage_stats st;
    memset(&st, 0, sizeof st);
    gh_files f;
    cd_err e;
    if (gh_read_archive_memory(data, size, &l, 1, &f, &st, &e) == 0) {
        size_t total = 0;
        for (size_t i = 0; i < f.len; i++) {
            const char *p = f.v[i].path;
            if (p[0] == '/') abort();
            for (const char *c = p; *c;) {   /* no component is ".." */
                const char *e = strchr(c, '/');
                size_t k = e ? (size_t)(e - c) : strlen(c);
                if (k == 2 && c[0] == '.' && c[1] == '.') abort();
                c += k;
                if (*c == '/') c++;
            }
            if ((int64_t)f.v[i].len > l.max_file_size) abort();
            if (gh_is_binary(f.v[i].data, f.v[i].len, l.max_nontext)) abort();
            total += f.v[i].len;
        }
        if ((int64_t)total > l.max_total_size) abort();
        gh_files_free(&f);
    }
    stats_free(&st);
    /* the repository-list line parser on the same bytes */
    gh_repo_ref r;
    if (gh_parse_repo_line((const char *)data, size, &r) == 1) {
        if (!r.owner || !r.name) abort();
        gh_repo_ref_free(&r);
    }
    return 0;
}

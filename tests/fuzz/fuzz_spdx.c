/* fuzz_spdx.c: the SPDX expression parser, the tag finder, the policy, the
 * manifest `license` readers, the leading-comment extractor and the license
 * normaliser/matcher on hostile input. A parsed expression must print to a canonical form that
 * parses again and prints identically, and evaluating it must terminate. */
#include "codefilter/codefilter.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const allow[] = {"MIT", "Apache-2.0"};
    static const char *const deny[] = {"GPL-*"};
    cf_policy pol = {allow, 2, deny, 1};
    cd_err e;
    cf_spdx_node *x = cf_spdx_parse((const char *)data, size, &e);
    if (x) {
        sbuf a = SBUF_INIT, b = SBUF_INIT;
        cf_spdx_write(x, &a);
        cf_spdx_node *y = cf_spdx_parse(a.data, a.len, &e);
        if (!y) abort();
        cf_spdx_write(y, &b);
        if (a.len != b.len || memcmp(a.data, b.data, a.len)) abort();
        cf_verdict v1 = cf_policy_expr(&pol, x), v2 = cf_policy_expr(&pol, y);
        if (v1 != v2) abort();
        cf_spdx_free(y);
        cf_spdx_free(x);
        sbuf_free(&a);
        sbuf_free(&b);
    }
    const char *ex;
    size_t n = cf_spdx_find_tag((const char *)data, size, 4096, &ex);
    if (n) {
        if (ex < (const char *)data || ex + n > (const char *)data + size) abort();
        cf_spdx_node *z = cf_spdx_parse(ex, n, &e);
        cf_spdx_free(z);
    }
    static const char *const MANIFESTS[] = {"package.json", "Cargo.toml", "pyproject.toml"};
    for (int i = 0; i < 3; i++) free(cf_manifest_license(MANIFESTS[i], (const char *)data, size));
    const char *hs;
    size_t hn = cf_leading_comment((const char *)data, size, &hs);
    if (hs < (const char *)data || hs + hn > (const char *)data + size) abort();
    cf_match m;
    cf_license_match_header(cf_license_db_builtin(), hs, hn, 0.9, &m);
    if (m.spdx && (m.score < 0 || m.score > 1.0000001)) abort();
    if (size < 4096) {
        cf_license_match_text(cf_license_db_builtin(), (const char *)data, size, 0.9, &m);
        if (m.spdx && (m.score < 0 || m.score > 1.0000001)) abort();
    }
    return 0;
}

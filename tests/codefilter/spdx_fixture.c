/* spdx_fixture.c: see spdx_fixture.h. */
#include "tests/codefilter/spdx_fixture.h"
#include "core/json.h"
#include "tests/test.h"

char *test_spdx_text(const char *id)
{
    const char *root = test_shared_data();
    if (!root) test_skip("../shared/data is absent: no SPDX license texts");
    char path[1024];
    snprintf(path, sizeof path, "%s/spdx-license-list/licenses/%s.json", root, id);
    size_t n;
    cd_err e;
    char *raw = cd_read_file(path, &n, &e);
    if (!raw) test_skip("no %s", path);
    arena a;
    arena_init(&a, 0);
    json_value *v = json_parse(&a, raw, n, 0, &e);
    size_t k = 0;
    const char *t = json_str(json_object_get(v, "licenseText"), &k);
    char *out = t ? xstrndup(t, k) : NULL;
    arena_free(&a);
    free(raw);
    return out;
}

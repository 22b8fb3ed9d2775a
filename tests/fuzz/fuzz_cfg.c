/* fuzz_cfg.c: the YAML configuration loader and parameter binding on hostile
 * input: no crash, no leak, bounded depth; aliases and anchors refused. */
#include "core/cfg.h"

#include <stdint.h>

static const param_spec SPEC[] = {
    {"n", PARAM_INT, "1", ""}, {"x", PARAM_DOUBLE, "0.5", ""}, {"b", PARAM_BOOL, "false", ""},
    {"m", PARAM_SIZE, "1G", ""}, {"l", PARAM_STRLIST, NULL, ""}, {"s", PARAM_STRING, NULL, ""},
    {"a", PARAM_ANY, NULL, ""}, {0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cd_err e;
    cfg_node *n = cfg_parse((const char *)data, size, "fuzz.yaml", &e);
    if (!n) return 0;
    sbuf c = SBUF_INIT;
    cfg_canonical(n, &c);
    sbuf_free(&c);
    cfg_params *p = cfg_params_bind(SPEC, n, "fuzz", &e);
    cfg_params_free(p);
    cfg_free(n);
    return 0;
}

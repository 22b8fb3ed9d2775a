/* fuzz_json.c: the JSON parser and the JSONL record reader on hostile input.
 * Whatever parses must serialise, and re-parse to an equal value. */
#include "core/doc.h"
#include "core/json.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena a;
    arena_init(&a, 0);
    cd_err e;
    json_value *v = json_parse(&a, (const char *)data, size, 0, &e);
    if (v) {
        sbuf out = SBUF_INIT;
        json_write(&out, v);
        json_value *w = json_parse(&a, out.data, out.len, 0, &e);
        if (!w || !json_equal(v, w)) abort();
        sbuf_free(&out);
    }
    arena_free(&a);
    doc *d = doc_from_json((const char *)data, size, &e);
    if (d) {
        sbuf out = SBUF_INIT;
        doc_to_json(d, &out, 1);
        doc *d2 = doc_from_json(out.data, out.len - 1, &e);
        if (!d2) abort();
        doc_free(d2);
        sbuf_free(&out);
        doc_free(d);
    }
    return 0;
}

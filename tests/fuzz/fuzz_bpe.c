/* fuzz_bpe.c: the BPE encoder on arbitrary bytes, with a small built-in
 * tokenizer (no normalizer). Valid UTF-8 must decode back to the same bytes;
 * anything else must encode without crashing and decode to valid UTF-8. */
#include "tests/tokenizer/small_tokenizer.h"
#include "tokenizer/bpe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bpe *g_tok;
static bpe_ctx *g_ctx;

static int valid_utf8(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_valid_len(s + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_tok) {
        char *j = small_tokenizer_json(SMALL_TOK_MERGES, 0, "null");
        cd_err e;
        g_tok = bpe_load_json(j, strlen(j), "small", &e);
        free(j);
        if (!g_tok) abort();
        g_ctx = bpe_ctx_new(g_tok);
    }
    unsigned flags = size && (data[0] & 1) ? BPE_PARSE_SPECIAL : 0;
    bpe_ids ids = {0};
    cd_err e;
    if (bpe_encode(g_tok, g_ctx, (const char *)data, size, flags, &ids, &e)) abort();
    sbuf out = SBUF_INIT;
    size_t unknown = 0;
    bpe_decode(g_tok, ids.ids, ids.len, &out, &unknown);
    if (unknown) abort();
    if (valid_utf8(data, size)) {
        if (out.len != size || (size && memcmp(out.data, data, size))) abort();
    } else if (!valid_utf8((const uint8_t *)out.data, out.len)) {
        abort();
    }
    sbuf_free(&out);
    bpe_ids_free(&ids);
    return 0;
}

/* fuzz_tokenizer_json.c: the tokenizer.json loader on hostile input. Loading
 * either fails with a message or gives a tokenizer that encodes a fixed text
 * and decodes it back to NFC-or-identical bytes without crashing. */
#include "tokenizer/bpe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cd_err e;
    cd_err_clear(&e);
    bpe *t = bpe_load_json((const char *)data, size, "fuzz", &e);
    if (!t) {
        if (!e.msg[0]) abort(); /* an error must say why */
        return 0;
    }
    static const char text[] = "Hello, world! 12345 caf\xc3\xa9 <|endoftext|>  \n\t x";
    bpe_ids ids = {0};
    if (bpe_encode(t, NULL, text, sizeof text - 1, BPE_PARSE_SPECIAL | BPE_ADD_SPECIAL, &ids, &e) == 0) {
        sbuf out = SBUF_INIT;
        bpe_decode(t, ids.ids, ids.len, &out, NULL);
        sbuf_free(&out);
        for (size_t i = 0; i < ids.len; i++)
            if (ids.ids[i] < 0 || (size_t)ids.ids[i] >= bpe_vocab_size(t)) abort();
    }
    bpe_ids_free(&ids);
    (void)bpe_hash(t);
    bpe_free(t);
    return 0;
}

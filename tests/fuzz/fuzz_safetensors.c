/* fuzz_safetensors.c: the safetensors header parser on hostile bytes.
 * Whatever parses must keep its invariants: every tensor inside the buffer,
 * byte counts matching shape x dtype, and no overlaps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "synth/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    st_file f;
    cd_err e;
    if (st_parse(&f, data, size, "fuzz", &e) == 0) {
        for (size_t i = 0; i < f.n; i++) {
            const st_tensor *t = &f.t[i];
            const uint8_t *b = t->data;
            if (b < data || b + t->nbytes > data + size) abort();
            if (t->nbytes) {
                volatile uint8_t x = b[0] ^ b[t->nbytes - 1];
                (void)x;
            }
            if (t->dtype != ST_OTHER) {
                size_t n = 1;
                for (int d = 0; d < t->ndim; d++) n *= (size_t)t->shape[d];
                if (n * st_dtype_size(t->dtype) != t->nbytes) abort();
            }
        }
        st_close(&f);
    }
    return 0;
}

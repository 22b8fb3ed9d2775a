/* fuzz_dedup.c: dedup's text normalization, URL keys and MinHash signing on
 * hostile bytes (invalid UTF-8, NULs, huge runs of marks or digits).
 * Properties: normalization is idempotent on its own output for the
 * whitespace/lowercase/punctuation/digits flags, never grows text by more
 * than a bounded factor, and signing the same text twice gives the same
 * signature under both shingle kinds; the collected shingle hashes (exact
 * Jaccard check) number as many as signing reports, and their set has
 * Jaccard 1 with itself. */
#include "dedup/dedup.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    dedup_norm all = {1, 1, 1, 1, 1};
    sbuf a = SBUF_INIT, b = SBUF_INIT, u = SBUF_INIT;
    dedup_normalize(&all, s, size, &a);
    if (a.len > size * 6 + 16) abort();   /* case folding can expand, boundedly */
    dedup_normalize(&all, a.data ? a.data : "", a.len, &b);
    /* A second pass may only fold further (e.g. a decomposed result); it
     * must not grow. */
    if (b.len > a.len) abort();
    dedup_normalize_url(s, size, &u);
    dedup_params p;
    memset(&p, 0, sizeof p);
    p.minhash = 1;
    p.bands = 4;
    p.rows = 3;
    p.seed = 9;
    uint64_t s1[12], s2[12];
    for (int kind = 0; kind < 2; kind++) {
        p.shingle = kind;
        p.ngram = kind ? 5 : 3;
        dedup_signer *g = dedup_signer_new(&p);
        size_t n1 = dedup_signer_sign(g, a.data ? a.data : "", a.len, s1);
        sbuf col = SBUF_INIT;
        dedup_signer_collect(g, &col);
        size_t n2 = dedup_signer_sign(g, a.data ? a.data : "", a.len, s2);
        dedup_signer_collect(g, NULL);
        if (n1 != n2 || memcmp(s1, s2, sizeof s1)) abort();
        if (col.len / 8 != n2) abort();
        size_t nu = dedup_hash_set((uint64_t *)col.data, col.len / 8);
        if (nu > n2 || dedup_set_jaccard((uint64_t *)col.data, nu, (uint64_t *)col.data, nu) != 1.0) abort();
        sbuf_free(&col);
        if (a.len && !n1) abort();
        dedup_hash128 h[4];
        dedup_band_hashes(&p, s1, h);
        dedup_signer_free(g);
    }
    sbuf_free(&a);
    sbuf_free(&b);
    sbuf_free(&u);
    return 0;
}

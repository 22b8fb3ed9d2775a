/* fuzz_filter.c: the filter rules (Gopher, C4, FineWeb, NeMo), PII
 * redaction and CLD2 language identification on arbitrary bytes, with
 * whitespace or ICU word splitting; the NLTK word split (filter/words.c)
 * and the fastText label mapping.
 * Checks: no crash or leak; C4 never lengthens the text; redaction with no
 * replacements leaves the text unchanged; scores stay in range; words are
 * non-empty, in order, non-overlapping spans of the text. */
#include "filter/filter.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static filter_pii *pii;

typedef struct span_check {
    size_t end, n, count;
} span_check;

static void on_word(void *arg, size_t off, size_t len, size_t nch)
{
    span_check *c = arg;
    if (!len || !nch || nch > len || off < c->end || off + len > c->n) abort();
    c->end = off + len;
    c->count++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cd_err e;
    if (!pii) pii = filter_pii_new(1, 1, 1, NULL, NULL, NULL, &e);
    const char *t = (const char *)data;
    int word_rules = size ? (data[0] & 1) : 1;
    filter_scratch *s = filter_scratch_new();
    filter_scratch_use_icu(s, size > 1 && (data[1] & 1));   /* ICU word splitting half the time */

    filter_gopher_quality gq;
    filter_gopher_quality_defaults(&gq);
    gq.min_doc_words = 1;
    filter_verdict v = filter_gopher_quality_check(&gq, t, size, s);
    if (v.reason && isnan(v.value)) abort();
    filter_gopher_repetition gr;
    filter_gopher_repetition_defaults(&gr);
    v = filter_gopher_repetition_check(&gr, t, size, word_rules, s);
    if (v.reason && (isnan(v.value) || v.value < 0)) abort();
    filter_fineweb fw;
    filter_fineweb_defaults(&fw);
    filter_fineweb_check(&fw, t, size, word_rules, s);
    filter_nemo nm;
    filter_nemo_defaults(&nm);
    filter_nemo_check(&nm, t, size, word_rules, s);

    filter_c4 c4;
    filter_c4_defaults(&c4);
    c4.filter_no_terminal_punct = word_rules;
    sbuf out = SBUF_INIT;
    uint64_t removed[5];
    memset(removed, 0, sizeof removed);
    v = filter_c4_check(&c4, t, size, word_rules, &out, removed);
    if (!v.reason && out.len > size) abort();

    filter_pii_md *md = filter_pii_md_new(pii);
    filter_pii_counts c;
    uint64_t n = filter_pii_redact(pii, md, t, size, &out, &c);
    if (n != c.email + c.ip + c.phone) abort();
    if (!n && (out.len != size || (size && memcmp(out.data, t, size)))) abort();
    filter_pii_md_free(md);
    sbuf_free(&out);

    filter_words *w = filter_words_new();
    span_check sc = {0, size, 0};
    if (filter_words_split(w, t, size, on_word, &sc) != sc.count) abort();
    filter_words_free(w);
    char label[64];
    size_t ln = size < sizeof label ? size : sizeof label - 1;
    memcpy(label, t, ln);
    label[ln] = 0;
    filter_lang fl;
    filter_lang_from_label(label, 0.5, &fl);
    if (!fl.code[0] || memchr(fl.code, 0, sizeof fl.code) == NULL) abort();

    filter_lang lang;
    filter_langid(t, size, &lang);
    if (lang.score < 0 || lang.score > 1) abort();
    filter_scratch_free(s);
    return 0;
}

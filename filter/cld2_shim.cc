/*
 * cld2_shim.cc: the only C++ in filter/: wraps CLD2's
 * ExtDetectLanguageSummaryCheckUTF8 behind cld2_shim.h. No exceptions cross
 * into C (CLD2 throws none); no state is kept between calls.
 */
#include "filter/cld2_shim.h"

#include <stdio.h>
#include <string.h>

#ifdef HAVE_CLD2
#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>
#endif

extern "C" int cld2_shim_detect(const char *text, size_t n, char *code, size_t code_size, int *percent,
                                int *reliable)
{
#ifdef HAVE_CLD2
    if (n > 0x7fffffff) n = 0x7fffffff;
    CLD2::CLDHints hints = {NULL, NULL, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
    CLD2::Language lang3[3];
    int pct3[3];
    double norm3[3];
    int text_bytes = 0, valid_prefix = 0;
    bool is_reliable = false;
    CLD2::Language top = CLD2::ExtDetectLanguageSummaryCheckUTF8(text, (int)n, true, &hints, 0, lang3, pct3, norm3,
                                                                 NULL, &text_bytes, &is_reliable, &valid_prefix);
    const char *c = CLD2::LanguageCode(top);
    if (!c) c = "un";
    strncpy(code, c, code_size - 1);
    code[code_size - 1] = 0;
    *percent = top == CLD2::UNKNOWN_LANGUAGE ? 0 : pct3[0];
    /* The summary language may differ from lang3[0] when CLD2 merges close
     * variants; take the matching percentage then. */
    for (int i = 0; i < 3; i++)
        if (lang3[i] == top) {
            *percent = pct3[i];
            break;
        }
    *reliable = is_reliable;
    return 0;
#else
    (void)text; (void)n; (void)percent; (void)reliable;
    if (code_size) strncpy(code, "un", code_size);
    return -1;
#endif
}

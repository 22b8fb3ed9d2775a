/*
 * cld2_shim.h: a C interface to Google's CLD2 (C++, Debian libcld2-dev).
 * Private to filter/. Thread-safe: CLD2 keeps its tables read-only.
 */
#ifndef CORPUSD_FILTER_CLD2_SHIM_H
#define CORPUSD_FILTER_CLD2_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Detects the main language of UTF-8 text (invalid UTF-8 is tolerated: CLD2
 * stops at the first invalid byte). Writes CLD2's language code (e.g. "en",
 * "zh-Hant", "un") into code and the percentage of the text's letters in
 * that language into *percent. Returns 0, or -1 when CLD2 is not built in. */
int cld2_shim_detect(const char *text, size_t n, char *code, size_t code_size, int *percent, int *reliable);

#ifdef __cplusplus
}
#endif
#endif

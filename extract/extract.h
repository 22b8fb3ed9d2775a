/*
 * extract.h: HTML to clean main-content text.
 *
 * The page is parsed with libxml2's HTML parser (recovering, no network, no
 * HTML_PARSE_HUGE: the input is capped at opts.max_html_bytes before it is
 * parsed, so memory per call is bounded by a small multiple of that cap).
 * libxml2's allocations for a page come from a per-context arena that is
 * reused from page to page (extract/xmlarena.h).
 * Every walk over the tree is iterative (parent/next pointers), so hostile
 * nesting cannot overflow the stack.
 *
 * Modes:
 *  - EXTRACT_PRECISION: main content only, boilerplate pruned hard (the
 *    benchmarked mode; like trafilatura's favour_precision).
 *  - EXTRACT_RECALL: main content, pruning only what is surely boilerplate
 *    (like favour_recall).
 *  - EXTRACT_FULL: all visible text of the body, as `lynx -dump` shows it.
 *
 * The text keeps structure as plain text: blank lines between paragraphs,
 * headings on their own paragraph, one list item per line ("- item"), table
 * rows with " | " between cells, <pre>/<code> blocks verbatim, <br> as a
 * newline, link text without URLs. Math elements are handed to mathnorm/ and
 * their LaTeX is spliced in place.
 *
 * Thread safety: an extract_ctx belongs to one thread; any number of contexts
 * may run concurrently. extract_global_init() must have run (it runs from a
 * constructor before main).
 */
#ifndef CORPUSD_EXTRACT_EXTRACT_H
#define CORPUSD_EXTRACT_EXTRACT_H

#include <stddef.h>

#include "core/doc.h"
#include "core/util.h"

typedef enum { EXTRACT_PRECISION = 0, EXTRACT_RECALL = 1, EXTRACT_FULL = 2 } extract_mode;

typedef struct extract_opts {
    extract_mode mode;
    size_t max_html_bytes;   /* longer input is cut here (counted as truncated) */
    int math;                /* hand math elements and text to mathnorm/ */
    const char *encoding;    /* charset from the transport, or NULL (sniff <meta>) */
} extract_opts;

/* Defaults: precision, 8 MiB, math on, no encoding. */
void extract_opts_default(extract_opts *o);
/* "precision" | "recall" | "full"; -1 when unknown. */
int extract_mode_parse(const char *s, extract_mode *out);
const char *extract_mode_name(extract_mode m);

typedef struct extract_result {
    sbuf text;               /* UTF-8, no leading/trailing blank lines */
    sbuf title;              /* <title> (or og:title), whitespace collapsed */
    sbuf lang;               /* <html lang="..."> as written, trimmed */
    int truncated;           /* the input was longer than max_html_bytes */
    int parsed;              /* 0 when libxml2 produced no document */
} extract_result;

typedef struct extract_ctx extract_ctx;

extract_ctx *extract_ctx_new(void);
void extract_ctx_free(extract_ctx *c);

/* Extracts from one page. The result's buffers are reset first and reused
 * across calls; free them with extract_result_free(). When d is non-NULL
 * and math is on, mathnorm records metadata.math on it. Returns 0; bad
 * input is never an error (it gives empty text). */
int extract_html(extract_ctx *c, const char *html, size_t n, const extract_opts *o, extract_result *r,
                 doc *d);
void extract_result_free(extract_result *r);

/* libxml2 global initialisation; idempotent, call before starting threads. */
void extract_global_init(void);

#endif

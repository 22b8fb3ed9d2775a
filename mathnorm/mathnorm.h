/*
 * mathnorm.h: every math form found in HTML, normalized to LaTeX.
 *
 * The only cross-stage call extract/ makes (DESIGN.md). extract walks the
 * libxml2 DOM of a page; for each element it first asks mathnorm_node()
 * whether the element is math (MathML <math>, MathJax <script type=math/tex>,
 * KaTeX spans, LaTeX images, .math-container, ...). If so, the LaTeX is
 * appended, delimited ($...$ inline, $$...$$ display), and extract skips the
 * element's subtree. Plain text runs go through mathnorm_text(), which keeps
 * text-delimited math (\(..\), \[..\], $..$, $$..$$, \begin{env}) as LaTeX and
 * escapes literal dollar signs as \$.
 *
 * A mathnorm_page holds what is per page: the delimiters the page declares
 * in its MathJax/KaTeX configuration, and the statistics that end up in
 * metadata.math. Pages are independent; a page object belongs to one thread.
 */
#ifndef CORPUSD_MATHNORM_MATHNORM_H
#define CORPUSD_MATHNORM_MATHNORM_H

#include <libxml/tree.h>
#include <stddef.h>
#include <stdint.h>

#include "core/doc.h"
#include "core/util.h"

typedef struct mathnorm_page mathnorm_page;

/* Scans the document (scripts, meta) for math configuration and signals. */
mathnorm_page *mathnorm_page_new(xmlDoc *doc);
void mathnorm_page_free(mathnorm_page *pg);

/* If node is a math form, appends its delimited LaTeX to out and returns 1
 * (the caller skips node's subtree); returns 0 when node is not math. */
int mathnorm_node(mathnorm_page *pg, xmlNode *node, sbuf *out);

/* Appends a run of ordinary text with its math normalized and literal '$'
 * escaped. */
void mathnorm_text(mathnorm_page *pg, const char *text, size_t n, sbuf *out);

/* Records metadata.math on the document: the forms found and a math score. */
void mathnorm_page_annotate(const mathnorm_page *pg, doc *d);
/* 1 when the page looks like a math page (OpenWebMath-style prefilter). */
int mathnorm_page_is_math(const mathnorm_page *pg);

/* Converts MathML markup (a <math> element as text) to LaTeX without
 * delimiters. Returns 0, or -1 with e set when it is not MathML at all;
 * anything it cannot map is kept as text and counted, never dropped. */
int mathnorm_mathml_to_latex(const char *xml, size_t n, sbuf *out, cd_err *e);

/* ------------------------------------------------------------------------
 * Additions (the functions above keep their signatures).
 * ---------------------------------------------------------------------- */

/* What the converters could not map or had to cut short. Counted, never
 * silently dropped: unmapped symbols are kept in the output as text. */
typedef struct mathnorm_stats {
    uint64_t formulas;          /* formulas emitted */
    uint64_t unmapped;          /* code points / elements kept as text */
    uint64_t depth_limited;     /* subtrees flattened to text at the depth bound */
    uint64_t unknown_elements;  /* elements with no MathML meaning, children kept */
    uint64_t oversized;         /* inputs cut at the size bound */
} mathnorm_stats;

/* Converts a parsed <math> element (any namespace prefix; HTML or XML DOM)
 * to LaTeX without delimiters. st may be NULL. Thread-safe. */
void mathnorm_mathml_node_to_latex(xmlNode *math, sbuf *out, mathnorm_stats *st);
/* mathnorm_mathml_to_latex with statistics (st may be NULL). */
int mathnorm_mathml_to_latex_stats(const char *xml, size_t n, sbuf *out, mathnorm_stats *st, cd_err *e);
/* AsciiMath (MathJax's asciimath input) to LaTeX without delimiters. */
void mathnorm_asciimath_to_latex(const char *s, size_t n, sbuf *out, mathnorm_stats *st);
/* The page's statistics so far. */
const mathnorm_stats *mathnorm_page_stats(const mathnorm_page *pg);

#endif

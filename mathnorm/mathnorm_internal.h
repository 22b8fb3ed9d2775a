/*
 * mathnorm_internal.h: what the files of mathnorm/ share and nobody else
 * uses: the symbol tables, UTF-8 decoding, and LaTeX emission helpers.
 */
#ifndef CORPUSD_MATHNORM_INTERNAL_H
#define CORPUSD_MATHNORM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "mathnorm/mathnorm.h"

typedef struct mathnorm_sym {
    uint32_t cp;
    const char *tex;
} mathnorm_sym;

/* LaTeX for a code point, or NULL when the table has none. */
const char *mathnorm_symbol(uint32_t cp);
const mathnorm_sym *mathnorm_symbol_table(size_t *n);
/* Mathematical alphanumerics: 1 and *font (NULL = plain italic) and *base
 * (an ASCII letter/digit or a Greek code point) when cp is one. */
int mathnorm_alnum(uint32_t cp, const char **font, uint32_t *base);

/* Code point of an HTML5/MathML entity name HTML 4 lacks; 0 if unknown. */
uint32_t mathnorm_entity(const char *name, size_t n);
/* Replaces &Name; sequences that survived an HTML 4 parse, in place. */
void mathnorm_decode_entities(sbuf *t);

/* Decodes one UTF-8 code point at s (n > 0); sets *len (>= 1). Invalid bytes
 * decode as U+FFFD with length 1. */
uint32_t mathnorm_utf8_next(const char *s, size_t n, size_t *len);

/* Appends LaTeX, inserting a space when a control word would otherwise run
 * into a following letter (\alpha x, not \alphax). */
void mathnorm_emit(sbuf *out, const char *s, size_t n);
void mathnorm_emits(sbuf *out, const char *s);
/* Appends one code point as LaTeX math (table, alphanumerics, ASCII
 * escapes); returns 0 when it had to keep the raw character. */
int mathnorm_emit_cp(sbuf *out, uint32_t cp);
/* Appends text for \text{...}, escaping TeX specials. */
void mathnorm_emit_text(sbuf *out, const char *s, size_t n);

/* Deepest MathML nesting converted structurally; deeper subtrees are kept
 * as their text content. */
#define MATHNORM_MAX_DEPTH 200
/* Largest formula source (bytes) taken as is; longer ones are cut. */
#define MATHNORM_MAX_FORMULA (1u << 20)

#endif

/*
 * normalize.c: text normalization for dedup keys and shingles, after
 * datatrove's simplify_text (lowercase, punctuation to spaces, digits runs to
 * "0", diacritics removed, whitespace collapsed), plus the URL key.
 *
 * ASCII bytes take a table-driven fast path; other code points go through
 * utf8proc (category, case folding, decomposition with marks stripped).
 * Invalid UTF-8 bytes are copied unchanged, so nothing is lost or fatal.
 * Output is produced in one left-to-right pass: linear in the input.
 * Reentrant; no global state besides constant tables.
 */
#include "dedup/dedup.h"
#include "core/json.h"

#include <string.h>
#ifdef HAVE_UTF8PROC
#include <utf8proc.h>
#endif

enum { C_OTHER = 0, C_SPACE = 1, C_PUNCT = 2, C_DIGIT = 3, C_UPPER = 4 };

static unsigned char ascii_class(unsigned char c)
{
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') return C_SPACE;
    if (c >= '0' && c <= '9') return C_DIGIT;
    if (c >= 'A' && c <= 'Z') return C_UPPER;
    if ((c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e))
        return C_PUNCT;
    if (c < 0x20 || c == 0x7f) return C_SPACE;   /* control characters separate words */
    return C_OTHER;
}

typedef struct nstate {
    sbuf *out;
    const dedup_norm *n;
    int pending_space;   /* a separator was seen since the last emitted char */
    int in_digits;       /* the last emitted char was a digit-run "0" */
    size_t start;        /* out->len when we began (for trimming) */
} nstate;

static void emit_sep(nstate *s, const char *raw, size_t n)
{
    s->in_digits = 0;
    if (s->n->whitespace) s->pending_space = 1;
    else sbuf_append(s->out, raw, n);
}

static void emit(nstate *s, const char *p, size_t n)
{
    if (s->pending_space) {
        if (s->out->len > s->start) sbuf_putc(s->out, ' ');
        s->pending_space = 0;
    }
    sbuf_append(s->out, p, n);
    s->in_digits = 0;
}

static void emit_digit(nstate *s, const char *raw, size_t n)
{
    if (!s->n->digits) {
        emit(s, raw, n);
        return;
    }
    if (s->in_digits && !s->pending_space) return;
    emit(s, "0", 1);
    s->in_digits = 1;
}

#ifdef HAVE_UTF8PROC
static void put_cp(sbuf *out, int32_t cp)
{
    utf8proc_uint8_t b[4];
    utf8proc_ssize_t k = utf8proc_encode_char(cp, b);
    sbuf_append(out, b, (size_t)k);
}

static void emit_cp(nstate *s, int32_t cp, const char *raw, size_t rawn)
{
    utf8proc_category_t cat = utf8proc_category(cp);
    if (cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP) {
        emit_sep(s, raw, rawn);
        return;
    }
    if (s->n->punctuation && cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO) {
        emit_sep(s, " ", 1);
        return;
    }
    if (cat == UTF8PROC_CATEGORY_ND) {
        emit_digit(s, raw, rawn);
        return;
    }
    if (!s->n->lowercase && !s->n->diacritics) {
        emit(s, raw, rawn);
        return;
    }
    int opts = 0;
    if (s->n->diacritics) opts |= UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK;
    if (s->n->lowercase) opts |= UTF8PROC_CASEFOLD;
    utf8proc_int32_t buf[8];
    int last = 0;
    utf8proc_ssize_t k = utf8proc_decompose_char(cp, buf, 8, (utf8proc_option_t)opts, &last);
    if (k < 0 || k > 8) {
        emit(s, raw, rawn);
        return;
    }
    if (k == 0) return; /* a lone combining mark, stripped */
    sbuf tmp = SBUF_INIT;
    for (utf8proc_ssize_t i = 0; i < k; i++) {
        if (s->n->diacritics && utf8proc_category(buf[i]) == UTF8PROC_CATEGORY_MN) continue;
        put_cp(&tmp, buf[i]);
    }
    if (tmp.len) emit(s, tmp.data, tmp.len);
    sbuf_free(&tmp);
}
#endif

/* Byte classes, filled once (constructor) from ascii_class. */
static unsigned char g_class[128];
__attribute__((constructor)) static void init_classes(void)
{
    for (int c = 0; c < 128; c++) g_class[c] = ascii_class((unsigned char)c);
}

void dedup_normalize(const dedup_norm *n, const char *text, size_t len, sbuf *out)
{
    nstate s = {out, n, 0, 0, out->len};
    /* ASCII output never exceeds the input consumed (a pending space stands
     * for a consumed separator), so the fast path writes without checks;
     * other code points go through emit(), which grows the buffer. */
    sbuf_reserve(out, len + 16);
    const unsigned char *p = (const unsigned char *)text, *end = p + len;
    const int lower = n->lowercase, punct = n->punctuation, digits = n->digits, ws = n->whitespace;
    while (p < end) {
        unsigned char c = *p;
        if (c < 0x80) {
            char *o = out->data + out->len;
            while (p < end && *p < 0x80) {
                c = *p++;
                unsigned char k = g_class[c];
                if (k == C_OTHER || (k == C_UPPER) || (k == C_PUNCT && !punct) || (k == C_DIGIT && !digits)) {
                    if (s.pending_space) {
                        if ((size_t)(o - out->data) > s.start) *o++ = ' ';
                        s.pending_space = 0;
                    }
                    *o++ = (char)(k == C_UPPER && lower ? c + 32 : c);
                    s.in_digits = 0;
                } else if (k == C_DIGIT) {
                    if (!s.in_digits || s.pending_space) {
                        if (s.pending_space) {
                            if ((size_t)(o - out->data) > s.start) *o++ = ' ';
                            s.pending_space = 0;
                        }
                        *o++ = '0';
                        s.in_digits = 1;
                    }
                } else {   /* space, or punctuation when it separates */
                    s.in_digits = 0;
                    if (ws) s.pending_space = 1;
                    else *o++ = (char)(k == C_PUNCT ? ' ' : c);
                }
            }
            out->len = (size_t)(o - out->data);
            out->data[out->len] = 0;
            continue;
        }
        size_t k = utf8_valid_len(p, (size_t)(end - p));
        if (!k) {
            /* An invalid byte counts as U+FFFD, as a reader would show it.
             * Passing the raw byte on let the removal of a neighbour join
             * stray bytes into a new character, so normalizing the output
             * again could change it (found by fuzz_dedup). */
#ifdef HAVE_UTF8PROC
            emit_cp(&s, 0xFFFD, "\xEF\xBF\xBD", 3);
#else
            emit(&s, "\xEF\xBF\xBD", 3);
#endif
            p++;
            sbuf_reserve(out, (size_t)(end - p) + 16);
            continue;
        }
#ifdef HAVE_UTF8PROC
        utf8proc_int32_t cp;
        utf8proc_iterate(p, (utf8proc_ssize_t)k, &cp);
        emit_cp(&s, cp, (const char *)p, k);
#else
        emit(&s, (const char *)p, k);
#endif
        p += k;
        /* emit() may have grown the buffer; keep the ASCII path's bound. */
        sbuf_reserve(out, (size_t)(end - p) + 16);
    }
}

void dedup_normalize_url(const char *url, size_t len, sbuf *out)
{
    const char *p = url, *end = url + len;
    const char *sch = memchr(p, ':', len);
    if (sch && sch + 2 < end && sch[1] == '/' && sch[2] == '/') p = sch + 3;
    if (end - p >= 4 && (p[0] | 32) == 'w' && (p[1] | 32) == 'w' && (p[2] | 32) == 'w' && p[3] == '.') p += 4;
    const char *hash = memchr(p, '#', (size_t)(end - p));
    if (hash) end = hash;
    int in_host = 1;
    for (; p < end; p++) {
        char c = *p;
        if (c == '/' || c == '?') in_host = 0;
        if (in_host && c >= 'A' && c <= 'Z') c = (char)(c + 32);
        sbuf_putc(out, c);
    }
    while (out->len && out->data[out->len - 1] == '/') out->data[--out->len] = 0;
}

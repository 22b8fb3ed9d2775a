/*
 * latex.c: writing LaTeX: UTF-8 decoding, control-word spacing, one code
 * point as math (tables, alphanumerics, escapes), text for \text{}.
 *
 * Invariant: whatever is appended is valid LaTeX token-wise: a control word
 * is never glued to a following letter, and TeX specials in text are
 * escaped. Thread-safe (no state).
 */
#include "mathnorm/mathnorm_internal.h"

#include <string.h>

#include "core/json.h"

uint32_t mathnorm_utf8_next(const char *s, size_t n, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t l = utf8_valid_len(u, n);
    if (l == 0) {
        *len = 1;
        return 0xFFFD;
    }
    *len = l;
    if (l == 1) return u[0];
    if (l == 2) return ((uint32_t)(u[0] & 0x1F) << 6) | (u[1] & 0x3F);
    if (l == 3) return ((uint32_t)(u[0] & 0x0F) << 12) | ((uint32_t)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
    return ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3F) << 12) | ((uint32_t)(u[2] & 0x3F) << 6) |
           (u[3] & 0x3F);
}

static int is_letter(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* Does out end with a control word (\alpha), which a letter would extend? */
static int ends_with_control_word(const sbuf *out)
{
    size_t i = out->len;
    while (i > 0 && is_letter(out->data[i - 1])) i--;
    if (i == out->len || i == 0 || out->data[i - 1] != '\\') return 0;
    /* an even run of backslashes before the letters is \\ then text */
    size_t k = i - 1, bs = 0;
    while (k > 0 && out->data[k - 1] == '\\') k--, bs++;
    return bs % 2 == 0;
}

void mathnorm_emit(sbuf *out, const char *s, size_t n)
{
    if (n == 0) {
        if (!out->data) sbuf_append(out, "", 0);
        return;
    }
    if (is_letter(s[0]) && ends_with_control_word(out)) sbuf_putc(out, ' ');
    sbuf_append(out, s, n);
}

void mathnorm_emits(sbuf *out, const char *s)
{
    mathnorm_emit(out, s, strlen(s));
}

int mathnorm_emit_cp(sbuf *out, uint32_t cp)
{
    if (cp < 0x80) {
        switch (cp) {
        case '{': mathnorm_emits(out, "\\{"); return 1;
        case '}': mathnorm_emits(out, "\\}"); return 1;
        case '#': mathnorm_emits(out, "\\#"); return 1;
        case '%': mathnorm_emits(out, "\\%"); return 1;
        case '&': mathnorm_emits(out, "\\&"); return 1;
        case '$': mathnorm_emits(out, "\\$"); return 1;
        case '_': mathnorm_emits(out, "\\_"); return 1;
        case '\\': mathnorm_emits(out, "\\backslash "); return 1;
        case '~': mathnorm_emits(out, "\\sim "); return 1;
        case '^': mathnorm_emits(out, "\\hat{}"); return 1;
        case '\n': case '\r': case '\t': mathnorm_emits(out, " "); return 1;
        default:
            if (cp < 0x20) return 1;   /* control characters carry nothing */
            {
                char ch = (char)cp;
                mathnorm_emit(out, &ch, 1);
            }
            return 1;
        }
    }
    const char *tex = mathnorm_symbol(cp);
    if (tex) {
        mathnorm_emits(out, tex);
        return 1;
    }
    const char *font;
    uint32_t base;
    if (mathnorm_alnum(cp, &font, &base)) {
        if (font) {
            mathnorm_emits(out, font);
            sbuf_putc(out, '{');
        }
        if (base < 0x80) {
            char ch = (char)base;
            mathnorm_emit(out, &ch, 1);
        } else {
            const char *t2 = mathnorm_symbol(base);
            if (t2) mathnorm_emits(out, t2);
            else utf8_put(out, base);
        }
        if (font) sbuf_putc(out, '}');
        return 1;
    }
    /* zero-width characters and variation selectors carry no content */
    if (cp == 0xFEFF || (cp >= 0x200B && cp <= 0x200D) || (cp >= 0xFE00 && cp <= 0xFE0F)) return 1;
    /* unmapped: keep the character itself */
    utf8_put(out, cp);
    return 0;
}

void mathnorm_emit_text(sbuf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        switch (ch) {
        case '\\': sbuf_puts(out, "\\textbackslash{}"); break;
        case '{': case '}': case '$': case '&': case '#': case '_': case '%':
            sbuf_putc(out, '\\');
            sbuf_putc(out, ch);
            break;
        case '^': sbuf_puts(out, "\\textasciicircum{}"); break;
        case '~': sbuf_puts(out, "\\textasciitilde{}"); break;
        case '\n': case '\r': case '\t': sbuf_putc(out, ' '); break;
        default: sbuf_putc(out, ch);
        }
    }
}

void mathnorm_decode_entities(sbuf *t)
{
    if (!t->data || !memchr(t->data, '&', t->len)) return;
    sbuf o = SBUF_INIT;
    for (size_t i = 0; i < t->len; i++) {
        if (t->data[i] == '&') {
            size_t j = i + 1;
            while (j < t->len && j - i < 32 && ((t->data[j] >= 'a' && t->data[j] <= 'z') ||
                                                 (t->data[j] >= 'A' && t->data[j] <= 'Z')))
                j++;
            uint32_t cp = j < t->len && t->data[j] == ';' ? mathnorm_entity(t->data + i + 1, j - i - 1) : 0;
            if (cp) {
                utf8_put(&o, cp);
                i = j;
                continue;
            }
        }
        sbuf_putc(&o, t->data[i]);
    }
    sbuf_free(t);
    *t = o;
}

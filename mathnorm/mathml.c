/*
 * mathml.c: presentation MathML to LaTeX.
 *
 * Walks a libxml2 tree (from the HTML parser of a page, or from the XML
 * reader in recover mode for MathML given as text) and writes LaTeX without
 * delimiters. Element names are compared by local name, so <m:mfrac> and
 * <mfrac> are the same. Structure decides the environment of a table: fences
 * around an <mtable> make pmatrix/bmatrix/vmatrix/cases, right-left column
 * alignment makes aligned, explicit column lines make array.
 *
 * Invariants:
 *  - nothing is dropped silently: a code point without a LaTeX name is kept
 *    as the raw character and counted (stats.unmapped); an unknown element
 *    keeps its children and is counted (stats.unknown_elements);
 *  - recursion is bounded by MATHNORM_MAX_DEPTH; deeper subtrees are written
 *    as their text content, iteratively, and counted (stats.depth_limited),
 *    so hostile nesting costs linear time and constant stack;
 *  - no global state: every function is thread-safe.
 */
#include "mathnorm/mathnorm_internal.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

typedef struct mm_ctx {
    mathnorm_stats *st;
    int depth;
    int in_color;   /* converting the element whose style set the colour */
} mm_ctx;

static void conv(mm_ctx *c, xmlNode *n, sbuf *out);

/* ------------------------------------------------------------ small helpers */

/* Next node in document order inside root (iterative walks). */
static xmlNode *next_in(xmlNode *n, xmlNode *root)
{
    if (n->type == XML_ELEMENT_NODE && n->children) return n->children;
    while (n && n != root && !n->next) n = n->parent;
    if (!n || n == root) return NULL;
    return n->next;
}

static const char *lname(const xmlNode *n)
{
    const char *s = (const char *)n->name;
    if (!s) return "";
    const char *colon = strrchr(s, ':');
    return colon ? colon + 1 : s;
}

static int is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && strcasecmp(lname(n), name) == 0;
}

/* Attribute value by local name (any prefix); NULL when absent. Borrowed
 * pointer into the tree (the text of the first child). */
static const char *attr(const xmlNode *n, const char *name)
{
    for (xmlAttr *a = n->properties; a; a = a->next) {
        const char *an = (const char *)a->name;
        const char *colon = strrchr(an, ':');
        if (colon) an = colon + 1;
        if (strcasecmp(an, name) == 0) {
            if (a->children && a->children->type == XML_TEXT_NODE && a->children->content)
                return (const char *)a->children->content;
            return "";
        }
    }
    return NULL;
}

static int attr_is(const xmlNode *n, const char *name, const char *val)
{
    const char *v = attr(n, name);
    return v && strcasecmp(v, val) == 0;
}

static int attr_has_word(const xmlNode *n, const char *name, const char *word)
{
    const char *v = attr(n, name);
    if (!v) return 0;
    size_t wl = strlen(word);
    for (const char *p = v; (p = strstr(p, word)); p += wl) {
        if ((p == v || p[-1] == ' ') && (p[wl] == 0 || p[wl] == ' ')) return 1;
    }
    return 0;
}

/* Element children, skipping text, comments and whitespace. */
static size_t elem_children(xmlNode *n, xmlNode **buf, size_t cap)
{
    size_t k = 0;
    for (xmlNode *ch = n->children; ch; ch = ch->next)
        if (ch->type == XML_ELEMENT_NODE) {
            if (k < cap) buf[k] = ch;
            k++;
        }
    return k;
}

static xmlNode *nth_elem(xmlNode *n, size_t i)
{
    for (xmlNode *ch = n->children; ch; ch = ch->next)
        if (ch->type == XML_ELEMENT_NODE && i-- == 0) return ch;
    return NULL;
}

static int is_space_text(const xmlNode *n)
{
    if (n->type != XML_TEXT_NODE && n->type != XML_CDATA_SECTION_NODE) return n->type == XML_COMMENT_NODE;
    for (const char *p = (const char *)n->content; p && *p; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') return 0;
    return 1;
}

/* The text of a token element, trimmed of XML whitespace. */
static void token_text(xmlNode *n, sbuf *t)
{
    sbuf_reset(t);
    for (xmlNode *ch = n->children; ch; ch = ch->next) {
        if ((ch->type == XML_TEXT_NODE || ch->type == XML_CDATA_SECTION_NODE) && ch->content)
            sbuf_puts(t, (const char *)ch->content);
        else if (ch->type == XML_ELEMENT_NODE) {
            /* <mglyph alt=..>, <malignmark/>: keep what text there is */
            const char *alt = attr(ch, "alt");
            if (alt) sbuf_puts(t, alt);
        }
    }
    mathnorm_decode_entities(t);
    size_t b = 0, e = t->len;
    while (b < e && strchr(" \t\r\n", t->data[b])) b++;
    while (e > b && strchr(" \t\r\n", t->data[e - 1])) e--;
    if (b > 0) memmove(t->data, t->data + b, e - b);
    t->len = e - b;
    if (t->data) t->data[t->len] = 0;
}

/* Single code point text? Returns it, or 0. */
static uint32_t single_cp(const char *s, size_t n)
{
    if (n == 0) return 0;
    size_t l;
    uint32_t cp = mathnorm_utf8_next(s, n, &l);
    return l == n ? cp : 0;
}

static uint32_t token_cp(xmlNode *n)
{
    sbuf t = SBUF_INIT;
    token_text(n, &t);
    uint32_t cp = single_cp(t.data, t.len);
    sbuf_free(&t);
    return cp;
}

/* Writes the text content of a subtree without recursion (depth bound). */
static void flat_text(mm_ctx *c, xmlNode *root, sbuf *out)
{
    c->st->depth_limited++;
    xmlNode *n = root;
    sbuf t = SBUF_INIT;
    while (n) {
        if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content) {
            const char *s = (const char *)n->content;
            size_t len = strlen(s);
            for (size_t i = 0; i < len;) {
                size_t l;
                uint32_t cp = mathnorm_utf8_next(s + i, len - i, &l);
                if (cp > ' ' && !mathnorm_emit_cp(out, cp)) c->st->unmapped++;
                i += l;
            }
        }
        if (n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            continue;
        }
        while (n && n != root && !n->next) n = n->parent;
        if (!n || n == root) break;
        n = n->next;
    }
    sbuf_free(&t);
}

/* ------------------------------------------------------------------ tokens */

static const char *const operator_names[] = {
    "arccos", "arcsin", "arctan", "arg", "cos", "cosh", "cot", "coth", "csc", "deg", "det", "dim",
    "exp", "gcd", "hom", "inf", "ker", "lg", "lim", "liminf", "limsup", "ln", "log", "max",
    "min", "Pr", "sec", "sin", "sinh", "sup", "tan", "tanh", NULL,
};

static int known_operator(const char *s)
{
    for (int i = 0; operator_names[i]; i++)
        if (strcmp(s, operator_names[i]) == 0) return 1;
    return 0;
}

/* mathvariant -> LaTeX font command; NULL for the default. */
static const char *variant_font(const char *v, int single_letter)
{
    if (!v) return NULL;
    static const struct { const char *v, *cmd; } map[] = {
        {"normal", "\\mathrm"},
        {"bold", "\\mathbf"},
        {"italic", "\\mathit"},
        {"bold-italic", "\\boldsymbol"},
        {"double-struck", "\\mathbb"},
        {"script", "\\mathcal"},
        {"bold-script", "\\mathcal"},
        {"fraktur", "\\mathfrak"},
        {"bold-fraktur", "\\mathfrak"},
        {"sans-serif", "\\mathsf"},
        {"bold-sans-serif", "\\mathsf"},
        {"sans-serif-italic", "\\mathsf"},
        {"sans-serif-bold-italic", "\\mathsf"},
        {"monospace", "\\mathtt"},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcasecmp(v, map[i].v) == 0) {
            if (strcmp(map[i].v, "italic") == 0 && single_letter) return NULL;
            return map[i].cmd;
        }
    return NULL;
}

/* Writes token text as math: each code point through the tables. */
static void emit_math_chars(mm_ctx *c, const char *s, size_t n, sbuf *out)
{
    for (size_t i = 0; i < n;) {
        size_t l;
        uint32_t cp = mathnorm_utf8_next(s + i, n - i, &l);
        /* a combining long solidus (U+0338) negates the symbol before it */
        if (i + l < n) {
            size_t l2;
            uint32_t nx = mathnorm_utf8_next(s + i + l, n - i - l, &l2);
            if (nx == 0x338) {
                mathnorm_emits(out, "\\not");
                if (cp == '=' || cp == '<' || cp == '>') sbuf_putc(out, (char)cp);
                else if (!mathnorm_emit_cp(out, cp)) c->st->unmapped++;
                i += l + l2;
                continue;
            }
        }
        if (!mathnorm_emit_cp(out, cp)) c->st->unmapped++;
        i += l;
    }
}

/* emit_math_chars inside FONT{...} when a font command is given. */
static void emit_in_font(mm_ctx *c, const char *font, const char *s, size_t n, sbuf *out)
{
    if (font) {
        mathnorm_emits(out, font);
        sbuf_putc(out, '{');
    }
    emit_math_chars(c, s, n, out);
    if (font) sbuf_putc(out, '}');
}

/* Is every code point of s a math alphanumeric of one font? Returns the
 * font command (\mathit for plain italic) or NULL. */
static const char *common_alnum_font(const char *s, size_t n)
{
    const char *font = NULL;
    int first = 1;
    for (size_t i = 0; i < n;) {
        size_t l;
        uint32_t cp = mathnorm_utf8_next(s + i, n - i, &l);
        const char *f;
        uint32_t b;
        if (cp < 0x80 || !mathnorm_alnum(cp, &f, &b)) return NULL;
        if (!f) f = "\\mathit";
        if (!first && strcmp(f, font) != 0) return NULL;
        font = f;
        first = 0;
        i += l;
    }
    return font;
}

static void emit_alnum_base(const char *s, size_t n, sbuf *out)
{
    for (size_t i = 0; i < n;) {
        size_t l;
        uint32_t cp = mathnorm_utf8_next(s + i, n - i, &l);
        const char *f;
        uint32_t b;
        if (mathnorm_alnum(cp, &f, &b)) cp = b;
        if (!mathnorm_emit_cp(out, cp)) utf8_put(out, cp);
        i += l;
    }
}

static int is_upper_greek(uint32_t cp)
{
    return cp >= 0x391 && cp <= 0x3A9;
}

static int is_ascii_letters(const char *s, size_t n)
{
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) return 0;
    return 1;
}

static void conv_seq(mm_ctx *c, xmlNode *parent, sbuf *out);

/* Text of a whole subtree (for tokens that wrap elements). */
static void subtree_text(xmlNode *root, sbuf *t)
{
    for (xmlNode *x = root->children; x; x = next_in(x, root))
        if (x->type == XML_TEXT_NODE && x->content) sbuf_puts(t, (const char *)x->content);
}

static int has_elem_child(xmlNode *n)
{
    for (xmlNode *ch = n->children; ch; ch = ch->next)
        if (ch->type == XML_ELEMENT_NODE && !is(ch, "mglyph") && !is(ch, "malignmark")) return 1;
    return 0;
}

static void conv_mi(mm_ctx *c, xmlNode *n, sbuf *out)
{
    if (has_elem_child(n)) {
        conv_seq(c, n, out);   /* KaTeX nests layout in <mi> (\underset{x}{\arg\min}) */
        return;
    }
    sbuf t = SBUF_INIT;
    token_text(n, &t);
    const char *mv = attr(n, "mathvariant");
    uint32_t cp = single_cp(t.data, t.len);
    const char *cls = attr(n, "class");
    if (t.len == 0) {
        mathnorm_emits(out, "{}");
    } else if (cp == 0x2223 || cp == 0x2225) {
        mathnorm_emits(out, cp == 0x2223 ? "|" : "\\|");   /* KaTeX writes |x| as <mi>&#x2223;</mi> */
    } else if (cp) {
        const char *font = variant_font(mv, 1);
        if (font && strcmp(font, "\\mathrm") == 0 && (is_upper_greek(cp) || cp >= 0x80)) font = NULL;
        if (font && strcmp(font, "\\mathcal") == 0 && cls && strstr(cls, "mathscr")) font = "\\mathscr";
        /* a script letter from temml: class mathscr marks \mathscr */
        const char *afont;
        uint32_t base;
        if (!font && cls && strstr(cls, "mathscr") && mathnorm_alnum(cp, &afont, &base) && afont &&
            strcmp(afont, "\\mathcal") == 0) {
            mathnorm_emits(out, "\\mathscr{");
            mathnorm_emit_cp(out, base);
            mathnorm_emits(out, "}");
        } else if (font) {
            mathnorm_emits(out, font);
            sbuf_putc(out, '{');
            emit_math_chars(c, t.data, t.len, out);
            sbuf_putc(out, '}');
        } else {
            emit_math_chars(c, t.data, t.len, out);
        }
    } else if (is_ascii_letters(t.data, t.len)) {
        /* multi-letter identifier: upright by default (MathML 3.2.3.1) */
        const char *font = variant_font(mv, 0);
        xmlNode *nx = n->next;
        while (nx && nx->type != XML_ELEMENT_NODE) nx = nx->next;
        int applied = nx && is(nx, "mo") && token_cp(nx) == 0x2061;
        int upright = !font || !strcmp(font, "\\mathrm");
        if (upright && known_operator(t.data)) {
            sbuf_putc(out, '\\');
            mathnorm_emit(out, t.data, t.len);
            out->data[out->len] = 0;
        } else if (upright && applied) {
            mathnorm_emits(out, "\\operatorname{");
            sbuf_append(out, t.data, t.len);
            sbuf_putc(out, '}');
        } else {
            mathnorm_emits(out, font ? font : "\\mathrm");
            sbuf_putc(out, '{');
            sbuf_append(out, t.data, t.len);
            sbuf_putc(out, '}');
        }
    } else if (common_alnum_font(t.data, t.len)) {
        mathnorm_emits(out, common_alnum_font(t.data, t.len));
        sbuf_putc(out, '{');
        emit_alnum_base(t.data, t.len, out);
        sbuf_putc(out, '}');
    } else {
        const char *font = variant_font(mv, 0);
        int ascii = 1;
        for (size_t i = 0; i < t.len; i++)
            if ((unsigned char)t.data[i] >= 0x80) ascii = 0;
        if (!font && ascii) font = "\\mathrm";   /* multi-character identifiers are upright */
        emit_in_font(c, font, t.data, t.len, out);
    }
    sbuf_free(&t);
}

static void conv_mn(mm_ctx *c, xmlNode *n, sbuf *out)
{
    if (has_elem_child(n)) {
        conv_seq(c, n, out);
        return;
    }
    sbuf t = SBUF_INIT;
    token_text(n, &t);
    const char *font = variant_font(attr(n, "mathvariant"), 0);
    if (font && strcmp(font, "\\mathrm") == 0) font = NULL;
    emit_in_font(c, font, t.data, t.len, out);
    sbuf_free(&t);
}

/* LaTeX for a delimiter after \left, \right, \big...; NULL if not one. */
static const char *fence_tex(uint32_t cp)
{
    switch (cp) {
    case 0: return ".";
    case '(': return "(";
    case ')': return ")";
    case '[': return "[";
    case ']': return "]";
    case '{': return "\\{";
    case '}': return "\\}";
    case '|': return "|";
    case '/': return "/";
    case '\\': return "\\backslash";
    case 0x2016: return "\\|";
    case 0x2225: return "\\|";
    case 0x27E8: case 0x2329: case 0x3008: return "\\langle";
    case 0x27E9: case 0x232A: case 0x3009: return "\\rangle";
    case 0x2308: return "\\lceil";
    case 0x2309: return "\\rceil";
    case 0x230A: return "\\lfloor";
    case 0x230B: return "\\rfloor";
    case 0x2191: return "\\uparrow";
    case 0x2193: return "\\downarrow";
    case 0x21D1: return "\\Uparrow";
    case 0x21D3: return "\\Downarrow";
    case 0x27EE: return "\\lgroup";
    case 0x27EF: return "\\rgroup";
    case 0x23B0: return "\\lmoustache";
    case 0x23B1: return "\\rmoustache";
    case 0x231C: return "\\ulcorner";
    case 0x231D: return "\\urcorner";
    case 0x2223: return "|";
    default: return NULL;
    }
}

/* An <mo> that works as a stretchy fence (\left, \middle, \right). */
static int stretchy_fence(xmlNode *n)
{
    if (!is(n, "mo")) return 0;
    if (attr_is(n, "stretchy", "false")) return 0;
    if (attr(n, "minsize") && !attr_is(n, "fence", "true")) return 0;
    sbuf t = SBUF_INIT;
    token_text(n, &t);
    uint32_t cp = single_cp(t.data, t.len);
    size_t len = t.len;
    int ok = (len == 0 || (cp && fence_tex(cp)));
    sbuf_free(&t);
    if (!ok) return 0;
    /* explicit marks, or a bracket whose default is stretchy */
    if (attr_is(n, "fence", "true") || attr_is(n, "stretchy", "true")) return 1;
    return len > 0 && cp != '/' && cp != '\\' && cp != 0x2223;
}

static void emit_fence(sbuf *out, const char *cmd, xmlNode *mo)
{
    uint32_t cp = mo ? token_cp(mo) : 0;
    const char *f = fence_tex(cp);
    mathnorm_emits(out, cmd);
    mathnorm_emits(out, f ? f : ".");
}

/* \big family from minsize (temml and KaTeX use 1.2, 1.8, 2.4, 3.0 em). */
static const char *big_size(const char *minsize)
{
    double v = atof(minsize);
    if (v <= 0) return NULL;
    if (v < 1.5) return "\\big";
    if (v < 2.1) return "\\Big";
    if (v < 2.7) return "\\bigg";
    return "\\Bigg";
}

static void conv_mo(mm_ctx *c, xmlNode *n, sbuf *out)
{
    if (has_elem_child(n)) {
        /* KaTeX puts layout inside <mo> (\bmod, \stackrel): convert it */
        sbuf all = SBUF_INIT;
        subtree_text(n, &all);
        if (all.len == 3 && !memcmp(all.data, "mod", 3)) mathnorm_emits(out, "\\bmod");
        else conv_seq(c, n, out);
        sbuf_free(&all);
        return;
    }
    sbuf t = SBUF_INIT;
    token_text(n, &t);
    uint32_t cp = single_cp(t.data, t.len);
    const char *ms = attr(n, "minsize");
    if (ms && cp && fence_tex(cp) && big_size(ms)) {
        mathnorm_emits(out, big_size(ms));
        mathnorm_emits(out, fence_tex(cp));
    } else if (cp == 0x2192 || cp == 0x2190) {
        /* temml and KaTeX mark \rightarrow non-stretchy; a bare arrow is \to */
        int plain = !attr_is(n, "stretchy", "false");
        mathnorm_emits(out, cp == 0x2192 ? (plain ? "\\to" : "\\rightarrow") : (plain ? "\\gets" : "\\leftarrow"));
    } else if (cp == 0x22A5) {
        mathnorm_emits(out, "\\perp");
    } else if ((cp == 0x2223 || cp == 0x2225) && attr_is(n, "fence", "true")) {
        mathnorm_emits(out, cp == 0x2223 ? "|" : "\\|");
    } else if (cp == '|' && attr(n, "lspace") && atof(attr(n, "lspace")) > 0.1) {
        mathnorm_emits(out, "\\mid");
    } else if (!cp && !strcmp(t.data ? t.data : "", "mod")) {
        mathnorm_emits(out, "\\bmod");
    } else if (!cp && is_ascii_letters(t.data, t.len)) {
        if (known_operator(t.data)) {
            sbuf_putc(out, '\\');
            mathnorm_emit(out, t.data, t.len);
        } else {
            mathnorm_emits(out, "\\operatorname{");
            sbuf_append(out, t.data, t.len);
            sbuf_putc(out, '}');
        }
    } else if (t.len) {
        const char *font = variant_font(attr(n, "mathvariant"), 0);
        if (font && strcmp(font, "\\mathrm") == 0) font = NULL;
        emit_in_font(c, font, t.data, t.len, out);
    }
    sbuf_free(&t);
}

static void conv_mtext(mm_ctx *c, xmlNode *n, sbuf *out)
{
    if (has_elem_child(n)) {
        conv_seq(c, n, out);
        return;
    }
    sbuf t = SBUF_INIT;
    for (xmlNode *ch = n->children; ch; ch = ch->next)
        if ((ch->type == XML_TEXT_NODE || ch->type == XML_CDATA_SECTION_NODE) && ch->content)
            sbuf_puts(&t, (const char *)ch->content);
    mathnorm_decode_entities(&t);
    /* whitespace-only text is a space command */
    int all_space = t.len > 0;
    for (size_t i = 0; i < t.len && all_space;) {
        size_t l;
        uint32_t cp = mathnorm_utf8_next(t.data + i, t.len - i, &l);
        if (!(cp == ' ' || cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x205F || cp == 0x2063 ||
              cp == 0x2062 || cp == 0x2061 || cp == '\n'))
            all_space = 0;
        i += l;
    }
    static const struct { const char *u; const char *tex; } ks[] = {
        {"\xe2\x80\x85\xe2\x80\x8a", "\\;"}, {"\xe2\x80\x89\xe2\x81\xa3", "\\!"},
        {"\xe2\x80\x85", "\\:"}, {"\xe2\x80\x89", "\\,"},
    };
    for (size_t k = 0; all_space && k < sizeof ks / sizeof *ks; k++)
        if (t.len == strlen(ks[k].u) && !memcmp(t.data, ks[k].u, t.len)) {
            mathnorm_emits(out, ks[k].tex);
            sbuf_free(&t);
            return;
        }
    if (all_space) {
        for (size_t i = 0; i < t.len;) {
            size_t l;
            uint32_t cp = mathnorm_utf8_next(t.data + i, t.len - i, &l);
            if (cp == 0x2009) mathnorm_emits(out, "\\,");
            else if (cp == 0x2005) mathnorm_emits(out, "\\:");
            else if (cp == 0x2004) mathnorm_emits(out, "\\;");
            else if (cp == 0x2003) mathnorm_emits(out, "\\quad ");
            else if (cp == 0x2063 || cp == 0x2062 || cp == 0x2061 || cp == 0x200B) {
            } else mathnorm_emits(out, "\\ ");
            i += l;
        }
    } else if (t.len) {
        const char *mv = attr(n, "mathvariant");
        const char *cmd = "\\text{";
        if (mv && strcmp(mv, "bold") == 0) cmd = "\\textbf{";
        else if (mv && strcmp(mv, "italic") == 0) cmd = "\\textit{";
        else if (mv && strcmp(mv, "monospace") == 0) cmd = "\\texttt{";
        else if (mv && strcmp(mv, "sans-serif") == 0) cmd = "\\textsf{";
        mathnorm_emits(out, cmd);
        mathnorm_emit_text(out, t.data, t.len);
        sbuf_putc(out, '}');
    }
    sbuf_free(&t);
    (void)c;
}

static void conv_mspace(xmlNode *n, sbuf *out)
{
    if (attr_is(n, "linebreak", "newline") || attr_is(n, "linebreak", "indentingnewline")) {
        mathnorm_emits(out, "\\\\ ");
        return;
    }
    const char *w = attr(n, "width");
    if (!w || !*w) return;
    double v = atof(w);
    const char *unit = w;
    while (*unit && (strchr("+-.0123456789 ", *unit))) unit++;
    if (strcmp(unit, "em") == 0 || *unit == 0) {
        static const struct { double em; const char *tex; } sp[] = {
            {1.0, "\\quad "}, {2.0, "\\qquad "}, {0.1667, "\\,"}, {0.2222, "\\:"},
            {0.2778, "\\;"}, {-0.1667, "\\!"}, {0.5, "\\enspace "}, {0.3333, "\\ "},
        };
        for (size_t i = 0; i < sizeof sp / sizeof *sp; i++)
            if (v > sp[i].em - 0.002 && v < sp[i].em + 0.002) {
                mathnorm_emits(out, sp[i].tex);
                return;
            }
    }
    if (strcmp(w, "thinmathspace") == 0) mathnorm_emits(out, "\\,");
    else if (strcmp(w, "mediummathspace") == 0) mathnorm_emits(out, "\\:");
    else if (strcmp(w, "thickmathspace") == 0) mathnorm_emits(out, "\\;");
    else if (v != 0) {
        mathnorm_emits(out, "\\hspace{");
        sbuf_puts(out, w);
        sbuf_putc(out, '}');
    }
}

/* ---------------------------------------------------------------- layout */

/* Appends {child} (braces always). */
static void arg(mm_ctx *c, xmlNode *n, sbuf *out)
{
    sbuf_putc(out, '{');
    if (n) conv(c, n, out);
    sbuf_putc(out, '}');
}

/* True when the LaTeX is one atom that needs no braces as a script base:
 * one character, one control word, or a control word with one braced
 * argument. */
static int is_atom(const char *s, size_t n)
{
    if (n == 0) return 0;
    size_t l;
    mathnorm_utf8_next(s, n, &l);
    if (l == n && s[0] != '\'' && s[0] != '^' && s[0] != '_' && s[0] != '&' && s[0] != ' ') return 1;
    if (s[0] != '\\') return 0;
    size_t i = 1;
    while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) i++;
    if (i == 1) return n == 2;   /* \{ \, */
    if (i == n) return 1;
    if (s[i] != '{' || s[n - 1] != '}') return 0;
    int d = 0;
    for (size_t k = i; k < n; k++) {
        if (s[k] == '\\') { k++; continue; }
        if (s[k] == '{') d++;
        else if (s[k] == '}' && --d == 0 && k != n - 1) return 0;
    }
    return d == 0;
}

/* One \left..\right group spanning the whole string? */
static int is_fenced_group(const char *s, size_t n)
{
    if (n < 12 || strncmp(s, "\\left", 5) != 0) return 0;
    int d = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') continue;
        if (i + 5 <= n && !strncmp(s + i, "\\left", 5) && !(i + 5 < n && s[i + 5] >= 'a' && s[i + 5] <= 'z')) d++;
        else if (i + 6 <= n && !strncmp(s + i, "\\right", 6) && !(i + 6 < n && s[i + 6] >= 'a' && s[i + 6] <= 'z')) {
            if (--d == 0) {
                /* the closing delimiter must end the string */
                size_t j = i + 6;
                if (j < n && s[j] == '\\') {
                    j++;
                    while (j < n && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z'))) j++;
                    if (j == i + 7 && j < n) j++;
                } else if (j < n) {
                    j++;
                }
                return j == n;
            }
        }
        i++;
    }
    return 0;
}

/* Appends ^x / _x: one character or one bare control word goes unbraced
 * (temml sets x^\circ and x^{\circ} differently), anything else braced. */
static void script_arg(mm_ctx *c, xmlNode *n, sbuf *out)
{
    sbuf t = SBUF_INIT;
    if (n) conv(c, n, &t);
    int bare = 0;
    if (t.len) {
        size_t l;
        mathnorm_utf8_next(t.data, t.len, &l);
        if (l == t.len && t.data[0] != '\'' && t.data[0] != '{' && t.data[0] != '}' && t.data[0] != ' ' &&
            t.data[0] != '&' && t.data[0] != '^' && t.data[0] != '_') {
            bare = (unsigned char)t.data[0] < 0x80;
        } else if (t.data[0] == '\\' && t.len > 1) {
            size_t i = 1;
            while (i < t.len && ((t.data[i] >= 'a' && t.data[i] <= 'z') || (t.data[i] >= 'A' && t.data[i] <= 'Z'))) i++;
            bare = i == t.len && i > 1 && strcmp(t.data, "\\left") && strcmp(t.data, "\\right");
        }
    }
    if (bare) {
        mathnorm_emit(out, t.data, t.len);
    } else {
        sbuf_putc(out, '{');
        if (t.len) sbuf_append(out, t.data, t.len);
        sbuf_putc(out, '}');
    }
    sbuf_free(&t);
}

static void base(mm_ctx *c, xmlNode *n, sbuf *out)
{
    sbuf t = SBUF_INIT;
    if (n) conv(c, n, &t);
    if (is_atom(t.data, t.len) || is_fenced_group(t.data, t.len)) {
        mathnorm_emit(out, t.data, t.len);
    } else {
        sbuf_putc(out, '{');
        if (t.len) sbuf_append(out, t.data, t.len);
        sbuf_putc(out, '}');
    }
    sbuf_free(&t);
}

/* Big operators that take limits (\sum) and integrals (\int, which need
 * \limits to put them above and below). */
static int big_op(xmlNode *n, int *integral)
{
    *integral = 0;
    for (;;) {
        if (n && (is(n, "mrow") || is(n, "mstyle")) && elem_children(n, NULL, 0) == 1) n = nth_elem(n, 0);
        else if (n && is(n, "mrow") && elem_children(n, NULL, 0) == 2 && is(nth_elem(n, 1), "mo") &&
                 token_cp(nth_elem(n, 1)) == 0x2061)
            n = nth_elem(n, 0);   /* KaTeX: <mrow><mi>lim</mi><mo>&#x2061;</mo></mrow> */
        else break;
    }
    if (!is(n, "mo") && !is(n, "mi")) return 0;
    sbuf t = SBUF_INIT;
    token_text(n, &t);
    uint32_t cp = single_cp(t.data, t.len);
    int r = 0;
    if (cp) {
        static const uint32_t ops[] = {0x2211, 0x220F, 0x2210, 0x22C0, 0x22C1, 0x22C2, 0x22C3,
                                       0x2A00, 0x2A01, 0x2A02, 0x2A04, 0x2A06};
        for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
            if (ops[i] == cp) r = 1;
        if ((cp >= 0x222B && cp <= 0x2233) || cp == 0x2A0C) r = *integral = 1;
    } else if (t.len && known_operator(t.data)) {
        r = 1;
    }
    sbuf_free(&t);
    return r;
}

/* Accents over (1) and under (0) a base: char -> command. */
static const char *accent_cmd(uint32_t cp, int over, int stretchy)
{
    if (over) switch (cp) {
        case '^': case 0x2C6: case 0x302: return stretchy ? "\\widehat" : "\\hat";
        case '~': case 0x2DC: case 0x303: case 0x223C: return stretchy ? "\\widetilde" : "\\tilde";
        case 0xAF: case 0x2C9: case 0x304: case 0x305: case 0x203E: case 0x2015: case '_': case 0x2212: case '-':
            return stretchy ? "\\overline" : "\\bar";
        case 0x2192: case 0x20D7: return stretchy ? "\\overrightarrow" : "\\vec";
        case 0x2190: case 0x20D6: return "\\overleftarrow";
        case 0x2194: case 0x20E1: return "\\overleftrightarrow";
        case 0x2D9: case 0x307: case '.': return "\\dot";
        case 0xA8: case 0x308: return "\\ddot";
        case 0x20DB: return "\\dddot";
        case 0x2C7: case 0x30C: return "\\check";
        case 0x2D8: case 0x306: return "\\breve";
        case 0xB4: case 0x301: case 0x2CA: return "\\acute";
        case '`': case 0x300: case 0x2CB: return "\\grave";
        case 0x2DA: case 0x30A: return "\\mathring";
        case 0x23DE: case 0xFE37: return "\\overbrace";
        case 0x23DC: return "\\overparen";
        case 0x21C0: return "\\overrightharpoon";
        case 0x21BC: return "\\overleftharpoon";
        default: return NULL;
        }
    switch (cp) {
    case '_': case 0x332: case 0xAF: case 0x203E: case 0x2015: case 0x2212: case '-': return "\\underline";
    case 0x23DF: case 0xFE38: return "\\underbrace";
    case 0x23DD: return "\\underparen";
    case 0x2192: return "\\underrightarrow";
    case 0x2190: return "\\underleftarrow";
    case 0x2194: return "\\underleftrightarrow";
    case '~': case 0x2DC: case 0x330: return "\\utilde";
    default: return NULL;
    }
}

/* If `script` is an accent mark, returns the command. */
static const char *accent_of(xmlNode *owner, xmlNode *script, int over)
{
    if (!is(script, "mo") && !is(script, "mi") && !is(script, "mtext")) return NULL;
    sbuf t = SBUF_INIT;
    token_text(script, &t);
    uint32_t cp = single_cp(t.data, t.len);
    sbuf_free(&t);
    if (!cp) return NULL;
    int declared = attr_is(owner, over ? "accent" : "accentunder", "true") || attr_is(script, "accent", "true");
    int stretchy = attr_is(script, "stretchy", "true");
    const char *cmd = accent_cmd(cp, over, stretchy);
    if (!cmd) return NULL;
    /* a plain arrow or bar over something is an accent only when declared
     * or when it is the usual combining/spacing accent character */
    if (!declared && (cp == '-' || cp == 0x2212 || cp == '.' || cp == '_')) return NULL;
    return cmd;
}

static void conv_frac(mm_ctx *c, xmlNode *n, sbuf *out)
{
    xmlNode *num = nth_elem(n, 0), *den = nth_elem(n, 1);
    const char *lt = attr(n, "linethickness");
    int zero = lt && (atof(lt) == 0 && strspn(lt, "0.") > 0);
    if (attr_is(n, "bevelled", "true")) {
        base(c, num, out);
        sbuf_putc(out, '/');
        base(c, den, out);
        return;
    }
    if (zero) {
        mathnorm_emits(out, "\\genfrac{}{}{0pt}{}");
    } else {
        mathnorm_emits(out, "\\frac");
    }
    arg(c, num, out);
    arg(c, den, out);
}

/* Number of primes when a superscript is only primes (′ ″ ‴ '), else 0. */
static int count_primes(xmlNode *n)
{
    if (!n) return 0;
    int k = 0;
    for (xmlNode *x = n; x; x = next_in(x, n)) {
        if (x->type == XML_ELEMENT_NODE) {
            if (!is(x, "mo") && !is(x, "mi") && !is(x, "mrow")) return 0;
            continue;
        }
        if (x->type != XML_TEXT_NODE || !x->content) continue;
        const char *s = (const char *)x->content;
        size_t len = strlen(s);
        for (size_t i = 0; i < len;) {
            size_t l;
            uint32_t cp = mathnorm_utf8_next(s + i, len - i, &l);
            if (cp == 0x2032 || cp == '\'') k += 1;
            else if (cp == 0x2033) k += 2;
            else if (cp == 0x2034) k += 3;
            else if (cp == 0x2057) k += 4;
            else if (!(cp == ' ' || cp == '\n' || cp == '\t' || cp == '\r')) return 0;
            i += l;
        }
    }
    return k;
}

/* \xrightarrow and friends: a stretchy arrow under/over text. */
static const char *xarrow_cmd(xmlNode *base)
{
    if (!is(base, "mo") || !attr_is(base, "stretchy", "true")) return NULL;
    switch (token_cp(base)) {
    case 0x2192: return "\\xrightarrow";
    case 0x2190: return "\\xleftarrow";
    case 0x2194: return "\\xleftrightarrow";
    case 0x21D2: return "\\xRightarrow";
    case 0x21D0: return "\\xLeftarrow";
    case 0x21D4: return "\\xLeftrightarrow";
    case 0x21A6: return "\\xmapsto";
    case 0x21AA: return "\\xhookrightarrow";
    case 0x21A9: return "\\xhookleftarrow";
    case 0x21CC: return "\\xrightleftharpoons";
    default: return NULL;
    }
}

/* The label of an extensible arrow without its padding: KaTeX wraps it in
 * <mpadded>, temml in <mover><mrow>space label space</mrow><mspace/></mover>. */
static void xarrow_label(mm_ctx *c, xmlNode *n, sbuf *out)
{
    if (is(n, "mover") && is(nth_elem(n, 1), "mspace")) n = nth_elem(n, 0);
    if (is(n, "mpadded") || is(n, "mrow")) {
        xmlNode *kids[256];
        size_t k = elem_children(n, kids, 256);
        if (k <= 256) {
            size_t b = 0, e = k;
            while (b < e && is(kids[b], "mspace")) b++;
            while (e > b && is(kids[e - 1], "mspace")) e--;
            for (size_t i = b; i < e; i++) conv(c, kids[i], out);
            return;
        }
    }
    conv(c, n, out);
}

static void conv_scripts(mm_ctx *c, xmlNode *n, sbuf *out, const char *kind)
{
    xmlNode *b = nth_elem(n, 0), *s1 = nth_elem(n, 1), *s2 = nth_elem(n, 2);
    int integral = 0;
    int bigop = big_op(b, &integral);
    if (!strcmp(kind, "msub") || !strcmp(kind, "msup") || !strcmp(kind, "msubsup")) {
        base(c, b, out);
        if (bigop && !integral) mathnorm_emits(out, "\\nolimits");
        if (!strcmp(kind, "msup")) {
            /* primes are written as ' */
            int primes = count_primes(s1);
            if (primes > 0) {
                for (int i = 0; i < primes; i++) sbuf_putc(out, '\'');
                return;
            }
            sbuf_putc(out, '^');
            script_arg(c, s1, out);
        } else {
            sbuf_putc(out, '_');
            script_arg(c, s1, out);
            if (!strcmp(kind, "msubsup")) {
                sbuf_putc(out, '^');
                script_arg(c, s2, out);
            }
        }
        return;
    }
    /* munder, mover, munderover */
    const char *xa = xarrow_cmd(b);
    if (xa) {
        mathnorm_emits(out, xa);
        xmlNode *under = !strcmp(kind, "mover") ? NULL : s1;
        xmlNode *over = !strcmp(kind, "mover") ? s1 : !strcmp(kind, "munderover") ? s2 : NULL;
        if (under) {
            sbuf_putc(out, '[');
            xarrow_label(c, under, out);
            sbuf_putc(out, ']');
        }
        sbuf_putc(out, '{');
        if (over) xarrow_label(c, over, out);
        sbuf_putc(out, '}');
        return;
    }
    int over = !strcmp(kind, "mover");
    const char *acc = NULL;
    if (strcmp(kind, "munderover") != 0) acc = accent_of(n, s1, over);
    if (acc) {
        /* \overbrace{x}^{n}: an over-script on a braced base */
        mathnorm_emits(out, acc);
        arg(c, b, out);
        return;
    }
    if (!strcmp(kind, "mover") && (is(b, "mover") || is(b, "munder"))) {
        xmlNode *inner = nth_elem(b, 1);
        const char *a2 = accent_of(b, inner, is(b, "mover"));
        if (a2 && (strstr(a2, "brace") || strstr(a2, "paren"))) {
            conv(c, b, out);
            sbuf_putc(out, '^');
            script_arg(c, s1, out);
            return;
        }
    }
    if (!strcmp(kind, "munder") && (is(b, "munder") || is(b, "mover"))) {
        xmlNode *inner = nth_elem(b, 1);
        const char *a2 = accent_of(b, inner, is(b, "mover"));
        if (a2 && (strstr(a2, "brace") || strstr(a2, "paren"))) {
            conv(c, b, out);
            sbuf_putc(out, '_');
            script_arg(c, s1, out);
            return;
        }
    }
    if (bigop) {
        base(c, b, out);
        if (integral) mathnorm_emits(out, "\\limits");
        if (!strcmp(kind, "mover")) {
            sbuf_putc(out, '^');
            script_arg(c, s1, out);
        } else {
            sbuf_putc(out, '_');
            script_arg(c, s1, out);
            if (!strcmp(kind, "munderover")) {
                sbuf_putc(out, '^');
                script_arg(c, s2, out);
            }
        }
        return;
    }
    if (!strcmp(kind, "munderover")) {
        mathnorm_emits(out, "\\overset");
        arg(c, s2, out);
        mathnorm_emits(out, "{\\underset");
        arg(c, s1, out);
        arg(c, b, out);
        sbuf_putc(out, '}');
    } else {
        mathnorm_emits(out, over ? "\\overset" : "\\underset");
        arg(c, s1, out);
        arg(c, b, out);
    }
}

static void conv_multiscripts(mm_ctx *c, xmlNode *n, sbuf *out)
{
    xmlNode *kids[4096];
    size_t k = elem_children(n, kids, 4096);
    if (k > 4096) k = 4096;
    if (k == 0) return;
    size_t pre = k;
    for (size_t i = 1; i < k; i++)
        if (is(kids[i], "mprescripts")) {
            pre = i;
            break;
        }
    if (pre + 1 < k) {
        mathnorm_emits(out, "{}");
        for (size_t i = pre + 1; i + 1 < k + 1; i += 2) {
            if (!is(kids[i], "none")) {
                sbuf_putc(out, '_');
                script_arg(c, kids[i], out);
            }
            if (i + 1 < k && !is(kids[i + 1], "none")) {
                sbuf_putc(out, '^');
                script_arg(c, kids[i + 1], out);
            }
        }
    }
    base(c, kids[0], out);
    int first = 1;
    for (size_t i = 1; i < pre; i += 2) {
        if (!first) mathnorm_emits(out, "{}");
        first = 0;
        if (!is(kids[i], "none")) {
            sbuf_putc(out, '_');
            script_arg(c, kids[i], out);
        }
        if (i + 1 < pre && !is(kids[i + 1], "none")) {
            sbuf_putc(out, '^');
            script_arg(c, kids[i + 1], out);
        }
    }
}

/* ----------------------------------------------------------------- tables */

static const char *matrix_env(uint32_t open, uint32_t close, int has_close)
{
    if (open == '(' && close == ')') return "pmatrix";
    if (open == '[' && close == ']') return "bmatrix";
    if (open == '{' && close == '}') return "Bmatrix";
    if ((open == '|' || open == 0x2223) && (close == '|' || close == 0x2223)) return "vmatrix";
    if ((open == 0x2016 || open == 0x2225) && (close == 0x2016 || close == 0x2225)) return "Vmatrix";
    if (open == '{' && (!has_close || close == 0)) return "cases";
    if (open == 0 && close == '}') return "rcases";
    return NULL;
}

/* Column alignment letter of cell j of the first row ('c' by default). */
static char cell_align(xmlNode *table, xmlNode *cell, size_t j)
{
    const char *ca = attr(cell, "columnalign");
    const char *cls = attr(cell, "class");
    if (!ca && cls) {
        if (strstr(cls, "tml-left")) ca = "left";
        else if (strstr(cls, "tml-right")) ca = "right";
    }
    if (!ca) {
        const char *ta = attr(table, "columnalign");
        if (ta) {
            /* j-th word, the last repeating */
            const char *p = ta, *w = ta;
            size_t i = 0;
            while (*p) {
                while (*p == ' ') p++;
                if (!*p) break;
                w = p;
                while (*p && *p != ' ') p++;
                if (i++ == j) break;
            }
            ca = w;
        }
    }
    if (!ca) return 'c';
    if (!strncmp(ca, "left", 4)) return 'l';
    if (!strncmp(ca, "right", 5)) return 'r';
    return 'c';
}

/* Writes the rows of a table: cells joined by &, rows by \\. */
static void table_body(mm_ctx *c, xmlNode *t, sbuf *out)
{
    int first_row = 1;
    for (xmlNode *r = t->children; r; r = r->next) {
        if (r->type != XML_ELEMENT_NODE) continue;
        if (!is(r, "mtr") && !is(r, "mlabeledtr")) {
            /* a cell outside a row: its own row */
            if (!first_row) mathnorm_emits(out, " \\\\ ");
            first_row = 0;
            conv(c, r, out);
            continue;
        }
        if (!first_row) mathnorm_emits(out, " \\\\ ");
        first_row = 0;
        int first_cell = 1;
        int skip = is(r, "mlabeledtr");   /* the first cell is the label */
        for (xmlNode *d = r->children; d; d = d->next) {
            if (d->type != XML_ELEMENT_NODE) continue;
            if (skip) {
                skip = 0;
                continue;
            }
            if (!first_cell) mathnorm_emits(out, " & ");
            first_cell = 0;
            if (is(d, "mtd")) {
                for (xmlNode *x = d->children; x; x = x->next) {
                    if (x->type != XML_ELEMENT_NODE) continue;
                    /* KaTeX wraps each cell in mstyle displaystyle: transparent here */
                    if (is(x, "mstyle") && !attr(x, "mathcolor") && !attr(x, "mathvariant")) {
                        for (xmlNode *y = x->children; y; y = y->next)
                            if (y->type == XML_ELEMENT_NODE) conv(c, y, out);
                    } else {
                        conv(c, x, out);
                    }
                }
            } else {
                conv(c, d, out);
            }
        }
    }
}

static xmlNode *first_row(xmlNode *t)
{
    for (xmlNode *r = t->children; r; r = r->next)
        if (is(r, "mtr") || is(r, "mlabeledtr")) return r;
    return NULL;
}

/* Chooses an environment for a table with no fences around it. */
static void conv_table_plain(mm_ctx *c, xmlNode *t, sbuf *out)
{
    xmlNode *r = first_row(t);
    size_t ncols = 0;
    char spec[256];
    size_t sl = 0;
    int lines = 0, right_left = 1, all_center = 1, pt_padding = 0;
    const char *cl = attr(t, "columnlines");
    if (r) {
        for (xmlNode *d = r->children; d; d = d->next) {
            if (!is(d, "mtd")) continue;
            char a = cell_align(t, d, ncols);
            if (a != 'c') all_center = 0;
            if (a != ((ncols % 2) ? 'l' : 'r')) right_left = 0;
            const char *st = attr(d, "style");
            if (st && strstr(st, "border-left") && ncols == 0 && sl + 1 < sizeof spec) {
                spec[sl++] = '|';
                lines = 1;
            }
            if (sl + 2 < sizeof spec) spec[sl++] = a;
            if (st && strstr(st, "border-right") && sl + 1 < sizeof spec) {
                spec[sl++] = '|';
                lines = 1;
            }
            if (st && ncols == 0 && strstr(st, "padding-left:0pt")) pt_padding = 1;
            ncols++;
        }
    }
    if (cl && strstr(cl, "solid")) {
        /* rebuild the spec from columnalign + columnlines */
        sl = 0;
        const char *p = cl;
        for (size_t j = 0; j < ncols && sl + 3 < sizeof spec; j++) {
            spec[sl++] = cell_align(t, r ? nth_elem(r, j) : t, j);
            if (j + 1 < ncols) {
                while (*p == ' ') p++;
                if (!strncmp(p, "solid", 5)) spec[sl++] = '|';
                else if (!strncmp(p, "dashed", 6)) spec[sl++] = ':';
                while (*p && *p != ' ') p++;
            }
        }
        lines = 1;
    }
    spec[sl] = 0;
    int aligned = ncols >= 2 && right_left &&
                  (attr_is(t, "displaystyle", "true") || attr_has_word(t, "class", "tml-jot") ||
                   (attr(t, "columnspacing") && !strncmp(attr(t, "columnspacing"), "0em", 3)));
    if (aligned) {
        mathnorm_emits(out, "\\begin{aligned}");
        table_body(c, t, out);
        mathnorm_emits(out, "\\end{aligned}");
    } else if (lines || pt_padding || (!all_center && ncols > 0)) {
        mathnorm_emits(out, "\\begin{array}{");
        sbuf_append(out, spec, sl);
        sbuf_putc(out, '}');
        table_body(c, t, out);
        mathnorm_emits(out, "\\end{array}");
    } else {
        mathnorm_emits(out, "\\begin{matrix}");
        table_body(c, t, out);
        mathnorm_emits(out, "\\end{matrix}");
    }
}

/* ------------------------------------------------------------------- rows */

static int is_mod_word(xmlNode *n)
{
    sbuf t = SBUF_INIT;
    subtree_text(n, &t);
    int r = t.len == 3 && !memcmp(t.data, "mod", 3);
    sbuf_free(&t);
    return r;
}

/* ( mod <0.3333em> ARG ): returns how many nodes the pattern spans
 * (through the closing paren), 0 if it is not there. */
static size_t pmod_at(xmlNode **seq, size_t n)
{
    if (n < 5 || !is(seq[0], "mo") || token_cp(seq[0]) != '(' || !is_mod_word(seq[1]) || !is(seq[2], "mspace"))
        return 0;
    for (size_t j = 3; j < n; j++)
        if (is(seq[j], "mo") && token_cp(seq[j]) == ')') return j > 3 ? j + 1 : 0;
    return 0;
}

static void emit_pmod(mm_ctx *c, xmlNode **seq, size_t used, sbuf *out)
{
    mathnorm_emits(out, "\\pmod{");
    for (size_t j = 3; j + 1 < used; j++) conv(c, seq[j], out);
    sbuf_putc(out, '}');
}

/* Converts a sequence of children (an mrow's, or an inferred mrow's), with
 * fences and tables recognised across siblings. */
static void conv_seq(mm_ctx *c, xmlNode *parent, sbuf *out)
{
    size_t k = elem_children(parent, NULL, 0);
    xmlNode *stackbuf[64];
    xmlNode **kids = k <= 64 ? stackbuf : xmalloc(k * sizeof *kids);
    elem_children(parent, kids, k);
    /* stray text directly in a row (HTML-parsed MathML) */
    for (xmlNode *ch = parent->children; ch; ch = ch->next)
        if ((ch->type == XML_TEXT_NODE) && !is_space_text(ch) && k == 0) {
            const char *s = (const char *)ch->content;
            emit_math_chars(c, s, strlen(s), out);
        }
    size_t b = 0, e = k;
    int lr = 0;
    if (k >= 2 && stretchy_fence(kids[0]) && stretchy_fence(kids[k - 1]) &&
        !(k == 3 && is(kids[1], "mtable")) && !(k == 3 && is(kids[1], "mfrac") && attr(kids[1], "linethickness"))) {
        lr = 1;
        emit_fence(out, "\\left", kids[0]);
        b = 1;
        e = k - 1;
    } else if (k >= 2 && stretchy_fence(kids[k - 1]) && attr_is(kids[k - 1], "fence", "true") &&
               !is(kids[0], "mo") && !is(kids[k - 2], "mtable")) {
        lr = 2;   /* \left. ... \right| (KaTeX marks the one fence) */
        mathnorm_emits(out, "\\left.");
        e = k - 1;
    }
    for (size_t i = b; i < e; i++) {
        xmlNode *x = kids[i];
        /* fenced table: ( mtable ) -> pmatrix, { mtable -> cases */
        if (is(x, "mo") && i + 1 < e && is(kids[i + 1], "mtable")) {
            uint32_t open = token_cp(x);
            int has_close = i + 2 < k && is(kids[i + 2], "mo");
            uint32_t close = has_close ? token_cp(kids[i + 2]) : 0;
            const char *env = matrix_env(open, close, has_close);
            if (env && (strcmp(env, "cases") != 0 || !has_close || close == 0)) {
                mathnorm_emits(out, "\\begin{");
                mathnorm_emits(out, env);
                sbuf_putc(out, '}');
                table_body(c, kids[i + 1], out);
                mathnorm_emits(out, "\\end{");
                mathnorm_emits(out, env);
                sbuf_putc(out, '}');
                i += has_close ? 2 : 1;
                continue;
            }
        }
        /* binomial: ( mfrac[linethickness=0] ) */
        if (is(x, "mo") && i + 2 < k && is(kids[i + 1], "mfrac") && is(kids[i + 2], "mo")) {
            const char *lt = attr(kids[i + 1], "linethickness");
            uint32_t o = token_cp(x), cl = token_cp(kids[i + 2]);
            if (lt && atof(lt) == 0 && strspn(lt, "0.") > 0 && o == '(' && cl == ')') {
                mathnorm_emits(out, "\\binom");
                arg(c, nth_elem(kids[i + 1], 0), out);
                arg(c, nth_elem(kids[i + 1], 1), out);
                i += 2;
                continue;
            }
        }
        if (is(x, "mo") && lr && stretchy_fence(x) && (attr_is(x, "fence", "true") || attr_is(x, "stretchy", "true")) &&
            token_cp(x) != 0) {
            emit_fence(out, "\\middle", x);
            continue;
        }
        /* \pmod{n}: a 1em space, then ( mod <space> n ) flat (KaTeX) or in an mrow (temml) */
        if (is(x, "mspace") && attr_is(x, "width", "1em")) {
            xmlNode **seq = kids + i + 1;
            size_t avail = e - i - 1;
            xmlNode *inner[64];
            if (avail >= 1 && is(seq[0], "mrow")) {
                size_t m = elem_children(seq[0], inner, 64);
                if (m <= 64 && pmod_at(inner, m) == m) {
                    emit_pmod(c, inner, m, out);
                    i += 1;
                    continue;
                }
            }
            size_t used = pmod_at(seq, avail);
            if (used) {
                emit_pmod(c, seq, used, out);
                i += used;
                continue;
            }
        }
        /* the spaces KaTeX puts around \bmod */
        if (is(x, "mtext") && ((i + 1 < e && is(kids[i + 1], "mo") && is_mod_word(kids[i + 1])) ||
                               (i > 0 && is(kids[i - 1], "mo") && is_mod_word(kids[i - 1])))) {
            sbuf sp = SBUF_INIT;
            token_text(x, &sp);
            int blank = 1;
            for (size_t q = 0; q < sp.len && blank;) {
                size_t l;
                uint32_t cp = mathnorm_utf8_next(sp.data + q, sp.len - q, &l);
                blank = cp == ' ' || cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200B);
                q += l;
            }
            sbuf_free(&sp);
            if (blank) continue;
        }
        /* the thick spaces temml puts around \xrightarrow */
        if (is(x, "mspace") && attr_is(x, "width", "0.2778em") &&
            ((i + 1 < e && (is(kids[i + 1], "mover") || is(kids[i + 1], "munder") || is(kids[i + 1], "munderover")) &&
              xarrow_cmd(nth_elem(kids[i + 1], 0))) ||
             (i > 0 && (is(kids[i - 1], "mover") || is(kids[i - 1], "munder") || is(kids[i - 1], "munderover")) &&
              xarrow_cmd(nth_elem(kids[i - 1], 0)))))
            continue;
        /* the thin spaces temml puts around \sin's function application */
        if (is(x, "mspace") && i > 0 && is(kids[i - 1], "mo") && token_cp(kids[i - 1]) == 0x2061) continue;
        if (is(x, "mspace") && i + 2 < k && (is(kids[i + 1], "mi") || is(kids[i + 1], "mo")) &&
            is(kids[i + 2], "mo") && token_cp(kids[i + 2]) == 0x2061 && attr_is(x, "width", "0.1667em"))
            continue;
        conv(c, x, out);
    }
    if (lr) emit_fence(out, "\\right", kids[k - 1]);
    if (kids != stackbuf) free(kids);
}

/* ------------------------------------------------------------ dispatcher */

static void conv_enclose(mm_ctx *c, xmlNode *n, sbuf *out)
{
    const char *nt = attr(n, "notation");
    if (!nt) nt = "longdiv";
    const char *cmd = NULL;
    int up = strstr(nt, "updiagonalstrike") != NULL, down = strstr(nt, "downdiagonalstrike") != NULL;
    if (up && down) cmd = "\\xcancel";
    else if (up) cmd = "\\cancel";
    else if (down) cmd = "\\bcancel";
    else if (strstr(nt, "box") || (strstr(nt, "top") && strstr(nt, "bottom") && strstr(nt, "left"))) cmd = "\\boxed";
    else if (strstr(nt, "horizontalstrike")) cmd = "\\sout";
    else if (!strcmp(nt, "top")) cmd = "\\overline";
    else if (!strcmp(nt, "bottom")) cmd = "\\underline";
    else if (strstr(nt, "radical")) cmd = "\\sqrt";
    else if (strstr(nt, "circle")) cmd = "\\textcircled";
    if (cmd) {
        mathnorm_emits(out, cmd);
        sbuf_putc(out, '{');
        xmlNode *inner = n;
        while (elem_children(inner, NULL, 0) == 1 && is(nth_elem(inner, 0), "mstyle") &&
               !attr(nth_elem(inner, 0), "mathcolor"))
            inner = nth_elem(inner, 0);   /* KaTeX's \boxed wraps style resets */
        conv_seq(c, inner, out);
        sbuf_putc(out, '}');
    } else {
        c->st->unmapped++;   /* longdiv, actuarial, ...: kept as their content */
        conv_seq(c, n, out);
    }
}

static void conv_fenced(mm_ctx *c, xmlNode *n, sbuf *out)
{
    const char *open = attr(n, "open"), *close = attr(n, "close"), *sep = attr(n, "separators");
    if (!open) open = "(";
    if (!close) close = ")";
    if (!sep) sep = ",";
    size_t l;
    uint32_t ocp = *open ? mathnorm_utf8_next(open, strlen(open), &l) : 0;
    uint32_t ccp = *close ? mathnorm_utf8_next(close, strlen(close), &l) : 0;
    const char *of = fence_tex(ocp), *cf = fence_tex(ccp);
    /* <mfenced open="["><mtable>..</mtable></mfenced>: a bracketed matrix */
    if (elem_children(n, NULL, 0) == 1 && is(nth_elem(n, 0), "mtable")) {
        const char *env = matrix_env(ocp, ccp, ccp != 0);
        if (env) {
            mathnorm_emits(out, "\\begin{");
            mathnorm_emits(out, env);
            sbuf_putc(out, '}');
            table_body(c, nth_elem(n, 0), out);
            mathnorm_emits(out, "\\end{");
            mathnorm_emits(out, env);
            sbuf_putc(out, '}');
            return;
        }
    }
    mathnorm_emits(out, "\\left");
    mathnorm_emits(out, of ? of : ".");
    size_t i = 0, seplen = strlen(sep);
    for (xmlNode *ch = n->children; ch; ch = ch->next) {
        if (ch->type != XML_ELEMENT_NODE) continue;
        if (i > 0 && seplen) {
            /* the i-th separator, the last one repeating; spaces ignored */
            size_t cnt = 0, pos = 0, last = 0;
            const char *s = sep;
            size_t j = 0;
            while (j < seplen) {
                size_t cl;
                uint32_t cp = mathnorm_utf8_next(s + j, seplen - j, &cl);
                if (cp != ' ') {
                    last = j;
                    if (cnt == i - 1) pos = j, cnt = (size_t)-2;
                    if (cnt != (size_t)-2) cnt++;
                }
                j += cl;
                if (cnt == (size_t)-2) break;
            }
            size_t at = cnt == (size_t)-2 ? pos : last;
            size_t cl;
            uint32_t cp = mathnorm_utf8_next(s + at, seplen - at, &cl);
            if (cp != ' ') mathnorm_emit_cp(out, cp);
        }
        conv(c, ch, out);
        i++;
    }
    mathnorm_emits(out, "\\right");
    mathnorm_emits(out, cf ? cf : ".");
}

static void conv_style(mm_ctx *c, xmlNode *n, sbuf *out)
{
    const char *ds = attr(n, "displaystyle");
    const char *color = attr(n, "mathcolor");
    size_t k = elem_children(n, NULL, 0);
    xmlNode *only = k == 1 ? nth_elem(n, 0) : NULL;
    if (ds && only && is(only, "mfrac") && !attr(only, "linethickness") && !attr(only, "bevelled")) {
        mathnorm_emits(out, strcasecmp(ds, "true") == 0 ? "\\dfrac" : "\\tfrac");
        arg(c, nth_elem(only, 0), out);
        arg(c, nth_elem(only, 1), out);
        return;
    }
    int braces = 0;
    if (color && *color) {
        mathnorm_emits(out, "{\\color{");
        sbuf_puts(out, color);
        sbuf_putc(out, '}');
        braces++;
    }
    if (ds) {
        mathnorm_emits(out, braces ? "" : "{");
        mathnorm_emits(out, strcasecmp(ds, "true") == 0 ? "\\displaystyle " : "\\textstyle ");
        if (!braces) braces++;
    } else if (attr(n, "scriptlevel") && !color) {
        const char *sl = attr(n, "scriptlevel");
        if (!strcmp(sl, "1") || !strcmp(sl, "2")) {
            mathnorm_emits(out, !strcmp(sl, "1") ? "{\\scriptstyle " : "{\\scriptscriptstyle ");
            braces++;
        }
    }
    const char *mv = attr(n, "mathvariant");
    const char *font = variant_font(mv, 0);
    if (font) {
        mathnorm_emits(out, font);
        sbuf_putc(out, '{');
    }
    conv_seq(c, n, out);
    if (font) sbuf_putc(out, '}');
    while (braces-- > 0) sbuf_putc(out, '}');
}

static int find_tex_annotation(xmlNode *sem, sbuf *out)
{
    for (xmlNode *a = sem->children; a; a = a->next) {
        if (!is(a, "annotation")) continue;
        const char *enc = attr(a, "encoding");
        if (!enc) continue;
        if (strcasecmp(enc, "application/x-tex") && strcasecmp(enc, "tex") && strcasecmp(enc, "latex") &&
            strcasecmp(enc, "application/x-latex") && strcasecmp(enc, "text/x-tex"))
            continue;
        xmlChar *s = xmlNodeGetContent(a);
        if (!s) continue;
        size_t len = strlen((const char *)s);
        const char *p = (const char *)s;
        while (len && strchr(" \t\r\n", *p)) p++, len--;
        while (len && strchr(" \t\r\n", p[len - 1])) len--;
        if (len) sbuf_append(out, p, len);
        xmlFree(s);
        return len > 0;
    }
    return 0;
}

static void conv(mm_ctx *c, xmlNode *n, sbuf *out)
{
    if (!n) return;
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        if (!is_space_text(n) && n->content) {
            const char *s = (const char *)n->content;
            emit_math_chars(c, s, strlen(s), out);
        }
        return;
    }
    if (n->type != XML_ELEMENT_NODE) return;
    if (c->depth >= MATHNORM_MAX_DEPTH) {
        flat_text(c, n, out);
        return;
    }
    c->depth++;
    const char *nm = lname(n);
    const char *style = attr(n, "style");
    const char *col = style ? strstr(style, "color:") : NULL;
    if (col && (col == style || col[-1] == ';' || col[-1] == ' ') && !c->in_color) {
        col += 6;
        while (*col == ' ') col++;
        size_t cl = strcspn(col, "; ");
        mathnorm_emits(out, "\\textcolor{");
        sbuf_append(out, col, cl);
        mathnorm_emits(out, "}{");
        c->in_color = 1;
        c->depth--;
        conv(c, n, out);
        c->in_color = 0;
        sbuf_putc(out, '}');
        return;
    }
    if (!strcmp(nm, "mi")) conv_mi(c, n, out);
    else if (!strcmp(nm, "mn")) conv_mn(c, n, out);
    else if (!strcmp(nm, "mo")) conv_mo(c, n, out);
    else if (!strcmp(nm, "mtext")) conv_mtext(c, n, out);
    else if (!strcmp(nm, "ms")) {
        sbuf t = SBUF_INIT;
        token_text(n, &t);
        mathnorm_emits(out, "\\text{\"");
        mathnorm_emit_text(out, t.data, t.len);
        mathnorm_emits(out, "\"}");
        sbuf_free(&t);
    } else if (!strcmp(nm, "mspace")) conv_mspace(n, out);
    else if (!strcmp(nm, "mrow") || !strcmp(nm, "math") || !strcmp(nm, "mpadded") || !strcmp(nm, "merror") ||
             !strcmp(nm, "mtd") || !strcmp(nm, "mlabeledtr") || !strcmp(nm, "mtr")) {
        const char *st = attr(n, "style");
        if (!strcmp(nm, "mrow") && !n->children && st && strstr(st, "margin-left:-0.1667em")) {
            mathnorm_emits(out, "\\!");
        } else if (!strcmp(nm, "mrow") && st && strstr(st, "border:1px solid")) {
            mathnorm_emits(out, "\\boxed{");
            conv_seq(c, n, out);
            sbuf_putc(out, '}');
        } else {
            conv_seq(c, n, out);
        }
    } else if (!strcmp(nm, "mstyle")) conv_style(c, n, out);
    else if (!strcmp(nm, "mfrac")) conv_frac(c, n, out);
    else if (!strcmp(nm, "msqrt")) {
        mathnorm_emits(out, "\\sqrt{");
        conv_seq(c, n, out);
        sbuf_putc(out, '}');
    } else if (!strcmp(nm, "mroot")) {
        mathnorm_emits(out, "\\sqrt[");
        conv(c, nth_elem(n, 1), out);
        sbuf_putc(out, ']');
        arg(c, nth_elem(n, 0), out);
    } else if (!strcmp(nm, "msub") || !strcmp(nm, "msup") || !strcmp(nm, "msubsup") || !strcmp(nm, "munder") ||
               !strcmp(nm, "mover") || !strcmp(nm, "munderover"))
        conv_scripts(c, n, out, nm);
    else if (!strcmp(nm, "mmultiscripts")) conv_multiscripts(c, n, out);
    else if (!strcmp(nm, "mtable")) conv_table_plain(c, n, out);
    else if (!strcmp(nm, "mfenced")) conv_fenced(c, n, out);
    else if (!strcmp(nm, "menclose")) conv_enclose(c, n, out);
    else if (!strcmp(nm, "mphantom")) {
        mathnorm_emits(out, "\\phantom{");
        conv_seq(c, n, out);
        sbuf_putc(out, '}');
    } else if (!strcmp(nm, "semantics")) {
        if (!find_tex_annotation(n, out)) conv(c, nth_elem(n, 0), out);
    } else if (!strcmp(nm, "annotation") || !strcmp(nm, "annotation-xml") || !strcmp(nm, "none") ||
               !strcmp(nm, "mprescripts") || !strcmp(nm, "malignmark") || !strcmp(nm, "maligngroup")) {
    } else if (!strcmp(nm, "maction")) {
        const char *sel = attr(n, "selection");
        int idx = sel ? atoi(sel) : 1;
        conv(c, nth_elem(n, idx > 0 ? (size_t)idx - 1 : 0), out);
    } else if (!strcmp(nm, "mglyph")) {
        const char *alt = attr(n, "alt");
        if (alt) emit_math_chars(c, alt, strlen(alt), out);
    } else {
        c->st->unknown_elements++;
        conv_seq(c, n, out);
    }
    c->depth--;
}

/* ------------------------------------------------------------------ public */

void mathnorm_mathml_node_to_latex(xmlNode *math, sbuf *out, mathnorm_stats *st)
{
    mathnorm_stats dummy = {0};
    mm_ctx c = {st ? st : &dummy, 0, 0};
    if (!out->data) sbuf_append(out, "", 0);
    if (is(math, "math")) {
        /* prefer the TeX source a renderer left behind */
        for (xmlNode *ch = math->children; ch; ch = ch->next)
            if (is(ch, "semantics")) {
                size_t before = out->len;
                if (find_tex_annotation(ch, out)) return;
                out->len = before;
            }
        const char *alt = attr(math, "alttext");
        if (alt && *alt) {
            size_t len = strlen(alt);
            while (len && strchr(" \t\r\n", alt[len - 1])) len--;
            while (len && strchr(" \t\r\n", *alt)) alt++, len--;
            if (len) {
                sbuf_append(out, alt, len);
                return;
            }
        }
    }
    conv(&c, math, out);
}

/* Replaces HTML named entities (&alpha;, &rarr;) with their characters so
 * the XML parser accepts MathML copied from HTML; XML's five stay. */
static void expand_entities(const char *s, size_t n, sbuf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '&' && i + 1 < n && s[i + 1] != '#') {
            size_t j = i + 1;
            while (j < n && j - i < 40 && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
                                           (s[j] >= '0' && s[j] <= '9')))
                j++;
            if (j < n && s[j] == ';' && j > i + 1) {
                char name[48];
                memcpy(name, s + i + 1, j - i - 1);
                name[j - i - 1] = 0;
                if (strcmp(name, "lt") && strcmp(name, "gt") && strcmp(name, "amp") && strcmp(name, "quot") &&
                    strcmp(name, "apos")) {
                    const htmlEntityDesc *d = htmlEntityLookup((const xmlChar *)name);
                    uint32_t cp5 = d ? 0 : mathnorm_entity(name, strlen(name));
                    if (d) {
                        utf8_put(out, d->value);
                    } else if (cp5) {
                        utf8_put(out, cp5);
                    } else {
                        /* unknown entity: keep it visibly, as text */
                        sbuf_puts(out, "&amp;");
                        sbuf_append(out, name, strlen(name));
                        sbuf_putc(out, ';');
                    }
                    i = j;
                    continue;
                }
            }
            if (j >= n || s[j] != ';') {
                sbuf_puts(out, "&amp;");
                continue;
            }
        }
        sbuf_putc(out, s[i]);
    }
}

/* Deepest element nesting of markup, by a tag scan (no parse). */
static size_t markup_depth(const char *s, size_t n)
{
    size_t d = 0, maxd = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] != '<') continue;
        char c = s[i + 1];
        if (c == '/') {
            if (d) d--;
        } else if (c != '!' && c != '?') {
            const char *gt = memchr(s + i, '>', n - i);
            if (!gt) break;
            if (gt[-1] != '/' && ++d > maxd) maxd = d;
            i = (size_t)(gt - s);
        }
    }
    return maxd;
}

/* Markup nested deeper than the parsers go: keep its text content as
 * math characters (tags dropped, entities decoded), counted. */
static int deep_markup_text(const char *s, size_t n, sbuf *out, mathnorm_stats *st)
{
    int in_tag = 0, any = 0;
    mm_ctx c = {st, 0, 0};
    st->depth_limited++;
    sbuf t = SBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '<') in_tag = 1;
        else if (s[i] == '>') in_tag = 0;
        else if (!in_tag) sbuf_putc(&t, s[i]);
    }
    for (size_t i = 0; i < t.len;) {
        size_t l;
        uint32_t cp = mathnorm_utf8_next(t.data + i, t.len - i, &l);
        if (cp > ' ') {
            emit_math_chars(&c, t.data + i, l, out);
            any = 1;
        }
        i += l;
    }
    sbuf_free(&t);
    return any;
}

static xmlNode *find_math(xmlNode *root)
{
    xmlNode *n = root;
    while (n) {
        if (is(n, "math")) return n;
        if (n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            continue;
        }
        while (n && n != root && !n->next) n = n->parent;
        if (!n || n == root) break;
        n = n->next;
    }
    return NULL;
}

int mathnorm_mathml_to_latex_stats(const char *xml, size_t n, sbuf *out, mathnorm_stats *st, cd_err *e)
{
    mathnorm_stats dummy = {0};
    if (!st) st = &dummy;
    if (!out->data) sbuf_append(out, "", 0);
    if (n > 16u * MATHNORM_MAX_FORMULA) {
        st->oversized++;
        return cd_fail(e, CD_EINPUT, "mathml: %zu bytes is over the %u-byte bound", n, 16u * MATHNORM_MAX_FORMULA);
    }
    sbuf src = SBUF_INIT;
    expand_entities(xml, n, &src);
    if (markup_depth(src.data ? src.data : "", src.len) > 250) {
        /* libxml2 stops at 256 levels and would lose the rest */
        int found = strstr(src.data, "math") != NULL;
        if (found) {
            deep_markup_text(src.data, src.len, out, st);
            st->formulas++;
        }
        sbuf_free(&src);
        return found ? 0 : cd_fail(e, CD_EINPUT, "mathml: no <math> element in %zu bytes", n);
    }
    xmlDoc *doc = NULL;
    if (src.len < (size_t)1 << 31)
        doc = xmlReadMemory(src.data ? src.data : "", (int)src.len, "mathml.xml", "UTF-8",
                            XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                XML_PARSE_NOCDATA);
    xmlNode *math = doc ? find_math(xmlDocGetRootElement(doc)) : NULL;
    if (!math) {
        /* not well-formed enough for XML: the HTML parser is more forgiving */
        if (doc) xmlFreeDoc(doc);
        doc = htmlReadMemory(src.data ? src.data : "", (int)src.len, "mathml.html", "UTF-8",
                             HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
        math = doc ? find_math(xmlDocGetRootElement(doc)) : NULL;
    }
    sbuf_free(&src);
    if (!math) {
        if (doc) xmlFreeDoc(doc);
        return cd_fail(e, CD_EINPUT, "mathml: no <math> element in %zu bytes", n);
    }
    mathnorm_mathml_node_to_latex(math, out, st);
    st->formulas++;
    xmlFreeDoc(doc);
    return 0;
}

int mathnorm_mathml_to_latex(const char *xml, size_t n, sbuf *out, cd_err *e)
{
    return mathnorm_mathml_to_latex_stats(xml, n, out, NULL, e);
}

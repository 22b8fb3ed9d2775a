/*
 * page.c: the per-page side of mathnorm: which element is math, text runs
 * with TeX delimiters, the page's declared delimiters, and metadata.math.
 *
 * mathnorm_node() recognises, in this order: MathML <math> (any prefix),
 * MathJax <script type="math/tex[; mode=display]|math/asciimath|math/mml">,
 * MathJax's rendered copies (skipped when the script follows, else their
 * assistive MathML), KaTeX (.katex-display / .katex, its TeX annotation),
 * StackExchange .math-container, WordPress .wp-katex-eq, images whose alt
 * text or URL carries LaTeX (latex.php?latex=, codecogs, mimetex.cgi,
 * mathtex.cgi, Google chart cht=tx, class latex|tex|math), and <sup>/<sub>
 * right after a math-like token (see sup_sub_rule below).
 *
 * mathnorm_text() turns \(..\) and $..$ into $..$, and \[..\], $$..$$,
 * \begin{equation|align|gather|multline|eqnarray|displaymath}..\end{..} and
 * escaped wiki <math>..</math> into $$..$$ / $..$; every other '$' becomes
 * \$. A page whose MathJax or KaTeX configuration declares its own inline
 * or display delimiters gets exactly those (plus environments). A single
 * '$' opens math only when the next character is not a space and closes
 * only when the previous one is not a space and the next is not a digit
 * (the rule pandoc uses), so "$5 and $10" stays prose.
 *
 * Invariants: a page object belongs to one thread; its counters only grow;
 * all work is linear in the input, formulas are cut at MATHNORM_MAX_FORMULA.
 */
#include "mathnorm/mathnorm_internal.h"

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

enum {
    F_MATHML, F_MATHJAX_TEX, F_MATHJAX_DISPLAY, F_ASCIIMATH, F_MATHJAX_MML, F_KATEX, F_KATEX_DISPLAY,
    F_LATEX_IMG, F_WIKI_MATH, F_MATH_CONTAINER, F_WP_KATEX, F_TEX_INLINE, F_TEX_DISPLAY, F_TEX_ENV,
    F_SUP_SUB, F_TEX_CLASS, F_NFORMS
};
static const char *const form_names[F_NFORMS] = {
    "mathml", "mathjax_tex", "mathjax_display", "asciimath", "mathjax_mml", "katex", "katex_display",
    "latex_img", "wiki_math", "math_container", "wp_katex", "tex_inline", "tex_display", "tex_env",
    "sup_sub", "tex_class",
};

/* OpenWebMath's prefilter signals. */
enum { S_MATHJAX, S_MATHML, S_KATEX, S_LATEX_PHP, S_CODECOGS, S_LATEX_CMD, S_NSIGNALS };
static const char *const signal_names[S_NSIGNALS] = {"mathjax", "mathml", "katex", "latex_php", "codecogs",
                                                     "latex_command"};

#define MAX_DELIMS 8

typedef struct delim {
    char open[16], close[16];
    int display;
} delim;

struct mathnorm_page {
    mathnorm_stats st;
    uint64_t forms[F_NFORMS];
    int signals[S_NSIGNALS];
    delim d[MAX_DELIMS];
    int nd;
    int declared_inline, declared_display;   /* the page's config named them */
    unsigned char special[256];              /* bytes that may start math in text */
    int no_environments;                     /* MathJax processEnvironments: false */
    int katex_default;                       /* KaTeX auto-render called without delimiters */
    int asciimath_ticks;                     /* MathJax AsciiMath input: `..` in text */
    sbuf tmp;
};

/* ------------------------------------------------------------- DOM helpers */

static const char *lname(const xmlNode *n)
{
    const char *s = (const char *)n->name;
    if (!s) return "";
    const char *colon = strrchr(s, ':');
    return colon ? colon + 1 : s;
}

static int is_el(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && strcasecmp(lname(n), name) == 0;
}

static const char *get_attr(const xmlNode *n, const char *name)
{
    for (xmlAttr *a = n->properties; a; a = a->next)
        if (strcasecmp((const char *)a->name, name) == 0) {
            if (a->children && a->children->content) return (const char *)a->children->content;
            return "";
        }
    return NULL;
}

/* class attribute contains the word w (case-sensitive, as CSS). */
static int has_class(const xmlNode *n, const char *w)
{
    const char *c = get_attr(n, "class");
    if (!c) return 0;
    size_t wl = strlen(w);
    for (const char *p = c; (p = strstr(p, w)); p += wl)
        if ((p == c || isspace((unsigned char)p[-1])) && (p[wl] == 0 || isspace((unsigned char)p[wl]))) return 1;
    return 0;
}

/* Next node in document order, not entering n's subtree when skip. */
static xmlNode *next_node(xmlNode *n, xmlNode *root, int skip)
{
    if (!skip && n->children && n->type == XML_ELEMENT_NODE) return n->children;
    while (n && n != root && !n->next) n = n->parent;
    if (!n || n == root) return NULL;
    return n->next;
}

static void text_content(xmlNode *root, sbuf *out)
{
    for (xmlNode *n = root->children ? root->children : NULL; n; n = next_node(n, root, 0)) {
        if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content)
            sbuf_puts(out, (const char *)n->content);
        if (out->len > 16u * MATHNORM_MAX_FORMULA) break;
    }
}

static xmlNode *find_desc(xmlNode *root, const char *name, const char *cls)
{
    for (xmlNode *n = root->children; n; n = next_node(n, root, 0))
        if (n->type == XML_ELEMENT_NODE && (!name || is_el(n, name)) && (!cls || has_class(n, cls))) return n;
    return NULL;
}

static xmlNode *next_elem_sibling(xmlNode *n)
{
    for (xmlNode *s = n->next; s; s = s->next) {
        if (s->type == XML_ELEMENT_NODE) return s;
        if (s->type == XML_TEXT_NODE && s->content) {
            for (const char *p = (const char *)s->content; *p; p++)
                if (!isspace((unsigned char)*p)) return NULL;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------- configuration */

/* Reads a JavaScript string literal at *p ('..' or ".."); NULL if none. */
static const char *js_string(const char *p, const char *end, char *buf, size_t cap)
{
    while (p < end && isspace((unsigned char)*p)) p++;
    if (p >= end || (*p != '\'' && *p != '"')) return NULL;
    char q = *p++;
    size_t k = 0;
    while (p < end && *p != q) {
        char ch = *p++;
        if (ch == '\\' && p < end) ch = *p++;
        if (k + 1 < cap) buf[k++] = ch;
    }
    buf[k] = 0;
    return p < end ? p + 1 : NULL;
}

static void add_delim(mathnorm_page *pg, const char *o, const char *c, int display)
{
    if (pg->nd >= MAX_DELIMS || !*o || !*c) return;
    for (int i = 0; i < pg->nd; i++)
        if (!strcmp(pg->d[i].open, o) && !strcmp(pg->d[i].close, c)) return;
    delim *d = &pg->d[pg->nd++];
    snprintf(d->open, sizeof d->open, "%s", o);
    snprintf(d->close, sizeof d->close, "%s", c);
    d->display = display;
}

/* inlineMath: [['$','$'], ['\\(','\\)']] (MathJax 2 and 3). */
static int parse_mathjax_list(mathnorm_page *pg, const char *s, const char *end, const char *key, int display)
{
    const char *p = strstr(s, key);
    if (!p || p >= end) return 0;
    p += strlen(key);
    while (p < end && *p != '[' && *p != ';' && *p != '}') p++;
    if (p >= end || *p != '[') return 0;
    p++;
    int found = 0;
    while (p < end) {
        while (p < end && (isspace((unsigned char)*p) || *p == ',')) p++;
        if (p >= end || *p == ']') break;
        if (*p != '[') break;
        char o[16], c[16];
        const char *q = js_string(p + 1, end, o, sizeof o);
        if (!q) break;
        while (q < end && (isspace((unsigned char)*q) || *q == ',')) q++;
        q = js_string(q, end, c, sizeof c);
        if (!q) break;
        while (q < end && *q != ']') q++;
        add_delim(pg, o, c, display);
        found = 1;
        p = q + 1;
    }
    return found;
}

/* delimiters: [{left: "$$", right: "$$", display: true}, ...] (KaTeX auto-render). */
static int parse_katex_list(mathnorm_page *pg, const char *s, const char *end)
{
    const char *p = strstr(s, "delimiters");
    if (!p || p >= end) return 0;
    int found = 0;
    while ((p = strstr(p, "left")) && p < end) {
        const char *obj_end = strchr(p, '}');
        if (!obj_end || obj_end > end) break;
        char o[16], c[16];
        const char *q = p + 4;
        while (q < obj_end && (*q == ':' || isspace((unsigned char)*q) || *q == '"' || *q == '\'') &&
               *q != '"' && *q != '\'')
            q++;
        q = js_string(q, obj_end, o, sizeof o);
        const char *r = q ? strstr(q, "right") : NULL;
        if (!q || !r || r > obj_end) {
            p = obj_end;
            continue;
        }
        r += 5;
        while (r < obj_end && (*r == ':' || isspace((unsigned char)*r))) r++;
        if (!js_string(r, obj_end, c, sizeof c)) {
            p = obj_end;
            continue;
        }
        const char *dsp = strstr(p, "display");
        int display = dsp && dsp < obj_end && strstr(dsp, "true") && strstr(dsp, "true") < obj_end;
        add_delim(pg, o, c, display);
        if (display) pg->declared_display = 1;
        else pg->declared_inline = 1;
        found = 1;
        p = obj_end;
    }
    return found;
}

static void scan_config(mathnorm_page *pg, const char *s, size_t n)
{
    const char *end = s + n;
    if (strstr(s, "MathJax") || strstr(s, "mathjax")) pg->signals[S_MATHJAX] = 1;
    if (strstr(s, "katex") || strstr(s, "renderMathInElement")) pg->signals[S_KATEX] = 1;
    if (strstr(s, "processEnvironments") && strstr(s, "false") &&
        strstr(strstr(s, "processEnvironments"), "false") - strstr(s, "processEnvironments") < 24)
        pg->no_environments = 1;
    if (strstr(s, "renderMathInElement") && !strstr(s, "delimiters")) pg->katex_default = 1;
    if (strstr(s, "asciimath2jax") || strstr(s, "input/asciimath") || strstr(s, "input/AsciiMath"))
        pg->asciimath_ticks = 1;
    if (parse_mathjax_list(pg, s, end, "inlineMath", 0)) pg->declared_inline = 1;
    if (parse_mathjax_list(pg, s, end, "displayMath", 1)) pg->declared_display = 1;
    if (strstr(s, "renderMathInElement") || strstr(s, "katex")) parse_katex_list(pg, s, end);
}

static int ci_contains(const char *s, const char *w)
{
    return s && strcasestr(s, w) != NULL;
}

mathnorm_page *mathnorm_page_new(xmlDoc *doc)
{
    mathnorm_page *pg = xcalloc(1, sizeof *pg);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    for (xmlNode *n = root; n; n = next_node(n, root, 0)) {
        if (n->type != XML_ELEMENT_NODE) continue;
        const char *nm = lname(n);
        if (!strcasecmp(nm, "script")) {
            const char *type = get_attr(n, "type");
            const char *src = get_attr(n, "src");
            if (type && ci_contains(type, "math/")) pg->signals[S_MATHJAX] = 1;
            if (ci_contains(src, "mathjax")) pg->signals[S_MATHJAX] = 1;
            /* MathJax 2 combined configurations with AsciiMath input: AM_CHTML, TeX-MML-AM_CHTML */
            if (ci_contains(src, "mathjax") && src && (strstr(src, "AM_") || strstr(src, "-AM")))
                pg->asciimath_ticks = 1;
            if (ci_contains(src, "katex")) pg->signals[S_KATEX] = 1;
            const char *onload = get_attr(n, "onload");
            if (onload && strstr(onload, "renderMathInElement")) scan_config(pg, onload, strlen(onload));
            if (!type || ci_contains(type, "javascript") || ci_contains(type, "text/x-mathjax-config") ||
                ci_contains(type, "module")) {
                sbuf t = SBUF_INIT;
                text_content(n, &t);
                if (t.len) scan_config(pg, t.data, t.len);
                sbuf_free(&t);
            }
        } else if (!strcasecmp(nm, "link")) {
            if (ci_contains(get_attr(n, "href"), "katex")) pg->signals[S_KATEX] = 1;
            if (ci_contains(get_attr(n, "href"), "mathjax")) pg->signals[S_MATHJAX] = 1;
        } else if (!strcasecmp(nm, "math")) {
            pg->signals[S_MATHML] = 1;
        } else if (!strcasecmp(nm, "img")) {
            const char *src = get_attr(n, "src");
            if (ci_contains(src, "latex.php")) pg->signals[S_LATEX_PHP] = 1;
            if (ci_contains(src, "codecogs")) pg->signals[S_CODECOGS] = 1;
        }
        if (has_class(n, "katex") || has_class(n, "katex-display")) pg->signals[S_KATEX] = 1;
        if (has_class(n, "MathJax") || has_class(n, "MathJax_Display") || is_el(n, "mjx-container"))
            pg->signals[S_MATHJAX] = 1;
    }
    /* KaTeX auto-render's own defaults: $$..$$, \(..\), \[..\] (no single $) */
    if (pg->katex_default && !pg->declared_inline && !pg->declared_display) {
        add_delim(pg, "$$", "$$", 1);
        add_delim(pg, "\\(", "\\)", 0);
        add_delim(pg, "\\[", "\\]", 1);
        pg->declared_inline = pg->declared_display = 1;
    }
    /* defaults when the page declares nothing: MathJax's plus $..$ */
    if (!pg->declared_inline) {
        add_delim(pg, "\\(", "\\)", 0);
        add_delim(pg, "$", "$", 0);
    }
    if (!pg->declared_display) {
        add_delim(pg, "$$", "$$", 1);
        add_delim(pg, "\\[", "\\]", 1);
    }
    pg->special['\\'] = pg->special['$'] = pg->special['<'] = 1;
    if (pg->asciimath_ticks) pg->special['`'] = 1;
    for (int k = 0; k < pg->nd; k++) pg->special[(unsigned char)pg->d[k].open[0]] = 1;
    return pg;
}

void mathnorm_page_free(mathnorm_page *pg)
{
    if (!pg) return;
    sbuf_free(&pg->tmp);
    free(pg);
}

const mathnorm_stats *mathnorm_page_stats(const mathnorm_page *pg)
{
    return &pg->st;
}

/* --------------------------------------------------------------- emitting */

/* Appends $tex$ or $$tex$$ (trimmed; empty formulas are not written). */
/* {\displaystyle X} around a whole formula (Wikipedia's annotations and
 * alt texts) carries no content: X is kept. */
static void strip_style_wrapper(const char **tex, size_t *n)
{
    static const char *const w[] = {"{\\displaystyle", "{\\textstyle"};
    for (int k = 0; k < 2; k++) {
        size_t l = strlen(w[k]);
        const char *s = *tex;
        if (*n < l + 1 || strncmp(s, w[k], l) != 0 || s[*n - 1] != '}' || isalpha((unsigned char)s[l])) continue;
        int d = 0;
        size_t i;
        for (i = 0; i < *n; i++) {
            if (s[i] == '\\') {
                i++;
                continue;
            }
            if (s[i] == '{') d++;
            else if (s[i] == '}' && --d == 0) break;
        }
        if (i != *n - 1) continue;   /* the first brace closes before the end */
        *tex = s + l;
        *n -= l + 1;
        while (*n && isspace((unsigned char)**tex)) (*tex)++, (*n)--;
        while (*n && isspace((unsigned char)(*tex)[*n - 1])) (*n)--;
        return;
    }
}

static int put_formula(mathnorm_page *pg, sbuf *out, const char *tex, size_t n, int display, int form)
{
    while (n && isspace((unsigned char)*tex)) tex++, n--;
    while (n && isspace((unsigned char)tex[n - 1])) n--;
    strip_style_wrapper(&tex, &n);
    if (n > MATHNORM_MAX_FORMULA) {
        pg->st.oversized++;
        n = MATHNORM_MAX_FORMULA;
    }
    if (n == 0) {
        if (!out->data) sbuf_append(out, "", 0);
        return 0;
    }
    sbuf_puts(out, display ? "$$" : "$");
    /* a '$' inside would end the formula: escape bare ones */
    for (size_t i = 0; i < n; i++) {
        if (tex[i] == '$' && (i == 0 || tex[i - 1] != '\\')) sbuf_putc(out, '\\');
        sbuf_putc(out, tex[i]);
    }
    if (n && tex[n - 1] == '\\') sbuf_putc(out, ' ');
    sbuf_puts(out, display ? "$$" : "$");
    pg->st.formulas++;
    pg->forms[form]++;
    return 1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* URL-decodes s[0..n) into out; '+' is a space in form-encoded query
 * parameters (WordPress latex=), a plus in raw queries (codecogs, mimeTeX). */
static void url_decode(const char *s, size_t n, sbuf *out, int plus_is_space)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int h = i + 1 < n ? hexval(s[i + 1]) : -1;
            int l = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (h >= 0 && l >= 0) {
                sbuf_putc(out, (char)(h * 16 + l));
                i += 2;
                continue;
            }
        }
        sbuf_putc(out, s[i] == '+' && plus_is_space ? ' ' : s[i]);
    }
}

/* The value of query parameter `key` in url, URL-decoded; 0 if absent. */
static int query_param(const char *url, const char *key, sbuf *out)
{
    const char *q = strchr(url, '?');
    if (!q) return 0;
    size_t kl = strlen(key);
    for (const char *p = q + 1; p && *p;) {
        if (!strncmp(p, key, kl) && p[kl] == '=') {
            const char *v = p + kl + 1;
            const char *e = strchr(v, '&');
            if (!e) e = v + strlen(v);
            /* &amp; left undecoded in an attribute */
            url_decode(v, (size_t)(e - v), out, 1);
            return 1;
        }
        p = strchr(p, '&');
        if (p) p++;
    }
    return 0;
}

/* codecogs and mimeTeX prefixes that only set rendering options. */
static size_t strip_render_options(const char *s, size_t n)
{
    static const char *const opts[] = {"\\dpi{", "\\bg_", "\\bg{", "\\fg_", "\\fn_", "\\inline", "\\large",
                                       "\\Large", "\\LARGE", "\\huge", "\\Huge", "\\small", "\\tiny",
                                       "\\normalsize", "\\png", "\\gif", "\\svg", "\\fontsize{", "\\color{"};
    size_t i = 0;
    for (int again = 1; again;) {
        again = 0;
        while (i < n && isspace((unsigned char)s[i])) i++;
        for (size_t k = 0; k < sizeof opts / sizeof *opts; k++) {
            size_t l = strlen(opts[k]);
            if (i + l <= n && !strncmp(s + i, opts[k], l)) {
                if (!strcmp(opts[k], "\\color{")) break;   /* a colour is content, keep it */
                i += l;
                if (opts[k][l - 1] == '{') {
                    while (i < n && s[i] != '}') i++;
                    if (i < n) i++;
                } else if (opts[k][l - 1] == '_') {
                    while (i < n && isalnum((unsigned char)s[i])) i++;
                } else if (i < n && isalpha((unsigned char)s[i])) {
                    /* \inlinex is not \inline */
                    i -= l;
                    continue;
                }
                again = 1;
                break;
            }
        }
    }
    return i;
}

static int looks_like_latex(const char *s)
{
    if (!s || !*s) return 0;
    return strpbrk(s, "\\^_=+{}") != NULL || strlen(s) <= 3;
}

/* An image is display math when it is the only thing in its block. */
static int alone_in_block(xmlNode *img)
{
    xmlNode *p = img->parent;
    if (!p || p->type != XML_ELEMENT_NODE) return 0;
    const char *pn = lname(p);
    if (strcasecmp(pn, "p") && strcasecmp(pn, "div") && strcasecmp(pn, "center") && strcasecmp(pn, "dd")) return 0;
    for (xmlNode *s = p->children; s; s = s->next) {
        if (s == img) continue;
        if (s->type == XML_ELEMENT_NODE && !is_el(s, "br")) return 0;
        if (s->type == XML_TEXT_NODE && s->content)
            for (const char *c = (const char *)s->content; *c; c++)
                if (!isspace((unsigned char)*c)) return 0;
    }
    return 1;
}

static int node_img(mathnorm_page *pg, xmlNode *n, sbuf *out)
{
    const char *src = get_attr(n, "src");
    if (!src) src = get_attr(n, "data-src");
    const char *alt = get_attr(n, "alt");
    int by_url = 0;
    sbuf *t = &pg->tmp;
    sbuf_reset(t);
    if (src) {
        if (ci_contains(src, "latex.php") || ci_contains(src, "/latex?")) {
            by_url = query_param(src, "latex", t);
            if (by_url) pg->signals[S_LATEX_PHP] = 1;
        } else if (ci_contains(src, "codecogs.com") || ci_contains(src, "mimetex.cgi") ||
                   ci_contains(src, "mathtex.cgi") || ci_contains(src, "mimetex.") || ci_contains(src, "latex.cgi")) {
            const char *q = strchr(src, '?');
            if (q && q[1]) {
                url_decode(q + 1, strlen(q + 1), t, 0);
                by_url = 1;
                if (ci_contains(src, "codecogs")) pg->signals[S_CODECOGS] = 1;
            }
        } else if (ci_contains(src, "chart.googleapis.com") && ci_contains(src, "cht=tx")) {
            by_url = query_param(src, "chl", t);
        }
    }
    int by_class = has_class(n, "latex") || has_class(n, "tex") || has_class(n, "math") ||
                   has_class(n, "mwe-math-fallback-image-inline") || has_class(n, "mwe-math-fallback-image-display");
    if (!by_url && !(by_class && alt && *alt)) return 0;
    /* alt text is the author's LaTeX; prefer it when it looks like LaTeX */
    const char *tex;
    size_t tl;
    if (alt && *alt && (looks_like_latex(alt) || !by_url)) {
        tex = alt;
        tl = strlen(alt);
    } else {
        tex = t->data ? t->data : "";
        tl = t->len;
    }
    size_t skip = strip_render_options(tex, tl);
    int display = has_class(n, "mwe-math-fallback-image-display") || alone_in_block(n) ||
                  (tl - skip > 13 && !strncmp(tex + skip, "\\displaystyle", 13));
    sbuf copy = SBUF_INIT;
    sbuf_append(&copy, tex + skip, tl - skip);
    put_formula(pg, out, copy.data, copy.len, display, F_LATEX_IMG);
    sbuf_free(&copy);
    return 1;
}

/* Strips one pair of TeX delimiters around s (for .math-container text). */
static void strip_tex_delims(const char **s, size_t *n, int *display)
{
    const char *p = *s;
    size_t l = *n;
    while (l && isspace((unsigned char)*p)) p++, l--;
    while (l && isspace((unsigned char)p[l - 1])) l--;
    *display = 0;
    if (l >= 4 && !strncmp(p, "$$", 2) && !strncmp(p + l - 2, "$$", 2)) {
        p += 2, l -= 4, *display = 1;
    } else if (l >= 4 && !strncmp(p, "\\[", 2) && !strncmp(p + l - 2, "\\]", 2)) {
        p += 2, l -= 4, *display = 1;
    } else if (l >= 4 && !strncmp(p, "\\(", 2) && !strncmp(p + l - 2, "\\)", 2)) {
        p += 2, l -= 4;
    } else if (l >= 2 && p[0] == '$' && p[l - 1] == '$') {
        p += 1, l -= 2;
    } else if (l >= 7 && !strncmp(p, "\\begin{", 7)) {
        *display = 1;
    }
    *s = p;
    *n = l;
}

/* sup_sub_rule: <sup>/<sub> becomes ^{..}/_{..} when the text just written
 * ends in a math-like token (a letter, digit, ')' or ']' directly before
 * the element, with no space), the token before is short (at most 3
 * letters, or digits, so "x", "a2", "10", "(n+1)" but not "Smith"), and the
 * script's own text is short and math-like (letters, digits, + - − = ( ) *
 * ' , . and spaces, at most 12 characters, not a footnote mark like [1] or
 * an ordinal like "st", "nd", "rd", "th", "er", "e"). */
static int sup_sub_rule(xmlNode *n, sbuf *out, sbuf *script)
{
    if (!out->len) return 0;
    char last = out->data[out->len - 1];
    if (!(isalnum((unsigned char)last) || last == ')' || last == ']')) return 0;
    size_t i = out->len, letters = 0, digits = 0;
    while (i > 0 && isalnum((unsigned char)out->data[i - 1])) {
        if (isdigit((unsigned char)out->data[i - 1])) digits++;
        else letters++;
        i--;
    }
    if (letters > 3) return 0;
    sbuf_reset(script);
    text_content(n, script);
    size_t b = 0, e = script->len;
    while (b < e && isspace((unsigned char)script->data[b])) b++;
    while (e > b && isspace((unsigned char)script->data[e - 1])) e--;
    if (e == b || e - b > 12) return 0;
    for (size_t k = b; k < e; k++) {
        unsigned char ch = (unsigned char)script->data[k];
        if (!(isalnum(ch) || strchr("+-=()*',. ", ch) || ch >= 0x80)) return 0;
    }
    static const char *const ordinals[] = {"st", "nd", "rd", "th", "er", "e", "re", "ème", "ter", "o", "a", NULL};
    if (digits && !letters)
        for (int k = 0; ordinals[k]; k++)
            if (e - b == strlen(ordinals[k]) && !strncasecmp(script->data + b, ordinals[k], e - b)) return 0;
    memmove(script->data, script->data + b, e - b);
    script->len = e - b;
    script->data[script->len] = 0;
    return 1;
}

int mathnorm_node(mathnorm_page *pg, xmlNode *n, sbuf *out)
{
    if (!n || n->type != XML_ELEMENT_NODE) return 0;
    const char *nm = lname(n);
    sbuf *t = &pg->tmp;
    /* fast path: extract asks about every element of every page */
    if (strcasecmp(nm, "math") && strcasecmp(nm, "script") && strcasecmp(nm, "img") && strcasecmp(nm, "sup") &&
        strcasecmp(nm, "sub") && strcasecmp(nm, "mjx-container")) {
        const char *cls = get_attr(n, "class");
        if (!cls || !(strcasestr(cls, "math") || strcasestr(cls, "tex"))) return 0;
    }

    if (!strcasecmp(nm, "math")) {
        sbuf_reset(t);
        mathnorm_mathml_node_to_latex(n, t, &pg->st);
        const char *disp = get_attr(n, "display");
        const char *mode = get_attr(n, "mode");
        int display = (disp && !strcasecmp(disp, "block")) || (mode && !strcasecmp(mode, "display"));
        sbuf copy = SBUF_INIT;
        sbuf_append(&copy, t->data ? t->data : "", t->len);
        put_formula(pg, out, copy.data, copy.len, display, F_MATHML);
        sbuf_free(&copy);
        return 1;
    }
    if (!strcasecmp(nm, "script")) {
        const char *type = get_attr(n, "type");
        if (!type || strncasecmp(type, "math/", 5) != 0) return 0;
        int display = strcasestr(type, "mode=display") != NULL;
        sbuf src = SBUF_INIT;
        text_content(n, &src);
        if (!strncasecmp(type + 5, "tex", 3)) {
            /* MathJax also strips a wrapping <![CDATA[ .. ]]> or // <![CDATA[ */
            const char *s = src.data ? src.data : "";
            size_t l = src.len;
            const char *cd = strstr(s, "<![CDATA[");
            if (cd) {
                const char *ce = strstr(cd, "]]>");
                if (ce) {
                    s = cd + 9;
                    l = (size_t)(ce - s);
                }
            }
            put_formula(pg, out, s, l, display, display ? F_MATHJAX_DISPLAY : F_MATHJAX_TEX);
        } else if (!strncasecmp(type + 5, "asciimath", 9)) {
            sbuf tex = SBUF_INIT;
            mathnorm_asciimath_to_latex(src.data ? src.data : "", src.len, &tex, &pg->st);
            put_formula(pg, out, tex.data ? tex.data : "", tex.len, display, F_ASCIIMATH);
            sbuf_free(&tex);
        } else if (!strncasecmp(type + 5, "mml", 3) || !strncasecmp(type + 5, "mathml", 6)) {
            sbuf tex = SBUF_INIT;
            cd_err e;
            if (mathnorm_mathml_to_latex_stats(src.data ? src.data : "", src.len, &tex, &pg->st, &e) == 0) {
                pg->st.formulas--;   /* put_formula counts it */
                display = display || strstr(src.data, "display=\"block\"") != NULL;
                put_formula(pg, out, tex.data, tex.len, display, F_MATHJAX_MML);
            }
            sbuf_free(&tex);
        } else {
            sbuf_free(&src);
            return 0;
        }
        sbuf_free(&src);
        return 1;
    }
    /* Wikipedia/MediaWiki: a span holding hidden MathML and a fallback image
     * of the same formula; written once */
    if (has_class(n, "mwe-math-element")) {
        xmlNode *m = find_desc(n, "math", NULL);
        int display = find_desc(n, NULL, "mwe-math-mathml-display") || find_desc(n, NULL, "mwe-math-fallback-image-display");
        if (m) {
            if (get_attr(m, "display") && !strcasecmp(get_attr(m, "display"), "block")) display = 1;
            sbuf_reset(t);
            mathnorm_mathml_node_to_latex(m, t, &pg->st);
            sbuf copy = SBUF_INIT;
            sbuf_append(&copy, t->data ? t->data : "", t->len);
            put_formula(pg, out, copy.data, copy.len, display, F_MATHML);
            sbuf_free(&copy);
            return 1;
        }
        xmlNode *img = find_desc(n, "img", NULL);
        return img ? node_img(pg, img, out) : 0;
    }
    /* MathJax's rendered output: a duplicate when its source script follows */
    if (has_class(n, "MathJax_Preview") || has_class(n, "MathJax") || has_class(n, "MathJax_Display") ||
        has_class(n, "MathJax_SVG") || has_class(n, "MathJax_CHTML") || has_class(n, "MathJax_SVG_Display") ||
        has_class(n, "MathJax_MathML") || is_el(n, "mjx-container")) {
        xmlNode *sib = next_elem_sibling(n);
        while (sib && (has_class(sib, "MathJax") || has_class(sib, "MathJax_Display") ||
                       has_class(sib, "MathJax_SVG_Display") || has_class(sib, "MathJax_SVG")))
            sib = next_elem_sibling(sib);
        if (sib && is_el(sib, "script") && get_attr(sib, "type") && !strncasecmp(get_attr(sib, "type"), "math/", 5))
            return 1;
        xmlNode *m = find_desc(n, "math", NULL);
        if (m) {
            sbuf_reset(t);
            mathnorm_mathml_node_to_latex(m, t, &pg->st);
            const char *d = get_attr(n, "display");
            int display = has_class(n, "MathJax_Display") || has_class(n, "MathJax_SVG_Display") ||
                          (d && !strcasecmp(d, "true")) || (get_attr(m, "display") && !strcasecmp(get_attr(m, "display"), "block"));
            sbuf copy = SBUF_INIT;
            sbuf_append(&copy, t->data ? t->data : "", t->len);
            put_formula(pg, out, copy.data, copy.len, display, F_MATHML);
            sbuf_free(&copy);
            return 1;
        }
        return has_class(n, "MathJax_Preview") ? 1 : 0;
    }
    if (has_class(n, "math-container") || has_class(n, "wp-katex-eq")) {
        int wp = has_class(n, "wp-katex-eq");
        sbuf src = SBUF_INIT;
        text_content(n, &src);
        const char *s = src.data ? src.data : "";
        size_t l = src.len;
        int display = 0;
        strip_tex_delims(&s, &l, &display);
        if (wp) {
            const char *dd = get_attr(n, "data-display");
            display = dd && !strcasecmp(dd, "true");
        }
        if (is_el(n, "div")) display = 1;
        put_formula(pg, out, s, l, display, wp ? F_WP_KATEX : F_MATH_CONTAINER);
        sbuf_free(&src);
        return 1;
    }
    /* KaTeX: the TeX annotation (or the MathML) inside .katex-mathml */
    if (has_class(n, "katex-display") || has_class(n, "katex")) {
        xmlNode *m = find_desc(n, "math", NULL);
        if (!m) return 0;
        sbuf_reset(t);
        mathnorm_mathml_node_to_latex(m, t, &pg->st);
        int display = has_class(n, "katex-display") ||
                      (get_attr(m, "display") && !strcasecmp(get_attr(m, "display"), "block"));
        sbuf copy = SBUF_INIT;
        sbuf_append(&copy, t->data ? t->data : "", t->len);
        put_formula(pg, out, copy.data, copy.len, display, display ? F_KATEX_DISPLAY : F_KATEX);
        sbuf_free(&copy);
        return 1;
    }
    /* pandoc (<span class="math inline">\(..\)</span>, "math display") and
     * jsMath (<span class="math">TeX</span>, <div class="math">): TeX inside */
    if ((!strcasecmp(nm, "span") || !strcasecmp(nm, "div")) &&
        (has_class(n, "math") || has_class(n, "tex") || has_class(n, "latex"))) {
        sbuf src = SBUF_INIT;
        text_content(n, &src);
        const char *sp = src.data ? src.data : "";
        size_t l = src.len;
        int display = 0;
        size_t before = l;
        strip_tex_delims(&sp, &l, &display);
        int delimited = l != before;
        int ok = (delimited || strpbrk(sp, "\\^_=") != NULL) && l > 0 && !find_desc(n, NULL, NULL);
        if (ok) {
            display = display || has_class(n, "display") || !strcasecmp(nm, "div");
            sbuf copy = SBUF_INIT;
            sbuf_append(&copy, sp, l);
            put_formula(pg, out, copy.data, copy.len, display, F_TEX_CLASS);
            sbuf_free(&copy);
        }
        sbuf_free(&src);
        if (ok) return 1;
    }
    if (!strcasecmp(nm, "img")) return node_img(pg, n, out);
    if (!strcasecmp(nm, "sup") || !strcasecmp(nm, "sub")) {
        sbuf script = SBUF_INIT;
        int ok = sup_sub_rule(n, out, &script);
        if (ok) {
            sbuf_puts(out, strcasecmp(nm, "sup") ? "_{" : "^{");
            mathnorm_emit_text(out, script.data, script.len);
            sbuf_putc(out, '}');
            pg->forms[F_SUP_SUB]++;
        }
        sbuf_free(&script);
        return ok;
    }
    return 0;
}

/* ------------------------------------------------------------------- text */

static const char *const display_envs[] = {"equation", "equation*", "align", "align*", "gather", "gather*",
                                           "multline", "multline*", "eqnarray", "eqnarray*", "displaymath",
                                           "flalign", "flalign*", "alignat", "alignat*", "math", NULL};

/* At s[i] (a '\' of "\begin{"), the end of the matching \end{env}; 0 if it
 * is not a math environment or is not closed. */
static size_t env_end(const char *s, size_t n, size_t i, int *display)
{
    if (i + 7 > n || strncmp(s + i, "\\begin{", 7)) return 0;
    size_t j = i + 7, k = j;
    while (k < n && k - j < 20 && s[k] != '}') k++;
    if (k >= n || s[k] != '}') return 0;
    char env[24];
    memcpy(env, s + j, k - j);
    env[k - j] = 0;
    int ok = 0;
    for (int e = 0; display_envs[e]; e++)
        if (!strcmp(env, display_envs[e])) ok = 1;
    if (!ok) return 0;
    *display = strcmp(env, "math") != 0;
    char endtag[40];
    snprintf(endtag, sizeof endtag, "\\end{%s}", env);
    const char *e = memmem(s + k, n - k, endtag, strlen(endtag));
    if (!e) return 0;
    return (size_t)(e - s) + strlen(endtag);
}

/* Case-insensitive memmem for an ASCII needle. */
static const char *find_ci(const char *h, size_t n, const char *needle)
{
    size_t l = strlen(needle);
    for (size_t i = 0; i + l <= n; i++)
        if (!strncasecmp(h + i, needle, l)) return h + i;
    return NULL;
}

static int latex_command_at(const char *s, size_t n, size_t i)
{
    static const char *const cmds[] = {"frac", "sum", "int", "sqrt", "alpha", "beta", "begin", "left",
                                       "mathbb", "mathrm", "cdot", "infty", "partial", "leq", "geq",
                                       "lambda", "theta", "pi", "prod", "lim", "times", NULL};
    for (int k = 0; cmds[k]; k++) {
        size_t l = strlen(cmds[k]);
        if (i + 1 + l <= n && !strncmp(s + i + 1, cmds[k], l) && (i + 1 + l == n || !isalpha((unsigned char)s[i + 1 + l])))
            return 1;
    }
    return 0;
}

/* Appends s[from..to) as prose: each unescaped '$' becomes \$. */
static void flush_literal(const char *s, size_t from, size_t to, sbuf *out)
{
    while (from < to) {
        const char *d = memchr(s + from, '$', to - from);
        size_t end = d ? (size_t)(d - s) : to;
        sbuf_append(out, s + from, end - from);
        if (!d) break;
        if (end == 0 || s[end - 1] != '\\') sbuf_putc(out, '\\');
        sbuf_putc(out, '$');
        from = end + 1;
    }
}

void mathnorm_text(mathnorm_page *pg, const char *s, size_t n, sbuf *out)
{
    if (!out->data) sbuf_append(out, "", 0);
    size_t i = 0, lit = 0;   /* s[lit..i) is pending literal text */
    /* Closers searched for and not found: after a few, an opener of that
     * kind is literal, so hostile text (thousands of unclosed \( ) stays
     * linear. */
    int fails[MAX_DELIMS] = {0}, env_fails = 0, wiki_fails = 0;
    enum { MAX_CLOSER_MISSES = 8 };
#define FLUSH_LIT() flush_literal(s, lit, i, out)
    while (i < n) {
        char ch = s[i];
        if (!pg->special[(unsigned char)ch]) {
            i++;
            continue;
        }
        if (ch == '\\' && i + 1 < n && s[i + 1] == '$') {
            /* already-escaped dollar: literal */
            i += 2;
            continue;
        }
        if (ch == '\\' && latex_command_at(s, n, i)) pg->signals[S_LATEX_CMD] = 1;
        /* environments */
        if (ch == '\\' && !pg->no_environments && env_fails < MAX_CLOSER_MISSES && i + 7 <= n &&
            !strncmp(s + i, "\\begin{", 7)) {
            int display = 1;
            size_t e = env_end(s, n, i, &display);
            if (!e) env_fails++;
            if (e) {
                FLUSH_LIT();
                put_formula(pg, out, s + i, e - i, display, F_TEX_ENV);
                i = lit = e;
                continue;
            }
        }
        /* AsciiMath between backticks, on pages that load MathJax's AsciiMath input */
        if (ch == '`' && pg->asciimath_ticks) {
            const char *close = i + 1 < n ? memchr(s + i + 1, '`', n - i - 1) : NULL;
            if (close && close > s + i + 1) {
                FLUSH_LIT();
                sbuf tex = SBUF_INIT;
                mathnorm_asciimath_to_latex(s + i + 1, (size_t)(close - s) - i - 1, &tex, &pg->st);
                put_formula(pg, out, tex.data ? tex.data : "", tex.len, 0, F_ASCIIMATH);
                sbuf_free(&tex);
                i = lit = (size_t)(close - s) + 1;
                continue;
            }
            i++;
            continue;
        }
        /* escaped wiki math: <math>..</math> as text */
        if (ch == '<' && wiki_fails < MAX_CLOSER_MISSES && i + 6 <= n && !strncasecmp(s + i, "<math", 5) &&
            (s[i + 5] == '>' || s[i + 5] == ' ')) {
            const char *gt = memchr(s + i, '>', n - i);
            const char *end = gt ? find_ci(gt, n - (size_t)(gt - s), "</math>") : NULL;
            if (!end) wiki_fails++;
            if (gt && end) {
                FLUSH_LIT();
                int display = memmem(s + i, (size_t)(gt - (s + i)), "block", 5) != NULL;
                put_formula(pg, out, gt + 1, (size_t)(end - gt - 1), display, F_WIKI_MATH);
                i = lit = (size_t)(end - s) + 7;
                continue;
            }
        }
        /* declared or default delimiters, longest opener first */
        int best = -1;
        size_t bl = 0;
        for (int k = 0; k < pg->nd; k++) {
            size_t l = strlen(pg->d[k].open);
            if (l > bl && i + l <= n && fails[k] < MAX_CLOSER_MISSES && !strncmp(s + i, pg->d[k].open, l)) {
                best = k;
                bl = l;
            }
        }
        if (best < 0) {
            i++;
            continue;
        }
        const delim *d = &pg->d[best];
        size_t ol = strlen(d->open), cl = strlen(d->close);
        size_t start = i + ol, found = 0, pos = start;
        int single_dollar = !strcmp(d->open, "$") && !strcmp(d->close, "$");
        if (single_dollar && (start >= n || isspace((unsigned char)s[start]))) {
            i++;
            continue;
        }
        while (pos + cl <= n) {
            const char *hit = memmem(s + pos, n - pos, d->close, cl);
            if (!hit) break;
            size_t h = (size_t)(hit - s);
            if (h > 0 && s[h - 1] == '\\' && d->close[0] == '$') {
                pos = h + 1;
                continue;
            }
            if (single_dollar) {
                if (h + 1 < n && s[h + 1] == '$') {
                    /* $$ inside a $..$ run: not a closer */
                    break;
                }
                if (isspace((unsigned char)s[h - 1]) || (h + 1 < n && isdigit((unsigned char)s[h + 1]))) {
                    pos = h + 1;
                    /* pandoc: the first candidate decides; a bad closer means no math */
                    break;
                }
            }
            found = h + 1;
            break;
        }
        if (!found && !single_dollar) fails[best]++;
        if (!found || found - 1 == start) {
            i += single_dollar ? 1 : ol;
            continue;
        }
        size_t h = found - 1;
        FLUSH_LIT();
        put_formula(pg, out, s + start, h - start, d->display,
                    d->display ? F_TEX_DISPLAY : F_TEX_INLINE);
        i = lit = h + cl;
    }
    FLUSH_LIT();
#undef FLUSH_LIT
}

/* -------------------------------------------------------------- metadata */

int mathnorm_page_is_math(const mathnorm_page *pg)
{
    if (pg->st.formulas > 0) return 1;
    for (int k = 0; k < S_NSIGNALS; k++)
        if (pg->signals[k]) return 1;
    return 0;
}

void mathnorm_page_annotate(const mathnorm_page *pg, doc *d)
{
    json_value *m = json_new_object(&d->arena);
    json_value *forms = json_new_array(&d->arena);
    for (int k = 0; k < F_NFORMS; k++)
        if (pg->forms[k]) json_array_push(&d->arena, forms, json_new_cstr(&d->arena, form_names[k]));
    json_value *sig = json_new_array(&d->arena);
    int nsig = 0;
    for (int k = 0; k < S_NSIGNALS; k++)
        if (pg->signals[k]) {
            json_array_push(&d->arena, sig, json_new_cstr(&d->arena, signal_names[k]));
            nsig++;
        }
    uint64_t nformulas = 0;
    for (int k = 0; k < F_NFORMS; k++) nformulas += pg->forms[k];
    json_object_set(&d->arena, m, "forms", forms);
    json_object_set(&d->arena, m, "score", json_new_int(&d->arena, (int64_t)(nformulas + (uint64_t)nsig)));
    json_object_set(&d->arena, m, "formulas", json_new_int(&d->arena, (int64_t)nformulas));
    json_object_set(&d->arena, m, "signals", sig);
    json_object_set(&d->arena, m, "unmapped", json_new_int(&d->arena, (int64_t)pg->st.unmapped));
    json_object_set(&d->arena, m, "is_math", json_new_bool(&d->arena, mathnorm_page_is_math(pg)));
    doc_meta_set(d, "math", m);
}

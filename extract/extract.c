/*
 * extract.c: main-content extraction from HTML (see extract.h).
 *
 * Pipeline for one page:
 *   1. cap the input (max_html_bytes), replace NUL bytes, drop the text of
 *      <style> and of scripts mathnorm does not read (strip_raw_text), parse
 *      with libxml2, whose memory comes from the context's arena
 *      (xmlarena.h) and is dropped at once at the end;
 *   2. classify every element once (tag, hidden, class/id hints, weight) and
 *      record the title and <html lang>;
 *   3. compute per-element statistics bottom-up (visible text, link text,
 *      commas, paragraphs, list items, images, inputs, embeds), ignoring the
 *      subtrees excluded at this attempt;
 *   4. score paragraph-like blocks onto their ancestors (Readability's
 *      scheme, Mozilla readability.js), pick the best candidate, join
 *      siblings of similar score; schema.org itemprop=articleBody wins when
 *      it holds enough of the text;
 *   5. render the chosen subtrees as structured plain text, pruning
 *      link-dense and low-content blocks conditionally.
 * If the result is short, steps 3-5 are retried with the class-name hints
 * and the conditional pruning switched off (as Readability does), and the
 * longest result wins.
 *
 * Invariants: every walk is iterative (parent/next pointers, O(1) stack);
 * nothing libxml2 allocated for a page outlives extract_html();
 * per-element data lives in ctx->info, indexed through node->_private (index
 * + 1), so it stays valid while the array grows; nothing here keeps global
 * mutable state except the read-only tag table built by a constructor.
 */
#include "extract/extract.h"
#include "extract/xmlarena.h"
#include "core/json.h"
#include "mathnorm/mathnorm.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ tags */

enum {
    T_OTHER = 0, T_A, T_P, T_BR, T_PRE, T_CODE, T_LI, T_UL, T_OL, T_DL, T_DT, T_DD, T_TABLE, T_TR,
    T_TD, T_TH, T_H1, T_H2, T_H3, T_H4, T_H5, T_H6, T_DIV, T_SECTION, T_ARTICLE, T_MAIN, T_BODY,
    T_HTML, T_IMG, T_INPUT, T_EMBED, T_FIGURE, T_FIGCAPTION, T_BLOCKQUOTE, T_HR, T_FORM, T_TITLE,
    T_META, T_SCRIPT, T_HEADER, T_FOOTER, T_NAV, T_ASIDE, T_CAPTION, T_SPAN, T_ADDRESS, T_SELECT,
    T_TEXTAREA, T_BUTTON, T_FIELDSET, T_LABEL, T_TIME,
};

/* tag flags */
#define F_BLOCK 0x01   /* line break around */
#define F_PARA 0x02    /* blank line around */
#define F_SKIP 0x04    /* never rendered */
#define F_BOILER 0x08  /* boilerplate container (precision/recall) */
#define F_HEAD 0x10    /* heading */

typedef struct tag_def {
    const char *name;
    unsigned char id;
    unsigned char fl;
} tag_def;

static const tag_def TAGS[] = {
    {"a", T_A, 0}, {"p", T_P, F_BLOCK | F_PARA}, {"br", T_BR, 0},
    {"pre", T_PRE, F_BLOCK | F_PARA}, {"code", T_CODE, 0}, {"li", T_LI, F_BLOCK},
    {"ul", T_UL, F_BLOCK | F_PARA}, {"ol", T_OL, F_BLOCK | F_PARA}, {"dl", T_DL, F_BLOCK | F_PARA},
    {"dt", T_DT, F_BLOCK}, {"dd", T_DD, F_BLOCK}, {"table", T_TABLE, F_BLOCK | F_PARA},
    {"tr", T_TR, F_BLOCK}, {"td", T_TD, 0}, {"th", T_TH, 0},
    {"h1", T_H1, F_BLOCK | F_PARA | F_HEAD}, {"h2", T_H2, F_BLOCK | F_PARA | F_HEAD},
    {"h3", T_H3, F_BLOCK | F_PARA | F_HEAD}, {"h4", T_H4, F_BLOCK | F_PARA | F_HEAD},
    {"h5", T_H5, F_BLOCK | F_PARA | F_HEAD}, {"h6", T_H6, F_BLOCK | F_PARA | F_HEAD},
    {"div", T_DIV, F_BLOCK}, {"section", T_SECTION, F_BLOCK}, {"article", T_ARTICLE, F_BLOCK},
    {"main", T_MAIN, F_BLOCK}, {"body", T_BODY, F_BLOCK}, {"html", T_HTML, F_BLOCK},
    {"img", T_IMG, 0}, {"input", T_INPUT, F_SKIP}, {"embed", T_EMBED, F_SKIP},
    {"object", T_EMBED, F_SKIP}, {"iframe", T_EMBED, F_SKIP}, {"video", T_EMBED, F_SKIP},
    {"audio", T_EMBED, F_SKIP}, {"figure", T_FIGURE, F_BLOCK | F_PARA},
    {"figcaption", T_FIGCAPTION, F_BLOCK}, {"blockquote", T_BLOCKQUOTE, F_BLOCK | F_PARA},
    {"hr", T_HR, F_BLOCK | F_PARA}, {"form", T_FORM, F_BLOCK}, {"title", T_TITLE, F_SKIP},
    {"meta", T_META, F_SKIP}, {"script", T_SCRIPT, F_SKIP}, {"style", T_OTHER, F_SKIP},
    {"noscript", T_OTHER, F_SKIP}, {"template", T_OTHER, F_SKIP}, {"head", T_OTHER, F_SKIP},
    {"svg", T_OTHER, F_SKIP}, {"canvas", T_OTHER, F_SKIP}, {"link", T_OTHER, F_SKIP},
    {"select", T_SELECT, F_SKIP}, {"option", T_OTHER, F_SKIP}, {"datalist", T_OTHER, F_SKIP},
    {"textarea", T_TEXTAREA, F_SKIP}, {"button", T_BUTTON, F_SKIP}, {"map", T_OTHER, F_SKIP},
    {"dialog", T_OTHER, F_SKIP}, {"param", T_OTHER, F_SKIP}, {"source", T_OTHER, F_SKIP},
    {"track", T_OTHER, F_SKIP}, {"frameset", T_OTHER, F_SKIP}, {"frame", T_OTHER, F_SKIP},
    {"header", T_HEADER, F_BLOCK | F_BOILER}, {"footer", T_FOOTER, F_BLOCK | F_BOILER},
    {"nav", T_NAV, F_BLOCK | F_BOILER}, {"aside", T_ASIDE, F_BLOCK | F_BOILER},
    {"menu", T_OTHER, F_BLOCK | F_BOILER}, {"caption", T_CAPTION, F_BLOCK}, {"span", T_SPAN, 0},
    {"address", T_ADDRESS, F_BLOCK}, {"fieldset", T_FIELDSET, F_BLOCK}, {"legend", T_OTHER, F_BLOCK},
    {"label", T_LABEL, 0}, {"time", T_TIME, 0}, {"center", T_OTHER, F_BLOCK},
    {"details", T_OTHER, F_BLOCK}, {"summary", T_OTHER, F_BLOCK}, {"hgroup", T_OTHER, F_BLOCK},
    {"dir", T_UL, F_BLOCK | F_PARA}, {"listing", T_PRE, F_BLOCK | F_PARA},
    {"xmp", T_PRE, F_BLOCK | F_PARA}, {"plaintext", T_PRE, F_BLOCK | F_PARA},
    {"thead", T_OTHER, 0}, {"tbody", T_OTHER, 0}, {"tfoot", T_OTHER, 0},
    {"samp", T_CODE, 0}, {"kbd", T_CODE, 0}, {"tt", T_CODE, 0},
};

#define TAG_HASH 512
static struct { const char *name; unsigned char id, fl; } g_tag_hash[TAG_HASH];

static unsigned tag_hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h & (TAG_HASH - 1);
}

__attribute__((constructor)) static void extract_tags_init(void)
{
    for (size_t i = 0; i < sizeof TAGS / sizeof TAGS[0]; i++) {
        unsigned h = tag_hash(TAGS[i].name);
        while (g_tag_hash[h].name) h = (h + 1) & (TAG_HASH - 1);
        g_tag_hash[h].name = TAGS[i].name;
        g_tag_hash[h].id = TAGS[i].id;
        g_tag_hash[h].fl = TAGS[i].fl;
    }
    extract_global_init();
}

static void tag_lookup(const char *name, unsigned char *id, unsigned char *fl)
{
    unsigned h = tag_hash(name);
    while (g_tag_hash[h].name) {
        if (!strcmp(g_tag_hash[h].name, name)) {
            *id = g_tag_hash[h].id;
            *fl = g_tag_hash[h].fl;
            return;
        }
        h = (h + 1) & (TAG_HASH - 1);
    }
    *id = T_OTHER;
    *fl = 0;
}

void extract_global_init(void)
{
    static int done;
    if (!done) xa_install();   /* before the first parse; constructors run single-threaded */
    done = 1;
    xmlInitParser();
}

/* ------------------------------------------------------------ node info */

/* per-element flags */
#define NI_SKIP 0x01      /* not visible (script, style, hidden) */
#define NI_BOILTAG 0x02   /* nav/aside/footer/header/menu or a boilerplate role */
#define NI_UNLIKELY 0x04  /* class/id names say boilerplate */
#define NI_HIDDENISH 0x08 /* screen-reader-only and similar class names */
#define NI_ABODY 0x10     /* itemprop=articleBody */
#define NI_HASBLOCK 0x20  /* has a block-level child element */
#define NI_DATATABLE 0x40 /* table rendered as rows and cells */
#define NI_CAND 0x80      /* has a content score */
#define NI_CODEBLOCK 0x100 /* rendering: a <code> opened as a block */
#define NI_MATHCAND 0x200 /* mathnorm_node() may take it (see classify) */

typedef struct ninfo {
    uint32_t text, link, commas;
    uint32_t np, nli, nimg, ninput, nembed, ntable, ncell, nhead;
    uint32_t own_text, own_link, own_commas, nbr;  /* inline content directly inside */
    float score;
    uint16_t flags;
    signed char weight;   /* class weight in units of 25 */
    unsigned char tag, tfl;
    xmlNode *node;
} ninfo;

#define TAGC 128

struct extract_ctx {
    ninfo *info;
    size_t ninfo, cap;
    sbuf tmp, cls, cur;
    sbuf in;        /* the page as handed to libxml2 (raw text dropped, NULs replaced) */
    xmlNode **roots;
    size_t nroots, rcap;
    mathnorm_page *pg;
    uint32_t body_text;
    xa_arena *xa;   /* libxml2's memory for the page being extracted; NULL: malloc */
    /* tag of an element name, by the name's pointer: libxml2 interns
     * element names in the page's dictionary; valid for one page only */
    struct { const xmlChar *name; unsigned char id, fl; } tagc[TAGC];
};

extract_ctx *extract_ctx_new(void)
{
    extract_ctx *c = xcalloc(1, sizeof(extract_ctx));
    c->xa = xa_new();
    return c;
}

void extract_ctx_free(extract_ctx *c)
{
    if (!c) return;
    xa_free(c->xa);
    free(c->info);
    free(c->roots);
    sbuf_free(&c->tmp);
    sbuf_free(&c->cls);
    sbuf_free(&c->cur);
    sbuf_free(&c->in);
    free(c);
}

void extract_result_free(extract_result *r)
{
    sbuf_free(&r->text);
    sbuf_free(&r->title);
    sbuf_free(&r->lang);
}

void extract_opts_default(extract_opts *o)
{
    memset(o, 0, sizeof *o);
    o->mode = EXTRACT_PRECISION;
    o->max_html_bytes = (size_t)8 << 20;
    o->math = 1;
}

int extract_mode_parse(const char *s, extract_mode *out)
{
    if (!s) return -1;
    if (!strcmp(s, "precision")) *out = EXTRACT_PRECISION;
    else if (!strcmp(s, "recall")) *out = EXTRACT_RECALL;
    else if (!strcmp(s, "full")) *out = EXTRACT_FULL;
    else return -1;
    return 0;
}

const char *extract_mode_name(extract_mode m)
{
    return m == EXTRACT_RECALL ? "recall" : m == EXTRACT_FULL ? "full" : "precision";
}

static inline ninfo *NI(extract_ctx *c, const xmlNode *n)
{
    uintptr_t k = (uintptr_t)n->_private;
    return k ? &c->info[k - 1] : NULL;
}

static inline int is_elem(const xmlNode *n) { return n->type == XML_ELEMENT_NODE; }

/* The value of attribute `name` without allocating, or NULL. */
static const char *attr(const xmlNode *n, const char *name)
{
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        if (a->name && !strcmp((const char *)a->name, name)) {
            if (a->children && a->children->type == XML_TEXT_NODE && a->children->content)
                return (const char *)a->children->content;
            return "";
        }
    }
    return NULL;
}

static void tag_cached(extract_ctx *c, const xmlChar *name, unsigned char *id, unsigned char *fl)
{
    unsigned h = (unsigned)(((uintptr_t)name >> 4) ^ ((uintptr_t)name >> 11)) & (TAGC - 1);
    if (c->tagc[h].name != name) {
        tag_lookup((const char *)name, &c->tagc[h].id, &c->tagc[h].fl);
        c->tagc[h].name = name;
    }
    *id = c->tagc[h].id;
    *fl = c->tagc[h].fl;
}

/* --------------------------------------------------------- class hints */

/* The attributes classify() reads, found in one pass over the element's
 * attribute list (names are lowercase: libxml2's HTML parser folds them);
 * the first occurrence wins, as with attr(). */
typedef struct eattrs {
    const char *hidden, *aria_hidden, *style, *itemprop, *role, *property, *content, *lang, *xml_lang, *cls, *id;
} eattrs;

static void elem_attrs(const xmlNode *n, eattrs *e)
{
    memset(e, 0, sizeof *e);
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        const char *nm = (const char *)a->name;
        if (!nm) continue;
        const char **slot = NULL;
        switch (nm[0]) {
        case 'a': if (!strcmp(nm, "aria-hidden")) slot = &e->aria_hidden; break;
        case 'c':
            if (!strcmp(nm, "class")) slot = &e->cls;
            else if (!strcmp(nm, "content")) slot = &e->content;
            break;
        case 'h': if (!strcmp(nm, "hidden")) slot = &e->hidden; break;
        case 'i':
            if (nm[1] == 'd' && !nm[2]) slot = &e->id;
            else if (!strcmp(nm, "itemprop")) slot = &e->itemprop;
            break;
        case 'l': if (!strcmp(nm, "lang")) slot = &e->lang; break;
        case 'p': if (!strcmp(nm, "property")) slot = &e->property; break;
        case 'r': if (!strcmp(nm, "role")) slot = &e->role; break;
        case 's': if (!strcmp(nm, "style")) slot = &e->style; break;
        case 'x': if (!strcmp(nm, "xml:lang")) slot = &e->xml_lang; break;
        default: break;
        }
        if (slot && !*slot)
            *slot = a->children && a->children->type == XML_TEXT_NODE && a->children->content
                        ? (const char *)a->children->content
                        : "";
    }
}

/* Lowercased " class id " of an element, capped: hostile 10 MB attributes
 * cost one bounded copy. */
static const char *class_id(extract_ctx *c, const char *cls, const char *id)
{
    sbuf_reset(&c->cls);
    const char *v[2] = {cls, id};
    for (int i = 0; i < 2; i++) {
        if (!v[i]) continue;
        size_t len = strnlen(v[i], 200);
        sbuf_putc(&c->cls, ' ');
        for (size_t k = 0; k < len; k++) {
            char ch = v[i][k];
            if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
            sbuf_putc(&c->cls, ch);
        }
    }
    sbuf_putc(&c->cls, ' ');
    return c->cls.data;
}

/* Readability's unlikelyCandidates / okMaybeItsACandidate, extended with
 * names common on today's pages (cookie banners, share widgets, ...). */
static const char *const UNLIKELY[] = {
    "-ad-", "ad-break", "agegate", "banner", "breadcrumb", "combx", "comment", "community", "cookie",
    "consent", "gdpr", "disqus", "extra", "foot", "header", "legends", "menu", "related", "remark",
    "replies", "rss", "shoutbox", "sidebar", "skyscraper", "social", "sponsor", "supplemental",
    "pagination", "pager", "popup", "modal", "newsletter", "subscribe", "share", "sharing", "promo",
    "outbrain", "taboola", "recommend", "trending", "most-popular", "mostpopular", "signup",
    "sign-up", "toolbar", "masthead", "navbar", " nav ", "-nav", "nav-", "_nav", "nav_", "topnav",
    "byline", "author-bio", "tags", "widget", "yom-remote", "ai2html", "read-more",
    "readmore", "more-stories", "newsfeed", "rollover", "tooltip", "popover", "hovercard", "print-", "login", "jump-link", "adsense", " ad ",
    "-ads", "ads-", "advert", "caption", "credit", NULL,
};
static const char *const STRONG_ID[] = {"footer", "comments", "sidebar", "cookie", "related", "social",
                                        "newsletter", "breadcrumb", "masthead", NULL};
static const char *const MAYBE[] = {"and", "article", "body", "column", "content", "main", "shadow",
                                    "story", "entry", "post-text", "embed", "tweet", NULL};
static const char *const POSITIVE[] = {"article", "body", "content", "entry", "hentry", "h-entry",
                                       "main", "page", "post", "text", "blog", "story", NULL};
static const char *const NEGATIVE[] = {"-ad-", "hidden", " hid ", "banner", "combx", "comment",
                                       "com-", "contact", "foot", "masthead", "media", "meta",
                                       "outbrain", "promo", "related", "scroll", "share", "shoutbox",
                                       "sidebar", "skyscraper", "sponsor", "shopping", "tags", "tool",
                                       "widget", "byline", "author", "caption", "credit", NULL};
static const char *const HIDDENISH[] = {"sr-only", "visually-hidden", "visuallyhidden",
                                        "screen-reader", "screenreader", "offscreen", "a11y", "hidden",
                                        "tooltip", "popover", "rollover", "hovercard", NULL};

/* One pass over a class/id string finds which word lists match: words are
 * bucketed by first byte at start-up, so each position tries only the few
 * words starting with its byte (instead of ~130 strstr calls). */
enum { WL_UNLIKELY = 1, WL_MAYBE = 2, WL_POSITIVE = 4, WL_NEGATIVE = 8, WL_HIDDENISH = 16, WL_STRONG_ID = 32 };
#define WL_BUCKET 24
static struct {
    const char *w[WL_BUCKET];
    unsigned char len[WL_BUCKET];
    unsigned char bits[WL_BUCKET];
    int n;
} g_words[256];

static void wordlist_add(const char *const *words, unsigned bit)
{
    for (; *words; words++) {
        unsigned char f = (unsigned char)(*words)[0];
        int k;
        for (k = 0; k < g_words[f].n; k++)
            if (!strcmp(g_words[f].w[k], *words)) break;
        if (k == g_words[f].n) {
            if (k == WL_BUCKET) cd_die("extract: word bucket '%c' full", f);
            g_words[f].w[k] = *words;
            g_words[f].len[k] = (unsigned char)strlen(*words);
            g_words[f].n++;
        }
        g_words[f].bits[k] |= (unsigned char)bit;
    }
}

__attribute__((constructor)) static void extract_words_init(void)
{
    wordlist_add(UNLIKELY, WL_UNLIKELY);
    wordlist_add(MAYBE, WL_MAYBE);
    wordlist_add(POSITIVE, WL_POSITIVE);
    wordlist_add(NEGATIVE, WL_NEGATIVE);
    wordlist_add(HIDDENISH, WL_HIDDENISH);
    wordlist_add(STRONG_ID, WL_STRONG_ID);
}

static unsigned match_words(const char *s)
{
    unsigned bits = 0;
    for (const char *p = s; *p; p++) {
        unsigned char f = (unsigned char)*p;
        for (int k = 0; k < g_words[f].n; k++) {
            const char *w = g_words[f].w[k];
            if (p[1] == w[1] && !strncmp(p, w, g_words[f].len[k])) bits |= g_words[f].bits[k];
        }
    }
    return bits;
}

static int style_hidden(const char *st)
{
    char buf[160];
    size_t k = 0;
    for (size_t i = 0; st[i] && i < 400 && k + 1 < sizeof buf; i++) {
        char ch = st[i];
        if (ch == ' ' || ch == '\t' || ch == '\n') continue;
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        buf[k++] = ch;
    }
    buf[k] = 0;
    return strstr(buf, "display:none") || strstr(buf, "visibility:hidden");
}

/* ------------------------------------------------------------ pass 1 */

static void text_collapse_into(sbuf *out, const char *s, size_t n)
{
    int sp = out->len > 0 && out->data[out->len - 1] != ' ';
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r' || ch == '\f') {
            if (sp) {
                sbuf_putc(out, ' ');
                sp = 0;
            }
        } else {
            sbuf_putc(out, ch);
            sp = 1;
        }
    }
}

/* Collects the text of a subtree (titles), collapsed, capped at cap bytes. */
static void subtree_text(const xmlNode *root, sbuf *out, size_t cap)
{
    const xmlNode *n = root->children;
    while (n && out->len < cap) {
        if (n->type == XML_TEXT_NODE && n->content) text_collapse_into(out, (const char *)n->content, strlen((const char *)n->content));
        if (n->children && n->type == XML_ELEMENT_NODE) {
            n = n->children;
            continue;
        }
        while (n && !n->next) {
            n = n->parent;
            if (n == root) n = NULL;
        }
        if (n) n = n->next;
    }
    while (out->len && out->data[out->len - 1] == ' ') out->len--;
    if (out->len > cap) out->len = cap;
    if (out->data) out->data[out->len] = 0;
}

/* Gives every element an info record and its static classification. */
static void classify(extract_ctx *c, xmlDoc *doc, extract_mode mode, extract_result *r)
{
    c->ninfo = 0;
    memset(c->tagc, 0, sizeof c->tagc);
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *n = root;
    const char *og_title = NULL;
    while (n) {
        int descend = 0;
        if (is_elem(n) && n->name) {
            if (c->ninfo == c->cap) {
                c->cap = c->cap ? c->cap * 2 : 1024;
                c->info = xrealloc(c->info, c->cap * sizeof *c->info);
            }
            ninfo *in = &c->info[c->ninfo++];
            memset(in, 0, sizeof *in);
            in->node = n;
            n->_private = (void *)(uintptr_t)c->ninfo;
            tag_cached(c, n->name, &in->tag, &in->tfl);
            if (in->tfl & F_SKIP) in->flags |= NI_SKIP;
            if (n->properties) {
                eattrs ea;
                elem_attrs(n, &ea);
                if (ea.hidden) in->flags |= NI_SKIP;
                if (ea.aria_hidden && !strcmp(ea.aria_hidden, "true")) in->flags |= NI_SKIP;
                if (ea.style && style_hidden(ea.style)) in->flags |= NI_SKIP;
                const char *ip = ea.itemprop;
                if (ip && (strstr(ip, "articleBody") || strstr(ip, "articlebody"))) in->flags |= NI_ABODY;
                const char *role = ea.role;
                if (role && (!strcmp(role, "navigation") || !strcmp(role, "banner") ||
                             !strcmp(role, "contentinfo") || !strcmp(role, "complementary") ||
                             !strcmp(role, "menu") || !strcmp(role, "menubar") || !strcmp(role, "dialog") ||
                             !strcmp(role, "alertdialog")))
                    in->flags |= NI_BOILTAG;
                if (in->tag == T_META && !og_title) {
                    const char *p = ea.property;
                    if (p && !strcmp(p, "og:title")) og_title = ea.content;
                }
                if (in->tag == T_HTML && !r->lang.len) {
                    const char *l = ea.lang;
                    if (!l) l = ea.xml_lang;
                    if (l) text_collapse_into(&r->lang, l, strnlen(l, 64));
                }
                if (ea.cls || ea.id) {
                    unsigned m = match_words(class_id(c, ea.cls, ea.id));
                    int w = 0;
                    if (m & WL_NEGATIVE) w--;
                    if (m & WL_POSITIVE) w++;
                    in->weight = (signed char)w;
                    if (in->tag != T_BODY && in->tag != T_HTML && in->tag != T_A && in->tag != T_ARTICLE &&
                        in->tag != T_MAIN && (m & WL_UNLIKELY) && !(m & WL_MAYBE))
                        in->flags |= NI_UNLIKELY;
                    if (m & WL_HIDDENISH) in->flags |= NI_HIDDENISH;
                    /* an id is specific: id="footer" is the footer even when
                     * its class says "footer-content" */
                    const char *id = ea.id;
                    if (id && in->tag != T_BODY && in->tag != T_HTML && in->tag != T_ARTICLE && in->tag != T_MAIN) {
                        sbuf_reset(&c->cls);
                        for (size_t k = 0; id[k] && k < 64; k++)
                            sbuf_putc(&c->cls, (char)(id[k] >= 'A' && id[k] <= 'Z' ? id[k] - 'A' + 'a' : id[k]));
                        if (match_words(c->cls.data) & WL_STRONG_ID) in->flags |= NI_UNLIKELY;
                    }
                }
            }
            /* mathnorm_node() only looks further at math, script, img, sup,
             * sub and mjx-container elements (any prefix; none of them is
             * in TAGS, so T_OTHER) and at class names holding "math" or
             * "tex": other elements are not offered to it at all */
            if (in->tag == T_OTHER || in->tag == T_SCRIPT || in->tag == T_IMG) in->flags |= NI_MATHCAND;
            else if (n->properties) {
                const char *cl = attr(n, "class");
                if (cl && (strcasestr(cl, "math") || strcasestr(cl, "tex"))) in->flags |= NI_MATHCAND;
            }
            if (in->tfl & F_BOILER) in->flags |= NI_BOILTAG;
            if (in->tag == T_TITLE && !r->title.len) subtree_text(n, &r->title, 1024);
            if (n->parent && is_elem(n->parent) && (in->tfl & F_BLOCK)) {
                ninfo *p = NI(c, n->parent);
                if (p) p->flags |= NI_HASBLOCK;
            }
            descend = n->children != NULL;
        }
        if (descend) {
            n = n->children;
            continue;
        }
        while (n && !n->next) {
            n = n->parent;
            if (n == root) n = NULL;
        }
        if (n && n != root) n = n->next;
        else n = NULL;
    }
    if (!r->title.len && og_title) text_collapse_into(&r->title, og_title, strnlen(og_title, 1024));
    while (r->title.len && r->title.data[r->title.len - 1] == ' ') r->title.len--;
    if (r->title.data) r->title.data[r->title.len] = 0;
    while (r->lang.len && r->lang.data[r->lang.len - 1] == ' ') r->lang.len--;
    if (r->lang.data) r->lang.data[r->lang.len] = 0;
}

/* ------------------------------------------------------------ stats */

static void count_text(ninfo *p, const char *s)
{
    uint32_t t0 = p->text, c0 = p->commas;
    uint32_t chars = 0, commas = 0;
    for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
        unsigned char ch = *u;
        if (ch <= ' ') continue;
        if ((ch & 0xC0) == 0x80) continue;   /* UTF-8 continuation */
        chars++;
        if (ch == ',') commas++;
    }
    p->text += chars;
    p->commas += commas;
    p->own_text += p->text - t0;
    p->own_commas += p->commas - c0;
}

/* Bottom-up statistics under root, not descending into excluded subtrees. */
static void compute_stats(extract_ctx *c, xmlNode *root, unsigned excl)
{
    xmlNode *n = root;
    while (n) {
        int descend = 0;
        if (is_elem(n)) {
            ninfo *in = NI(c, n);
            if (in) {
                in->text = in->link = in->commas = 0;
                in->np = in->nli = in->nimg = in->ninput = in->nembed = in->ntable = in->ncell = in->nhead = 0;
                in->own_text = in->own_link = in->own_commas = in->nbr = 0;
                in->score = 0;
                in->flags &= (uint16_t)~NI_CAND;
                descend = !(in->flags & excl) && n->children;
            }
        } else if (n->type == XML_TEXT_NODE && n->content && n->parent) {
            ninfo *p = NI(c, n->parent);
            if (p) count_text(p, (const char *)n->content);
        }
        if (descend) {
            n = n->children;
            continue;
        }
        /* leave n and its finished ancestors */
        for (;;) {
            if (is_elem(n)) {
                ninfo *in = NI(c, n);
                ninfo *p = n->parent && n != root ? NI(c, n->parent) : NULL;
                if (in && !(in->flags & excl)) {
                    switch (in->tag) {
                    case T_A: in->link = in->text; break;
                    case T_P: in->np++; break;
                    case T_LI: in->nli++; break;
                    case T_IMG: in->nimg++; break;
                    case T_INPUT: case T_SELECT: case T_TEXTAREA: case T_BUTTON: in->ninput++; break;
                    case T_EMBED: in->nembed++; break;
                    case T_TABLE: in->ntable++; break;
                    case T_TD: case T_TH: in->ncell++; break;
                    default: if (in->tfl & F_HEAD) in->nhead += in->text; break;
                    }
                    if (in->tag == T_INPUT || in->tag == T_EMBED) {
                        /* skipped for text, counted for density */
                    }
                    if (p) {
                        p->text += in->text;
                        p->link += in->link;
                        p->commas += in->commas;
                        p->np += in->np;
                        p->nli += in->nli;
                        p->nimg += in->nimg;
                        p->ninput += in->ninput;
                        p->nembed += in->nembed;
                        p->ntable += in->ntable;
                        p->ncell += in->ncell;
                        p->nhead += in->nhead;
                        if (!(in->tfl & F_BLOCK) && in->tag != T_TD && in->tag != T_TH) {
                            p->own_text += in->text;
                            p->own_link += in->link;
                            p->own_commas += in->commas;
                        }
                        if (in->tag == T_BR) p->nbr++;
                    }
                } else if (in && p && (in->tag == T_INPUT || in->tag == T_EMBED || in->tag == T_SELECT ||
                                       in->tag == T_TEXTAREA || in->tag == T_BUTTON)) {
                    if (in->tag == T_EMBED) p->nembed++;
                    else p->ninput++;
                }
            }
            if (n == root) return;
            if (n->next) {
                n = n->next;
                break;
            }
            n = n->parent;
            if (!n) return;
        }
    }
}

/* ------------------------------------------------------------ scoring */

typedef struct attempt {
    unsigned excl;         /* NI_* flags whose subtrees are left out */
    int weight_classes;    /* use class/id weights */
    int clean;             /* conditional pruning while rendering */
    extract_mode mode;
} attempt;

static float link_density(const ninfo *in) { return in->text ? (float)in->link / (float)in->text : 0.f; }

static void init_candidate(ninfo *in, const attempt *at)
{
    if (in->flags & NI_CAND) return;
    in->flags |= NI_CAND;
    float s = 0;
    switch (in->tag) {
    case T_DIV: s = 5; break;
    case T_PRE: case T_TD: case T_BLOCKQUOTE: s = 3; break;
    case T_ADDRESS: case T_OL: case T_UL: case T_DL: case T_DD: case T_DT: case T_LI: case T_FORM: s = -3; break;
    case T_H1: case T_H2: case T_H3: case T_H4: case T_H5: case T_H6: case T_TH: s = -5; break;
    default: break;
    }
    if (at->weight_classes) s += 25.f * in->weight;
    in->score = s;
}

static int para_like(const ninfo *in)
{
    switch (in->tag) {
    case T_P: case T_PRE: case T_TD: case T_BLOCKQUOTE: return 1;
    case T_DIV: case T_SECTION: case T_ARTICLE: case T_SPAN: return !(in->flags & NI_HASBLOCK);
    default: return 0;
    }
}

/* Scores paragraphs onto ancestors; returns the best candidate or NULL. */
static xmlNode *score_page(extract_ctx *c, xmlNode *body, const attempt *at)
{
    for (size_t i = 0; i < c->ninfo; i++) c->info[i].flags &= (uint16_t)~NI_CAND;
    /* Visit elements in document order, skipping excluded subtrees. */
    xmlNode *n = body;
    while (n) {
        int descend = 0;
        if (is_elem(n)) {
            ninfo *in = NI(c, n);
            if (in && !(in->flags & at->excl)) {
                descend = n->children != NULL;
                if (para_like(in) && in->text >= 25) {
                    float sc = 1.f + (float)in->commas + (in->text / 100.f > 3.f ? 3.f : in->text / 100.f);
                    xmlNode *a = n->parent;
                    for (int level = 0; a && is_elem(a) && level < 5; level++, a = a->parent) {
                        ninfo *ai = NI(c, a);
                        if (!ai) break;
                        init_candidate(ai, at);
                        float div = level == 0 ? 1.f : level == 1 ? 2.f : (float)level * 3.f;
                        ai->score += sc / div;
                        if (a == body) break;
                    }
                    descend = in->tag != T_P && n->children; /* nested scoring inside containers */
                } else if ((in->flags & NI_HASBLOCK) && in->own_text >= 25 && in->own_link * 2 < in->own_text &&
                           in->tag != T_BODY && in->tag != T_HTML) {
                    /* inline text runs beside blocks: Readability wraps them in
                     * <p>s (and splits at <br><br>); score them onto n itself */
                    float cap = 3.f * (1.f + in->nbr / 2.f);
                    float len = in->own_text / 100.f;
                    float sc = 1.f + (float)in->own_commas + (len > cap ? cap : len);
                    xmlNode *a = n;
                    for (int level = 0; a && is_elem(a) && level < 5; level++, a = a->parent) {
                        ninfo *ai = NI(c, a);
                        if (!ai) break;
                        init_candidate(ai, at);
                        float div = level == 0 ? 1.f : level == 1 ? 2.f : (float)level * 3.f;
                        ai->score += sc / div;
                        if (a == body) break;
                    }
                }
            }
        }
        if (descend) {
            n = n->children;
            continue;
        }
        while (n && n != body && !n->next) n = n->parent;
        if (!n || n == body) break;
        n = n->next;
    }
    /* the five best candidates, best first */
    ninfo *topc[5] = {0};
    for (size_t i = 0; i < c->ninfo; i++) {
        ninfo *in = &c->info[i];
        if (!(in->flags & NI_CAND)) continue;
        in->score *= 1.f - link_density(in);
        for (int k = 0; k < 5; k++) {
            if (!topc[k] || in->score > topc[k]->score) {
                memmove(&topc[k + 1], &topc[k], (size_t)(4 - k) * sizeof topc[0]);
                topc[k] = in;
                break;
            }
        }
    }
    if (!topc[0]) return NULL;
    xmlNode *top = topc[0]->node;
    float top_score = topc[0]->score;
    /* Readability: when at least three other top candidates score close to
     * the best, take the nearest ancestor holding three of them. */
    int nalt = 0;
    xmlNode *alts[4];
    for (int k = 1; k < 5 && topc[k]; k++)
        if (top_score > 0 && topc[k]->score / top_score >= 0.75f) alts[nalt++] = topc[k]->node;
    if (nalt >= 3) {
        for (xmlNode *a = top->parent; a && is_elem(a) && a != body; a = a->parent) {
            int holds = 0;
            for (int k = 0; k < nalt; k++)
                for (xmlNode *x = alts[k]->parent; x && is_elem(x); x = x->parent)
                    if (x == a) {
                        holds++;
                        break;
                    }
            if (holds >= 3) {
                top = a;
                break;
            }
        }
    }
    ninfo *ti = NI(c, top);
    if (!(ti->flags & NI_CAND)) init_candidate(ti, at);
    /* climb while the parents' scores rise (more content lurking nearby) */
    float last = ti->score, floor_score = ti->score / 3.f;
    for (xmlNode *a = top->parent; a && is_elem(a) && a != body; a = a->parent) {
        ninfo *ai = NI(c, a);
        if (!ai || !(ai->flags & NI_CAND)) continue;
        if (ai->score < floor_score) break;
        if (ai->score > last) {
            top = a;
            break;
        }
        last = ai->score;
    }
    /* an only child stands for its parent, so siblings can join */
    while (top->parent && is_elem(top->parent) && top->parent != body) {
        int kids = 0;
        for (xmlNode *k = top->parent->children; k; k = k->next)
            if (is_elem(k)) {
                ninfo *ki = NI(c, k);
                if (ki && !(ki->flags & at->excl)) kids++;
            }
        if (kids != 1) break;
        top = top->parent;
    }
    ti = NI(c, top);
    if (!(ti->flags & NI_CAND)) init_candidate(ti, at);
    return top;
}

static void add_root(extract_ctx *c, xmlNode *n)
{
    if (c->nroots == c->rcap) {
        c->rcap = c->rcap ? c->rcap * 2 : 16;
        c->roots = xrealloc(c->roots, c->rcap * sizeof *c->roots);
    }
    c->roots[c->nroots++] = n;
}

static int same_class(const xmlNode *a, const xmlNode *b)
{
    const char *x = attr(a, "class"), *y = attr(b, "class");
    return x && y && *x && !strcmp(x, y);
}

static int excluded_above(extract_ctx *c, xmlNode *n, unsigned excl)
{
    for (xmlNode *a = n; a && is_elem(a); a = a->parent) {
        ninfo *ai = NI(c, a);
        if (ai && (ai->flags & excl)) return 1;
    }
    return 0;
}

static int is_ancestor(const xmlNode *a, const xmlNode *n)
{
    for (; n; n = n->parent)
        if (n == a) return 1;
    return 0;
}

static int root_cmp(const void *x, const void *y)
{
    uintptr_t a = (uintptr_t)(*(xmlNode *const *)x)->_private, b = (uintptr_t)(*(xmlNode *const *)y)->_private;
    return a < b ? -1 : a > b;
}

/* Articles split into several chunks with the class of the best candidate
 * (<div class="article-body"> ... ad ... <div class="article-body">) are
 * joined, in document order. */
static void add_same_class_chunks(extract_ctx *c, xmlNode *top, const attempt *at)
{
    const char *cls = attr(top, "class");
    if (!cls || !*cls) return;
    size_t before = c->nroots;
    for (size_t i = 0; i < c->ninfo; i++) {
        ninfo *in = &c->info[i];
        xmlNode *n = in->node;
        if (n == top || in->tag != NI(c, top)->tag || in->text < 100 || link_density(in) > 0.3f) continue;
        const char *k = attr(n, "class");
        if (!k || strcmp(k, cls)) continue;
        int overlap = 0;
        for (size_t r = 0; r < c->nroots && !overlap; r++)
            if (is_ancestor(c->roots[r], n) || is_ancestor(n, c->roots[r])) overlap = 1;
        if (overlap || excluded_above(c, n, at->excl)) continue;
        add_root(c, n);
    }
    if (c->nroots > before) qsort(c->roots, c->nroots, sizeof *c->roots, root_cmp);
}

/* Chooses the subtrees to render: itemprop=articleBody when it holds enough
 * text, else the best candidate and its siblings of similar score. */
static void choose_roots(extract_ctx *c, xmlNode *body, const attempt *at)
{
    c->nroots = 0;
    xmlNode *top = score_page(c, body, at);
    ninfo *ti = top ? NI(c, top) : NULL;
    /* schema.org articleBody, outermost occurrences */
    uint32_t abody_text = 0;
    size_t nab = 0;
    for (size_t i = 0; i < c->ninfo; i++) {
        ninfo *in = &c->info[i];
        if (!(in->flags & NI_ABODY) || (in->flags & at->excl)) continue;
        int nested = 0;
        for (xmlNode *a = in->node->parent; a && is_elem(a); a = a->parent) {
            ninfo *ai = NI(c, a);
            if (ai && (ai->flags & (NI_ABODY | at->excl))) {
                nested = 1;
                break;
            }
        }
        if (nested) continue;
        abody_text += in->text;
        nab++;
    }
    if (nab && abody_text >= 200 && (!ti || abody_text * 2 >= ti->text)) {
        for (size_t i = 0; i < c->ninfo; i++) {
            ninfo *in = &c->info[i];
            if (!(in->flags & NI_ABODY) || (in->flags & at->excl)) continue;
            int nested = 0;
            for (xmlNode *a = in->node->parent; a && is_elem(a); a = a->parent) {
                ninfo *ai = NI(c, a);
                if (ai && (ai->flags & (NI_ABODY | at->excl))) {
                    nested = 1;
                    break;
                }
            }
            if (!nested) add_root(c, in->node);
        }
        return;
    }
    if (!top) {
        add_root(c, body);
        return;
    }
    xmlNode *parent = top->parent;
    if (!parent || !is_elem(parent) || top == body) {
        add_root(c, top);
        return;
    }
    float thr = ti->score * (at->mode == EXTRACT_RECALL ? 0.2f : 0.4f);
    if (thr < 10) thr = 10;
    for (xmlNode *s = parent->children; s; s = s->next) {
        if (!is_elem(s)) continue;
        ninfo *si = NI(c, s);
        if (!si || (si->flags & at->excl)) continue;
        if (s == top) {
            add_root(c, s);
            continue;
        }
        float bonus = same_class(s, top) ? ti->score * 0.2f : 0;
        int append = 0;
        if ((si->flags & NI_CAND) && si->score + bonus >= thr) append = 1;
        else if (si->tag == T_P) {
            float ld = link_density(si);
            if (si->text > 80 && ld < 0.25f) append = 1;
            else if (si->text > 0 && si->text <= 80 && ld == 0 && si->commas + 1 > 0 && si->text >= 20) append = 1;
        }
        if (append) add_root(c, s);
    }
    add_same_class_chunks(c, top, at);
}

/* ------------------------------------------------------------ rendering */

typedef struct rout {
    sbuf *b;
    int pending;        /* 0 none, 1 space, 2 newline, 3 blank line */
    int bullet;         /* "- " due before the next text */
    int cellsep;        /* " | " due before the next text */
    int pre;            /* inside <pre> */
    int pre_start;      /* first text of a <pre>: drop one leading newline */
    int cell;           /* inside a data-table cell */
    int row_cells;
    mathnorm_page *pg;
} rout;

static void r_break(rout *o, int lvl)
{
    if (o->cell && lvl > 1) lvl = 1;
    if (lvl > o->pending) o->pending = lvl;
}

static void r_flush(rout *o)
{
    sbuf *b = o->b;
    if (b->len == 0) {
        o->pending = 0;
    } else if (o->pending) {
        char last = b->data[b->len - 1];
        if (o->pending == 1) {
            if (last != ' ' && last != '\n') sbuf_putc(b, ' ');
        } else {
            while (b->len && b->data[b->len - 1] == ' ') b->len--;
            int have = 0;
            for (size_t k = b->len; k > 0 && b->data[k - 1] == '\n' && have < 2; k--) have++;
            int want = o->pending == 3 ? 2 : 1;
            for (; have < want; have++) sbuf_putc(b, '\n');
        }
    }
    o->pending = 0;
    if (o->cellsep) {
        if (b->len && b->data[b->len - 1] != '\n') sbuf_puts(b, " | ");
        o->cellsep = 0;
    }
    if (o->bullet) {
        sbuf_puts(b, "- ");
        o->bullet = 0;
    }
}

#define IS_WS(ch) ((ch) == ' ' || (ch) == '\n' || (ch) == '\t' || (ch) == '\r' || (ch) == '\f')

static void r_text(rout *o, extract_ctx *c, const char *s, size_t n)
{
    if (o->pre) {
        if (o->pre_start) {
            if (n && s[0] == '\r') s++, n--;
            if (n && s[0] == '\n') s++, n--;
            o->pre_start = 0;
        }
        if (!n) return;
        r_flush(o);
        if (!memchr(s, '\r', n)) {
            sbuf_append(o->b, s, n);
            return;
        }
        for (size_t i = 0; i < n; i++)
            if (!(s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')) sbuf_putc(o->b, s[i] == '\r' ? '\n' : s[i]);
        return;
    }
    size_t i = 0;
    while (i < n) {
        char ch = s[i];
        if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r' || ch == '\f') {
            r_break(o, 1);
            i++;
            continue;
        }
        /* collapse the whitespace of the rest of the node, run by run */
        size_t j = i;
        sbuf_reset(&c->cur);
        for (;;) {
            size_t k = j;
            while (k < n && !IS_WS(s[k])) k++;
            sbuf_append(&c->cur, s + j, k - j);
            while (k < n && IS_WS(s[k])) k++;
            if (k >= n) {
                j = n;
                /* trailing whitespace becomes a pending space */
                if (n && IS_WS(s[n - 1])) i = n - 1;
                else i = n;
                break;
            }
            sbuf_putc(&c->cur, ' ');
            j = k;
        }
        r_flush(o);
        if (o->pg) mathnorm_text(o->pg, c->cur.data, c->cur.len, o->b);
        else sbuf_append(o->b, c->cur.data, c->cur.len);
    }
}

static int table_is_data(const ninfo *in)
{
    if (in->ntable > 1) return 0;   /* counts itself */
    if (!in->ncell) return 0;
    return in->text / in->ncell < 200;
}

/* Readability's _cleanConditionally, on the statistics of the subtree. */
static int prune(extract_ctx *c, const ninfo *in, const attempt *at, uint32_t root_text)
{
    if (at->mode == EXTRACT_FULL || !at->clean) return 0;
    int t = in->tag;
    if (in->flags & NI_HIDDENISH && in->text < 200) return 1;
    if (t != T_TABLE && t != T_UL && t != T_OL && t != T_DIV && t != T_SECTION && t != T_FORM &&
        t != T_FIELDSET && t != T_P && t != T_FIGURE && t != T_DL && !(in->tfl & F_HEAD) && t != T_SPAN &&
        t != T_FIGCAPTION)
        return 0;
    float ld = link_density(in);
    int w = at->weight_classes ? in->weight * 25 : 0;
    int precision = at->mode == EXTRACT_PRECISION;
    if (in->tfl & F_HEAD) return w < 0 || ld > 0.33f;
    /* image captions and credits are not running text */
    if (t == T_FIGCAPTION) return precision;
    if (t == T_FIGURE && precision && in->text < 300) return 1;
    if (t == T_P || t == T_SPAN) {
        /* a paragraph that is mostly one link: "Read more: ..." */
        return precision && in->text < 300 && ld > 0.6f;
    }
    /* wrappers holding a large share of the content are judged by their
     * children, since these statistics do not see what pruning removes */
    int is_list = t == T_UL || t == T_OL || t == T_DL;
    if (!is_list && in->np >= 3 && in->text * 4 > root_text && in->text > 500) return ld > 0.6f;
    if (w < 0 && precision) return 1;
    /* data tables are content unless they are mostly links (Readability
     * keeps them out of conditional cleaning too) */
    if (t == T_TABLE && table_is_data(in)) return ld > (precision ? 0.5f : 0.7f);
    if (in->commas >= 10) return 0;
    int p = (int)in->np, img = (int)in->nimg, li = (int)in->nli - 100, input = (int)in->ninput;
    uint32_t len = in->text;
    if (img > 1 && (float)p / (float)img < 0.5f && t != T_FIGURE) return 1;
    if (!is_list && li > p) return 1;
    if (input > p / 3) return 1;
    if (!is_list && len < 25 && (img == 0 || img > 2) && t != T_FIGURE) return 1;
    float ldmax = precision ? 0.2f : 0.35f;
    if (is_list) ldmax = precision ? 0.5f : 0.7f;
    if (w < 25 && ld > ldmax) return 1;
    if (w >= 25 && ld > 0.5f) return 1;
    if ((in->nembed == 1 && len < 75) || in->nembed > 1) return 1;
    return 0;
}

static int in_data_table(extract_ctx *c, xmlNode *n)
{
    for (int k = 0; k < 4 && n; k++, n = n->parent) {
        ninfo *in = is_elem(n) ? NI(c, n) : NULL;
        if (in && in->tag == T_TABLE) return (in->flags & NI_DATATABLE) != 0;
    }
    return 0;
}

static void block_break(rout *o, const ninfo *in)
{
    if (in->tfl & F_PARA) r_break(o, 3);
    else if (in->tfl & F_BLOCK) r_break(o, 2);
}

/* Opens an element being rendered (its children follow). */
static void open_elem(extract_ctx *c, xmlNode *n, ninfo *in, rout *o)
{
    switch (in->tag) {
    case T_BR:
        if (o->cell) r_break(o, 1);
        else o->pending = o->pending >= 2 ? 3 : 2;
        break;
    case T_PRE:
        r_break(o, 3);
        o->pre++;
        o->pre_start = 1;
        break;
    case T_CODE:
        if (!o->pre) {
            /* a multi-line <code> outside <pre> is a code block */
            const xmlNode *t = n->children;
            if (t && t->type == XML_TEXT_NODE && t->content && strchr((const char *)t->content, '\n')) {
                r_break(o, 3);
                o->pre++;
                o->pre_start = 1;
                in->flags |= NI_CODEBLOCK;
            }
        }
        break;
    case T_LI:
        r_break(o, 2);
        o->bullet = 1;
        break;
    case T_TABLE:
        r_break(o, 3);
        if (table_is_data(in)) in->flags |= NI_DATATABLE;
        else in->flags &= (uint16_t)~NI_DATATABLE;
        break;
    case T_TR:
        r_break(o, 2);
        o->row_cells = 0;
        o->cellsep = 0;
        break;
    case T_TD: case T_TH:
        if (in_data_table(c, n)) {
            if (o->row_cells++ > 0) o->cellsep = 1;
            o->cell++;
        } else {
            r_break(o, 2);
        }
        break;
    default:
        block_break(o, in);
        break;
    }
}

/* Closes an element opened by open_elem(). */
static void close_elem(extract_ctx *c, xmlNode *n, ninfo *in, rout *o)
{
    switch (in->tag) {
    case T_PRE:
        if (o->pre) o->pre--;
        o->pre_start = 0;
        r_break(o, 3);
        break;
    case T_CODE:
        if (in->flags & NI_CODEBLOCK) {
            in->flags &= (uint16_t)~NI_CODEBLOCK;
            if (o->pre) o->pre--;
            o->pre_start = 0;
            r_break(o, 3);
        }
        break;
    case T_TD: case T_TH:
        if (in_data_table(c, n)) {
            if (o->cell) o->cell--;
        } else {
            r_break(o, 2);
        }
        break;
    case T_TR:
        o->cellsep = 0;
        r_break(o, 2);
        break;
    case T_BR: break;
    default: block_break(o, in); break;
    }
}

static void render(extract_ctx *c, xmlNode *root, const attempt *at, rout *o)
{
    ninfo *ri = NI(c, root);
    uint32_t root_text = ri ? ri->text : 0;
    xmlNode *n = root;
    while (n) {
        int descend = 0;
        if (is_elem(n)) {
            ninfo *in = NI(c, n);
            if (in && o->pg && (in->flags & NI_MATHCAND) && (!(in->flags & at->excl) || in->tag == T_SCRIPT)) {
                /* r_flush() may trim trailing spaces before it writes the
                 * separators: undoing it puts those spaces back (leaving a
                 * NUL or a separator inside the text was a bug) */
                size_t before = o->b->len, sp = 0;
                while (sp < before && o->b->data[before - 1 - sp] == ' ') sp++;
                int pend = o->pending, bul = o->bullet, sep = o->cellsep;
                r_flush(o);
                size_t mark = o->b->len;
                int took = mathnorm_node(o->pg, n, o->b);
                if (!took || o->b->len == mark) {
                    /* nothing written: keep the pending separators */
                    o->b->len = before;
                    if (o->b->data) {
                        memset(o->b->data + before - sp, ' ', sp);
                        o->b->data[before] = 0;
                    }
                    o->pending = pend, o->bullet = bul, o->cellsep = sep;
                }
                if (took) goto next;
            }
            if (!in || (in->flags & at->excl)) goto next;
            if (n != root && prune(c, in, at, root_text)) goto next;
            open_elem(c, n, in, o);
            if (n->children) descend = 1;
            else close_elem(c, n, in, o);
        } else if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content) {
            r_text(o, c, (const char *)n->content, strlen((const char *)n->content));
        }
        if (descend) {
            n = n->children;
            continue;
        }
    next:
        /* leave n, then close each ancestor whose children are done */
        for (;;) {
            if (n == root) return;
            if (n->next) {
                n = n->next;
                break;
            }
            n = n->parent;
            if (!n) return;
            ninfo *in = NI(c, n);
            if (in) close_elem(c, n, in, o);
        }
    }
}

/* Trims trailing whitespace of lines and blank lines at the ends. */
static void tidy(sbuf *b)
{
    size_t w = 0, i = 0;
    char *d = b->data;
    if (!d) return;
    while (i < b->len && (d[i] == '\n' || d[i] == ' ')) i++;
    for (; i < b->len; i++) {
        if (d[i] == '\n') {
            while (w > 0 && (d[w - 1] == ' ' || d[w - 1] == '\t') ) w--;
        }
        d[w++] = d[i];
    }
    while (w > 0 && (d[w - 1] == '\n' || d[w - 1] == ' ' || d[w - 1] == '\t')) w--;
    b->len = w;
    d[w] = 0;
}

static uint32_t count_chars(const sbuf *b)
{
    uint32_t n = 0;
    for (size_t i = 0; i < b->len; i++) {
        unsigned char ch = (unsigned char)b->data[i];
        if (ch > ' ' && (ch & 0xC0) != 0x80) n++;
    }
    return n;
}

static void run_attempt(extract_ctx *c, xmlNode *body, const attempt *at, sbuf *out)
{
    sbuf_reset(out);
    compute_stats(c, body, at->excl);
    rout o = {0};
    o.b = out;
    o.pg = c->pg;
    if (at->mode == EXTRACT_FULL) {
        render(c, body, at, &o);
    } else {
        choose_roots(c, body, at);
        for (size_t i = 0; i < c->nroots; i++) {
            r_break(&o, 3);
            render(c, c->roots[i], at, &o);
        }
    }
    tidy(out);
}

/* ------------------------------------------------------------ raw text */

static inline char lower(char ch) { return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch; }

static int ci_prefix(const char *s, size_t n, const char *w)
{
    size_t k = 0;
    for (; w[k]; k++)
        if (k >= n || lower(s[k]) != w[k]) return 0;
    return 1;
}

/* "</NAME" (case-insensitive) at or after s[i]; n when absent. */
static size_t find_end_tag(const char *s, size_t i, size_t n, const char *name)
{
    while (i < n) {
        const char *lt = memchr(s + i, '<', n - i);
        if (!lt) return n;
        i = (size_t)(lt - s);
        if (i + 1 < n && s[i + 1] == '/' && ci_prefix(s + i + 2, n - i - 2, name)) return i;
        i++;
    }
    return n;
}

/* Words mathnorm_page_new() looks for in scripts (its scan_config); a
 * script holding none of them is not read by anyone. */
static int script_matters(const char *s, size_t n, const char *type, size_t tn)
{
    for (size_t k = 0; k + 4 <= tn; k++)
        if (ci_prefix(type + k, tn - k, "math")) return 1;
    static const char *const W[] = {"MathJax", "mathjax", "katex", "renderMathInElement", "processEnvironments",
                                    "asciimath", "AsciiMath", "inlineMath", "displayMath", NULL};
    for (int k = 0; W[k]; k++)
        if (memmem(s, n, W[k], strlen(W[k]))) return 1;
    return 0;
}

static int has_ctl(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        unsigned char ch = (unsigned char)s[k];
        if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') return 1;
    }
    return 0;
}

/* Copies the page into out for libxml2: NUL bytes become spaces, and the
 * text of <style> elements and of scripts that mathnorm does not read is
 * dropped (the elements stay, with their attributes). The scan follows
 * libxml2 2.9's tokenizer where it matters: comments run to "-->", tags
 * to '>' with quoted attribute values, script/style text to "</script" or
 * "</style"; on anything it does not follow (an unterminated comment,
 * quote or raw-text element, control bytes in a comment) the rest of the
 * page is copied unchanged. Returns out's data. */
static const char *strip_raw_text(sbuf *out, const char *s, size_t n)
{
    sbuf_reset(out);
    sbuf_reserve(out, n + 1);
    size_t i = 0, from = 0;
    while (i < n) {
        const char *lt = memchr(s + i, '<', n - i);
        if (!lt) break;
        i = (size_t)(lt - s);
        if (i + 1 >= n) break;
        char c1 = s[i + 1];
        if (c1 == '!' && i + 3 < n && s[i + 2] == '-' && s[i + 3] == '-') {
            const char *e = memmem(s + i + 4, n - i - 4, "-->", 3);
            if (!e || has_ctl(s + i + 4, (size_t)(e - (s + i + 4)))) break;
            i = (size_t)(e - s) + 3;
            continue;
        }
        if (c1 == '!' || c1 == '?' || c1 == '/') {
            const char *e = memchr(s + i + 2, '>', n - i - 2);
            if (!e) break;
            i = (size_t)(e - s) + 1;
            continue;
        }
        if (!((c1 >= 'a' && c1 <= 'z') || (c1 >= 'A' && c1 <= 'Z'))) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < n && !IS_WS(s[j]) && s[j] != '>' && s[j] != '/') j++;
        const char *raw = NULL;
        if (j - i - 1 == 6 && ci_prefix(s + i + 1, 6, "script")) raw = "script";
        else if (j - i - 1 == 5 && ci_prefix(s + i + 1, 5, "style")) raw = "style";
        /* attributes up to '>' (quoted values may hold '>') */
        const char *type = NULL;
        size_t tn = 0;
        int bad = 0;
        while (j < n && s[j] != '>') {
            if (IS_WS(s[j]) || s[j] == '/') {
                j++;
                continue;
            }
            size_t a = j;
            while (j < n && !IS_WS(s[j]) && s[j] != '=' && s[j] != '>' && s[j] != '/') j++;
            int is_type = j - a == 4 && ci_prefix(s + a, 4, "type");
            while (j < n && IS_WS(s[j])) j++;
            if (j >= n || s[j] != '=') continue;
            j++;
            while (j < n && IS_WS(s[j])) j++;
            if (j < n && (s[j] == '"' || s[j] == '\'')) {
                const char *q = memchr(s + j + 1, s[j], n - j - 1);
                if (!q) {
                    bad = 1;
                    break;
                }
                if (is_type) type = s + j + 1, tn = (size_t)(q - s) - j - 1;
                j = (size_t)(q - s) + 1;
            } else {
                size_t v = j;
                while (j < n && !IS_WS(s[j]) && s[j] != '>') j++;
                if (is_type) type = s + v, tn = j - v;
            }
        }
        if (bad || j >= n) break;
        i = j + 1;
        if (!raw || s[j - 1] == '/') continue;   /* "<script .../>" is empty for libxml2 */
        size_t e = find_end_tag(s, i, n, raw);
        if (e == n) break;
        if (raw[1] == 't' || !script_matters(s + i, e - i, type ? type : "", tn)) {
            sbuf_append(out, s + from, i - from);
            from = e;
        }
        i = e;
    }
    sbuf_append(out, s + from, n - from);
    if (memchr(out->data, 0, out->len))
        for (size_t k = 0; k < out->len; k++)
            if (!out->data[k]) out->data[k] = ' ';
    return out->data;
}

/* ------------------------------------------------------------ entry */

static void extract_tree(extract_ctx *c, xmlDoc *xd, xmlNode *root, const extract_opts *opt, extract_result *r,
                         doc *d);

int extract_html(extract_ctx *c, const char *html, size_t n, const extract_opts *opt, extract_result *r,
                 doc *d)
{
    sbuf_reset(&r->text);
    sbuf_reset(&r->title);
    sbuf_reset(&r->lang);
    r->truncated = 0;
    r->parsed = 0;
    if (n > opt->max_html_bytes) {
        n = opt->max_html_bytes;
        r->truncated = 1;
    }
    if (n > INT32_MAX) n = INT32_MAX;
    /* libxml2 stops at a NUL byte (replaced by spaces), and spends a third
     * of its time on <script>/<style> text nobody reads: the page is
     * copied without it into a per-context buffer. */
    html = strip_raw_text(&c->in, html, n);
    int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                  HTML_PARSE_COMPACT | HTML_PARSE_NOIMPLIED;
    options &= ~HTML_PARSE_NOIMPLIED;
    /* an unknown transport charset is ignored by libxml2 (it sniffs instead) */
    const char *enc = opt->encoding && *opt->encoding ? opt->encoding : NULL;
    n = c->in.len;
    if (c->xa) xa_begin(c->xa);
    xmlDoc *doc = n ? htmlReadMemory(html, (int)n, NULL, enc, options) : NULL;
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (doc) r->parsed = 1;
    if (root) extract_tree(c, doc, root, opt, r, d);
    /* With the arena, the tree is dropped with it (xmlFreeDoc is needed only
     * when some allocation fell back to malloc); libxml2's per-thread last
     * error is reset so nothing points into the arena afterwards. */
    if (doc && (!c->xa || xa_fallbacks(c->xa))) xmlFreeDoc(doc);
    if (c->xa) {
        xmlResetLastError();
        xa_end(c->xa);
    }
    if (!r->text.data) sbuf_reset(&r->text), sbuf_putc(&r->text, 0), r->text.len = 0;
    /* libxml2's HTML parser passes invalid bytes of a page declared UTF-8
     * through into text nodes (found by fuzz_extract): the text we hand on
     * is always valid UTF-8, invalid sequences as U+FFFD. */
    if (!utf8_is_valid(r->text.data, r->text.len)) {
        sbuf clean = SBUF_INIT;
        utf8_sanitize(&clean, r->text.data, r->text.len);
        sbuf_free(&r->text);
        r->text = clean;
    }
    return 0;
}

/* Steps 2-5 on a parsed page. */
static void extract_tree(extract_ctx *c, xmlDoc *xd, xmlNode *root, const extract_opts *opt, extract_result *r,
                         doc *d)
{
    classify(c, xd, opt->mode, r);
    xmlNode *body = NULL;
    for (xmlNode *k = root->children; k; k = k->next)
        if (is_elem(k) && !strcmp((const char *)k->name, "body")) body = k;
    if (!body) body = root;
    c->pg = opt->math ? mathnorm_page_new(xd) : NULL;

    if (opt->mode == EXTRACT_FULL) {
        attempt at = {NI_SKIP, 0, 0, EXTRACT_FULL};
        run_attempt(c, body, &at, &r->text);
    } else {
        unsigned base = NI_SKIP | NI_BOILTAG;
        attempt tries[3] = {
            {base | NI_UNLIKELY, 1, 1, opt->mode},
            {base, 1, 1, opt->mode},
            {NI_SKIP, 0, 0, opt->mode},
        };
        sbuf best = SBUF_INIT;
        uint32_t best_chars = 0;
        for (int t = 0; t < 3; t++) {
            run_attempt(c, body, &tries[t], &c->tmp);
            uint32_t ch = count_chars(&c->tmp);
            if (t == 0 || ch > best_chars) {
                sbuf_reset(&best);
                sbuf_append(&best, c->tmp.data ? c->tmp.data : "", c->tmp.len);
                best_chars = ch;
            }
            if (best_chars >= 250) break;
        }
        sbuf_reset(&r->text);
        sbuf_append(&r->text, best.data ? best.data : "", best.len);
        sbuf_free(&best);
    }
    if (c->pg) {
        if (d) mathnorm_page_annotate(c->pg, d);
        mathnorm_page_free(c->pg);
        c->pg = NULL;
    }
}

/*
 * rules.c: rule stages on PCRE2 (JIT, UTF, UCP) and word lists:
 *
 *  - url_filter: datatrove's URLFilter logic on metadata.url with user lists
 *    (inline or files, one entry per line, '#' comments): blocked domains
 *    (the host or any parent domain), blocked URLs, banned words among the
 *    URL's [a-z0-9]+ words, soft words (>= soft_word_threshold of them), and
 *    banned subwords (substrings of the lower-cased URL).
 *  - line_filter: removes every line matching any pattern (boilerplate).
 *  - regex: drops documents matching a `drop` pattern, or matching none of
 *    the `keep` patterns, in text or a metadata field.
 *
 * Patterns and lists are compiled once (init) and shared read-only; PCRE2
 * match data is per instance.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "core/stage.h"
#include "filter/filter.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* -------------------------------------------------------------- helpers */

typedef struct hset {
    uint64_t *keys;
    size_t cap, n;
} hset;

static void hset_add(hset *s, const char *p, size_t n)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint64_t *k = xcalloc(cap, sizeof *k);
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->keys[i]) continue;
            size_t j = s->keys[i] & (cap - 1);
            while (k[j]) j = (j + 1) & (cap - 1);
            k[j] = s->keys[i];
        }
        free(s->keys);
        s->keys = k;
        s->cap = cap;
    }
    uint64_t h = XXH3_64bits(p, n);
    if (!h) h = 1;
    size_t j = h & (s->cap - 1);
    while (s->keys[j]) {
        if (s->keys[j] == h) return;
        j = (j + 1) & (s->cap - 1);
    }
    s->keys[j] = h;
    s->n++;
}

static int hset_has(const hset *s, const char *p, size_t n)
{
    if (!s->n) return 0;
    uint64_t h = XXH3_64bits(p, n);
    if (!h) h = 1;
    size_t j = h & (s->cap - 1);
    while (s->keys[j]) {
        if (s->keys[j] == h) return 1;
        j = (j + 1) & (s->cap - 1);
    }
    return 0;
}

typedef struct strvec {
    char **v;
    size_t n;
} strvec;

static void sv_push(strvec *s, const char *p, size_t n)
{
    s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
    s->v[s->n++] = xstrndup(p, n);
}

static void sv_free(strvec *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
}

/* Entries from an inline list and an optional file, trimmed and lower-cased. */
static int load_list(const cfg_params *p, const char *inline_name, const char *file_name, strvec *out, cd_err *e)
{
    const char *const *items;
    size_t n = param_strlist(p, inline_name, &items);
    sbuf all = SBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        sbuf_puts(&all, items[i]);
        sbuf_putc(&all, '\n');
    }
    const char *path = file_name ? param_str(p, file_name) : NULL;
    if (path && *path) {
        size_t len;
        char *data = cd_read_file(path, &len, e);
        if (!data) {
            sbuf_free(&all);
            return -1;
        }
        sbuf_append(&all, data, len);
        sbuf_putc(&all, '\n');
        free(data);
    }
    size_t st = 0;
    for (size_t i = 0; i < all.len; i++) {
        if (all.data[i] != '\n') continue;
        char *line = all.data + st;
        size_t len = i - st;
        st = i + 1;
        while (len && (*line == ' ' || *line == '\t')) line++, len--;
        while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r')) len--;
        if (!len || *line == '#') continue;
        for (size_t k = 0; k < len; k++)
            if (line[k] >= 'A' && line[k] <= 'Z') line[k] |= 0x20;
        sv_push(out, line, len);
    }
    sbuf_free(&all);
    return 0;
}

static pcre2_code *compile_alternation(const char *const *pats, size_t n, uint32_t extra, const char *what, cd_err *e)
{
    sbuf b = SBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (i) sbuf_putc(&b, '|');
        sbuf_printf(&b, "(?:%s)", pats[i]);
    }
    int ec;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)(b.data ? b.data : ""), b.len,
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | extra, &ec, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        cd_fail(e, CD_ECONFIG, "%s: bad regex near offset %zu of '%s': %s", what, (size_t)off, b.data ? b.data : "",
                (char *)msg);
    } else {
        pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    }
    sbuf_free(&b);
    return re;
}

static void drop_value(doc *d, const char *reason, double v)
{
    doc_meta_set_num(d, "filter_value", v);
    doc_drop(d, reason);
}

/* ----------------------------------------------------------- url_filter */

typedef struct url_shared {
    hset domains, urls, banned, soft;
    strvec subwords;
    int64_t soft_threshold;
    int drop_missing;
} url_shared;

static const param_spec URL_PARAMS[] = {
    {"domains", PARAM_STRLIST, NULL, "blocked domains (a host matches itself and its subdomains)"},
    {"domains_file", PARAM_STRING, "", "file of blocked domains, one per line (e.g. the UT1 blocklist "
                                       "'adult' category that datatrove's URLFilter ships)"},
    {"urls", PARAM_STRLIST, NULL, "blocked URLs (exact)"},
    {"urls_file", PARAM_STRING, "", "file of blocked URLs"},
    {"banned_words", PARAM_STRLIST, NULL, "words that block a URL when one of its [a-z0-9]+ words equals one"},
    {"banned_words_file", PARAM_STRING, "", "file of banned words"},
    {"soft_words", PARAM_STRLIST, NULL, "words of which soft_word_threshold or more block a URL"},
    {"soft_words_file", PARAM_STRING, "", "file of soft banned words"},
    {"soft_word_threshold", PARAM_INT, "2", "distinct soft words needed to block; 2: datatrove URLFilter default"},
    {"banned_subwords", PARAM_STRLIST, NULL, "substrings that block a URL"},
    {"banned_subwords_file", PARAM_STRING, "", "file of banned substrings"},
    {"drop_missing_url", PARAM_BOOL, "false", "drop documents without metadata.url (else kept, counted)"},
    {0},
};

static void url_fini(void *shared)
{
    url_shared *u = shared;
    if (!u) return;
    free(u->domains.keys);
    free(u->urls.keys);
    free(u->banned.keys);
    free(u->soft.keys);
    sv_free(&u->subwords);
    free(u);
}

static int url_init(const cfg_params *p, void **shared, cd_err *e)
{
    url_shared *u = xcalloc(1, sizeof *u);
    static const char *const L[4][2] = {{"domains", "domains_file"}, {"urls", "urls_file"},
                                        {"banned_words", "banned_words_file"}, {"soft_words", "soft_words_file"}};
    hset *sets[4] = {&u->domains, &u->urls, &u->banned, &u->soft};
    for (int i = 0; i < 4; i++) {
        strvec v = {0};
        if (load_list(p, L[i][0], L[i][1], &v, e)) {
            sv_free(&v);
            url_fini(u);
            return -1;
        }
        for (size_t k = 0; k < v.n; k++) {
            const char *s = v.v[k];
            size_t n = strlen(s);
            if (i == 0) { /* "*.example.com", ".example.com" and trailing dots mean the domain */
                while (n && (*s == '*' || *s == '.')) s++, n--;
                while (n && s[n - 1] == '.') n--;
            }
            if (n) hset_add(sets[i], s, n);
        }
        sv_free(&v);
    }
    if (load_list(p, "banned_subwords", "banned_subwords_file", &u->subwords, e)) {
        url_fini(u);
        return -1;
    }
    u->soft_threshold = param_int(p, "soft_word_threshold");
    u->drop_missing = param_bool(p, "drop_missing_url");
    *shared = u;
    return 0;
}

/* The verdict for one URL (NULL: keep). Exposed to tests through the stage. */
static const char *url_check(const url_shared *u, const char *url, size_t n)
{
    char low[4096];
    if (n >= sizeof low) n = sizeof low - 1;
    for (size_t i = 0; i < n; i++) low[i] = (url[i] >= 'A' && url[i] <= 'Z') ? (char)(url[i] | 0x20) : url[i];
    low[n] = 0;
    /* host: after "://", before / ? # and :port, after userinfo@ */
    const char *h = strstr(low, "://");
    h = h ? h + 3 : low;
    size_t hl = strcspn(h, "/?#");
    const char *at = memchr(h, '@', hl);
    if (at) {
        hl -= (size_t)(at + 1 - h);
        h = at + 1;
    }
    const char *colon = memchr(h, ':', hl);
    if (colon && h[0] != '[') hl = (size_t)(colon - h);
    while (hl && h[hl - 1] == '.') hl--;
    for (const char *d = h; d && d < h + hl;) {
        if (hset_has(&u->domains, d, hl - (size_t)(d - h))) return d == h ? "url_domain" : "url_subdomain";
        const char *dot = memchr(d, '.', hl - (size_t)(d - h));
        d = dot ? dot + 1 : NULL;
    }
    if (hset_has(&u->urls, low, n)) return "url_url";
    /* words: [a-z0-9]+ of the lower-cased URL */
    int64_t soft = 0;
    hset seen = {0};
    for (size_t i = 0; i < n;) {
        while (i < n && !((low[i] >= 'a' && low[i] <= 'z') || (low[i] >= '0' && low[i] <= '9'))) i++;
        size_t st = i;
        while (i < n && ((low[i] >= 'a' && low[i] <= 'z') || (low[i] >= '0' && low[i] <= '9'))) i++;
        if (i == st) continue;
        if (hset_has(&u->banned, low + st, i - st)) {
            free(seen.keys);
            return "url_hard_blacklisted";
        }
        if (hset_has(&u->soft, low + st, i - st) && !hset_has(&seen, low + st, i - st)) {
            hset_add(&seen, low + st, i - st);
            soft++;
        }
    }
    free(seen.keys);
    if (u->soft.n && soft >= u->soft_threshold) return "url_soft_blacklisted";
    for (size_t k = 0; k < u->subwords.n; k++)
        if (strstr(low, u->subwords.v[k])) return "url_blacklisted_subword";
    return NULL;
}

static int url_process(stage *st, doc_batch *b, cd_err *e)
{
    const url_shared *u = st->shared;
    for (size_t i = 0; i < b->len; i++) {
        doc *d = b->docs[i];
        size_t n;
        const char *url = json_str(doc_meta_get(d, "url"), &n);
        if (!url) {
            stats_count(&st->stats, "no_url", 1);
            if (u->drop_missing) doc_drop(d, "url_missing");
            continue;
        }
        const char *r = url_check(u, url, n);
        if (r) drop_value(d, r, 1);
    }
    return 0;
}

static const stage_ops url_stage = {
    .name = "url_filter",
    .summary = "block documents by metadata.url: domains, URLs, banned/soft words, subwords (datatrove URLFilter)",
    .params = URL_PARAMS,
    .init = url_init,
    .fini = url_fini,
    .process = url_process,
};
CORPUSD_STAGE(url_stage)

/* ---------------------------------------------------------- line_filter */

typedef struct re_shared {
    pcre2_code *drop, *keep;
    const char *field;
    const char *reason;
} re_shared;

static const param_spec LINE_PARAMS[] = {
    {"patterns", PARAM_STRLIST, NULL, "PCRE2 patterns; a line matching any is removed (no default list)"},
    {"drop_empty", PARAM_BOOL, "true", "drop documents left with no text (reason line_filter_empty)"},
    {0},
};

typedef struct line_shared {
    pcre2_code *re;
    int drop_empty;
} line_shared;

static int line_init(const cfg_params *p, void **shared, cd_err *e)
{
    const char *const *pats;
    size_t n = param_strlist(p, "patterns", &pats);
    line_shared *l = xcalloc(1, sizeof *l);
    l->drop_empty = param_bool(p, "drop_empty");
    if (n) {
        l->re = compile_alternation(pats, n, PCRE2_MULTILINE, "line_filter", e);
        if (!l->re) {
            free(l);
            return -1;
        }
    }
    *shared = l;
    return 0;
}

static void line_fini(void *shared)
{
    line_shared *l = shared;
    if (!l) return;
    if (l->re) pcre2_code_free(l->re);
    free(l);
}

typedef struct re_priv {
    pcre2_match_data *md;
    sbuf out;
} re_priv;

static int re_open(stage *st, cd_err *e)
{
    re_priv *p = xcalloc(1, sizeof *p);
    p->md = pcre2_match_data_create(2, NULL);
    st->priv = p;
    return 0;
}

static void re_close(stage *st)
{
    re_priv *p = st->priv;
    if (!p) return;
    pcre2_match_data_free(p->md);
    sbuf_free(&p->out);
    free(p);
}

static int line_process(stage *st, doc_batch *b, cd_err *e)
{
    const line_shared *l = st->shared;
    re_priv *p = st->priv;
    if (!l->re) return 0;
    for (size_t i = 0; i < b->len; i++) {
        doc *d = b->docs[i];
        const char *t = d->text;
        size_t n = d->text_len, pos = 0, copied = 0;
        uint64_t removed = 0;
        sbuf_reset(&p->out);
        while (pos < n) {
            int rc = pcre2_match(l->re, (PCRE2_SPTR)t, n, pos, 0, p->md, NULL);
            if (rc < 0) break;
            size_t a = pcre2_get_ovector_pointer(p->md)[0];
            /* the whole line around the match, with its newline */
            size_t ls = a;
            while (ls > copied && t[ls - 1] != '\n') ls--;
            const char *nl = memchr(t + a, '\n', n - a);
            size_t le = nl ? (size_t)(nl - t) + 1 : n;
            sbuf_append(&p->out, t + copied, ls - copied);
            copied = le;
            pos = le;
            removed++;
        }
        if (!removed) continue;
        sbuf_append(&p->out, t + copied, n - copied);
        stats_count(&st->stats, "lines_removed", removed);
        int empty = 1;
        for (size_t k = 0; k < p->out.len && empty; k++)
            empty = p->out.data[k] == ' ' || p->out.data[k] == '\n' || p->out.data[k] == '\t' || p->out.data[k] == '\r';
        doc_set_text(d, p->out.data ? p->out.data : "", p->out.len);
        doc_meta_set_int(d, "lines_removed", (int64_t)removed);
        if (empty && l->drop_empty) drop_value(d, "line_filter_empty", (double)removed);
    }
    return 0;
}

static const stage_ops line_stage = {
    .name = "line_filter",
    .summary = "remove lines matching PCRE2 patterns (boilerplate)",
    .params = LINE_PARAMS,
    .init = line_init,
    .fini = line_fini,
    .open = re_open,
    .process = line_process,
    .close = re_close,
};
CORPUSD_STAGE(line_stage)

/* ---------------------------------------------------------------- regex */

static const param_spec REGEX_PARAMS[] = {
    {"drop", PARAM_STRLIST, NULL, "PCRE2 patterns; a document matching any is dropped"},
    {"keep", PARAM_STRLIST, NULL, "PCRE2 patterns; when given, a document matching none is dropped"},
    {"field", PARAM_STRING, "text", "text, or metadata.NAME (e.g. metadata.url)"},
    {"reason", PARAM_STRING, "regex", "drop reason (regex_no_keep for the keep rule)"},
    {0},
};

static void regex_fini(void *shared)
{
    re_shared *r = shared;
    if (!r) return;
    if (r->drop) pcre2_code_free(r->drop);
    if (r->keep) pcre2_code_free(r->keep);
    free(r);
}

static int regex_init(const cfg_params *p, void **shared, cd_err *e)
{
    re_shared *r = xcalloc(1, sizeof *r);
    const char *const *pats;
    size_t n = param_strlist(p, "drop", &pats);
    if (n && !(r->drop = compile_alternation(pats, n, 0, "regex drop", e))) goto fail;
    n = param_strlist(p, "keep", &pats);
    if (n && !(r->keep = compile_alternation(pats, n, 0, "regex keep", e))) goto fail;
    r->field = param_str(p, "field");
    if (strcmp(r->field, "text") && strncmp(r->field, "metadata.", 9)) {
        cd_fail(e, CD_ECONFIG, "regex: field must be text or metadata.NAME, not '%s'", r->field);
        goto fail;
    }
    r->reason = param_str(p, "reason");
    *shared = r;
    return 0;
fail:
    regex_fini(r);
    return -1;
}

static int regex_process(stage *st, doc_batch *b, cd_err *e)
{
    const re_shared *r = st->shared;
    re_priv *p = st->priv;
    for (size_t i = 0; i < b->len; i++) {
        doc *d = b->docs[i];
        const char *s;
        size_t n;
        if (!strcmp(r->field, "text")) {
            s = d->text;
            n = d->text_len;
        } else {
            s = json_str(json_get_path(d->metadata, r->field + 9), &n);
            if (!s) {
                s = "";
                n = 0;
            }
        }
        if (r->drop && pcre2_match(r->drop, (PCRE2_SPTR)s, n, 0, 0, p->md, NULL) >= 0) {
            drop_value(d, r->reason, (double)pcre2_get_ovector_pointer(p->md)[0]);
            continue;
        }
        if (r->keep && pcre2_match(r->keep, (PCRE2_SPTR)s, n, 0, 0, p->md, NULL) < 0)
            drop_value(d, "regex_no_keep", 0);
    }
    return 0;
}

static const stage_ops regex_stage = {
    .name = "regex",
    .summary = "keep or drop documents by PCRE2 rules on text or a metadata field",
    .params = REGEX_PARAMS,
    .init = regex_init,
    .fini = regex_fini,
    .open = re_open,
    .process = regex_process,
    .close = re_close,
};
CORPUSD_STAGE(regex_stage)

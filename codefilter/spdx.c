/*
 * spdx.c: SPDX license expressions, the SPDX-License-Identifier tag, the
 * license policy (allow/deny lists), license file names and manifest
 * `license` fields.
 *
 * Grammar (SPDX spec, annex D), recursive descent with a depth bound so that
 * hostile nesting cannot overflow the stack:
 *   or    := and ("OR" and)*
 *   and   := with ("AND" with)*
 *   with  := atom ("WITH" exception-id)?
 *   atom  := id ["+"] | "(" or ")"
 *   id    := [A-Za-z0-9.-]+ (also "LicenseRef-..." and "DocumentRef-...:...")
 * Operators are matched case-insensitively (the spec wants upper case, real
 * files do not always comply). All functions are reentrant.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "codefilter/codefilter.h"
#include "core/json.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* -------------------------------------------------------------- parsing */

typedef struct sparser {
    const char *s;
    size_t n, i;
    int depth;
    cd_err *e;
} sparser;

static void skip_ws(sparser *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\r' || p->s[p->i] == '\n'))
        p->i++;
}

static int id_char(char c) { return isalnum((unsigned char)c) || c == '.' || c == '-' || c == ':' || c == '_'; }

/* Peeks at the next word; returns its length (0 when not an id word). */
static size_t peek_word(sparser *p)
{
    skip_ws(p);
    size_t j = p->i;
    while (j < p->n && id_char(p->s[j])) j++;
    return j - p->i;
}

static int is_op(sparser *p, const char *op)
{
    size_t k = peek_word(p);
    return k == strlen(op) && !strncasecmp(p->s + p->i, op, k);
}

static cf_spdx_node *node(cf_spdx_kind k, char *id, cf_spdx_node *a, cf_spdx_node *b)
{
    cf_spdx_node *x = xcalloc(1, sizeof *x);
    x->kind = k;
    x->id = id;
    x->a = a;
    x->b = b;
    return x;
}

static cf_spdx_node *parse_or(sparser *p);

static cf_spdx_node *parse_atom(sparser *p)
{
    skip_ws(p);
    if (p->i >= p->n) {
        cd_fail(p->e, CD_EINPUT, "SPDX expression: unexpected end at offset %zu", p->i);
        return NULL;
    }
    if (p->s[p->i] == '(') {
        if (++p->depth > 64) {
            cd_fail(p->e, CD_EINPUT, "SPDX expression: nested too deeply at offset %zu", p->i);
            return NULL;
        }
        p->i++;
        cf_spdx_node *x = parse_or(p);
        if (!x) return NULL;
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != ')') {
            cf_spdx_free(x);
            cd_fail(p->e, CD_EINPUT, "SPDX expression: expected ')' at offset %zu", p->i);
            return NULL;
        }
        p->i++;
        p->depth--;
        return x;
    }
    size_t k = peek_word(p);
    if (!k || is_op(p, "AND") || is_op(p, "OR") || is_op(p, "WITH")) {
        cd_fail(p->e, CD_EINPUT, "SPDX expression: expected a license id at offset %zu", p->i);
        return NULL;
    }
    size_t st = p->i;
    p->i += k;
    if (p->i < p->n && p->s[p->i] == '+') p->i++;
    return node(CF_SPDX_LICENSE, xstrndup(p->s + st, p->i - st), NULL, NULL);
}

static cf_spdx_node *parse_with(sparser *p)
{
    cf_spdx_node *x = parse_atom(p);
    if (!x) return NULL;
    if (is_op(p, "WITH")) {
        p->i += 4;
        size_t k = peek_word(p);
        if (!k || is_op(p, "AND") || is_op(p, "OR")) {
            cf_spdx_free(x);
            cd_fail(p->e, CD_EINPUT, "SPDX expression: expected an exception id at offset %zu", p->i);
            return NULL;
        }
        char *ex = xstrndup(p->s + p->i, k);
        p->i += k;
        x = node(CF_SPDX_WITH, ex, x, NULL);
    }
    return x;
}

static cf_spdx_node *parse_and(sparser *p)
{
    cf_spdx_node *x = parse_with(p);
    while (x && is_op(p, "AND")) {
        p->i += 3;
        cf_spdx_node *y = parse_with(p);
        if (!y) {
            cf_spdx_free(x);
            return NULL;
        }
        x = node(CF_SPDX_AND, NULL, x, y);
    }
    return x;
}

static cf_spdx_node *parse_or(sparser *p)
{
    cf_spdx_node *x = parse_and(p);
    while (x && is_op(p, "OR")) {
        p->i += 2;
        cf_spdx_node *y = parse_and(p);
        if (!y) {
            cf_spdx_free(x);
            return NULL;
        }
        x = node(CF_SPDX_OR, NULL, x, y);
    }
    return x;
}

cf_spdx_node *cf_spdx_parse(const char *s, size_t n, cd_err *e)
{
    sparser p = {s, n, 0, 0, e};
    cf_spdx_node *x = parse_or(&p);
    if (!x) return NULL;
    skip_ws(&p);
    if (p.i != n) {
        cf_spdx_free(x);
        cd_fail(e, CD_EINPUT, "SPDX expression: unexpected '%c' at offset %zu", s[p.i], p.i);
        return NULL;
    }
    return x;
}

void cf_spdx_free(cf_spdx_node *x)
{
    /* Iterative over the left spine (long "A OR B OR C ..." chains nest
     * there), recursive on the right, which the parser bounds. */
    while (x) {
        cf_spdx_node *next = x->a;
        cf_spdx_free(x->b);
        free(x->id);
        free(x);
        x = next;
    }
}

static void write_rec(const cf_spdx_node *x, sbuf *out, cf_spdx_kind parent)
{
    switch (x->kind) {
    case CF_SPDX_LICENSE:
        sbuf_puts(out, x->id);
        break;
    case CF_SPDX_WITH:
        write_rec(x->a, out, CF_SPDX_WITH);
        sbuf_puts(out, " WITH ");
        sbuf_puts(out, x->id);
        break;
    case CF_SPDX_AND:
    case CF_SPDX_OR: {
        int paren = (x->kind == CF_SPDX_OR && parent == CF_SPDX_AND) || parent == CF_SPDX_WITH;
        if (paren) sbuf_putc(out, '(');
        write_rec(x->a, out, x->kind);
        sbuf_puts(out, x->kind == CF_SPDX_AND ? " AND " : " OR ");
        write_rec(x->b, out, x->kind);
        if (paren) sbuf_putc(out, ')');
        break;
    }
    }
}

void cf_spdx_write(const cf_spdx_node *x, sbuf *out)
{
    if (x) write_rec(x, out, CF_SPDX_LICENSE);
}

size_t cf_spdx_find_tag(const char *text, size_t n, size_t max_bytes, const char **expr)
{
    static const char TAG[] = "SPDX-License-Identifier:";
    size_t lim = n < max_bytes ? n : max_bytes;
    const char *p = memmem(text, lim, TAG, sizeof TAG - 1);
    if (!p) return 0;
    p += sizeof TAG - 1;
    const char *end = text + n;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    const char *q = p;
    while (q < end && *q != '\n' && *q != '\r') q++;
    /* trim a closing comment marker and blanks */
    while (q > p && (q[-1] == ' ' || q[-1] == '\t')) q--;
    if (q - p >= 2 && q[-2] == '*' && q[-1] == '/') q -= 2;
    else if (q - p >= 3 && !memcmp(q - 3, "-->", 3)) q -= 3;
    while (q > p && (q[-1] == ' ' || q[-1] == '\t')) q--;
    *expr = p;
    return (size_t)(q - p);
}

/* ------------------------------------------------------------------ policy */

const char *cf_verdict_name(cf_verdict v)
{
    return v == CF_ALLOW ? "allow" : v == CF_DENY ? "deny" : "unknown";
}

static int pattern_match(const char *pat, const char *id, size_t idn)
{
    size_t k = strlen(pat);
    if (k && pat[k - 1] == '*') return idn >= k - 1 && !strncasecmp(pat, id, k - 1);
    return idn == k && !strncasecmp(pat, id, k);
}

cf_verdict cf_policy_license(const cf_policy *p, const char *id)
{
    size_t n = strlen(id);
    /* "GPL-2.0+" and "GPL-2.0-or-later" have the verdict of "GPL-2.0-only"
     * unless listed themselves: try the id, then its base. */
    char base[128];
    size_t bn = n < sizeof base - 1 ? n : sizeof base - 1;
    memcpy(base, id, bn);
    base[bn] = 0;
    if (bn && base[bn - 1] == '+') base[--bn] = 0;
    if (bn > 9 && !strcmp(base + bn - 9, "-or-later")) base[bn -= 9] = 0;
    else if (bn > 5 && !strcmp(base + bn - 5, "-only")) base[bn -= 5] = 0;
    for (int pass = 0; pass < 2; pass++) {
        const char *x = pass ? base : id;
        size_t xn = pass ? bn : n;
        for (size_t i = 0; i < p->ndeny; i++)
            if (pattern_match(p->deny[i], x, xn)) return CF_DENY;
        for (size_t i = 0; i < p->nallow; i++)
            if (pattern_match(p->allow[i], x, xn)) return CF_ALLOW;
    }
    return CF_UNKNOWN;
}

cf_verdict cf_policy_expr(const cf_policy *p, const cf_spdx_node *x)
{
    /* Iterates over left spines of the same operator to bound recursion. */
    switch (x->kind) {
    case CF_SPDX_LICENSE:
        return cf_policy_license(p, x->id);
    case CF_SPDX_WITH:
        return cf_policy_expr(p, x->a);
    case CF_SPDX_AND: {
        cf_verdict v = CF_ALLOW;
        const cf_spdx_node *y = x;
        for (; y->kind == CF_SPDX_AND; y = y->a) {
            cf_verdict w = cf_policy_expr(p, y->b);
            if (w > v) v = w;
        }
        cf_verdict w = cf_policy_expr(p, y);
        return w > v ? w : v;
    }
    case CF_SPDX_OR: {
        cf_verdict v = CF_DENY;
        const cf_spdx_node *y = x;
        for (; y->kind == CF_SPDX_OR; y = y->a) {
            cf_verdict w = cf_policy_expr(p, y->b);
            if (w < v) v = w;
        }
        cf_verdict w = cf_policy_expr(p, y);
        return w < v ? w : v;
    }
    }
    return CF_UNKNOWN;
}

/* ------------------------------------------------------- license file names */

int cf_is_license_filename(const char *base)
{
    /* The Stack v2 (Lozhkov et al. 2024, section 2.1) looked for license
     * files named like LICENSE, LICENCE, COPYING, UNLICENSE and variants;
     * as a case-insensitive pattern over the basename: */
    static pcre2_code *re;
    static int init;
    if (!__atomic_load_n(&init, __ATOMIC_ACQUIRE)) {
        static const char PAT[] =
            "^(?:(?:un)?licen[cs]es?|copying(?:[._-]?(?:lesser|lib|gpl|lgpl))?|copyright|"
            "(?:mit|bsd|apache|gpl|lgpl|mpl|isc)[._-]licen[cs]e)"
            "(?:[._-][a-z0-9]+){0,2}$";
        int err;
        PCRE2_SIZE off;
        pcre2_code *c = pcre2_compile((PCRE2_SPTR)PAT, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &err, &off, NULL);
        if (!c) cd_die("codefilter: license file pattern does not compile");
        pcre2_code *expected = NULL;
        if (!__atomic_compare_exchange_n(&re, &expected, c, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            pcre2_code_free(c);
        __atomic_store_n(&init, 1, __ATOMIC_RELEASE);
    }
    pcre2_code *c = __atomic_load_n(&re, __ATOMIC_ACQUIRE);
    /* Source files are never license files, whatever their stem. */
    const char *dot = strrchr(base, '.');
    if (dot) {
        static const char *const CODE[] = {".c", ".h", ".py", ".js", ".ts", ".go", ".rs", ".java", ".rb",
                                           ".cc", ".cpp", ".hpp", ".php", ".cs", ".json", ".toml", ".yaml",
                                           ".yml", ".xml", ".sh", NULL};
        for (int i = 0; CODE[i]; i++)
            if (!strcasecmp(dot, CODE[i])) return 0;
    }
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(c, NULL);
    int rc = pcre2_match(c, (PCRE2_SPTR)base, strlen(base), 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

/* --------------------------------------------------------------- manifests */

/* `key = "value"` in the given TOML table (or any table when table NULL);
 * also `key = { text = "value" }` as pyproject allows. */
static char *toml_string(const char *text, size_t n, const char *table, const char *key)
{
    char cur[128] = "";
    size_t pos = 0, kl = strlen(key);
    while (pos < n) {
        const char *nl = memchr(text + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - text) : n;
        const char *l = text + pos;
        size_t ln = end - pos;
        pos = nl ? end + 1 : n;
        while (ln && (*l == ' ' || *l == '\t')) l++, ln--;
        if (ln && *l == '[') {
            const char *r = memchr(l, ']', ln);
            size_t k = r ? (size_t)(r - l - 1) : 0;
            if (k >= sizeof cur) k = sizeof cur - 1;
            memcpy(cur, l + 1, k);
            cur[k] = 0;
            continue;
        }
        if (table && strcmp(cur, table)) continue;
        if (ln <= kl || memcmp(l, key, kl)) continue;
        const char *v = l + kl;
        const char *le = l + ln;
        while (v < le && (*v == ' ' || *v == '\t')) v++;
        if (v >= le || *v != '=') continue;
        v++;
        while (v < le && (*v == ' ' || *v == '\t')) v++;
        if (v < le && *v == '{') {
            const char *t = memmem(v, (size_t)(le - v), "text", 4);
            if (!t) continue;
            v = memchr(t, '=', (size_t)(le - t));
            if (!v) continue;
            v++;
            while (v < le && (*v == ' ' || *v == '\t')) v++;
        }
        if (v >= le || (*v != '"' && *v != '\'')) continue;
        char q = *v++;
        const char *e = memchr(v, q, (size_t)(le - v));
        if (!e || e == v) continue;
        return xstrndup(v, (size_t)(e - v));
    }
    return NULL;
}

char *cf_manifest_license(const char *base, const char *text, size_t n)
{
    if (!strcmp(base, "package.json")) {
        arena a;
        arena_init(&a, 0);
        cd_err e;
        json_value *v = json_parse(&a, text, n, 64, &e);
        char *out = NULL;
        json_value *l = v && v->type == JSON_OBJECT ? json_object_get(v, "license") : NULL;
        if (l && l->type == JSON_OBJECT) l = json_object_get(l, "type");   /* legacy {type, url} */
        size_t k;
        const char *s = json_str(l, &k);
        if (s && k) out = xstrndup(s, k);
        arena_free(&a);
        return out;
    }
    if (!strcmp(base, "Cargo.toml")) {
        char *s = toml_string(text, n, "package", "license");
        if (s && strchr(s, '/')) {   /* legacy "MIT/Apache-2.0" means OR */
            sbuf o = SBUF_INIT;
            for (const char *c = s; *c; c++)
                if (*c == '/') sbuf_puts(&o, " OR ");
                else sbuf_putc(&o, *c);
            free(s);
            s = sbuf_detach(&o, NULL);
        }
        return s;
    }
    if (!strcmp(base, "pyproject.toml")) {
        char *s = toml_string(text, n, "project", "license");
        if (!s) s = toml_string(text, n, "tool.poetry", "license");
        return s;
    }
    return NULL;
}

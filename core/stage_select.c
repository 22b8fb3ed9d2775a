/*
 * stage_select.c: the `select` stage keeps or drops documents by an
 * expression over their fields.
 *
 *   metadata.language == "en" and metadata.language_score >= 0.65
 *   source in ["cc", "github"] or not exists(metadata.drop_reason)
 *   metadata.url =~ "^https://[a-z]+\\.wikipedia\\.org/"
 *   len(text) > 200
 *
 * Fields: id, text, source, metadata.PATH (dotted). Operators: == != < <= >
 * >= in, not in, =~ !~ (PCRE2 regex), and/or/not (also && || !), exists(),
 * len(). Missing fields compare as null: only `== null` and `!= x` are true.
 * Numbers compare numerically, strings bytewise.
 *
 * `mode: keep` keeps matching documents (default); `mode: drop` drops them.
 * Dropped documents get drop reason `select` (or the configured `reason`).
 * The compiled expression is shared read-only between threads; PCRE2 match
 * data is per instance.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "core/select.h"
#include "core/stage.h"

#include <math.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

typedef enum { N_OR, N_AND, N_NOT, N_CMP, N_TRUTHY, N_EXISTS } node_kind;
typedef enum { O_FIELD, O_STR, O_NUM, O_BOOL, O_NULL, O_LEN, O_LIST } operand_kind;
typedef enum { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE, C_IN, C_NOTIN, C_RE, C_NRE } cmp_op;

typedef struct operand {
    operand_kind kind;
    char *str;           /* field path or string literal */
    size_t len;
    double num;
    struct operand *items;
    size_t nitems;
} operand;

typedef struct expr {
    node_kind kind;
    struct expr *a, *b;
    cmp_op op;
    operand lhs, rhs;
    pcre2_code *re;
} expr;

typedef struct select_shared {
    expr *root;
    int drop_matching;
    const char *reason;
} select_shared;

/* ---------------------------------------------------------------- parser */

typedef struct eparser {
    const char *s, *p;
    cd_err *e;
    int depth;
} eparser;

static int eerr(eparser *ps, const char *what)
{
    return cd_fail(ps->e, CD_ECONFIG, "select expression: %s at column %d: %s", what, (int)(ps->p - ps->s) + 1,
                   ps->s);
}

static void ws(eparser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n') ps->p++;
}

static int word(eparser *ps, const char *w)
{
    ws(ps);
    size_t n = strlen(w);
    if (strncmp(ps->p, w, n) != 0) return 0;
    char c = ps->p[n];
    int wordy = (w[0] >= 'a' && w[0] <= 'z');
    if (wordy && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
        return 0;
    ps->p += n;
    return 1;
}

static void operand_free(operand *o)
{
    free(o->str);
    for (size_t i = 0; i < o->nitems; i++) operand_free(&o->items[i]);
    free(o->items);
}

static void expr_free(expr *x)
{
    if (!x) return;
    expr_free(x->a);
    expr_free(x->b);
    operand_free(&x->lhs);
    operand_free(&x->rhs);
    if (x->re) pcre2_code_free(x->re);
    free(x);
}

static int is_ident(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.'; }

static int parse_path(eparser *ps, operand *o)
{
    ws(ps);
    const char *st = ps->p;
    while (is_ident(*ps->p)) ps->p++;
    size_t n = (size_t)(ps->p - st);
    if (!n) return eerr(ps, "expected a field");
    char *path = xstrndup(st, n);
    if (strcmp(path, "id") && strcmp(path, "text") && strcmp(path, "source") && strncmp(path, "metadata.", 9)) {
        free(path);
        ps->p = st;
        return eerr(ps, "fields are id, text, source or metadata.NAME");
    }
    o->kind = O_FIELD;
    o->str = path;
    o->len = n;
    return 0;
}

static int parse_operand(eparser *ps, operand *o)
{
    memset(o, 0, sizeof *o);
    ws(ps);
    char c = *ps->p;
    if (c == '"' || c == '\'') {
        char q = c;
        ps->p++;
        sbuf b = SBUF_INIT;
        while (*ps->p && *ps->p != q) {
            if (*ps->p == '\\' && ps->p[1]) {
                ps->p++;
                char x = *ps->p;
                sbuf_putc(&b, x == 'n' ? '\n' : x == 't' ? '\t' : x);
            } else {
                sbuf_putc(&b, *ps->p);
            }
            ps->p++;
        }
        if (*ps->p != q) {
            sbuf_free(&b);
            return eerr(ps, "unterminated string");
        }
        ps->p++;
        o->kind = O_STR;
        o->len = b.len;
        o->str = sbuf_detach(&b, NULL);
        return 0;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char *end;
        o->num = strtod(ps->p, &end);
        if (end == ps->p) return eerr(ps, "bad number");
        ps->p = end;
        o->kind = O_NUM;
        return 0;
    }
    if (c == '[') {
        ps->p++;
        o->kind = O_LIST;
        ws(ps);
        if (*ps->p == ']') {
            ps->p++;
            return 0;
        }
        for (;;) {
            o->items = xrealloc(o->items, (o->nitems + 1) * sizeof *o->items);
            if (parse_operand(ps, &o->items[o->nitems])) return -1;
            if (o->items[o->nitems].kind == O_FIELD || o->items[o->nitems].kind == O_LIST) {
                o->nitems++;
                return eerr(ps, "list items must be literals");
            }
            o->nitems++;
            ws(ps);
            if (*ps->p == ',') {
                ps->p++;
                continue;
            }
            if (*ps->p == ']') {
                ps->p++;
                return 0;
            }
            return eerr(ps, "expected ',' or ']'");
        }
    }
    if (word(ps, "true")) { o->kind = O_BOOL; o->num = 1; return 0; }
    if (word(ps, "false")) { o->kind = O_BOOL; o->num = 0; return 0; }
    if (word(ps, "null")) { o->kind = O_NULL; return 0; }
    if (word(ps, "len")) {
        ws(ps);
        if (*ps->p != '(') return eerr(ps, "expected '(' after len");
        ps->p++;
        if (parse_path(ps, o)) return -1;
        ws(ps);
        if (*ps->p != ')') return eerr(ps, "expected ')'");
        ps->p++;
        o->kind = O_LEN;
        return 0;
    }
    return parse_path(ps, o);
}

static expr *parse_or(eparser *ps);

static expr *parse_primary(eparser *ps)
{
    if (++ps->depth > 64) {
        eerr(ps, "expression nested too deeply");
        return NULL;
    }
    ws(ps);
    expr *x = xcalloc(1, sizeof *x);
    if (word(ps, "not") || (ps->p[0] == '!' && ps->p[1] != '=' && ps->p[1] != '~' && (ps->p++, 1))) {
        x->kind = N_NOT;
        x->a = parse_primary(ps);
        if (!x->a) goto fail;
        ps->depth--;
        return x;
    }
    if (*ps->p == '(') {
        ps->p++;
        free(x);
        x = parse_or(ps);
        if (!x) return NULL;
        ws(ps);
        if (*ps->p != ')') {
            eerr(ps, "expected ')'");
            expr_free(x);
            return NULL;
        }
        ps->p++;
        ps->depth--;
        return x;
    }
    if (word(ps, "exists")) {
        ws(ps);
        if (*ps->p != '(') {
            eerr(ps, "expected '(' after exists");
            goto fail;
        }
        ps->p++;
        if (parse_path(ps, &x->lhs)) goto fail;
        ws(ps);
        if (*ps->p != ')') {
            eerr(ps, "expected ')'");
            goto fail;
        }
        ps->p++;
        x->kind = N_EXISTS;
        ps->depth--;
        return x;
    }
    if (parse_operand(ps, &x->lhs)) goto fail;
    ws(ps);
    static const struct { const char *tok; cmp_op op; } OPS[] = {
        {"==", C_EQ}, {"!=", C_NE}, {"<=", C_LE}, {">=", C_GE}, {"<", C_LT}, {">", C_GT},
        {"=~", C_RE}, {"!~", C_NRE},
    };
    int found = 0;
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++) {
        size_t n = strlen(OPS[i].tok);
        if (strncmp(ps->p, OPS[i].tok, n) == 0) {
            ps->p += n;
            x->op = OPS[i].op;
            found = 1;
            break;
        }
    }
    if (!found) {
        const char *save = ps->p;
        if (word(ps, "in")) {
            x->op = C_IN;
            found = 1;
        } else if (word(ps, "not") && word(ps, "in")) {
            x->op = C_NOTIN;
            found = 1;
        } else {
            ps->p = save;
        }
    }
    if (!found) {
        x->kind = N_TRUTHY;
        ps->depth--;
        return x;
    }
    x->kind = N_CMP;
    if (parse_operand(ps, &x->rhs)) goto fail;
    if ((x->op == C_IN || x->op == C_NOTIN) && x->rhs.kind != O_LIST) {
        eerr(ps, "`in` needs a list such as [\"en\", \"de\"]");
        goto fail;
    }
    if (x->op == C_RE || x->op == C_NRE) {
        if (x->rhs.kind != O_STR) {
            eerr(ps, "`=~` needs a string pattern");
            goto fail;
        }
        int ec;
        PCRE2_SIZE off;
        x->re = pcre2_compile((PCRE2_SPTR)x->rhs.str, x->rhs.len, PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF,
                              &ec, &off, NULL);
        if (!x->re) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(ec, msg, sizeof msg);
            cd_fail(ps->e, CD_ECONFIG, "select expression: bad regex '%s' at offset %zu: %s", x->rhs.str,
                    (size_t)off, (char *)msg);
            goto fail;
        }
        pcre2_jit_compile(x->re, PCRE2_JIT_COMPLETE);
    }
    ps->depth--;
    return x;
fail:
    expr_free(x);
    return NULL;
}

static expr *parse_and(eparser *ps)
{
    expr *l = parse_primary(ps);
    while (l && (word(ps, "and") || (ws(ps), strncmp(ps->p, "&&", 2) == 0 && (ps->p += 2)))) {
        expr *x = xcalloc(1, sizeof *x);
        x->kind = N_AND;
        x->a = l;
        x->b = parse_primary(ps);
        if (!x->b) {
            expr_free(x);
            return NULL;
        }
        l = x;
    }
    return l;
}

static expr *parse_or(eparser *ps)
{
    expr *l = parse_and(ps);
    while (l && (word(ps, "or") || (ws(ps), strncmp(ps->p, "||", 2) == 0 && (ps->p += 2)))) {
        expr *x = xcalloc(1, sizeof *x);
        x->kind = N_OR;
        x->a = l;
        x->b = parse_and(ps);
        if (!x->b) {
            expr_free(x);
            return NULL;
        }
        l = x;
    }
    return l;
}

/* ------------------------------------------------------------ evaluation */

typedef struct val {
    operand_kind kind;   /* O_STR, O_NUM, O_BOOL, O_NULL */
    const char *s;
    size_t len;
    double num;
} val;

static val field_value(const doc *d, const char *path)
{
    val v = {O_NULL, NULL, 0, 0};
    if (!strcmp(path, "id")) return (val){O_STR, d->id, d->id_len, 0};
    if (!strcmp(path, "text")) return (val){O_STR, d->text, d->text_len, 0};
    if (!strcmp(path, "source")) return (val){O_STR, d->source, strlen(d->source), 0};
    const json_value *j = json_get_path(d->metadata, path + 9);
    if (!j) return v;
    switch (j->type) {
    case JSON_STRING: return (val){O_STR, j->u.string.ptr, j->u.string.len, 0};
    case JSON_NUMBER: return (val){O_NUM, NULL, 0, j->u.number.value};
    case JSON_BOOL: return (val){O_BOOL, NULL, 0, j->u.boolean};
    case JSON_NULL: return v;
    default: return (val){O_BOOL, NULL, 0, 1}; /* containers: present and truthy */
    }
}

static val eval_operand(const doc *d, const operand *o)
{
    switch (o->kind) {
    case O_FIELD: return field_value(d, o->str);
    case O_LEN: {
        val f = field_value(d, o->str);
        if (f.kind == O_STR) return (val){O_NUM, NULL, 0, (double)f.len};
        return (val){O_NULL, NULL, 0, 0};
    }
    case O_STR: return (val){O_STR, o->str, o->len, 0};
    case O_NUM: return (val){O_NUM, NULL, 0, o->num};
    case O_BOOL: return (val){O_BOOL, NULL, 0, o->num};
    default: return (val){O_NULL, NULL, 0, 0};
    }
}

/* -2 when not comparable, else <0, 0, >0. */
static int compare(val a, val b)
{
    if (a.kind == O_NULL || b.kind == O_NULL) return a.kind == b.kind ? 0 : -2;
    if ((a.kind == O_NUM || a.kind == O_BOOL) && (b.kind == O_NUM || b.kind == O_BOOL))
        return a.num < b.num ? -1 : a.num > b.num ? 1 : 0;
    if (a.kind == O_STR && b.kind == O_STR) {
        size_t n = a.len < b.len ? a.len : b.len;
        int c = memcmp(a.s, b.s, n);
        if (c) return c < 0 ? -1 : 1;
        return a.len < b.len ? -1 : a.len > b.len ? 1 : 0;
    }
    return -2;
}

static int eval(const expr *x, const doc *d, pcre2_match_data *md)
{
    switch (x->kind) {
    case N_OR: return eval(x->a, d, md) || eval(x->b, d, md);
    case N_AND: return eval(x->a, d, md) && eval(x->b, d, md);
    case N_NOT: return !eval(x->a, d, md);
    case N_EXISTS: return field_value(d, x->lhs.str).kind != O_NULL;
    case N_TRUTHY: {
        val v = eval_operand(d, &x->lhs);
        if (v.kind == O_NULL) return 0;
        if (v.kind == O_STR) return v.len > 0;
        return v.num != 0;
    }
    case N_CMP: {
        val a = eval_operand(d, &x->lhs);
        if (x->op == C_IN || x->op == C_NOTIN) {
            int in = 0;
            for (size_t i = 0; i < x->rhs.nitems && !in; i++)
                if (compare(a, eval_operand(d, &x->rhs.items[i])) == 0) in = 1;
            return x->op == C_IN ? in : !in;
        }
        if (x->op == C_RE || x->op == C_NRE) {
            if (a.kind != O_STR) return x->op == C_NRE;
            int rc = pcre2_match(x->re, (PCRE2_SPTR)a.s, a.len, 0, 0, md, NULL);
            return x->op == C_RE ? rc >= 0 : rc < 0;
        }
        int c = compare(a, eval_operand(d, &x->rhs));
        switch (x->op) {
        case C_EQ: return c == 0;
        case C_NE: return c != 0;
        case C_LT: return c == -1;
        case C_LE: return c == -1 || c == 0;
        case C_GT: return c == 1;
        case C_GE: return c == 1 || c == 0;
        default: return 0;
        }
    }
    }
    return 0;
}

/* --------------------------------------------------------------- stage */

static const param_spec SELECT_PARAMS[] = {
    {"expr", PARAM_STRING, NULL, "the expression (see `corpusd select --help`)"},
    {"mode", PARAM_STRING, "keep", "keep: keep matching documents; drop: drop them"},
    {"reason", PARAM_STRING, "select", "drop reason recorded for dropped documents"},
    {0},
};

int select_compile(const char *src, void **out, cd_err *e)
{
    eparser ps = {src, src, e, 0};
    expr *x = parse_or(&ps);
    if (!x) return -1;
    ws(&ps);
    if (*ps.p) {
        eerr(&ps, "unexpected text");
        expr_free(x);
        return -1;
    }
    *out = x;
    return 0;
}

int select_match(const void *compiled, const doc *d)
{
    pcre2_match_data *md = pcre2_match_data_create(4, NULL);
    int r = eval(compiled, d, md);
    pcre2_match_data_free(md);
    return r;
}

void select_free(void *compiled) { expr_free(compiled); }

static int select_init(const cfg_params *p, void **shared, cd_err *e)
{
    const char *src = param_str(p, "expr");
    if (!src) return cd_fail(e, CD_ECONFIG, "select needs `expr`");
    const char *mode = param_str(p, "mode");
    if (strcmp(mode, "keep") && strcmp(mode, "drop"))
        return cd_fail(e, CD_ECONFIG, "select: mode must be keep or drop, not '%s'", mode);
    select_shared *s = xcalloc(1, sizeof *s);
    if (select_compile(src, (void **)&s->root, e)) {
        free(s);
        return -1;
    }
    s->drop_matching = !strcmp(mode, "drop");
    s->reason = param_str(p, "reason");
    *shared = s;
    return 0;
}

static void select_fini(void *shared)
{
    select_shared *s = shared;
    if (!s) return;
    expr_free(s->root);
    free(s);
}

static int select_open(stage *st, cd_err *e)
{
    st->priv = pcre2_match_data_create(4, NULL);
    return 0;
}

static int select_process(stage *st, doc_batch *b, cd_err *e)
{
    const select_shared *s = st->shared;
    for (size_t i = 0; i < b->len; i++) {
        int m = eval(s->root, b->docs[i], st->priv);
        if (m == s->drop_matching) doc_drop(b->docs[i], s->reason);
    }
    return 0;
}

static void select_close(stage *st) { pcre2_match_data_free(st->priv); }

static const stage_ops select_stage = {
    .name = "select",
    .summary = "keep or drop documents by an expression over id, text, source and metadata",
    .params = SELECT_PARAMS,
    .init = select_init,
    .fini = select_fini,
    .open = select_open,
    .process = select_process,
    .close = select_close,
};
CORPUSD_STAGE(select_stage)

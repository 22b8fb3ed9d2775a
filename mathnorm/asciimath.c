/*
 * asciimath.c: AsciiMath (MathJax's math/asciimath input) to LaTeX.
 *
 * A recursive-descent parser over the AsciiMath grammar
 *     E ::= I | I '/' I ;  I ::= S | S_S | S^S | S_S^S
 *     S ::= symbol | ( E ) | unary S | binary S S | "text"
 * written from the grammar published on asciimath.org. Tokens are matched
 * longest first against one table. Brackets around a fraction part, a
 * script or a unary argument are dropped as AsciiMath does ((a+b)/2 ->
 * \frac{a+b}{2}).
 *
 * Invariants: nesting deeper than AM_MAX_DEPTH is written as literal text
 * (counted as depth_limited), so input size bounds time and stack; nothing
 * is dropped: an unknown character is kept. Thread-safe.
 */
#include "mathnorm/mathnorm_internal.h"

#include <ctype.h>
#include <string.h>

#define AM_MAX_DEPTH 64

enum { T_SYM, T_UNARY, T_BINARY, T_LEFT, T_RIGHT, T_FONT, T_TEXT, T_BIGOP, T_FUNC, T_LEFTRIGHT };

typedef struct am_tok {
    const char *in;
    const char *tex;
    int kind;
} am_tok;

static const am_tok am_table[] = {
    /* Greek */
    {"alpha", "\\alpha", T_SYM}, {"beta", "\\beta", T_SYM}, {"gamma", "\\gamma", T_SYM},
    {"Gamma", "\\Gamma", T_SYM}, {"delta", "\\delta", T_SYM}, {"Delta", "\\Delta", T_SYM},
    {"epsilon", "\\epsilon", T_SYM}, {"varepsilon", "\\varepsilon", T_SYM}, {"zeta", "\\zeta", T_SYM},
    {"eta", "\\eta", T_SYM}, {"theta", "\\theta", T_SYM}, {"Theta", "\\Theta", T_SYM},
    {"vartheta", "\\vartheta", T_SYM}, {"iota", "\\iota", T_SYM}, {"kappa", "\\kappa", T_SYM},
    {"lambda", "\\lambda", T_SYM}, {"Lambda", "\\Lambda", T_SYM}, {"lamda", "\\lambda", T_SYM},
    {"Lamda", "\\Lambda", T_SYM}, {"mu", "\\mu", T_SYM}, {"nu", "\\nu", T_SYM}, {"xi", "\\xi", T_SYM},
    {"Xi", "\\Xi", T_SYM}, {"pi", "\\pi", T_SYM}, {"Pi", "\\Pi", T_SYM}, {"rho", "\\rho", T_SYM},
    {"sigma", "\\sigma", T_SYM}, {"Sigma", "\\Sigma", T_SYM}, {"tau", "\\tau", T_SYM},
    {"upsilon", "\\upsilon", T_SYM}, {"phi", "\\phi", T_SYM}, {"Phi", "\\Phi", T_SYM},
    {"varphi", "\\varphi", T_SYM}, {"chi", "\\chi", T_SYM}, {"psi", "\\psi", T_SYM},
    {"Psi", "\\Psi", T_SYM}, {"omega", "\\omega", T_SYM}, {"Omega", "\\Omega", T_SYM},
    /* operations */
    {"*", "\\cdot", T_SYM}, {"**", "\\ast", T_SYM}, {"***", "\\star", T_SYM}, {"//", "/", T_SYM},
    {"\\\\", "\\backslash", T_SYM}, {"setminus", "\\setminus", T_SYM}, {"xx", "\\times", T_SYM},
    {"|><", "\\ltimes", T_SYM}, {"><|", "\\rtimes", T_SYM}, {"|><|", "\\bowtie", T_SYM},
    {"-:", "\\div", T_SYM}, {"divide", "\\div", T_SYM}, {"@", "\\circ", T_SYM}, {"o+", "\\oplus", T_SYM},
    {"ox", "\\otimes", T_SYM}, {"o.", "\\odot", T_SYM}, {"sum", "\\sum", T_BIGOP}, {"prod", "\\prod", T_BIGOP},
    {"^^", "\\wedge", T_SYM}, {"^^^", "\\bigwedge", T_BIGOP}, {"vv", "\\vee", T_SYM},
    {"vvv", "\\bigvee", T_BIGOP}, {"nn", "\\cap", T_SYM}, {"nnn", "\\bigcap", T_BIGOP}, {"uu", "\\cup", T_SYM},
    {"uuu", "\\bigcup", T_BIGOP},
    /* relations */
    {"!=", "\\neq", T_SYM}, {"<=", "\\leq", T_SYM}, {"lt=", "\\leq", T_SYM}, {">=", "\\geq", T_SYM},
    {"geq", "\\geq", T_SYM}, {"leq", "\\leq", T_SYM}, {"lt", "<", T_SYM}, {"gt", ">", T_SYM},
    {"-<", "\\prec", T_SYM}, {"-<=", "\\preceq", T_SYM}, {">-", "\\succ", T_SYM}, {">-=", "\\succeq", T_SYM},
    {"in", "\\in", T_SYM}, {"!in", "\\notin", T_SYM}, {"sub", "\\subset", T_SYM}, {"sup", "\\supset", T_SYM},
    {"sube", "\\subseteq", T_SYM}, {"supe", "\\supseteq", T_SYM}, {"-=", "\\equiv", T_SYM},
    {"~=", "\\cong", T_SYM}, {"~~", "\\approx", T_SYM}, {"~", "\\sim", T_SYM}, {"prop", "\\propto", T_SYM},
    /* logic */
    {"and", "\\text{ and }", T_SYM}, {"or", "\\text{ or }", T_SYM}, {"not", "\\neg", T_SYM},
    {"=>", "\\Rightarrow", T_SYM}, {"if", "\\text{ if }", T_SYM}, {"<=>", "\\Leftrightarrow", T_SYM},
    {"AA", "\\forall", T_SYM}, {"EE", "\\exists", T_SYM}, {"_|_", "\\bot", T_SYM}, {"TT", "\\top", T_SYM},
    {"|--", "\\vdash", T_SYM}, {"|==", "\\models", T_SYM},
    /* brackets */
    {"(", "(", T_LEFT}, {")", ")", T_RIGHT}, {"[", "[", T_LEFT}, {"]", "]", T_RIGHT},
    {"{", "\\{", T_LEFT}, {"}", "\\}", T_RIGHT}, {"(:", "\\langle", T_LEFT}, {":)", "\\rangle", T_RIGHT},
    {"<<", "\\langle", T_LEFT}, {">>", "\\rangle", T_RIGHT}, {"{:", ".", T_LEFT}, {":}", ".", T_RIGHT},
    {"|", "|", T_LEFTRIGHT}, {"||", "\\|", T_LEFTRIGHT},
    /* misc */
    {"int", "\\int", T_SYM}, {"oint", "\\oint", T_SYM}, {"del", "\\partial", T_SYM},
    {"grad", "\\nabla", T_SYM}, {"+-", "\\pm", T_SYM}, {"-+", "\\mp", T_SYM}, {"O/", "\\emptyset", T_SYM},
    {"oo", "\\infty", T_SYM}, {"aleph", "\\aleph", T_SYM}, {"...", "\\ldots", T_SYM},
    {":.", "\\therefore", T_SYM}, {":'", "\\because", T_SYM}, {"/_", "\\angle", T_SYM},
    {"/_\\", "\\triangle", T_SYM}, {"'", "'", T_SYM}, {"\\ ", "\\ ", T_SYM}, {"frown", "\\frown", T_SYM},
    {"quad", "\\quad", T_SYM}, {"qquad", "\\qquad", T_SYM}, {"cdots", "\\cdots", T_SYM},
    {"vdots", "\\vdots", T_SYM}, {"ddots", "\\ddots", T_SYM}, {"diamond", "\\diamond", T_SYM},
    {"square", "\\square", T_SYM}, {"|__", "\\lfloor", T_SYM}, {"__|", "\\rfloor", T_SYM},
    {"|~", "\\lceil", T_SYM}, {"~|", "\\rceil", T_SYM}, {"CC", "\\mathbb{C}", T_SYM},
    {"NN", "\\mathbb{N}", T_SYM}, {"QQ", "\\mathbb{Q}", T_SYM}, {"RR", "\\mathbb{R}", T_SYM},
    {"ZZ", "\\mathbb{Z}", T_SYM}, {"dim", "\\dim", T_FUNC}, {"mod", "\\operatorname{mod}", T_FUNC},
    {"lub", "\\operatorname{lub}", T_FUNC}, {"glb", "\\operatorname{glb}", T_FUNC},
    {"min", "\\min", T_BIGOP}, {"max", "\\max", T_BIGOP}, {"lim", "\\lim", T_BIGOP}, {"Lim", "\\operatorname{Lim}", T_BIGOP},
    {"sin", "\\sin", T_FUNC}, {"cos", "\\cos", T_FUNC}, {"tan", "\\tan", T_FUNC}, {"sec", "\\sec", T_FUNC},
    {"csc", "\\csc", T_FUNC}, {"cot", "\\cot", T_FUNC}, {"sinh", "\\sinh", T_FUNC}, {"cosh", "\\cosh", T_FUNC},
    {"tanh", "\\tanh", T_FUNC}, {"arcsin", "\\arcsin", T_FUNC}, {"arccos", "\\arccos", T_FUNC},
    {"arctan", "\\arctan", T_FUNC}, {"exp", "\\exp", T_FUNC}, {"log", "\\log", T_FUNC}, {"ln", "\\ln", T_FUNC},
    {"det", "\\det", T_FUNC}, {"gcd", "\\gcd", T_FUNC}, {"lcm", "\\operatorname{lcm}", T_FUNC},
    /* arrows */
    {"uarr", "\\uparrow", T_SYM}, {"darr", "\\downarrow", T_SYM}, {"rarr", "\\rightarrow", T_SYM},
    {"->", "\\to", T_SYM}, {"to", "\\to", T_SYM}, {">->", "\\rightarrowtail", T_SYM},
    {"->>", "\\twoheadrightarrow", T_SYM}, {">->>", "\\twoheadrightarrowtail", T_SYM},
    {"|->", "\\mapsto", T_SYM}, {"larr", "\\leftarrow", T_SYM}, {"harr", "\\leftrightarrow", T_SYM},
    {"rArr", "\\Rightarrow", T_SYM}, {"lArr", "\\Leftarrow", T_SYM}, {"hArr", "\\Leftrightarrow", T_SYM},
    /* unary and binary commands */
    {"sqrt", "\\sqrt", T_UNARY}, {"hat", "\\hat", T_UNARY}, {"bar", "\\overline", T_UNARY},
    {"overline", "\\overline", T_UNARY}, {"vec", "\\vec", T_UNARY}, {"tilde", "\\tilde", T_UNARY},
    {"dot", "\\dot", T_UNARY}, {"ddot", "\\ddot", T_UNARY}, {"ul", "\\underline", T_UNARY},
    {"underline", "\\underline", T_UNARY}, {"ubrace", "\\underbrace", T_UNARY},
    {"underbrace", "\\underbrace", T_UNARY}, {"obrace", "\\overbrace", T_UNARY},
    {"overbrace", "\\overbrace", T_UNARY}, {"cancel", "\\cancel", T_UNARY},
    {"abs", "abs", T_UNARY}, {"floor", "floor", T_UNARY}, {"ceil", "ceil", T_UNARY}, {"norm", "norm", T_UNARY},
    {"bb", "\\mathbf", T_FONT}, {"mathbf", "\\mathbf", T_FONT}, {"sf", "\\mathsf", T_FONT},
    {"mathsf", "\\mathsf", T_FONT}, {"bbb", "\\mathbb", T_FONT}, {"mathbb", "\\mathbb", T_FONT},
    {"cc", "\\mathcal", T_FONT}, {"mathcal", "\\mathcal", T_FONT}, {"tt", "\\mathtt", T_FONT},
    {"mathtt", "\\mathtt", T_FONT}, {"fr", "\\mathfrak", T_FONT}, {"mathfrak", "\\mathfrak", T_FONT},
    {"text", "\\text", T_TEXT}, {"mbox", "\\text", T_TEXT},
    {"frac", "\\frac", T_BINARY}, {"root", "root", T_BINARY}, {"stackrel", "\\stackrel", T_BINARY},
    {"overset", "\\overset", T_BINARY}, {"underset", "\\underset", T_BINARY}, {"color", "\\color", T_BINARY},
};

typedef struct am {
    const char *s;
    size_t n, i;
    int depth;
    int stop_comma;   /* parse_expr stops before a ',' at its own level */
    mathnorm_stats *st;
} am;

/* A parsed piece: its LaTeX, and when it was a bracketed group, the LaTeX
 * of what was inside the brackets (for /, ^, _ and unary arguments). */
typedef struct piece {
    sbuf tex;
    sbuf inner;
    int grouped;
} piece;

static void piece_free(piece *p)
{
    sbuf_free(&p->tex);
    sbuf_free(&p->inner);
}

static void skip_space(am *a)
{
    while (a->i < a->n && (a->s[a->i] == ' ' || a->s[a->i] == '\t' || a->s[a->i] == '\n' || a->s[a->i] == '\r'))
        a->i++;
}

/* Longest table match at the cursor; NULL if none. */
static const am_tok *match(am *a)
{
    const am_tok *best = NULL;
    size_t bl = 0;
    for (size_t k = 0; k < sizeof am_table / sizeof *am_table; k++) {
        size_t l = strlen(am_table[k].in);
        if (l > bl && a->i + l <= a->n && memcmp(a->s + a->i, am_table[k].in, l) == 0) {
            best = &am_table[k];
            bl = l;
        }
    }
    return best;
}

static void parse_expr(am *a, sbuf *out, int in_group, int *closed_by, const am_tok **closer);

/* Matrices: ((a,b),(c,d)) or [[a,b],[c,d]]: at least two rows, each a
 * bracketed comma list with the same number of cells. On success the
 * cursor is past the outer closer and *out holds "a & b \\ c & d". */
/* Cheap structural look-ahead before a matrix parse (which may backtrack):
 * inside the outer bracket, at least two bracket groups separated by commas,
 * found within MATRIX_SCAN bytes. Keeps hostile nesting from going
 * exponential, together with the depth cap on attempts. */
#define MATRIX_SCAN 4096
#define MATRIX_MAX_DEPTH 8
static int looks_like_matrix(const am *a)
{
    size_t i = a->i, end = a->n - a->i > MATRIX_SCAN ? a->i + MATRIX_SCAN : a->n;
    int groups = 0;
    for (;;) {
        while (i < end && isspace((unsigned char)a->s[i])) i++;
        if (i >= end || (a->s[i] != '(' && a->s[i] != '[')) return 0;
        int d = 0;
        for (; i < end; i++) {
            char ch = a->s[i];
            if (ch == '(' || ch == '[' || ch == '{') d++;
            else if ((ch == ')' || ch == ']' || ch == '}') && --d == 0) break;
        }
        if (i >= end) return 0;
        groups++;
        i++;
        while (i < end && isspace((unsigned char)a->s[i])) i++;
        if (i < end && a->s[i] == ',') {
            i++;
            continue;
        }
        return groups >= 2 && i < end && (a->s[i] == ')' || a->s[i] == ']' || a->s[i] == '}' || a->s[i] == ':');
    }
}

static int parse_matrix(am *a, sbuf *out, const am_tok **outer_closer)
{
    if (a->depth > MATRIX_MAX_DEPTH || !looks_like_matrix(a)) return 0;
    size_t save = a->i;
    int rows = 0, cols = -1, ok = 0;
    sbuf m = SBUF_INIT;
    for (;;) {
        skip_space(a);
        const am_tok *t = a->i < a->n ? match(a) : NULL;
        if (!t || t->kind != T_LEFT || (strcmp(t->in, "(") && strcmp(t->in, "["))) break;
        a->i += strlen(t->in);
        int cells = 0;
        if (rows) mathnorm_emits(&m, " \\\\ ");
        for (;;) {
            sbuf cell = SBUF_INIT;
            int closed = 0;
            const am_tok *closer = NULL;
            int save_stop = a->stop_comma;
            a->stop_comma = 1;
            a->depth++;
            parse_expr(a, &cell, 1, &closed, &closer);
            a->depth--;
            a->stop_comma = save_stop;
            if (cells) mathnorm_emits(&m, " & ");
            if (cell.len) mathnorm_emit(&m, cell.data, cell.len);
            sbuf_free(&cell);
            cells++;
            if (closed) break;
            if (a->i < a->n && a->s[a->i] == ',') {
                a->i++;
                continue;
            }
            goto done;   /* ran out of input inside a row */
        }
        if (cols >= 0 && cells != cols) goto done;
        cols = cells;
        rows++;
        skip_space(a);
        if (a->i < a->n && a->s[a->i] == ',') {
            a->i++;
            continue;
        }
        const am_tok *c = a->i < a->n ? match(a) : NULL;
        if (c && c->kind == T_RIGHT && rows >= 2) {
            a->i += strlen(c->in);
            *outer_closer = c;
            ok = 1;
        }
        break;
    }
done:
    if (ok) sbuf_append(out, m.data, m.len);
    else a->i = save;
    sbuf_free(&m);
    return ok;
}

/* A table symbol that reads as an operand (\\alpha, \\infty), not an
 * operator or relation (+, \\leq), for function arguments. */
static int isalnum_tex(const char *tex)
{
    static const char *const operands[] = {"\\alpha", "\\beta", "\\gamma", "\\delta", "\\epsilon",
        "\\varepsilon", "\\zeta", "\\eta", "\\theta", "\\vartheta", "\\iota", "\\kappa", "\\lambda",
        "\\mu", "\\nu", "\\xi", "\\pi", "\\rho", "\\sigma", "\\tau", "\\upsilon", "\\phi",
        "\\varphi", "\\chi", "\\psi", "\\omega", "\\Gamma", "\\Delta", "\\Theta", "\\Lambda", "\\Xi",
        "\\Pi", "\\Sigma", "\\Phi", "\\Psi", "\\Omega", "\\infty", "\\partial", "\\nabla", NULL};
    for (int i = 0; operands[i]; i++)
        if (!strcmp(tex, operands[i])) return 1;
    return !strncmp(tex, "\\mathbb", 8);
}

static void body(const piece *p, sbuf *out)
{
    const sbuf *b = p->grouped ? &p->inner : &p->tex;
    if (b->len) mathnorm_emit(out, b->data, b->len);
}

/* S: a simple expression. Returns 0 at the end of input or at a closer. */
static int parse_simple(am *a, piece *p)
{
    skip_space(a);
    if (a->i >= a->n) return 0;
    if (a->depth >= AM_MAX_DEPTH) {
        /* too deep: the rest is kept as text */
        a->st->depth_limited++;
        mathnorm_emits(&p->tex, "\\text{");
        mathnorm_emit_text(&p->tex, a->s + a->i, a->n - a->i);
        sbuf_putc(&p->tex, '}');
        a->i = a->n;
        return 1;
    }
    const am_tok *t = match(a);
    char ch = a->s[a->i];
    if (t && (t->kind == T_RIGHT)) return 0;
    if (ch == '"') {
        size_t j = a->i + 1;
        while (j < a->n && a->s[j] != '"') j++;
        mathnorm_emits(&p->tex, "\\text{");
        mathnorm_emit_text(&p->tex, a->s + a->i + 1, j - a->i - 1);
        sbuf_putc(&p->tex, '}');
        a->i = j < a->n ? j + 1 : j;
        return 1;
    }
    if (!t) {
        if ((ch >= '0' && ch <= '9') || ch == '.') {
            size_t j = a->i;
            while (j < a->n && ((a->s[j] >= '0' && a->s[j] <= '9') || (a->s[j] == '.' && j + 1 < a->n &&
                                                                         a->s[j + 1] >= '0' && a->s[j + 1] <= '9')))
                j++;
            if (j == a->i) j++;
            mathnorm_emit(&p->tex, a->s + a->i, j - a->i);
            a->i = j;
            return 1;
        }
        size_t l;
        uint32_t cp = mathnorm_utf8_next(a->s + a->i, a->n - a->i, &l);
        if (cp == '\\' && a->i + 1 < a->n) {
            /* a LaTeX command written inside AsciiMath: keep it */
            size_t j = a->i + 1;
            while (j < a->n && ((a->s[j] >= 'a' && a->s[j] <= 'z') || (a->s[j] >= 'A' && a->s[j] <= 'Z'))) j++;
            if (j == a->i + 1) j++;
            mathnorm_emit(&p->tex, a->s + a->i, j - a->i);
            a->i = j;
            return 1;
        }
        if (cp == ',') {
            /* "1, 2": a separator, not a decimal comma */
            mathnorm_emits(&p->tex, ", ");
            a->i += l;
            return 1;
        }
        if (cp == '^' || cp == '_' || cp == '/') {
            /* a script with nothing before it */
            mathnorm_emits(&p->tex, "{}");
            return 1;
        }
        if (!mathnorm_emit_cp(&p->tex, cp)) a->st->unmapped++;
        a->i += l;
        return 1;
    }
    a->i += strlen(t->in);
    switch (t->kind) {
    case T_LEFT:
    case T_LEFTRIGHT: {
        if (t->kind == T_LEFTRIGHT) {
            /* |x| : an absolute value only when a matching | follows */
            const char *close = memchr(a->s + a->i, t->in[0], a->n - a->i);
            if (!close) {
                mathnorm_emits(&p->tex, t->tex);
                return 1;
            }
        }
        a->depth++;
        int closed = 0;
        const am_tok *closer = NULL;
        sbuf inner = SBUF_INIT;
        if (t->kind == T_LEFTRIGHT) {
            /* up to the next same bar */
            size_t save_n = a->n;
            const char *close = memchr(a->s + a->i, t->in[0], a->n - a->i);
            a->n = (size_t)(close - a->s);
            parse_expr(a, &inner, 1, &closed, &closer);
            a->n = save_n;
            a->i = (size_t)(close - a->s) + strlen(t->in);
            closed = 1;
            static const am_tok bar = {"|", "|", T_LEFTRIGHT}, dbar = {"||", "\\|", T_LEFTRIGHT};
            closer = t->in[1] ? &dbar : &bar;
        } else {
            sbuf mat = SBUF_INIT;
            const am_tok *mc = NULL;
            if (parse_matrix(a, &mat, &mc)) {
                a->depth--;
                int invisible = !strcmp(t->tex, ".");
                if (!invisible) {
                    mathnorm_emits(&p->tex, "\\left");
                    mathnorm_emits(&p->tex, t->tex);
                }
                mathnorm_emits(&p->tex, "\\begin{matrix}");
                sbuf_append(&p->tex, mat.data, mat.len);
                mathnorm_emits(&p->tex, "\\end{matrix}");
                if (!invisible || strcmp(mc->tex, ".")) {
                    mathnorm_emits(&p->tex, "\\right");
                    mathnorm_emits(&p->tex, mc->tex);
                }
                sbuf_free(&mat);
                sbuf_free(&inner);
                return 1;
            }
            sbuf_free(&mat);
            parse_expr(a, &inner, 1, &closed, &closer);
        }
        a->depth--;
        int invisible = !strcmp(t->tex, ".") && (!closer || !strcmp(closer->tex, "."));
        if (!invisible) {
            mathnorm_emits(&p->tex, "\\left");
            mathnorm_emits(&p->tex, t->tex);
        }
        if (inner.len) mathnorm_emit(&p->tex, inner.data, inner.len);
        if (!invisible) {
            mathnorm_emits(&p->tex, "\\right");
            mathnorm_emits(&p->tex, closed && closer ? closer->tex : ".");
        }
        if (inner.len) sbuf_append(&p->inner, inner.data, inner.len);
        else sbuf_append(&p->inner, "", 0);
        p->grouped = !strcmp(t->in, "(") || !strcmp(t->in, "[") || !strcmp(t->in, "{") || !strcmp(t->in, "{:");
        sbuf_free(&inner);
        return 1;
    }
    case T_TEXT: {
        skip_space(a);
        if (a->i < a->n && a->s[a->i] == '(') {
            const char *close = memchr(a->s + a->i, ')', a->n - a->i);
            size_t end = close ? (size_t)(close - a->s) : a->n;
            mathnorm_emits(&p->tex, "\\text{");
            mathnorm_emit_text(&p->tex, a->s + a->i + 1, end - a->i - 1);
            sbuf_putc(&p->tex, '}');
            a->i = close ? end + 1 : end;
        } else {
            mathnorm_emits(&p->tex, "\\text{text}");
        }
        return 1;
    }
    case T_UNARY:
    case T_FONT: {
        piece arg = {SBUF_INIT, SBUF_INIT, 0};
        a->depth++;
        int ok = parse_simple(a, &arg);
        a->depth--;
        if (!ok) {
            mathnorm_emits(&p->tex, t->in);
            piece_free(&arg);
            return 1;
        }
        if (!strcmp(t->tex, "abs") || !strcmp(t->tex, "floor") || !strcmp(t->tex, "ceil") || !strcmp(t->tex, "norm")) {
            const char *l = !strcmp(t->tex, "abs") ? "\\left|" : !strcmp(t->tex, "floor") ? "\\left\\lfloor" :
                            !strcmp(t->tex, "ceil") ? "\\left\\lceil" : "\\left\\|";
            const char *r = !strcmp(t->tex, "abs") ? "\\right|" : !strcmp(t->tex, "floor") ? "\\right\\rfloor" :
                            !strcmp(t->tex, "ceil") ? "\\right\\rceil" : "\\right\\|";
            mathnorm_emits(&p->tex, l);
            body(&arg, &p->tex);
            mathnorm_emits(&p->tex, r);
        } else {
            mathnorm_emits(&p->tex, t->tex);
            sbuf_putc(&p->tex, '{');
            body(&arg, &p->tex);
            sbuf_putc(&p->tex, '}');
        }
        piece_free(&arg);
        return 1;
    }
    case T_BINARY: {
        piece x = {SBUF_INIT, SBUF_INIT, 0}, y = {SBUF_INIT, SBUF_INIT, 0};
        a->depth++;
        int ok1 = parse_simple(a, &x);
        if (ok1) parse_simple(a, &y);
        a->depth--;
        if (!strcmp(t->tex, "root")) {
            mathnorm_emits(&p->tex, "\\sqrt[");
            body(&x, &p->tex);
            mathnorm_emits(&p->tex, "]{");
            body(&y, &p->tex);
            sbuf_putc(&p->tex, '}');
        } else {
            mathnorm_emits(&p->tex, t->tex);
            sbuf_putc(&p->tex, '{');
            body(&x, &p->tex);
            mathnorm_emits(&p->tex, "}{");
            body(&y, &p->tex);
            sbuf_putc(&p->tex, '}');
        }
        piece_free(&x);
        piece_free(&y);
        return 1;
    }
    case T_FUNC: {
        /* sin x: a function takes the next simple expression, unless a
         * script follows (sin^2 x), which parse_inter attaches */
        mathnorm_emits(&p->tex, t->tex);
        skip_space(a);
        if (a->i >= a->n || a->s[a->i] == '^' || a->s[a->i] == '_') return 1;
        const am_tok *nx = match(a);
        if (nx && (nx->kind == T_RIGHT || (nx->kind == T_SYM && !isalnum_tex(nx->tex)))) return 1;
        piece arg = {SBUF_INIT, SBUF_INIT, 0};
        a->depth++;
        int ok = parse_simple(a, &arg);
        a->depth--;
        if (ok && arg.tex.len) mathnorm_emit(&p->tex, arg.tex.data, arg.tex.len);
        piece_free(&arg);
        return 1;
    }
    default:
        mathnorm_emits(&p->tex, t->tex);
        return 1;
    }
}

/* I: S with optional _ and ^. */
static int parse_inter(am *a, piece *p)
{
    if (!parse_simple(a, p)) return 0;
    for (int round = 0; round < 2; round++) {
        skip_space(a);
        if (a->i >= a->n) break;
        char op = a->s[a->i];
        if (op != '_' && op != '^') break;
        /* "^^" and "_|_" are symbols, not scripts */
        const am_tok *t = match(a);
        if (t && strlen(t->in) > 1) break;
        a->i++;
        piece s = {SBUF_INIT, SBUF_INIT, 0};
        skip_space(a);
        /* 10^-3: a sign belongs to the script */
        int neg = a->i + 1 < a->n && a->s[a->i] == '-' && a->s[a->i + 1] != '>' && a->s[a->i + 1] != '+' &&
                  a->s[a->i + 1] != ':' && a->s[a->i + 1] != '=' && a->s[a->i + 1] != '<';
        if (neg) a->i++;
        a->depth++;
        int ok = parse_simple(a, &s);
        a->depth--;
        sbuf_putc(&p->tex, op);
        sbuf_putc(&p->tex, '{');
        if (neg) sbuf_putc(&p->tex, '-');
        if (ok) body(&s, &p->tex);
        sbuf_putc(&p->tex, '}');
        p->grouped = 0;
        piece_free(&s);
    }
    return 1;
}

static void parse_expr(am *a, sbuf *out, int in_group, int *closed_by, const am_tok **closer)
{
    *closed_by = 0;
    while (a->i < a->n) {
        skip_space(a);
        if (a->i >= a->n) break;
        const am_tok *t = match(a);
        if (t && t->kind == T_RIGHT) {
            if (in_group) {
                a->i += strlen(t->in);
                *closed_by = 1;
                *closer = t;
                return;
            }
            /* a stray closer at top level is kept */
            a->i += strlen(t->in);
            mathnorm_emits(out, t->tex);
            continue;
        }
        if (a->stop_comma && a->s[a->i] == ',') return;
        piece p = {SBUF_INIT, SBUF_INIT, 0};
        size_t before = a->i;
        if (!parse_inter(a, &p)) {
            piece_free(&p);
            if (a->i == before) {
                /* nothing consumed: emit the char to guarantee progress */
                size_t l;
                uint32_t cp = mathnorm_utf8_next(a->s + a->i, a->n - a->i, &l);
                mathnorm_emit_cp(out, cp);
                a->i += l;
            }
            continue;
        }
        skip_space(a);
        const am_tok *slash = a->i < a->n ? match(a) : NULL;
        if (a->i < a->n && a->s[a->i] == '/' && (!slash || !strcmp(slash->in, "/") || slash->kind != T_SYM ||
                                                 strcmp(slash->in, "//") != 0) &&
            !(slash && (!strcmp(slash->in, "//") || !strcmp(slash->in, "/_") || !strcmp(slash->in, "/_\\")))) {
            a->i++;
            piece d = {SBUF_INIT, SBUF_INIT, 0};
            a->depth++;
            int ok = parse_inter(a, &d);
            a->depth--;
            mathnorm_emits(out, "\\frac{");
            body(&p, out);
            mathnorm_emits(out, "}{");
            if (ok) body(&d, out);
            sbuf_putc(out, '}');
            piece_free(&d);
        } else if (p.tex.len) {
            mathnorm_emit(out, p.tex.data, p.tex.len);
        }
        piece_free(&p);
    }
}

void mathnorm_asciimath_to_latex(const char *s, size_t n, sbuf *out, mathnorm_stats *st)
{
    mathnorm_stats dummy = {0};
    if (n > MATHNORM_MAX_FORMULA) {
        (st ? st : &dummy)->oversized++;
        n = MATHNORM_MAX_FORMULA;
    }
    am a = {s, n, 0, 0, 0, st ? st : &dummy};
    int closed;
    const am_tok *closer = NULL;
    if (!out->data) sbuf_append(out, "", 0);
    parse_expr(&a, out, 0, &closed, &closer);
}

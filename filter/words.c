/*
 * words.c: the word split of datatrove's rules, NLTK's word_tokenize
 * (nltk 3.8 nltk/tokenize/__init__.py and destructive.py), written in C.
 *
 * word_tokenize(text) = punkt sentence split, then NLTKWordTokenizer (the
 * improved Treebank tokenizer: a chain of regex substitutions that pad
 * punctuation, quotes and clitics with spaces, then str.split()) on each
 * sentence. Here:
 *  - Sentences: punkt's decision as the untrained PunktSentenceTokenizer()
 *    makes it (corpusd ships no punkt model, so no abbreviation list): a
 *    word ending in '?' or '!' (plus closing quotes/brackets) ends a
 *    sentence; one ending in '.' does too unless it ends in "..", or is an
 *    initial ("J.") followed by a cased or ";:,.!?" word, or a number ("3.")
 *    followed by a lower-case or ";:,.!?" word (punkt's orthographic
 *    heuristic with no training data). Only the sentence ends matter to the
 *    word split (the final-period rule and the padding spaces).
 *  - Words: every regex of NLTKWordTokenizer.tokenize is replayed, in order,
 *    on one whitespace-separated chunk at a time, as split points ("a space
 *    was inserted here") on the chunk's code points, with the characters
 *    around the chunk (the whitespace before/after, or the sentence edge)
 *    as context. That is exact because no rule looks further than the
 *    neighbouring character across whitespace. Quote conversions ('"' ->
 *    `` or '') only change token text, not boundaries; tokens are spans of
 *    the input. The second final-period rule is omitted: whatever it would
 *    split, the first (whose character class is a superset) already has.
 *  - A chunk of ASCII letters and digits only (most words) takes a fast
 *    path: no rule applies to it except the MacIntyre contractions.
 *
 * Invariants: never reads outside text[0..n); invalid UTF-8 is one U+FFFD
 * per bad byte; all memory is in filter_words (one per thread).
 */
#include "filter/filter.h"
#include "core/json.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef HAVE_UTF8PROC
#include <utf8proc.h>
#endif

struct filter_words {
    uint32_t *c;      /* code points of the chunk (quotes replaced as NLTK does) */
    uint32_t *off;    /* byte offset of each, off[L] = chunk length */
    uint8_t *brk;     /* brk[i]: a space sits before c[i] (0 <= i <= L) */
    uint8_t *nb;      /* split points found by the current rule */
    size_t cap;
};

filter_words *filter_words_new(void) { return xcalloc(1, sizeof(filter_words)); }

void filter_words_free(filter_words *w)
{
    if (!w) return;
    free(w->c);
    free(w->off);
    free(w->brk);
    free(w->nb);
    free(w);
}

/* Python's str.isspace(). */
static int is_space(uint32_t c)
{
    if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Python re's \w (str.isalnum() or '_') and \d (Nd). */
static int is_word(int32_t c)
{
    if (c < 0) return 0;
    if (c < 0x80) return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
#ifdef HAVE_UTF8PROC
    utf8proc_category_t k = utf8proc_category(c);
    return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO) ||
           (k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO);
#else
    return c >= 0xC0 && c != 0xD7 && c != 0xF7 && c != 0xFFFD;
#endif
}

static int is_digit(int32_t c)
{
    if (c < 0x80) return c >= '0' && c <= '9';
#ifdef HAVE_UTF8PROC
    return utf8proc_category(c) == UTF8PROC_CATEGORY_ND;
#else
    return 0;
#endif
}

static int is_lower(int32_t c)
{
    if (c < 0) return 0;
    if (c < 0x80) return c >= 'a' && c <= 'z';
#ifdef HAVE_UTF8PROC
    return utf8proc_category(c) == UTF8PROC_CATEGORY_LL;
#else
    return 0;
#endif
}

static int is_upper(int32_t c)
{
    if (c < 0) return 0;
    if (c < 0x80) return c >= 'A' && c <= 'Z';
#ifdef HAVE_UTF8PROC
    return utf8proc_category(c) == UTF8PROC_CATEGORY_LU;
#else
    return 0;
#endif
}

static int in(int32_t c, const char *set) { return c > 0 && c < 0x80 && strchr(set, (int)c) != NULL; }

/* ------------------------------------------------------ punkt sentence ends */

/* punkt's NonWord characters (end a punkt token) and the characters that
 * cannot start one (PunktLanguageVars._re_word_start's complement). */
#define PUNKT_NONWORD ")\";}]*:@'({[!?"
#define PUNKT_NOSTART "(\"`{[:;&#*@)}]-,"

static int nonword(unsigned c) { return c && c < 0x80 && strchr(PUNKT_NONWORD, (int)c); }

/* Is the punkt token u[t..e) a number ("##number##": -?[.,]?\d[\d,.-]*\.?)? */
static int punkt_number(const unsigned char *u, size_t t, size_t e)
{
    size_t i = t, l;
    if (i < e && u[i] == '-') i++;
    if (i < e && (u[i] == '.' || u[i] == ',')) i++;
    if (i >= e || !is_digit((int32_t)utf8_decode(u + i, e - i, &l))) return 0;
    for (i += l; i < e; i += l) {
        int32_t d = (int32_t)utf8_decode(u + i, e - i, &l);
        if (!(is_digit(d) || d == ',' || d == '.' || d == '-')) return 0;
    }
    return 1;
}

/* The next punkt word token in u[*i..e) (PunktLanguageVars._word_tokenize_fmt:
 * a MultiChar "--"/".." run, a character that cannot start a word, or a
 * run up to whitespace, a NonWord character, a MultiChar or a word-final
 * comma). */
static int punkt_token(const unsigned char *u, size_t *i, size_t e, size_t *t0, size_t *t1)
{
    size_t k = *i, l;
    if (k >= e) return 0;
    *t0 = k;
    if ((u[k] == '-' || u[k] == '.') && k + 1 < e && u[k + 1] == u[k]) {
        unsigned char c = u[k];
        while (k < e && u[k] == c) k++;
    } else if (in(u[k], PUNKT_NOSTART)) {
        k++;
    } else {
        utf8_decode(u + k, e - k, &l);
        k += l;
        while (k < e) {
            unsigned c = u[k];
            int multi = (c == '-' || c == '.') && k + 1 < e && u[k + 1] == c;
            if (nonword(c) || multi) break;
            if (c == ',' && (k + 1 == e || nonword(u[k + 1]) ||
                             ((u[k + 1] == '-' || u[k + 1] == '.') && k + 2 < e && u[k + 2] == u[k + 1])))
                break;
            utf8_decode(u + k, e - k, &l);
            k += l;
        }
    }
    *i = *t1 = k;
    return 1;
}

/* punkt's sentence break on token u[t0..t1) followed by token u[n0..n1):
 * first pass (a '.', '?' or '!' token, or a token ending in one period;
 * "..." runs never), then the second pass with no training data (an
 * initial "J." followed by a cased word, or a number followed by a
 * lower-case word, is no break; either followed by ";:,.!?" is none). */
static int punkt_sentbreak(const unsigned char *u, size_t t0, size_t t1, size_t n0, size_t n1)
{
    if (t1 - t0 == 1 && (u[t0] == '?' || u[t0] == '!')) return 1;
    if (u[t1 - 1] != '.' || (t1 - t0 >= 2 && u[t1 - 2] == '.')) return 0;
    if (t1 - t0 == 1) return 1;
    size_t l;
    int32_t nc = (int32_t)utf8_decode(u + n0, n1 - n0, &l);
    int np = n1 - n0 == 1 && in(u[n0], ",;:.!?");
    int32_t c0 = (int32_t)utf8_decode(u + t0, t1 - t0, &l);
    if (t0 + l + 1 == t1 && is_word(c0) && !is_digit(c0)) return !(np || is_lower(nc) || is_upper(nc));
    if (punkt_number(u, t0, t1)) return !(np || is_lower(nc));
    return 1;
}

/* punkt's decision for a candidate (text_contains_sentbreak): the context
 * is the whitespace-separated word u[a..e) up to the candidate's '.', '?'
 * or '!', then u[b0..b1) (the NonWord character after it, or the next
 * chunk); a break when any of its tokens but the last is a sentence break. */
static int punkt_break(const unsigned char *u, size_t a, size_t e, size_t b0, size_t b1)
{
    size_t i = a, t0, t1, p0 = 0, p1 = 0;
    int have = 0;
    for (int r = 0; r < 2; r++) {
        size_t end = r ? b1 : e;
        if (r) i = b0;
        while (punkt_token(u, &i, end, &t0, &t1)) {
            if (have && punkt_sentbreak(u, p0, p1, t0, t1)) return 1;
            p0 = t0;
            p1 = t1;
            have = 1;
        }
    }
    return 0;
}

/* ------------------------------------------------- NLTKWordTokenizer rules */

typedef struct chunk {
    const uint32_t *c;
    const uint8_t *brk;
    size_t L;
    int32_t pe, ne;     /* character before / after the chunk; -1: none (sentence edge) */
} chunk;

/* The character left / right of gap i (between c[i-1] and c[i]). */
static int32_t left(const chunk *k, size_t i)
{
    if (k->brk[i]) return ' ';
    return i == 0 ? k->pe : (int32_t)k->c[i - 1];
}
static int32_t right(const chunk *k, size_t i)
{
    if (k->brk[i]) return ' ';
    return i == k->L ? k->ne : (int32_t)k->c[i];
}

static void merge(filter_words *w, size_t L)
{
    for (size_t i = 0; i <= L; i++) {
        w->brk[i] |= w->nb[i];
        w->nb[i] = 0;
    }
}

/* Case-insensitive ASCII compare of c[i..i+m) (no split inside) with s. */
static int word_at(const chunk *k, size_t i, const char *s)
{
    size_t m = strlen(s);
    if (i + m > k->L) return 0;
    for (size_t j = 0; j < m; j++) {
        if (j && k->brk[i + j]) return 0;
        uint32_t c = k->c[i + j];
        if (c >= 0x80 || (uint32_t)((c >= 'A' && c <= 'Z') ? c | 0x20 : c) != (uint32_t)s[j]) return 0;
    }
    return 1;
}

/* Exact (case-sensitive) compare. */
static int seq_at(const chunk *k, size_t i, const char *s)
{
    size_t m = strlen(s);
    if (i + m > k->L) return 0;
    for (size_t j = 0; j < m; j++)
        if ((j && k->brk[i + j]) || k->c[i + j] != (uint32_t)(unsigned char)s[j]) return 0;
    return 1;
}

static void pad_set(filter_words *w, size_t L, const uint32_t *c, const char *ascii, const uint32_t *uni)
{
    for (size_t i = 0; i < L; i++) {
        int hit = in((int32_t)c[i], ascii);
        for (const uint32_t *p = uni; p && *p && !hit; p++) hit = c[i] == *p;
        if (hit) w->nb[i] = w->nb[i + 1] = 1;
    }
    merge(w, L);
}

/* Runs of `ch` of at least `min` characters (no space inside) get padded;
 * with `pairs`, each non-overlapping pair instead (NLTK's "``", "''", "--"). */
static void pad_runs(filter_words *w, chunk *k, uint32_t ch, size_t min, int pairs)
{
    size_t i = 0, L = k->L;
    while (i < L) {
        if (k->c[i] != ch) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < L && k->c[j] == ch && !k->brk[j]) j++;
        if (pairs) {
            for (size_t p = i; p + 2 <= j; p += 2) w->nb[p] = w->nb[p + 2] = 1;
        } else if (j - i >= min) {
            w->nb[i] = w->nb[j] = 1;
        }
        i = j;
    }
    merge(w, L);
}

static const uint32_t OPEN_Q[] = {0xAB, 0x201C, 0x2018, 0x201E, 0};   /* « “ ‘ „ */
static const uint32_t CLOSE_Q[] = {0xBB, 0x201D, 0x2019, 0};          /* » ” ’ */

/* One chunk through NLTKWordTokenizer.tokenize's substitutions. */
/* se: 0 inside a sentence, 1 at its end, 2 inside but followed by only
 * closing brackets/quotes after spaces (punkt realigned them onto this
 * sentence): the final-period rule still reaches across those. */
static void nltk_chunk(filter_words *w, size_t L, int ss, int se, int32_t pws, int32_t nws, const uint64_t has[2],
                       int uni)
{
    /* every rule is skipped when none of its trigger characters is present */
#define HAS(ch) ((has[(unsigned)(ch) >> 6] >> ((unsigned)(ch) & 63)) & 1)
    int fin = se != 0;
    se = se == 1;
    uint32_t *c = w->c;
    uint8_t *nb = w->nb;
    chunk k = {c, w->brk, L, ss ? -1 : pws, se ? -1 : nws};
    memset(w->brk, 0, L + 1);
    memset(nb, 0, L + 1);
    /* STARTING_QUOTES */
    if (uni) pad_set(w, L, c, "", OPEN_Q);
    if (HAS('`')) pad_runs(w, &k, '`', 1, 0);
    if (ss && L && c[0] == '"') { /* ^" -> `` */
        c[0] = '`';
        nb[0] = nb[1] = 1;
        merge(w, L);
    }
    if (HAS('`') || HAS('"')) pad_runs(w, &k, '`', 2, 1);
    int quotes = HAS('"') || HAS('\'');
    for (size_t i = 0; quotes && i < L;) { /* ([ \(\[{<])(\"|\'{2}) -> \1 `` */
        size_t m = c[i] == '"' ? 1 : (c[i] == '\'' && i + 1 < L && c[i + 1] == '\'' && !k.brk[i + 1]) ? 2 : 0;
        if (m && in(left(&k, i), " ([{<")) {
            for (size_t j = 0; j < m; j++) c[i + j] = '`';
            nb[i] = nb[i + m] = 1;
            i += m;
        } else {
            i++;
        }
    }
    if (quotes) merge(w, L);
    for (size_t i = 0; HAS('\'') && i + 1 < L; i++) { /* (?i)(\')(?!re|ve|ll|m|t|s|d|n)(\w)\b -> \1 \2 */
        if (c[i] != '\'' || k.brk[i + 1] || !is_word((int32_t)c[i + 1])) continue;
        if (is_word(right(&k, i + 2))) continue;
        if (in((int32_t)(c[i + 1] | 0x20), "mtsdn") && c[i + 1] < 0x80) continue;
        nb[i + 1] = 1;
    }
    if (HAS('\'')) merge(w, L);
    /* PUNCTUATION */
    if (fin && HAS('.')) { /* ([^\.])(\.)([\]\)}>"\'»”’ ]*)\s*$ -> \1 \2 \3 */
        size_t q = L;
        while (q > 0 && (in((int32_t)c[q - 1], "])}>\"'") || c[q - 1] == 0xBB || c[q - 1] == 0x201D ||
                         c[q - 1] == 0x2019))
            q--;
        if (q > 0 && c[q - 1] == '.') {
            int32_t b = left(&k, q - 1);
            if (b >= 0 && b != '.') nb[q - 1] = nb[q] = nb[L] = 1;
        }
        merge(w, L);
    }
    int colon = HAS(':') || HAS(',');
    for (size_t i = 0; colon && i < L;) { /* ([:,])([^\d]) -> " \1 \2" (the next character is consumed) */
        if ((c[i] == ':' || c[i] == ',')) {
            int32_t x = right(&k, i + 1);
            if (x >= 0 && !is_digit(x)) {
                nb[i] = nb[i + 1] = 1;
                i += (i + 1 < L && !k.brk[i + 1]) ? 2 : 1;
                continue;
            }
        }
        i++;
    }
    if (colon) merge(w, L);
    if (se && L && (c[L - 1] == ':' || c[L - 1] == ',') && !k.brk[L]) { /* ([:,])$ */
        nb[L - 1] = nb[L] = 1;
        merge(w, L);
    }
    if (HAS('.')) pad_runs(w, &k, '.', 2, 0);            /* \.{2,} */
    if (HAS(';') || HAS('@') || HAS('#') || HAS('$') || HAS('%') || HAS('&')) pad_set(w, L, c, ";@#$%&", NULL);
    if (HAS('?') || HAS('!')) pad_set(w, L, c, "?!", NULL);
    int apos = HAS('\'');
    for (size_t i = 0; apos && i < L; i++) { /* ([^'])' -> \1 '  */
        int32_t b = left(&k, i);
        if (c[i] == '\'' && b >= 0 && b != '\'' && right(&k, i + 1) == ' ') nb[i] = 1;
    }
    if (apos) merge(w, L);
    if (HAS('*')) pad_set(w, L, c, "*", NULL);
    /* PARENS_BRACKETS, DOUBLE_DASHES */
    if (HAS('[') || HAS(']') || HAS('(') || HAS(')') || HAS('{') || HAS('}') || HAS('<') || HAS('>'))
        pad_set(w, L, c, "[](){}<>", NULL);
    if (HAS('-')) pad_runs(w, &k, '-', 2, 1);
    /* ENDING_QUOTES on " " + sentence + " " */
    k.pe = ss ? ' ' : pws;
    k.ne = se ? ' ' : nws;
    if (uni) pad_set(w, L, c, "", CLOSE_Q);
    if (apos) pad_runs(w, &k, '\'', 2, 1);
    if (HAS('"')) pad_set(w, L, c, "\"", NULL);
    for (size_t i = 1; apos && i < L; i++) { /* ([^' ])('[sS]|'[mM]|'[dD]|') -> \1 \2 */
        if (c[i] != '\'' || k.brk[i] || c[i - 1] == '\'') continue;
        if ((!k.brk[i + 1] && i + 1 < L && in((int32_t)c[i + 1], "sSmMdD") && right(&k, i + 2) == ' ') ||
            right(&k, i + 1) == ' ')
            nb[i] = 1;
    }
    if (apos) merge(w, L);
    static const char *const CLITICS[] = {"'ll", "'LL", "'re", "'RE", "'ve", "'VE", "n't", "N'T"};
    for (size_t i = 1; apos && i + 3 <= L; i++) { /* ([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) -> \1 \2 */
        if (k.brk[i] || c[i - 1] == '\'') continue;
        for (size_t j = 0; j < 8; j++)
            if (seq_at(&k, i, CLITICS[j]) && right(&k, i + 3) == ' ') {
                nb[i] = 1;
                break;
            }
    }
    if (apos) merge(w, L);
    /* CONTRACTIONS2: \b(can)(not)\b, \b(d)('ye)\b, gim|me, gon|na, got|ta, lem|me, more|'n, wan|na(?=\s) */
    static const struct { const char *w; size_t cut; } C2[] = {{"cannot", 3}, {"d'ye", 1}, {"gimme", 3},
                                                               {"gonna", 3}, {"gotta", 3}, {"lemme", 3},
                                                               {"more'n", 4}, {"wanna", 3}};
    for (size_t r = 0; r < 8; r++) {
        size_t m = strlen(C2[r].w);
        int hit = 0;
        for (size_t i = 0; i + m <= L; i++) {
            if ((c[i] | 0x20) != (uint32_t)C2[r].w[0] || is_word(left(&k, i)) || !word_at(&k, i, C2[r].w)) continue;
            int32_t a = right(&k, i + m);
            if (r == 7 ? !(a == ' ' || (a >= 0 && is_space((uint32_t)a))) : is_word(a)) continue;
            nb[i] = nb[i + C2[r].cut] = nb[i + m] = 1;
            i += m - 1;
            hit = 1;
        }
        if (hit) merge(w, L);
    }
    /* CONTRACTIONS3: " ('t)(is)\b", then " ('t)(was)\b" */
    for (int r = 0; apos && r < 2; r++) {
        const char *tail = r ? "was" : "is";
        size_t m = strlen(tail);
        for (size_t i = 0; i + 2 + m <= L; i++)
            if (left(&k, i) == ' ' && word_at(&k, i, "'t") && !k.brk[i + 2] && word_at(&k, i + 2, tail) &&
                !is_word(right(&k, i + 2 + m)))
                nb[i] = nb[i + 2] = nb[i + 2 + m] = 1;
        merge(w, L);
    }
#undef HAS
}

static void grow(filter_words *w, size_t L)
{
    if (L + 1 <= w->cap) return;
    size_t cap = w->cap ? w->cap : 64;
    while (cap < L + 1) cap *= 2;
    w->c = xrealloc(w->c, cap * sizeof *w->c);
    w->off = xrealloc(w->off, cap * sizeof *w->off);
    w->brk = xrealloc(w->brk, cap);
    w->nb = xrealloc(w->nb, cap);
    w->cap = cap;
}

/* A chunk that only holds ASCII letters and digits: one token unless it is
 * one of the MacIntyre contractions. */
static int plain_chunk(const unsigned char *u, size_t st, size_t en)
{
    for (size_t i = st; i < en; i++) {
        unsigned c = u[i];
        if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))) return 0;
    }
    size_t m = en - st;
    if (m == 5 || m == 6) {
        static const char *const W[] = {"cannot", "gimme", "gonna", "gotta", "lemme", "wanna"};
        for (size_t j = 0; j < 6; j++)
            if (strlen(W[j]) == m && !strncasecmp((const char *)u + st, W[j], m)) return 0;
    }
    return 1;
}

static size_t emit_chunk(filter_words *w, const char *text, size_t st, size_t en, int ss, int se, int32_t pws,
                         int32_t nws, filter_word_fn fn, void *arg)
{
    const unsigned char *u = (const unsigned char *)text;
    if (plain_chunk(u, st, en)) {
        fn(arg, st, en - st, en - st);
        return 1;
    }
    size_t L = 0;
    uint64_t has[2] = {0, 0};
    int uni = 0;
    grow(w, en - st);
    for (size_t i = st; i < en;) {
        size_t l;
        if (u[i] < 0x80)
            has[u[i] >> 6] |= (uint64_t)1 << (u[i] & 63);
        else
            uni = 1;
        w->c[L] = utf8_decode(u + i, en - i, &l);
        w->off[L++] = (uint32_t)(i - st);
        i += l;
    }
    w->off[L] = (uint32_t)(en - st);
    nltk_chunk(w, L, ss, se, pws, nws, has, uni);
    size_t ntok = 0, a = 0;
    for (size_t i = 1; i <= L; i++) {
        if (i < L && !w->brk[i]) continue;
        fn(arg, st + w->off[a], w->off[i] - w->off[a], i - a);
        ntok++;
        a = i;
    }
    return ntok;
}

/* The chunk after the current one, as the sentence logic needs it. */
typedef struct next_chunk {
    size_t st, en;     /* st == en: none (end of text) */
    int closers;       /* only closing quotes/brackets ("')]}) */
    int realign_p1;    /* ... not opening with '"' or "''", after spaces only: the final-period rule reaches it */
} next_chunk;

/* One whitespace-separated chunk text[cs..ce), the sentence logic first.
 * punkt looks at the last '.', '?' or '!' of the chunk that is followed by
 * one of its NonWord characters or by whitespace and a next chunk; earlier
 * ones in the same chunk are dropped as overlapping (their context would
 * overlap). A break there ends the sentence; what follows inside the chunk
 * starts the next one, unless it is only closing quotes/brackets, which
 * punkt realigns onto the ending sentence, as it does with a next chunk
 * made of them only. *ss: in, the chunk starts a sentence; out, the next
 * chunk does (or 2: the next chunk is realigned onto this sentence). */
static size_t emit_sentences(filter_words *w, const char *text, size_t cs, size_t ce, int *ss, const next_chunk *nx,
                             int32_t pws, int32_t nws, filter_word_fn fn, void *arg)
{
    const unsigned char *u = (const unsigned char *)text;
    int has_next = nx->st < nx->en;
    if (*ss == 2) { /* realigned closers: they end the sentence */
        size_t n = emit_chunk(w, text, cs, ce, 0, 1, pws, nws, fn, arg);
        *ss = 1;
        return n;
    }
    size_t p = ce;
    for (size_t k = ce; k > cs; k--)
        if ((u[k - 1] == '.' || u[k - 1] == '?' || u[k - 1] == '!') && (k < ce ? nonword(u[k]) : has_next)) {
            p = k - 1;
            break;
        }
    int brk = 0;
    if (p < ce) brk = p + 1 < ce ? punkt_break(u, cs, p + 1, p + 1, p + 2) : punkt_break(u, cs, p + 1, nx->st, nx->en);
    if (!brk) {
        size_t n = emit_chunk(w, text, cs, ce, *ss, !has_next, pws, nws, fn, arg);
        *ss = !has_next;
        return n;
    }
    size_t q = p + 1;
    while (q < ce && in(u[q], "\"')]}")) q++;
    if (q < ce) { /* the next sentence starts inside the chunk */
        size_t n = emit_chunk(w, text, cs, p + 1, *ss, 1, pws, -1, fn, arg);
        n += emit_chunk(w, text, p + 1, ce, 1, !has_next, -1, nws, fn, arg);
        *ss = !has_next;
        return n;
    }
    if (p + 1 == ce && has_next && nx->closers) { /* the next chunk is realigned onto this sentence */
        size_t n = emit_chunk(w, text, cs, ce, *ss, nx->realign_p1 ? 2 : 0, pws, nws, fn, arg);
        *ss = 2;
        return n;
    }
    size_t n = emit_chunk(w, text, cs, ce, *ss, 1, pws, nws, fn, arg);
    *ss = 1;
    return n;
}

size_t filter_words_split(filter_words *w, const char *text, size_t n, filter_word_fn fn, void *arg)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t i = 0, l, ntok = 0;
    size_t cs = 0, ce = 0;      /* the chunk waiting for its successor */
    int have = 0, ss = 1, spaces = 1;
    int32_t pws = -1, cur_pws = -1, cur_nws = -1;
    while (1) {
        spaces = 1;
        while (i < n) { /* whitespace: remember the first and last character */
            uint32_t c = utf8_decode(u + i, n - i, &l);
            if (!is_space(c)) break;
            if (have && cur_nws < 0) cur_nws = (int32_t)c;
            if (c != ' ') spaces = 0;
            pws = (int32_t)c;
            i += l;
        }
        if (i >= n) break;
        size_t st = i;
        int closers = 1, dq = 0;
        while (i < n) {
            uint32_t c = utf8_decode(u + i, n - i, &l);
            if (is_space(c)) break;
            if (!in((int32_t)c, "\"')]}")) closers = 0;
            /* a '"' or "''" after the space becomes `` (STARTING_QUOTES), which the
             * final-period rule's class does not hold */
            if ((i == st && c == '"') || (i == st + 1 && c == '\'' && u[st] == '\'')) dq = 1;
            i += l;
        }
        if (have) { /* the previous chunk is complete now that its successor is known */
            next_chunk nx = {st, i, closers, closers && !dq && spaces};
            ntok += emit_sentences(w, text, cs, ce, &ss, &nx, cur_pws, cur_nws, fn, arg);
        }
        cs = st;
        ce = i;
        cur_pws = ss == 1 ? -1 : pws;
        cur_nws = -1;
        have = 1;
        pws = -1;
    }
    if (have) {
        next_chunk none = {0, 0, 0, 0};
        ntok += emit_sentences(w, text, cs, ce, &ss, &none, cur_pws, -1, fn, arg);
    }
    return ntok;
}

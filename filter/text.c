/*
 * text.c: the heuristic quality rules (Gopher quality and repetition, C4,
 * FineWeb, NeMo Curator's English cascade) over UTF-8 text.
 *
 * Each rule is written from its reference implementation (datatrove
 * src/datatrove/pipeline/filters/, the *_filter.py files; NeMo Curator
 * nemo_curator/stages/text/filters/heuristic_filter.py) so that the same
 * thresholds make the same decisions:
 *  - lengths are code points (Python's len), never bytes;
 *  - "words" are either NeMo's str.split() (Unicode whitespace) or, for the
 *    datatrove rules, NLTK's word_tokenize as written in filter/words.c;
 *  - equal lines, paragraphs and n-grams are found through 64-bit XXH3
 *    hashes (a collision would need ~2^32 distinct strings in one document).
 *
 * Invariants: no rule reads past text+n, invalid UTF-8 counts as one
 * character per bad byte, and all buffers live in the caller's
 * filter_scratch (one per thread), so the functions are reentrant.
 */
#include "filter/filter.h"
#include "core/json.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#ifdef HAVE_UTF8PROC
#include <utf8proc.h>
#endif
#ifdef HAVE_ICU
#include <unicode/ubrk.h>
#include <unicode/utext.h>
#endif

/* --------------------------------------------------------------- UTF-8 */

size_t filter_utf8_len(const char *s, size_t n)
{
    /* Valid UTF-8: count the bytes that are not continuation bytes. */
    size_t c = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n; i++) c += (u[i] & 0xC0) != 0x80;
    return c;
}

/* Python's str.isspace(). */
static int is_space_cp(uint32_t c)
{
    if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Python's str.isalpha() (categories Lu Ll Lt Lm Lo). */
static int is_alpha_cp(uint32_t c)
{
    if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
#ifdef HAVE_UTF8PROC
    utf8proc_category_t k = utf8proc_category((utf8proc_int32_t)c);
    return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
#else
    return c >= 0xC0 && c != 0xD7 && c != 0xF7 && c != 0xFFFD;
#endif
}

/* Unicode decimal digits (regex [[:digit:]]). */
static int is_digit_cp(uint32_t c)
{
    if (c < 0x80) return c >= '0' && c <= '9';
#ifdef HAVE_UTF8PROC
    return utf8proc_category((utf8proc_int32_t)c) == UTF8PROC_CATEGORY_ND;
#else
    return 0;
#endif
}

/* -------------------------------------------------------------- scratch */

typedef struct tok {
    uint32_t off, len, nch;
} tok;

typedef struct htab {
    uint64_t *keys;     /* 0 = empty */
    uint32_t *vals;
    uint32_t *first;    /* index of first occurrence */
    size_t cap;         /* slots in use for this document (power of 2) */
    size_t alloc;       /* slots allocated */
    size_t used;        /* keys stored */
} htab;

struct filter_scratch {
    tok *toks;
    uint64_t *hashes;
    size_t ntoks, cap;
    htab ht;
    sbuf buf;
    int icu;             /* split words with ICU's word break iterator */
    filter_words *words; /* NLTK word_tokenize emulation */
    const char *tb_text; /* the text being split (for tb_push) */
#ifdef HAVE_ICU
    UBreakIterator *bi;
#endif
};

filter_scratch *filter_scratch_new(void) { return xcalloc(1, sizeof(filter_scratch)); }

void filter_scratch_free(filter_scratch *s)
{
    if (!s) return;
    free(s->toks);
    free(s->hashes);
    free(s->ht.keys);
    free(s->ht.vals);
    free(s->ht.first);
    sbuf_free(&s->buf);
    filter_words_free(s->words);
#ifdef HAVE_ICU
    if (s->bi) ubrk_close(s->bi);
#endif
    free(s);
}

int filter_scratch_use_icu(filter_scratch *s, int on)
{
#ifdef HAVE_ICU
    s->icu = on;
    return 0;
#else
    s->icu = 0;
    return on ? -1 : 0;
#endif
}

/* Prepares the table for about n keys; it grows on demand (ht_slot), so n is
 * only a hint. Memory is kept between documents (alloc >= cap). */
static void ht_reset(htab *t, size_t n)
{
    size_t cap = 64;
    while (cap < 2 * n + 16) cap <<= 1;
    if (cap > t->alloc) {
        free(t->keys);
        free(t->vals);
        free(t->first);
        t->keys = xmalloc(cap * sizeof *t->keys);
        t->vals = xmalloc(cap * sizeof *t->vals);
        t->first = xmalloc(cap * sizeof *t->first);
        t->alloc = cap;
    }
    t->cap = cap;
    t->used = 0;
    memset(t->keys, 0, t->cap * sizeof *t->keys);
}

static size_t ht_probe(const uint64_t *keys, size_t cap, uint64_t k)
{
    size_t m = cap - 1, i = (size_t)(k ^ (k >> 29)) & m;
    while (keys[i] && keys[i] != k) i = (i + 1) & m;
    return i;
}

/* Doubles the table, keeping every entry (load stays <= 1/2). */
static void ht_grow(htab *t)
{
    size_t cap = t->cap * 2;
    uint64_t *keys = xcalloc(cap, sizeof *keys);
    uint32_t *vals = xmalloc(cap * sizeof *vals), *first = xmalloc(cap * sizeof *first);
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->keys[i]) continue;
        size_t j = ht_probe(keys, cap, t->keys[i]);
        keys[j] = t->keys[i];
        vals[j] = t->vals[i];
        first[j] = t->first[i];
    }
    free(t->keys);
    free(t->vals);
    free(t->first);
    t->keys = keys;
    t->vals = vals;
    t->first = first;
    t->cap = t->alloc = cap;
}

/* Finds or inserts k; *isnew tells which. Returns the slot index, valid
 * until the next call. */
static size_t ht_slot(htab *t, uint64_t k, int *isnew)
{
    if (!k) k = 1;
    if ((t->used + 1) * 2 > t->cap) ht_grow(t);
    size_t i = ht_probe(t->keys, t->cap, k);
    if (t->keys[i] == k) {
        *isnew = 0;
        return i;
    }
    t->keys[i] = k;
    t->vals[i] = 0;
    t->used++;
    *isnew = 1;
    return i;
}

static void tok_push(filter_scratch *s, size_t off, size_t len, size_t nch, const char *base)
{
    if (s->ntoks == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->toks = xrealloc(s->toks, s->cap * sizeof *s->toks);
        s->hashes = xrealloc(s->hashes, s->cap * sizeof *s->hashes);
    }
    s->toks[s->ntoks] = (tok){(uint32_t)off, (uint32_t)len, (uint32_t)nch};
    s->hashes[s->ntoks] = XXH3_64bits(base + off, len);
    s->ntoks++;
}

#ifdef HAVE_ICU
/* ICU word segments (dictionary-based for Chinese, Japanese, Thai, Lao,
 * Khmer, Burmese) that are not whitespace; punctuation segments stay
 * tokens, as jieba and MeCab return them. Returns -1 when ICU fails. */
static int tokenize_icu(filter_scratch *s, const char *text, size_t n)
{
    UErrorCode st = U_ZERO_ERROR;
    s->ntoks = 0;
    if (n > INT32_MAX) return -1;
    if (!s->bi) {
        s->bi = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
        if (U_FAILURE(st)) {
            s->bi = NULL;
            return -1;
        }
    }
    UText *ut = utext_openUTF8(NULL, text, (int64_t)n, &st);
    if (U_FAILURE(st)) return -1;
    ubrk_setUText(s->bi, ut, &st);
    if (U_FAILURE(st)) {
        utext_close(ut);
        return -1;
    }
    const unsigned char *u = (const unsigned char *)text;
    int32_t a = ubrk_first(s->bi), b;
    while ((b = ubrk_next(s->bi)) != UBRK_DONE) {
        if (a < 0 || b <= a || (size_t)b > n) break;
        size_t i = (size_t)a, l;
        int blank = 1;
        while (i < (size_t)b && blank) {
            blank = is_space_cp(utf8_decode(u + i, n - i, &l));
            i += l;
        }
        if (!blank) tok_push(s, (size_t)a, (size_t)(b - a), filter_utf8_len(text + a, (size_t)(b - a)), text);
        a = b;
    }
    utext_close(ut);
    return 0;
}
#endif

/* Python's str.split(): runs of non-whitespace. */
static void tokenize_ws(filter_scratch *s, const char *text, size_t n)
{
#ifdef HAVE_ICU
    if (s->icu && tokenize_icu(s, text, n) == 0) return;
#endif
    const unsigned char *u = (const unsigned char *)text;
    s->ntoks = 0;
    size_t i = 0;
    while (i < n) {
        size_t l;
        uint32_t c = utf8_decode(u + i, n - i, &l);
        if (is_space_cp(c)) {
            i += l;
            continue;
        }
        size_t st = i, nch = 0;
        while (i < n) {
            c = utf8_decode(u + i, n - i, &l);
            if (is_space_cp(c)) break;
            i += l;
            nch++;
        }
        tok_push(s, st, i - st, nch, text);
    }
}

static void tb_push(void *arg, size_t off, size_t len, size_t nch)
{
    filter_scratch *s = arg;
    tok_push(s, off, len, nch, s->tb_text);
}

/* NLTK's word_tokenize, as datatrove splits words (filter/words.c). */
static void tokenize_tb(filter_scratch *s, const char *text, size_t n)
{
#ifdef HAVE_ICU
    if (s->icu && tokenize_icu(s, text, n) == 0) return;
#endif
    s->ntoks = 0;
    if (!s->words) s->words = filter_words_new();
    s->tb_text = text;
    filter_words_split(s->words, text, n, tb_push, s);
}

/* ----------------------------------------------------------- small helpers */

static size_t count_sub(const char *h, size_t n, const char *needle, size_t m)
{
    size_t c = 0;
    const char *p = h, *end = h + n;
    while ((size_t)(end - p) >= m) {
        const char *q = memmem(p, (size_t)(end - p), needle, m);
        if (!q) break;
        c++;
        p = q + m;
    }
    return c;
}

static int starts_with(const char *s, size_t n, const char *pre)
{
    size_t m = strlen(pre);
    return n >= m && !memcmp(s, pre, m);
}

static int ends_with(const char *s, size_t n, const char *suf)
{
    size_t m = strlen(suf);
    return n >= m && !memcmp(s + n - m, suf, m);
}

/* Unicode-whitespace strip (Python's str.strip()). */
static void strip_span(const char *s, size_t n, size_t *a, size_t *b)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, l;
    while (i < n) {
        uint32_t c = utf8_decode(u + i, n - i, &l);
        if (!is_space_cp(c)) break;
        i += l;
    }
    size_t j = n;
    while (j > i) {
        size_t p = j - 1;
        while (p > i && (u[p] & 0xC0) == 0x80) p--;
        uint32_t c = utf8_decode(u + p, j - p, &l);
        if (!is_space_cp(c)) break;
        j = p;
    }
    *a = i;
    *b = j;
}

/* Python's str.splitlines() boundaries: calls fn for each line (without its
 * terminator). Returns the number of lines. */
typedef void (*line_fn)(void *arg, const char *line, size_t len);

static size_t split_lines_py(const char *s, size_t n, line_fn fn, void *arg)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t st = 0, i = 0, count = 0;
    while (i < n) {
        unsigned c = u[i];
        size_t tl = 0;
        if (c == '\n' || c == '\v' || c == '\f' || c == 0x1C || c == 0x1D || c == 0x1E) tl = 1;
        else if (c == '\r') tl = (i + 1 < n && u[i + 1] == '\n') ? 2 : 1;
        else if (c == 0xC2 && i + 1 < n && u[i + 1] == 0x85) tl = 2;
        else if (c == 0xE2 && i + 2 < n && u[i + 1] == 0x80 && (u[i + 2] == 0xA8 || u[i + 2] == 0xA9)) tl = 3;
        if (tl) {
            fn(arg, s + st, i - st);
            count++;
            i += tl;
            st = i;
        } else {
            i++;
        }
    }
    if (st < n) {
        fn(arg, s + st, n - st);
        count++;
    }
    return count;
}

static int is_stop_word(const filter_gopher_quality *p, const char *w, size_t n)
{
    static const char *const DEFAULT_STOP[] = {"the", "be", "to", "of", "and", "that", "have", "with"};
    const char *const *list = p->stop_words ? p->stop_words : DEFAULT_STOP;
    size_t cnt = p->stop_words ? p->nstop_words : 8;
    for (size_t i = 0; i < cnt; i++)
        if (strlen(list[i]) == n && !memcmp(list[i], w, n)) return 1;
    return 0;
}

/* `w in string.punctuation`: w is a substring of Python's punctuation string. */
static int in_py_punctuation(const char *w, size_t n)
{
    static const char P[] = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    if (n == 0) return 1;
    if (n > sizeof P - 1) return 0;
    for (size_t i = 0; i + n <= sizeof P - 1; i++)
        if (!memcmp(P + i, w, n)) return 1;
    return 0;
}

static int has_alpha(const char *w, size_t n)
{
    const unsigned char *u = (const unsigned char *)w;
    size_t i = 0, l;
    while (i < n) {
        if (is_alpha_cp(utf8_decode(u + i, n - i, &l))) return 1;
        i += l;
    }
    return 0;
}

#define KEEP ((filter_verdict){NULL, 0})
#define DROP(r, v) ((filter_verdict){(r), (double)(v)})

/* ------------------------------------------------------------- Gopher */

void filter_gopher_quality_defaults(filter_gopher_quality *p)
{
    memset(p, 0, sizeof *p);
    p->min_doc_words = 50;
    p->max_doc_words = 100000;
    p->min_avg_word_length = 3;
    p->max_avg_word_length = 10;
    p->max_symbol_word_ratio = 0.1;
    p->max_bullet_lines_ratio = 0.9;
    p->max_ellipsis_lines_ratio = 0.3;
    p->max_non_alpha_words_ratio = 0.8;
    p->min_stop_words = 2;
}

typedef struct line_stats {
    size_t lines, bullets, ellipsis;
} line_stats;

static void gopher_line(void *arg, const char *line, size_t len)
{
    line_stats *ls = arg;
    size_t a, b;
    strip_span(line, len, &a, &b);
    if (starts_with(line + a, len - a, "\xe2\x80\xa2")) ls->bullets++;    /* "•" after lstrip */
    if (ends_with(line, b, "...") || ends_with(line, b, "\xe2\x80\xa6")) ls->ellipsis++; /* rstrip */
    ls->lines++;
}

filter_verdict filter_gopher_quality_check(const filter_gopher_quality *p, const char *text, size_t n,
                                           filter_scratch *s)
{
    tokenize_tb(s, text, n);
    size_t n_words = 0, sum_len = 0, alpha = 0, stops = 0;
    for (size_t i = 0; i < s->ntoks; i++) {
        const tok *t = &s->toks[i];
        const char *w = text + t->off;
        if (!in_py_punctuation(w, t->len)) {
            n_words++;
            sum_len += t->nch;
        }
        if (has_alpha(w, t->len)) alpha++;
        if (is_stop_word(p, w, t->len)) stops++;
    }
    if (p->min_doc_words && (int64_t)n_words < p->min_doc_words) return DROP("gopher_short_doc", n_words);
    if (n_words == 0) return DROP("gopher_short_doc", 0);   /* Python would divide by zero */
    if (p->max_doc_words && (int64_t)n_words > p->max_doc_words) return DROP("gopher_long_doc", n_words);
    double avg = (double)sum_len / (double)n_words;
    if (p->min_avg_word_length && avg < p->min_avg_word_length) return DROP("gopher_below_avg_threshold", avg);
    if (p->max_avg_word_length && avg > p->max_avg_word_length) return DROP("gopher_above_avg_threshold", avg);
    if (p->max_symbol_word_ratio) {
        double r = (double)count_sub(text, n, "#", 1) / (double)n_words;
        if (r > p->max_symbol_word_ratio) return DROP("gopher_too_many_hashes", r);
        r = (double)(count_sub(text, n, "...", 3) + count_sub(text, n, "\xe2\x80\xa6", 3)) / (double)n_words;
        if (r > p->max_symbol_word_ratio) return DROP("gopher_too_many_ellipsis", r);
    }
    line_stats ls = {0, 0, 0};
    split_lines_py(text, n, gopher_line, &ls);
    if (ls.lines) {
        double r = (double)ls.bullets / (double)ls.lines;
        if (p->max_bullet_lines_ratio && r > p->max_bullet_lines_ratio) return DROP("gopher_too_many_bullets", r);
        r = (double)ls.ellipsis / (double)ls.lines;
        if (p->max_ellipsis_lines_ratio && r > p->max_ellipsis_lines_ratio)
            return DROP("gopher_too_many_end_ellipsis", r);
    }
    double ar = (double)alpha / (double)n_words;
    if (p->max_non_alpha_words_ratio && ar < p->max_non_alpha_words_ratio)
        return DROP("gopher_below_alpha_threshold", ar);
    if (p->min_stop_words && (int64_t)stops < p->min_stop_words) return DROP("gopher_enough_stop_words", stops);
    return KEEP;
}

void filter_gopher_repetition_defaults(filter_gopher_repetition *p)
{
    p->dup_line_frac = 0.3;
    p->dup_para_frac = 0.3;
    p->dup_line_char_frac = 0.2;
    p->dup_para_char_frac = 0.2;
    static const double top[3] = {0.20, 0.18, 0.16}, dup[6] = {0.15, 0.14, 0.13, 0.12, 0.11, 0.10};
    memcpy(p->top_ngram_frac, top, sizeof top);
    memcpy(p->dup_ngram_frac, dup, sizeof dup);
}

typedef struct dup_count {
    size_t elements, dup_elements, dup_chars, unique_chars, total_chars;
} dup_count;

/* datatrove's find_duplicates over one element (a line or paragraph). */
static void dup_add(htab *t, dup_count *d, const char *e, size_t len)
{
    int isnew;
    ht_slot(t, XXH3_64bits(e, len), &isnew);
    size_t nch = filter_utf8_len(e, len);
    d->elements++;
    d->total_chars += nch;
    if (isnew) {
        d->unique_chars += nch;
    } else {
        d->dup_elements++;
        d->dup_chars += nch;
    }
}

/* Splits on runs of `min_run`+ newlines (re.split("\n{k,}")). */
static void split_newline_runs(htab *t, dup_count *d, const char *s, size_t n, size_t min_run)
{
    size_t st = 0, i = 0;
    ht_reset(t, n / 16 + 16);
    while (i < n) {
        if (s[i] == '\n') {
            size_t j = i;
            while (j < n && s[j] == '\n') j++;
            if (j - i >= min_run) {
                dup_add(t, d, s + st, i - st);
                st = j;
            }
            i = j;
        } else {
            i++;
        }
    }
    dup_add(t, d, s + st, n - st);
}

static const char *const TOP_REASONS[3] = {"top_2_gram", "top_3_gram", "top_4_gram"};
static const char *const DUP_REASONS[6] = {"duplicated_5_n_grams", "duplicated_6_n_grams", "duplicated_7_n_grams",
                                           "duplicated_8_n_grams", "duplicated_9_n_grams", "duplicated_10_n_grams"};

/* The most common n-gram of the tokens (by their word hashes): returns its
 * first position and sets *count; ties go to the n-gram seen first, as with
 * collections.Counter. n <= number of tokens. */
static size_t most_common_ngram(filter_scratch *s, size_t n, uint32_t *count)
{
    size_t m = s->ntoks - n + 1;
    htab *t = &s->ht;
    ht_reset(t, m);
    uint32_t best = 0;
    size_t best_first = 0;
    for (size_t i = 0; i < m; i++) {
        int isnew;
        size_t k = ht_slot(t, XXH3_64bits(s->hashes + i, n * sizeof(uint64_t)), &isnew);
        if (isnew) t->first[k] = (uint32_t)i;
        uint32_t c = ++t->vals[k];
        if (c > best || (c == best && t->first[k] < best_first)) {
            best = c;
            best_first = t->first[k];
        }
    }
    *count = best;
    return best_first;
}

/* Character length of the most common n-gram (" "-joined) times its count;
 * ties go to the n-gram seen first, as with collections.Counter. */
static size_t top_ngram_chars(filter_scratch *s, size_t n)
{
    uint32_t best;
    size_t best_first = most_common_ngram(s, n, &best);
    size_t chars = n - 1;
    for (size_t j = 0; j < n; j++) chars += s->toks[best_first + j].nch;
    return chars * best;
}

/* datatrove's find_all_duplicate: "".join n-grams; a repeated one skips ahead n. */
static size_t dup_ngram_chars(filter_scratch *s, size_t n)
{
    htab *t = &s->ht;
    ht_reset(t, s->ntoks);
    size_t rep = 0, i = 0;
    while (i + n <= s->ntoks) {
        int isnew;
        ht_slot(t, XXH3_64bits(s->hashes + i, n * sizeof(uint64_t)), &isnew);
        if (!isnew) {
            for (size_t j = 0; j < n; j++) rep += s->toks[i + j].nch;
            i += n;
        } else {
            i++;
        }
    }
    return rep;
}

filter_verdict filter_gopher_repetition_check(const filter_gopher_repetition *p, const char *text, size_t n,
                                              int word_rules, filter_scratch *s)
{
    size_t nch = filter_utf8_len(text, n);
    if (!nch) return KEEP;
    size_t a, b;
    strip_span(text, n, &a, &b);
    dup_count d = {0};
    split_newline_runs(&s->ht, &d, text + a, b - a, 2);
    double r = (double)d.dup_elements / (double)d.elements;
    if (p->dup_para_frac && r > p->dup_para_frac) return DROP("dup_para_frac", r);
    r = (double)d.dup_chars / (double)nch;
    if (p->dup_para_char_frac && r > p->dup_para_char_frac) return DROP("dup_para_char_frac", r);
    memset(&d, 0, sizeof d);
    split_newline_runs(&s->ht, &d, text, n, 1);
    r = (double)d.dup_elements / (double)d.elements;
    if (p->dup_line_frac && r > p->dup_line_frac) return DROP("dup_line_frac", r);
    r = (double)d.dup_chars / (double)nch;
    if (p->dup_line_char_frac && r > p->dup_line_char_frac) return DROP("dup_line_char_frac", r);
    if (!word_rules) return KEEP;
    tokenize_tb(s, text, n);
    for (size_t k = 0; k < 3; k++) {
        size_t ng = k + 2;
        if (!p->top_ngram_frac[k] || s->ntoks < ng) continue;
        r = (double)top_ngram_chars(s, ng) / (double)nch;
        if (r > p->top_ngram_frac[k]) return DROP(TOP_REASONS[k], r);
    }
    for (size_t k = 0; k < 6; k++) {
        size_t ng = k + 5;
        if (!p->dup_ngram_frac[k]) continue;
        r = (double)dup_ngram_chars(s, ng) / (double)nch;
        if (r > p->dup_ngram_frac[k]) return DROP(DUP_REASONS[k], r);
    }
    return KEEP;
}

/* ------------------------------------------------------------------ C4 */

const char *const filter_c4_line_reasons[5] = {"line_too_long_word", "line_no_terminal_punct", "line_too_few_words",
                                               "line_javascript", "line_policy"};

void filter_c4_defaults(filter_c4 *p)
{
    p->filter_no_terminal_punct = 0;
    p->min_words_per_line = 3;
    p->max_word_length = 1000;
    p->min_num_sentences = 5;
    p->remove_citations = p->filter_lorem_ipsum = p->filter_javascript = 1;
    p->filter_curly_bracket = p->filter_policy = 1;
}

static int is_terminal_cp(uint32_t c)
{
    return c == '.' || c == '!' || c == '?' || c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0xFF0E ||
           c == 0x0964 || c == 0x06D4 || c == 0x061F;
}

/* Sentences in one line, standing in for NLTK's punkt: a run of terminal
 * punctuation followed by whitespace (or the end) ends a sentence, and
 * trailing text without one is a sentence too. */
static size_t count_sentences(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t count = 0, i = 0, l;
    int content = 0;
    while (i < n) {
        uint32_t c = utf8_decode(u + i, n - i, &l);
        if (is_terminal_cp(c)) {
            size_t j = i + l;
            while (j < n) {
                size_t l2;
                uint32_t c2 = utf8_decode(u + j, n - j, &l2);
                if (!is_terminal_cp(c2) && c2 != '"' && c2 != '\'' && c2 != ')' && c2 != 0x201D) break;
                j += l2;
            }
            size_t l3 = 0;
            int ends = j >= n || is_space_cp(utf8_decode(u + j, n - j, &l3)) || c >= 0x80;
            if (ends && content) {
                count++;
                content = 0;
            }
            i = j;
            continue;
        }
        if (!is_space_cp(c)) content = 1;
        i += l;
    }
    return count + (content ? 1 : 0);
}

static int lower_contains(const char *s, size_t n, const char *needle, sbuf *tmp)
{
    sbuf_reset(tmp);
    sbuf_reserve(tmp, n + 1);
    for (size_t i = 0; i < n; i++) tmp->data[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] | 0x20) : s[i];
    tmp->len = n;
    return memmem(tmp->data, n, needle, strlen(needle)) != NULL;
}

/* Removes [123], [] [edit] and [citation needed] (datatrove's CITATION_REGEX). */
static size_t remove_citations(const char *s, size_t n, char *out)
{
    size_t o = 0, i = 0;
    while (i < n) {
        if (s[i] == '[') {
            size_t j = i + 1;
            while (j < n && s[j] >= '0' && s[j] <= '9') j++;
            if (j < n && s[j] == ']') {
                i = j + 1;
                continue;
            }
            if (starts_with(s + i, n - i, "[edit]")) {
                i += 6;
                continue;
            }
            if (starts_with(s + i, n - i, "[citation needed]")) {
                i += 17;
                continue;
            }
        }
        out[o++] = s[i++];
    }
    return o;
}

typedef struct c4_state {
    const filter_c4 *p;
    int word_rules;
    sbuf *out;
    uint64_t *removed;
    size_t sentences;
    const char *fatal;
    sbuf tmp, line;
} c4_state;

static const char *const C4_POLICY[] = {"terms of use", "privacy policy", "cookie policy", "uses cookies",
                                        "use of cookies", "use cookies"};

static void c4_line(void *arg, const char *raw, size_t rawlen)
{
    c4_state *st = arg;
    if (st->fatal) return;
    const filter_c4 *p = st->p;
    size_t a, b;
    strip_span(raw, rawlen, &a, &b);
    const char *line = raw + a;
    size_t len = b - a;
    /* words = line.split() */
    const unsigned char *u = (const unsigned char *)line;
    size_t nwords = 0, i = 0, l, wchars = 0, maxw = 0;
    int inword = 0;
    while (i < len) {
        uint32_t c = utf8_decode(u + i, len - i, &l);
        if (is_space_cp(c)) {
            if (inword) {
                if (wchars > maxw) maxw = wchars;
                inword = 0;
            }
        } else {
            if (!inword) {
                nwords++;
                wchars = 0;
                inword = 1;
            }
            wchars++;
        }
        i += l;
    }
    if (inword && wchars > maxw) maxw = wchars;
    if (p->max_word_length != -1 && (int64_t)maxw > p->max_word_length) {
        st->removed[0]++;
        return;
    }
    if (p->remove_citations) {
        sbuf_reset(&st->line);
        sbuf_reserve(&st->line, len + 1);
        st->line.len = remove_citations(line, len, st->line.data);
        line = st->line.data;
        len = st->line.len;
    }
    if (p->filter_no_terminal_punct) {
        int endp = len && (line[len - 1] == '.' || line[len - 1] == '?' || line[len - 1] == '!' ||
                           line[len - 1] == '"' || line[len - 1] == '\'');
        if (!endp || ends_with(line, len, "...")) {
            st->removed[1]++;
            return;
        }
    }
    if (st->word_rules && (int64_t)nwords < p->min_words_per_line) {
        st->removed[2]++;
        return;
    }
    if (p->filter_lorem_ipsum && lower_contains(line, len, "lorem ipsum", &st->tmp)) {
        st->fatal = "lorem_ipsum";
        return;
    }
    if (p->filter_javascript && lower_contains(line, len, "javascript", &st->tmp)) {
        st->removed[3]++;
        return;
    }
    if (p->filter_curly_bracket && memchr(line, '{', len)) {
        st->fatal = "curly_bracket";
        return;
    }
    if (p->filter_policy) {
        lower_contains(line, len, "", &st->tmp);
        for (size_t k = 0; k < sizeof C4_POLICY / sizeof C4_POLICY[0]; k++)
            if (memmem(st->tmp.data, len, C4_POLICY[k], strlen(C4_POLICY[k]))) {
                st->removed[4]++;
                return;
            }
    }
    if (p->min_num_sentences != -1) st->sentences += count_sentences(line, len);
    if (st->out->len) sbuf_putc(st->out, '\n');
    sbuf_append(st->out, line, len);
}

filter_verdict filter_c4_check(const filter_c4 *p, const char *text, size_t n, int word_rules, sbuf *out,
                               uint64_t removed[5])
{
    c4_state st = {p, word_rules, out, removed, 0, NULL, SBUF_INIT, SBUF_INIT};
    sbuf_reset(out);
    split_lines_py(text, n, c4_line, &st);
    sbuf_free(&st.tmp);
    sbuf_free(&st.line);
    if (st.fatal) return DROP(st.fatal, 1);
    if (p->min_num_sentences != -1 && (int64_t)st.sentences < p->min_num_sentences)
        return DROP("too_few_sentences", st.sentences);
    /* "\n".join(kept).strip() */
    size_t a, b;
    strip_span(out->data ? out->data : "", out->len, &a, &b);
    if (a || b != out->len) {
        memmove(out->data, out->data + a, b - a);
        out->len = b - a;
        out->data[out->len] = 0;
    }
    return KEEP;
}

/* -------------------------------------------------------------- FineWeb */

void filter_fineweb_defaults(filter_fineweb *p)
{
    p->line_punct_thr = 0.12;
    p->line_punct_exclude_zero = 0;
    p->unicode_line_ends = 1;
    p->short_line_thr = 0.67;
    p->short_line_length = 30;
    p->char_duplicates_ratio = 0.01;
    p->new_line_ratio = 0.3;
}

/* Sentence-final marks of scripts other than Latin (a subset of Unicode's
 * Terminal_Punctuation): ideographic and fullwidth full stops and marks,
 * Devanagari danda, Arabic full stop and question mark, Armenian, Ethiopic
 * and Myanmar full stops. */
static int ends_unicode_terminal(const char *line, size_t len)
{
    size_t p = len - 1;
    while (p > 0 && ((unsigned char)line[p] & 0xC0) == 0x80) p--;
    size_t l;
    uint32_t c = utf8_decode((const unsigned char *)line + p, len - p, &l);
    return c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0xFF0E || c == 0xFF61 || c == 0x0964 || c == 0x0965 ||
           c == 0x06D4 || c == 0x061F || c == 0x0589 || c == 0x1362 || c == 0x104B;
}

filter_verdict filter_fineweb_check(const filter_fineweb *p, const char *text, size_t n, int word_rules,
                                    filter_scratch *s)
{
    /* lines = text.split("\n") */
    size_t lines = 0, punct = 0, shortl = 0, newlines = 0;
    dup_count d = {0};
    ht_reset(&s->ht, n / 16 + 16);
    size_t st = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && text[i] != '\n') continue;
        const char *line = text + st;
        size_t len = i - st;
        lines++;
        if (len) {
            char c = line[len - 1];
            if (c == '.' || c == '\'' || c == '"' || c == '!' || c == '?') punct++;
            else if (p->unicode_line_ends && (unsigned char)c >= 0x80 && ends_unicode_terminal(line, len)) punct++;
        }
        if ((int64_t)filter_utf8_len(line, len) <= p->short_line_length) shortl++;
        size_t a, b;
        strip_span(line, len, &a, &b);
        if (b > a) dup_add(&s->ht, &d, line, len);
        if (i < n) newlines++;
        st = i + 1;
    }
    double r = (double)punct / (double)lines;
    if (r <= p->line_punct_thr && !(r == 0 && p->line_punct_exclude_zero)) return DROP("line_punct_ratio", r);
    /* A 20-character Chinese line says as much as a 60-character English
     * one: the short-line rule is skipped with the word rules. */
    r = (double)shortl / (double)lines;
    if (word_rules && r >= p->short_line_thr) return DROP("short_line_ratio", r);
    size_t denom = filter_utf8_len(text, n) - newlines;
    r = denom ? (double)d.dup_chars / (double)denom : 1.0;
    if (r >= p->char_duplicates_ratio) return DROP("char_dup_ratio", r);
    if (word_rules) {
        tokenize_tb(s, text, n);
        r = s->ntoks ? (double)newlines / (double)s->ntoks : INFINITY;
        if (r > p->new_line_ratio) return DROP("list_ratio", isinf(r) ? 1e300 : r);
    }
    return KEEP;
}

/* ------------------------------------------------- NeMo English cascade */

void filter_nemo_defaults(filter_nemo *p)
{
    p->max_non_alpha_numeric_to_text_ratio = 0.25;
    p->max_symbol_to_word_ratio = 0.1;
    p->max_number_to_text_ratio = 0.15;
    p->max_url_to_text_ratio = 0.2;
    p->max_white_space_ratio = 0.25;
    p->max_parentheses_ratio = 0.1;
    p->max_boilerplate_string_ratio = 0.4;
    p->max_repeated_line_fraction = 0.7;
    p->max_repeated_paragraphs_ratio = 0.7;
    p->max_repeated_lines_char_ratio = 0.8;
    p->max_repeated_paragraphs_char_ratio = 0.8;
    p->min_words = 50;
    p->max_words = 100000;
    p->max_num_sentences_without_endmark_ratio = 0.85;
    p->min_words_with_alphabets = 0.8;
    p->min_num_common_words = 2;
    p->min_mean_word_length = 3;
    p->max_mean_word_length = 10;
    p->max_word_length = 1000;
    p->max_num_lines_ending_with_ellipsis_ratio = 0.3;
    static const double top[3] = {0.20, 0.18, 0.16}, dup[6] = {0.15, 0.14, 0.13, 0.12, 0.11, 0.10};
    memcpy(p->top_ngram_ratio, top, sizeof top);
    memcpy(p->dup_ngram_ratio, dup, sizeof dup);
}

/* NeMo's regex_url: http[s]?:// followed by [A-Za-z0-9$-_@.&+!*(),] or %XX. */
static size_t url_chars(const char *s, size_t n)
{
    size_t total = 0, i = 0;
    while (i + 7 <= n) {
        const char *h = memmem(s + i, n - i, "http", 4);
        if (!h) break;
        size_t p = (size_t)(h - s) + 4;
        if (p < n && s[p] == 's') p++;
        if (p + 3 > n || memcmp(s + p, "://", 3)) {
            i = (size_t)(h - s) + 1;
            continue;
        }
        p += 3;
        size_t q = p;
        while (q < n) {
            unsigned char c = (unsigned char)s[q];
            if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') q++;
            else if (c >= '0' && c <= '9') q++;
            else if (strchr("$-_@.&+!*(),", c) && c) q++;
            else if (c == '%' && q + 2 < n && isxdigit((unsigned char)s[q + 1]) && isxdigit((unsigned char)s[q + 2]))
                q += 3;
            else break;
        }
        if (q > p) {
            total += q - (size_t)(h - s);   /* ASCII: bytes == characters */
            i = q;
        } else {
            i = (size_t)(h - s) + 1;
        }
    }
    return total;
}

static const char *const NEMO_POLICY[] = {
    "terms of use", "privacy policy", "cookie policy", "uses cookies", "privacy overview", "use of cookies",
    "use cookies", "privacy & cookies policy", "privacy and cookies policy",
    "this website uses cookies to improve your experience while you navigate through the website. out of these "
    "cookies, the cookies that are categorized as necessary are stored on your browser as they are essential for "
    "the working of basic functionalities of the website. we also use third-party cookies that help us analyze and "
    "understand how you use this website. these cookies will be stored in your browser only with your consent. you "
    "also have the option to opt-out of these cookies. but opting out of some of these cookies may have an effect "
    "on your browsing experience.",
    "necessary cookies are absolutely essential for the website to function properly. this category only includes "
    "cookies that ensures basic functionalities and security features of the website. these cookies do not store "
    "any personal information.",
    "any cookies that may not be particularly necessary for the website to function and is used specifically to "
    "collect user personal data via analytics, ads, other embedded contents are termed as non-necessary cookies. it "
    "is mandatory to procure user consent prior to running these cookies on your website.",
    "this site uses cookies, including for analytics, personalization, and advertising purposes. for more "
    "information or to change your cookie settings, click here.",
    "if you continue to browse this site without changing your cookie settings, you agree to this use. acceptread "
    "more",
};

static const char *const NEMO_ELLIPSIS[] = {"...", "[...]", "\xe2\x80\xa6", "(...)", "[\xe2\x80\xa6]", "-\xc2\xbb",
                                            "read more..", "read more"};

static const char *const NEMO_TOP[3] = {"nemo_repeating_top_2grams", "nemo_repeating_top_3grams",
                                        "nemo_repeating_top_4grams"};
static const char *const NEMO_DUP[6] = {"nemo_repeating_dup_5gram", "nemo_repeating_dup_6gram",
                                        "nemo_repeating_dup_7gram", "nemo_repeating_dup_8gram",
                                        "nemo_repeating_dup_9gram", "nemo_repeating_dup_10gram"};

/* Non-empty (after strip) lines of text.split("\n"): NeMo's get_sentences. */
typedef struct nemo_lines {
    size_t count, no_endmark, ellipsis;
    dup_count dup;
} nemo_lines;

static void nemo_scan_lines(filter_scratch *s, const char *text, size_t n, nemo_lines *nl, sbuf *low)
{
    memset(nl, 0, sizeof *nl);
    ht_reset(&s->ht, n / 16 + 16);
    size_t st = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && text[i] != '\n') continue;
        size_t a, b;
        strip_span(text + st, i - st, &a, &b);
        if (b > a) {
            const char *x = text + st + a;
            size_t len = b - a;
            char c = x[len - 1];
            nl->count++;
            if (!(c == '.' || c == '?' || c == '!' || c == '"' || c == '\'')) nl->no_endmark++;
            const char *lx = low->data + st + a;
            for (size_t k = 0; k < sizeof NEMO_ELLIPSIS / sizeof NEMO_ELLIPSIS[0]; k++)
                if (ends_with(lx, len, NEMO_ELLIPSIS[k])) {
                    nl->ellipsis++;
                    break;
                }
            dup_add(&s->ht, &nl->dup, text + st, i - st);
        }
        st = i + 1;
    }
}

/* Paragraphs of text.split("\n\n"): uniqueness by count and by characters,
 * and the boilerplate share. Returns -1 for "lorem ipsum". */
static double nemo_paragraphs(filter_scratch *s, const char *text, size_t n, const char *low, dup_count *d)
{
    memset(d, 0, sizeof *d);
    ht_reset(&s->ht, n / 64 + 16);
    size_t st = 0, boiler = 0;
    for (size_t i = 0;; ) {
        const char *q = i < n ? memmem(text + i, n - i, "\n\n", 2) : NULL;
        size_t en = q ? (size_t)(q - text) : n;
        dup_add(&s->ht, d, text + st, en - st);
        size_t a, b;
        strip_span(text + st, en - st, &a, &b);
        const char *lp = low + st + a;
        size_t ll = b - a;
        if (memmem(lp, ll, "lorem ipsum", 11)) return -1;
        for (size_t k = 0; k < sizeof NEMO_POLICY / sizeof NEMO_POLICY[0]; k++)
            if (memmem(lp, ll, NEMO_POLICY[k], strlen(NEMO_POLICY[k]))) {
                boiler++;
                break;
            }
        if (!q) break;
        i = en + 2;
        st = i;
    }
    return (double)boiler / (double)d->elements;
}

/* NeMo's RepeatingDuplicateNGramsFilter character count. */
static size_t nemo_dup_ngram_chars(filter_scratch *s, size_t n)
{
    htab *t = &s->ht;
    ht_reset(t, s->ntoks);
    size_t dup = 0, overlap = 0;
    for (size_t i = 0; i + n <= s->ntoks; i++) {
        int isnew;
        ht_slot(t, XXH3_64bits(s->hashes + i, n * sizeof(uint64_t)), &isnew);
        if (!isnew) {
            for (size_t j = overlap; j < n; j++) dup += s->toks[i + j].nch;
            size_t nspaces = n - overlap < n - 1 ? n - overlap : n - 1;
            dup += nspaces;
            overlap = n;
        }
        overlap = overlap ? overlap - 1 : 0;
    }
    return dup;
}

/* NeMo's RepeatingTopNGramsFilter: characters removed by text.replace(top, ""). */
static size_t nemo_top_ngram_chars(filter_scratch *s, const char *text, size_t n, size_t ng)
{
    uint32_t best;
    size_t best_first = most_common_ngram(s, ng, &best);
    sbuf *j = &s->buf;
    sbuf_reset(j);
    size_t chars = ng - 1;
    for (size_t q = 0; q < ng; q++) {
        const tok *tk = &s->toks[best_first + q];
        if (q) sbuf_putc(j, ' ');
        sbuf_append(j, text + tk->off, tk->len);
        chars += tk->nch;
    }
    return count_sub(text, n, j->data, j->len) * chars;
}

filter_verdict filter_nemo_check(const filter_nemo *p, const char *text, size_t n, int word_rules,
                                 filter_scratch *s)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t nch = 0, alnum = 0, digits = 0, white = 0, parens = 0, i = 0, l;
    while (i < n) {
        uint32_t c = utf8_decode(u + i, n - i, &l);
        nch++;
        if (c < 0x80) {
            if (((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') || c == '\n' || c == '?' ||
                c == '!' || c == ',' || c == '.')
                alnum++;
            if (c >= '0' && c <= '9') digits++;
            if (c == '\t' || c == '\n' || c == '\r' || c == '\b' || c == ' ') white++;
            if (c == '{' || c == '}' || c == '[' || c == ']' || c == '(' || c == ')') parens++;
        } else {
            if (is_digit_cp(c)) digits++;
            if (c == 0x27E8 || c == 0x27E9) parens++;
        }
        i += l;
    }
    if (!nch) return DROP("nemo_alpha_numeric", 1.0);
    double r = (double)(nch - alnum) / (double)nch;
    if (r > p->max_non_alpha_numeric_to_text_ratio) return DROP("nemo_alpha_numeric", r);
    tokenize_ws(s, text, n);
    size_t nw = s->ntoks;
    if (word_rules) {
        size_t sym = 0;
        for (size_t k = 0; k < nw; k++) {
            const char *w = text + s->toks[k].off;
            size_t wl = s->toks[k].len, runs = 0;
            for (size_t q = 0; q < wl; q++)
                if (w[q] == '#' && (q == 0 || w[q - 1] != '#')) runs++;
            int ell = 0;
            for (size_t e = 0; e < sizeof NEMO_ELLIPSIS / sizeof NEMO_ELLIPSIS[0]; e++)
                if (strlen(NEMO_ELLIPSIS[e]) == wl && !memcmp(NEMO_ELLIPSIS[e], w, wl)) ell = 1;
            if (ell || (double)runs / (double)s->toks[k].nch > 0.5) sym++;
        }
        r = nw ? (double)sym / (double)nw : 1.0;
        if (r > p->max_symbol_to_word_ratio) return DROP("nemo_symbol_to_word", r);
    }
    r = (double)digits / (double)nch;
    if (r > p->max_number_to_text_ratio) return DROP("nemo_numbers_ratio", r);
    r = (double)url_chars(text, n) / (double)nch;
    if (r > p->max_url_to_text_ratio) return DROP("nemo_urls_ratio", r);
    r = (double)white / (double)nch;
    if (r > p->max_white_space_ratio) return DROP("nemo_white_space", r);
    r = (double)parens / (double)nch;
    if (r > p->max_parentheses_ratio) return DROP("nemo_parentheses_ratio", r);

    /* ASCII-lowercased copy for the case-insensitive substring rules. */
    sbuf low = SBUF_INIT;
    sbuf_reserve(&low, n + 1);
    for (size_t k = 0; k < n; k++) low.data[k] = (text[k] >= 'A' && text[k] <= 'Z') ? (char)(text[k] | 0x20) : text[k];
    low.len = n;
    low.data[n] = 0;
    filter_verdict v = KEEP;
    dup_count pd;
    double boiler = nemo_paragraphs(s, text, n, low.data, &pd);
    nemo_lines nl;
    if (boiler < 0 || boiler > p->max_boilerplate_string_ratio) {
        v = DROP("nemo_boilerplate_string_ratio", boiler < 0 ? 1.0 : boiler);
        goto out;
    }
    nemo_scan_lines(s, text, n, &nl, &low);
    r = nl.count ? (double)(nl.count - nl.dup.dup_elements) / (double)nl.count : 0;
    if (r < p->max_repeated_line_fraction) {
        v = DROP("nemo_repeated_lines", r);
        goto out;
    }
    r = (double)(pd.elements - pd.dup_elements) / (double)pd.elements;
    if (r < p->max_repeated_paragraphs_ratio) {
        v = DROP("nemo_repeated_paragraphs", r);
        goto out;
    }
    r = nl.dup.total_chars ? (double)nl.dup.unique_chars / (double)nl.dup.total_chars : 0;
    if (r < p->max_repeated_lines_char_ratio) {
        v = DROP("nemo_repeated_lines_char", r);
        goto out;
    }
    r = pd.total_chars ? (double)pd.unique_chars / (double)pd.total_chars : 0;
    if (r < p->max_repeated_paragraphs_char_ratio) {
        v = DROP("nemo_repeated_paragraphs_char", r);
        goto out;
    }
    if (word_rules && ((int64_t)nw < p->min_words || (int64_t)nw > p->max_words)) {
        v = DROP("nemo_word_count", nw);
        goto out;
    }
    r = nl.count ? (double)nl.no_endmark / (double)nl.count : 1.0;
    if (r > p->max_num_sentences_without_endmark_ratio) {
        v = DROP("nemo_punctuation", r);
        goto out;
    }
    if (word_rules && nw) {
        size_t with_alpha = 0, common = 0, sumlen = 0, maxlen = 0;
        static const char *const COMMON[] = {"the", "be", "to", "of", "and", "that", "have", "with"};
        for (size_t k = 0; k < nw; k++) {
            const tok *t = &s->toks[k];
            const char *w = text + t->off;
            if (has_alpha(w, t->len)) with_alpha++;
            for (size_t q = 0; q < 8; q++)
                if (strlen(COMMON[q]) == t->len && !memcmp(COMMON[q], w, t->len)) common++;
            sumlen += t->nch;
            if (t->nch > maxlen) maxlen = t->nch;
        }
        r = (double)with_alpha / (double)nw;
        if (r < p->min_words_with_alphabets) {
            v = DROP("nemo_words_without_alphabets", r);
            goto out;
        }
        if ((int64_t)common < p->min_num_common_words) {
            v = DROP("nemo_common_english_words", common);
            goto out;
        }
        r = (double)sumlen / (double)nw;
        if (r < p->min_mean_word_length || r > p->max_mean_word_length) {
            v = DROP("nemo_mean_word_length", r);
            goto out;
        }
        if ((int64_t)maxlen > p->max_word_length) {
            v = DROP("nemo_max_word_length", maxlen);
            goto out;
        }
    }
    r = nl.count ? (double)nl.ellipsis / (double)nl.count : 1.0;
    if (r > p->max_num_lines_ending_with_ellipsis_ratio) {
        v = DROP("nemo_ellipsis", r);
        goto out;
    }
    if (word_rules) {
        for (size_t k = 0; k < 3; k++) {
            size_t ng = k + 2;
            r = nw < ng ? 1.0 : (double)nemo_top_ngram_chars(s, text, n, ng) / (double)nch;
            if (r > p->top_ngram_ratio[k]) {
                v = DROP(NEMO_TOP[k], r);
                goto out;
            }
        }
        for (size_t k = 0; k < 6; k++) {
            size_t ng = k + 5;
            r = nw < ng ? 1.0 : (double)nemo_dup_ngram_chars(s, ng) / (double)nch;
            if (r > p->dup_ngram_ratio[k]) {
                v = DROP(NEMO_DUP[k], r);
                goto out;
            }
        }
    }
out:
    sbuf_free(&low);
    return v;
}

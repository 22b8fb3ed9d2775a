/*
 * license.c: license text normalisation and word-bigram Dice matching.
 *
 * cf_normalize() is the C twin of normalize() in codefilter/data/regen.sh;
 * the two must produce the same words for the same text (a unit test checks
 * that normalising a shipped template gives it back). Steps, per line:
 * lower-case ASCII, strip leading comment markers, skip copyright lines
 * ("copyright" unless a sentence such as "copyright notice and ...", "(c)"
 * with a year, "©", "all rights reserved"), strip one list bullet
 * ("1.", "(a)", "iv)", "2.1."), then keep runs of [a-z0-9] as words and map
 * varietal spellings (SPDX equivalent words) to one spelling. Punctuation,
 * quotes, dashes and all whitespace become word separators.
 *
 * A text is represented by the sorted, de-duplicated set of 64-bit hashes
 * of its word bigrams; Dice is computed by merging two sorted sets.
 * Invariant: the database is built once and never written afterwards.
 */
#include "codefilter/codefilter.h"
#include "codefilter/license_data.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* ----------------------------------------------------------- normalisation */

static const char *const VARIETAL[][2] = {
    {"licence", "license"}, {"licences", "licenses"}, {"licenced", "licensed"}, {"licencing", "licensing"},
    {"acknowledgment", "acknowledgement"}, {"acknowledgments", "acknowledgements"}, {"analog", "analogue"},
    {"authorised", "authorized"}, {"authorisation", "authorization"}, {"behaviour", "behavior"},
    {"centre", "center"}, {"favour", "favor"}, {"fulfil", "fulfill"}, {"judgement", "judgment"},
    {"offence", "offense"}, {"defence", "defense"}, {"organisation", "organization"}, {"practise", "practice"},
    {"recognise", "recognize"}, {"recognised", "recognized"}, {"utilise", "utilize"}, {"whilst", "while"},
    {"wilful", "willful"}, {"https", "http"}, {"colour", "color"}, {"modelling", "modeling"},
};

static int is_word_char(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static unsigned char lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c; }

static int starts_ci(const unsigned char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    if (n < k) return 0;
    for (size_t i = 0; i < k; i++)
        if (lower(s[i]) != (unsigned char)w[i]) return 0;
    return 1;
}

/* Length of a list bullet at s (including following blanks), or 0. Mirrors
 * BULLET in regen.sh: ^(\(?(digits(.digits)*|[a-z]|[ivx]{1,4})[.)])[ \t]+ */
static size_t bullet_len(const unsigned char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '(') i++;
    size_t st = i;
    size_t best = 0;
    /* alternative 1: digits(.digits)* */
    {
        size_t j = st, d = 0;
        while (j < n && s[j] >= '0' && s[j] <= '9' && d < 3) j++, d++;
        if (d && !(j < n && s[j] >= '0' && s[j] <= '9')) {
            for (;;) {
                if (j + 1 < n && s[j] == '.' && s[j + 1] >= '0' && s[j + 1] <= '9') {
                    size_t k = j + 1, dd = 0;
                    while (k < n && s[k] >= '0' && s[k] <= '9' && dd < 3) k++, dd++;
                    if (k < n && s[k] >= '0' && s[k] <= '9') break;
                    j = k;
                } else {
                    break;
                }
            }
            /* the regex backtracks over the optional groups; emulate by
             * trying each group boundary from the longest */
            for (size_t end = j; end > st; end--) {
                if (end < n && (s[end] == '.' || s[end] == ')') && end + 1 < n &&
                    (s[end + 1] == ' ' || s[end + 1] == '\t')) {
                    /* end must be a group boundary: s[end-1] digit and the
                     * prefix st..end is digits(.digits)* */
                    int ok = s[end - 1] >= '0' && s[end - 1] <= '9';
                    if (ok) { best = end + 1; break; }
                }
            }
        }
    }
    if (!best) {
        size_t j = st;
        if (j < n && lower(s[j]) >= 'a' && lower(s[j]) <= 'z' && j + 2 < n && (s[j + 1] == '.' || s[j + 1] == ')') &&
            (s[j + 2] == ' ' || s[j + 2] == '\t'))
            best = j + 2;
        if (!best) {
            size_t k = j;
            while (k < n && k - j < 4 && (lower(s[k]) == 'i' || lower(s[k]) == 'v' || lower(s[k]) == 'x')) k++;
            if (k > j && k + 1 < n && (s[k] == '.' || s[k] == ')') && (s[k + 1] == ' ' || s[k + 1] == '\t'))
                best = k + 1;
        }
    }
    if (!best) return 0;
    while (best < n && (s[best] == ' ' || s[best] == '\t')) best++;
    return best;
}

/* Mirrors COPYRIGHT in regen.sh: "copyright" not followed by a word of
 * COPYRIGHT_NOT, "(c)" followed by a year, "©", "all rights reserved". */
static int is_copyright_line(const unsigned char *l, size_t ln)
{
    static const char *const NOT[] = {"notice", "notices", "holder", "holders", "owner", "owners", "and", "or",
                                      "law", "laws", "license", "licenses", "statement", "statements",
                                      "protection", "act", "office", "infringement", "claim", "claims", "interest",
                                      "to", "in", "of", "on", "is", "are", NULL};
    if (starts_ci(l, ln, "copyright")) {
        if (ln > 9 && (is_word_char(lower(l[9])) || l[9] == '_')) return 0;
        size_t i = 9;
        while (i < ln && (l[i] == ' ' || l[i] == '\t')) i++;
        size_t st = i;
        while (i < ln && (is_word_char(lower(l[i])) || l[i] == '_')) i++;
        for (int k = 0; NOT[k]; k++)
            if (strlen(NOT[k]) == i - st && starts_ci(l + st, i - st, NOT[k])) return 0;
        return 1;
    }
    if (starts_ci(l, ln, "(c)")) {
        size_t i = 3;
        while (i < ln && (l[i] == ' ' || l[i] == '\t')) i++;
        return i < ln && l[i] >= '0' && l[i] <= '9';
    }
    return starts_ci(l, ln, "\xc2\xa9") || starts_ci(l, ln, "all rights reserved");
}

static void put_word(sbuf *out, const char *w, size_t k)
{
    for (size_t i = 0; i < sizeof VARIETAL / sizeof *VARIETAL; i++)
        if (strlen(VARIETAL[i][0]) == k && !memcmp(VARIETAL[i][0], w, k)) {
            w = VARIETAL[i][1];
            k = strlen(w);
            break;
        }
    if (out->len && out->data[out->len - 1] != ' ') sbuf_putc(out, ' ');
    sbuf_append(out, w, k);
}

void cf_normalize(const char *text, size_t n, sbuf *out)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t start_len = out->len;
    char word[64];
    size_t pos = 0;
    while (pos < n) {
        const unsigned char *nl = memchr(s + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - s) : n;
        const unsigned char *l = s + pos;
        size_t ln = end - pos;
        pos = nl ? end + 1 : n;
        /* strip (python's str.strip() for ASCII whitespace) then markers */
        while (ln && (l[ln - 1] == ' ' || l[ln - 1] == '\t' || l[ln - 1] == '\r' || l[ln - 1] == '\v' ||
                      l[ln - 1] == '\f'))
            ln--;
        while (ln && (*l == ' ' || *l == '\t' || *l == '\r' || *l == '\v' || *l == '\f' || *l == '/' || *l == '*' ||
                      *l == '#' || *l == ';' || *l == '%' || *l == '!' || *l == '>' || *l == '|' || *l == '-'))
            l++, ln--;
        if (is_copyright_line(l, ln)) continue;
        size_t b = bullet_len(l, ln);
        l += b;
        ln -= b;
        size_t k = 0;
        for (size_t i = 0; i <= ln; i++) {
            unsigned char c = i < ln ? lower(l[i]) : ' ';
            if (is_word_char(c)) {
                if (k < sizeof word) word[k] = (char)c;
                k++;
            } else if (k) {
                if (k <= sizeof word) put_word(out, word, k);
                else {
                    /* very long word: copy it directly */
                    if (out->len && out->data[out->len - 1] != ' ') sbuf_putc(out, ' ');
                    for (size_t j = i - k; j < i; j++) sbuf_putc(out, (char)lower(l[j]));
                }
                k = 0;
            }
        }
    }
    (void)start_len;
}

/* ----------------------------------------------------------- bigram sets */

typedef struct bigram_set {
    uint64_t *h;
    size_t n;
} bigram_set;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* From a normalised word sequence. */
static void bigrams_build(const char *w, size_t n, bigram_set *out)
{
    size_t cap = 16, len = 0;
    uint64_t *h = xmalloc(cap * sizeof *h);
    const char *prev = NULL;
    size_t prev_len = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && w[i] == ' ') i++;
        size_t st = i;
        while (i < n && w[i] != ' ') i++;
        if (i == st) break;
        if (prev) {
            uint64_t a = XXH3_64bits(prev, prev_len);
            uint64_t b = XXH3_64bits(w + st, i - st);
            if (len == cap) h = xrealloc(h, (cap *= 2) * sizeof *h);
            h[len++] = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
        }
        prev = w + st;
        prev_len = i - st;
    }
    qsort(h, len, sizeof *h, cmp_u64);
    size_t u = 0;
    for (size_t k = 0; k < len; k++)
        if (!u || h[u - 1] != h[k]) h[u++] = h[k];
    out->h = h;
    out->n = u;
}

/* Galloping when one set is much smaller (a header comment against the
 * GPL text): O(|small| log |large|) instead of a full merge. */
static size_t intersect_small(const bigram_set *small, const bigram_set *large)
{
    size_t c = 0, lo = 0;
    for (size_t i = 0; i < small->n && lo < large->n; i++) {
        uint64_t x = small->h[i];
        size_t step = 1, hi = lo;
        while (hi < large->n && large->h[hi] < x) {
            lo = hi + 1;
            hi += step;
            step *= 2;
        }
        if (hi > large->n) hi = large->n;
        while (lo < hi) {   /* first index >= x in [lo, hi) */
            size_t mid = lo + (hi - lo) / 2;
            if (large->h[mid] < x) lo = mid + 1;
            else hi = mid;
        }
        if (lo < large->n && large->h[lo] == x) c++, lo++;
    }
    return c;
}

static size_t intersect(const bigram_set *a, const bigram_set *b)
{
    if (a->n * 16 < b->n) return intersect_small(a, b);
    if (b->n * 16 < a->n) return intersect_small(b, a);
    size_t i = 0, j = 0, c = 0;
    while (i < a->n && j < b->n) {
        if (a->h[i] < b->h[j]) i++;
        else if (a->h[i] > b->h[j]) j++;
        else c++, i++, j++;
    }
    return c;
}

struct cf_license_db {
    size_t n;
    const cf_license_template *t;
    bigram_set *sets;
};

static cf_license_db g_db;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void db_free_at_exit(void)
{
    for (size_t i = 0; i < g_db.n; i++) free(g_db.sets[i].h);
    free(g_db.sets);
}

static void db_build(void)
{
    g_db.n = cf_license_templates_len;
    g_db.t = cf_license_templates;
    g_db.sets = xcalloc(g_db.n, sizeof *g_db.sets);
    for (size_t i = 0; i < g_db.n; i++)
        bigrams_build(g_db.t[i].words, strlen(g_db.t[i].words), &g_db.sets[i]);
    atexit(db_free_at_exit);
}

const cf_license_db *cf_license_db_builtin(void)
{
    pthread_once(&g_once, db_build);
    return &g_db;
}

size_t cf_license_db_size(const cf_license_db *db) { return db->n; }

const char *cf_license_db_id(const cf_license_db *db, size_t i, int *is_header)
{
    if (i >= db->n) return NULL;
    if (is_header) *is_header = db->t[i].kind == CF_TEMPLATE_HEADER;
    return db->t[i].spdx;
}

/* ------------------------------------------------------------------ match */

typedef struct cand {
    size_t idx;
    double score, tie;
} cand;

/* Fills m with the best and the best *distinct id* runner-up. */
static void pick(const cf_license_db *db, const cand *c, size_t nc, cf_match *m, cf_match_how how)
{
    long best = -1, second = -1;
    for (size_t i = 0; i < nc; i++) {
        if (best < 0 || c[i].score > c[best].score || (c[i].score == c[best].score && c[i].tie > c[best].tie))
            best = (long)i;
    }
    if (best < 0) return;
    for (size_t i = 0; i < nc; i++) {
        if ((long)i == best || !strcmp(db->t[c[i].idx].spdx, db->t[c[best].idx].spdx)) continue;
        if (second < 0 || c[i].score > c[second].score ||
            (c[i].score == c[second].score && c[i].tie > c[second].tie))
            second = (long)i;
    }
    m->spdx = db->t[c[best].idx].spdx;
    m->score = c[best].score;
    m->is_header = db->t[c[best].idx].kind == CF_TEMPLATE_HEADER;
    m->how = how;
    m->runner_up = second >= 0 ? db->t[c[second].idx].spdx : NULL;
    m->runner_up_score = second >= 0 ? c[second].score : 0;
}

/* Containment fallback of a license file (f[i].score = template size,
 * f[i].tie = containment): the largest contained template wins, because a
 * BSD-3 text contains BSD-2's too. But a larger template that is a worse
 * fit for the *same* text is not a different license found in the file:
 * a GPL-2.0 notice contains 93% of the LGPL-2.1 notice's bigrams (the two
 * differ in a few words), and ranking by size alone reported LGPL-2.1 for
 * a GPL-2.0 header. So a candidate L is dropped when another candidate S
 * is contained clearly better (by more than 0.03) and the two templates are
 * variants of one text (their own Dice >= 0.5). Templates matched in
 * different parts of a concatenated file, or a short license quoted inside
 * a long one, share little and are kept. Returns the new count. */
static size_t drop_worse_fits(const cf_license_db *db, cand *f, size_t w)
{
    unsigned char *drop = xcalloc(w ? w : 1, 1);
    for (size_t l = 0; l < w; l++)
        for (size_t k = 0; k < w && !drop[l]; k++) {
            if (k == l || f[k].tie <= f[l].tie + 0.03) continue;
            const bigram_set *S = &db->sets[f[k].idx], *L = &db->sets[f[l].idx];
            /* variants of one text: template Dice >= 0.5 (GPL-2 vs LGPL-2.1
             * notices ~0.8; a short ISC vs the long Python-2.0 text, of
             * which it is a part, far less: both are kept) */
            if (S->n + L->n && 4 * intersect(S, L) >= S->n + L->n) drop[l] = 1;
        }
    size_t o = 0;
    for (size_t i = 0; i < w; i++)
        if (!drop[i]) f[o++] = f[i];
    free(drop);
    return o;
}

static const char *find_word_seq(const char *hay, const char *needle)
{
    size_t k = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        if ((p == hay || p[-1] == ' ') && (p[k] == ' ' || p[k] == 0)) return p;
    return NULL;
}

/* GNU notices (GPL, LGPL, AGPL) differ from each other in a handful of words
 * -- the license name, the version number and "or (at your option) any
 * later version" -- which weigh little in a bigram score: a "version 2 of
 * the License" notice scores well against the "either version 2 ... or any
 * later version" template. When a GNU header template matched, the id is
 * therefore read from the notice's own wording (normalised words):
 *   family:  "affero general public license" -> AGPL; "lesser general
 *            public license" or "library general public license" -> LGPL;
 *            else "general public license" -> GPL;
 *   version: the first "version N[ M]" (2 1 -> 2.1), else the template's;
 *   suffix:  "any later version" or "version N or later" -> -or-later,
 *            else -only.
 * Combinations that do not exist (GPL-2.1, LGPL-1.0, ...) leave the match
 * as it was. */
static void refine_gnu(const char *w, cf_match *m)
{
    const char *id = m->spdx;
    if (strncmp(id, "GPL-", 4) && strncmp(id, "LGPL-", 5) && strncmp(id, "AGPL-", 5)) return;
    const char *fam;
    if (find_word_seq(w, "affero general public license")) fam = "AGPL";
    else if (find_word_seq(w, "lesser general public license") || find_word_seq(w, "library general public license"))
        fam = "LGPL";
    else if (find_word_seq(w, "general public license")) fam = "GPL";
    else return;
    char ver[8] = "";
    for (const char *p = find_word_seq(w, "version"); p; p = find_word_seq(p + 7, "version")) {
        const char *d = p + 8;
        if (p[7] != ' ' || d[0] < '1' || d[0] > '3' || (d[1] != ' ' && d[1] != 0)) continue;
        if (d[1] == ' ' && d[2] >= '0' && d[2] <= '9' && (d[3] == ' ' || d[3] == 0))
            snprintf(ver, sizeof ver, "%c.%c", d[0], d[2]);
        else
            snprintf(ver, sizeof ver, "%c.0", d[0]);
        break;
    }
    if (!ver[0]) {   /* keep the template's version */
        const char *v = strchr(id, '-');
        if (!v || strlen(v + 1) < 3) return;
        snprintf(ver, sizeof ver, "%.3s", v + 1);
    }
    int later = find_word_seq(w, "any later version") != NULL || strstr(w, " or later") != NULL;
    static const char *const KNOWN[] = {"GPL-1.0", "GPL-2.0", "GPL-3.0", "LGPL-2.0", "LGPL-2.1",
                                        "LGPL-3.0", "AGPL-1.0", "AGPL-3.0", NULL};
    char buf[40];
    snprintf(buf, sizeof buf, "%s-%s", fam, ver);
    for (int i = 0; KNOWN[i]; i++)
        if (!strcmp(KNOWN[i], buf)) {
            static const char *const IDS[][2] = {
                {"GPL-1.0-only", "GPL-1.0-or-later"},   {"GPL-2.0-only", "GPL-2.0-or-later"},
                {"GPL-3.0-only", "GPL-3.0-or-later"},   {"LGPL-2.0-only", "LGPL-2.0-or-later"},
                {"LGPL-2.1-only", "LGPL-2.1-or-later"}, {"LGPL-3.0-only", "LGPL-3.0-or-later"},
                {"AGPL-1.0-only", "AGPL-1.0-or-later"}, {"AGPL-3.0-only", "AGPL-3.0-or-later"},
            };
            const char *nid = IDS[i][later];
            if (m->runner_up && !strcmp(m->runner_up, nid)) {
                m->runner_up = m->spdx;   /* the template's own id, same score */
                m->runner_up_score = m->score;
            }
            m->spdx = nid;
            return;
        }
}

/* mode 0: license file (fallback: a template wholly contained in the text);
 * mode 1: header comment (fallback: the text contained in a template). */
static int match(const cf_license_db *db, const char *text, size_t n, double threshold, cf_match *m, int mode)
{
    memset(m, 0, sizeof *m);
    sbuf norm = SBUF_INIT;
    cf_normalize(text, n, &norm);
    bigram_set q;
    const char *norm_words = norm.data ? norm.data : "";
    bigrams_build(norm_words, norm.len, &q);
    if (q.n < 3) {
        sbuf_free(&norm);
        free(q.h);
        return 0;
    }
    cand *c = xcalloc(db->n, sizeof *c);
    cand *f = xcalloc(db->n, sizeof *f);
    size_t nf = 0;
    for (size_t i = 0; i < db->n; i++) {
        size_t x = intersect(&q, &db->sets[i]);
        double dice = (double)(2 * x) / (double)(q.n + db->sets[i].n);
        c[i] = (cand){i, dice, 0};
        if (mode == 0 && db->sets[i].n >= 8) {
            double contained = (double)x / (double)db->sets[i].n;   /* template inside the file */
            f[nf++] = (cand){i, contained, (double)db->sets[i].n};   /* prefer the larger template */
        } else if (mode == 1 && q.n >= 30) {
            double contained = (double)x / (double)q.n;             /* comment inside the template */
            f[nf++] = (cand){i, contained, dice};
        }
    }
    pick(db, c, db->n, m, CF_MATCH_DICE);
    int ok = m->spdx && m->score >= threshold;
    if (!ok && nf) {
        /* Fallback over the candidates whose containment reaches the
         * threshold. Mode 0 ranks by template size (a LICENSE file holding
         * BSD-3 text contains BSD-2 too), mode 1 by containment then Dice. */
        size_t w = 0;
        for (size_t i = 0; i < nf; i++)
            if (f[i].score >= threshold) {
                f[w] = f[i];
                if (mode == 0) {
                    double contained = f[i].score;
                    f[w].score = f[i].tie;
                    f[w].tie = contained;
                }
                w++;
            }
        if (w) {
            if (mode == 0) w = drop_worse_fits(db, f, w);
            pick(db, f, w, m, CF_MATCH_CONTAINED);
            if (mode == 0)
                for (size_t i = 0; i < w; i++)
                    if (db->t[f[i].idx].spdx == m->spdx) m->score = f[i].tie;
            if (mode == 0 && m->runner_up)
                for (size_t i = 0; i < w; i++)
                    if (db->t[f[i].idx].spdx == m->runner_up) m->runner_up_score = f[i].tie;
            ok = 1;
        }
    }
    if (ok && m->is_header) refine_gnu(norm_words, m);
    sbuf_free(&norm);
    free(c);
    free(f);
    free(q.h);
    return ok;
}

int cf_license_match_text(const cf_license_db *db, const char *text, size_t n, double threshold, cf_match *m)
{
    return match(db, text, n, threshold, m, 0);
}

int cf_license_match_header(const cf_license_db *db, const char *text, size_t n, double threshold, cf_match *m)
{
    return match(db, text, n, threshold, m, 1);
}

/* --------------------------------------------------------- leading comment */

static int line_is_comment(const char *l, size_t n, int *in_block, int *in_doc)
{
    size_t i = 0;
    while (i < n && (l[i] == ' ' || l[i] == '\t' || l[i] == '\r')) i++;
    const char *s = l + i;
    size_t k = n - i;
    if (*in_block) {
        if (k >= 2 && memmem(s, k, "*/", 2)) *in_block = 0;
        if (k >= 3 && memmem(s, k, "-->", 3)) *in_block = 0;
        return 1;
    }
    if (*in_doc) {
        if (memmem(s, k, "\"\"\"", 3) || memmem(s, k, "'''", 3)) *in_doc = 0;
        return 1;
    }
    if (k == 0) return 1;
    if (k >= 2 && s[0] == '/' && s[1] == '*') {
        if (!memmem(s + 2, k - 2, "*/", 2)) *in_block = 1;
        return 1;
    }
    if (k >= 4 && !memcmp(s, "<!--", 4)) {
        if (!memmem(s + 4, k - 4, "-->", 3)) *in_block = 1;
        return 1;
    }
    if (k >= 3 && (!memcmp(s, "\"\"\"", 3) || !memcmp(s, "'''", 3))) {
        if (!(k >= 6 && (memmem(s + 3, k - 3, "\"\"\"", 3) || memmem(s + 3, k - 3, "'''", 3)))) *in_doc = 1;
        return 1;
    }
    if ((k >= 2 && s[0] == '/' && s[1] == '/') || s[0] == '#' || s[0] == ';' || s[0] == '%' ||
        (k >= 2 && s[0] == '-' && s[1] == '-') || s[0] == '*' || s[0] == '\'' || s[0] == '!' ||
        (k >= 4 && !strncasecmp(s, "rem ", 4)) || (k >= 2 && s[0] == '(' && s[1] == '*') ||
        (k >= 2 && s[0] == '"' && k < 3))
        return 1;
    return 0;
}

size_t cf_leading_comment(const char *text, size_t n, const char **start)
{
    /* Bounded: license headers sit in the first few hundred lines. */
    size_t limit = n < 65536 ? n : 65536;
    int in_block = 0, in_doc = 0;
    size_t pos = 0, first = (size_t)-1, last = 0;
    while (pos < limit) {
        const char *nl = memchr(text + pos, '\n', limit - pos);
        size_t end = nl ? (size_t)(nl - text) : limit;
        const char *l = text + pos;
        size_t ln = end - pos;
        int was_block = in_block || in_doc;
        int is_c = line_is_comment(l, ln, &in_block, &in_doc);
        /* `#!` shebang and `package`-less preludes count as part of it */
        if (!is_c && !was_block) break;
        if (first == (size_t)-1) first = pos;
        last = nl ? end + 1 : end;
        pos = nl ? end + 1 : limit;
    }
    if (first == (size_t)-1) {
        *start = text;
        return 0;
    }
    *start = text + first;
    return last - first;
}

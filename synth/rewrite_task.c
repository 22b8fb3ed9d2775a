/*
 * rewrite_task.c: synth tasks (YAML), prompt rendering, preprocessing
 * (chunking by token counts) and postprocessing (validation and parsing of
 * model answers). See rewrite.h. No global state; all functions reentrant.
 */
#include "synth/rewrite.h"
#include "core/cfg.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* ------------------------------------------------------------------ tasks */

static const param_spec TASK_PARAMS[] = {
    {"name", PARAM_STRING, NULL, "task name"},
    {"description", PARAM_STRING, NULL, "what the task is for"},
    {"kind", PARAM_STRING, "text", "text, qa, bullets, math_cleanup, mcq or instruct"},
    {"system", PARAM_STRING, NULL, "system prompt"},
    {"prompt", PARAM_STRING, NULL, "user prompt template with {document}"},
    {"min_doc_tokens", PARAM_INT, "30", "chunks with fewer tokens are skipped (NeMo Curator)"},
    {"max_input_tokens", PARAM_INT, "1000", "longest chunk sent to the model (NeMo Curator)"},
    {"max_output_tokens", PARAM_INT, "600", "generation limit (NeMo Curator)"},
    {"min_output_tokens", PARAM_INT, "5", "shorter answers are rejected"},
    {"required_prefix", PARAM_STRING, NULL, "the answer must start with this (after whitespace)"},
    {"append", PARAM_BOOL, "false", "append the parsed answer to the source text (diverse_qa)"},
    {"max_pairs", PARAM_INT, "8", "most QA pairs kept per chunk"},
    {"languages", PARAM_STRLIST, NULL, "target languages (translate_qa)"},
    {0},
};

int rw_task_load(const char *path, rw_task *t, cd_err *e)
{
    memset(t, 0, sizeof *t);
    cfg_node *root = cfg_load(path, e);
    if (!root) return -1;
    char *what = xasprintf("synth task %s", path);
    cfg_params *p = cfg_params_bind(TASK_PARAMS, root, what, e);
    free(what);
    if (!p) {
        cfg_free(root);
        return -1;
    }
    int rc = 0;
    const char *kind = param_str(p, "kind");
    static const struct { const char *n; rw_kind k; } KINDS[] = {
        {"text", RW_TEXT}, {"qa", RW_QA}, {"bullets", RW_BULLETS}, {"math_cleanup", RW_MATH_CLEANUP},
        {"mcq", RW_MCQ}, {"instruct", RW_INSTRUCT},
    };
    int found = 0;
    for (size_t i = 0; i < sizeof KINDS / sizeof *KINDS; i++)
        if (!strcmp(kind, KINDS[i].n)) {
            t->kind = KINDS[i].k;
            found = 1;
        }
    if (!found) rc = cfg_error(e, cfg_map_get(root, "kind"), "unknown task kind '%s'", kind);
    if (!rc && (!param_str(p, "name") || !param_str(p, "prompt")))
        rc = cfg_error(e, root, "a synth task needs `name` and `prompt`");
    if (!rc && !strstr(param_str(p, "prompt"), "{document}"))
        rc = cfg_error(e, cfg_map_get(root, "prompt"), "the prompt must contain {document}");
    if (!rc) {
        t->name = xstrdup(param_str(p, "name"));
        t->system = xstrdup(param_str(p, "system") ? param_str(p, "system") : "");
        t->prompt = xstrdup(param_str(p, "prompt"));
        t->min_doc_tokens = (int)param_int(p, "min_doc_tokens");
        t->max_input_tokens = (int)param_int(p, "max_input_tokens");
        t->max_output_tokens = (int)param_int(p, "max_output_tokens");
        t->min_output_tokens = (int)param_int(p, "min_output_tokens");
        t->required_prefix = param_str(p, "required_prefix") ? xstrdup(param_str(p, "required_prefix")) : NULL;
        t->append = param_bool(p, "append");
        t->max_pairs = (int)param_int(p, "max_pairs");
        const char *const *langs;
        size_t nl = param_strlist(p, "languages", &langs);
        if (nl) {
            t->languages = xcalloc(nl, sizeof *t->languages);
            for (size_t i = 0; i < nl; i++) t->languages[i] = xstrdup(langs[i]);
            t->nlanguages = nl;
        }
        if (t->max_input_tokens < 1 || t->max_output_tokens < 1 || t->min_doc_tokens < 0)
            rc = cfg_error(e, root, "token budgets must be positive");
        /* The version: whatever shapes prompts and parsing. */
        sbuf v = SBUF_INIT;
        cfg_canonical(root, &v);
        snprintf(t->version, sizeof t->version, "%016llx", (unsigned long long)XXH3_64bits(v.data, v.len));
        sbuf_free(&v);
    }
    cfg_params_free(p);
    cfg_free(root);
    if (rc) rw_task_free(t);
    return rc;
}

void rw_task_free(rw_task *t)
{
    free(t->name);
    free(t->system);
    free(t->prompt);
    free(t->required_prefix);
    for (size_t i = 0; i < t->nlanguages; i++) free(t->languages[i]);
    free(t->languages);
    memset(t, 0, sizeof *t);
}

void rw_task_render(const rw_task *t, const char *chunk, size_t n, const char *language, sbuf *out)
{
    const char *p = t->prompt;
    while (*p) {
        if (!strncmp(p, "{document}", 10)) {
            sbuf_append(out, chunk, n);
            p += 10;
        } else if (!strncmp(p, "{language}", 10)) {
            sbuf_puts(out, language ? language : "");
            p += 10;
        } else {
            sbuf_putc(out, *p++);
        }
    }
}

/* ---------------------------------------------------------------- parsing */

static int starts_ci(const char *s, const char *end, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(end - s) < n) return 0;
    return strncasecmp(s, word, n) == 0;
}

/* At a line start (after spaces, '*', '#', digits and '.'/')' of numbering),
 * is there a label such as "Question:", "Question 3:", "Q:" or "**Question**:"?
 * Returns the position after the colon, or NULL. */
static const char *label_at(const char *s, const char *end, const char *const *labels)
{
    const char *p = s;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '*' || *p == '#' || *p == '-')) p++;
    for (const char *const *l = labels; *l; l++) {
        if (!starts_ci(p, end, *l)) continue;
        const char *q = p + strlen(*l);
        while (q < end && (isdigit((unsigned char)*q) || *q == ' ' || *q == '*')) q++;
        if (q < end && (*q == ':' || *q == '.')) {
            q++;
            while (q < end && *q == '*') q++;
            return q;
        }
    }
    return NULL;
}

static char *trim_dup(const char *s, const char *e)
{
    while (s < e && isspace((unsigned char)*s)) s++;
    while (e > s && isspace((unsigned char)e[-1])) e--;
    return xstrndup(s, (size_t)(e - s));
}

size_t rw_parse_pairs(const char *text, size_t n, int instruct, rw_pair **out)
{
    static const char *const QL[] = {"Question", "Q", NULL}, *const AL[] = {"Answer", "A", NULL};
    static const char *const IL[] = {"Instruction", NULL}, *const RL[] = {"Response", NULL};
    const char *const *ql = instruct ? IL : QL, *const *al = instruct ? RL : AL;
    const char *end = text + n, *p = text;
    size_t cnt = 0, cap = 0;
    *out = NULL;
    const char *q_start = NULL, *q_end = NULL, *a_start = NULL;
    for (;;) {
        int at_end = p >= end;
        const char *nl = at_end ? NULL : memchr(p, '\n', (size_t)(end - p));
        const char *le = at_end ? end : (nl ? nl : end);
        const char *lq = at_end ? NULL : label_at(p, le, ql);
        const char *la = (at_end || lq) ? NULL : label_at(p, le, al);
        if (lq || at_end) {
            /* A new question (or the end) closes the pending pair. */
            if (q_start && a_start) {
                if (cnt == cap) {
                    cap = cap ? cap * 2 : 8;
                    *out = xrealloc(*out, cap * sizeof **out);
                }
                char *q = trim_dup(q_start, q_end), *a = trim_dup(a_start, p);
                if (*q && *a) {
                    (*out)[cnt].q = q;
                    (*out)[cnt].a = a;
                    cnt++;
                } else {
                    free(q);
                    free(a);
                }
            }
            if (at_end) break;
            q_start = lq;
            q_end = NULL;
            a_start = NULL;
        } else if (la && q_start && !a_start) {
            q_end = p;
            a_start = la;
        }
        p = nl ? nl + 1 : end;
    }
    return cnt;
}

void rw_pairs_free(rw_pair *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].q);
        free(p[i].a);
    }
    free(p);
}

void rw_strip_bullets(const char *text, size_t n, sbuf *out)
{
    const char *p = text, *end = text + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p;
        while (s < le && (*s == ' ' || *s == '\t')) s++;
        if (s < le && (*s == '-' || *s == '*' || *s == '+') && s + 1 < le && s[1] == ' ') s += 2;
        else if (le - s >= 4 && !memcmp(s, "\xe2\x80\xa2", 3)) s += 3;               /* • */
        else if (s < le && isdigit((unsigned char)*s)) {
            const char *d = s;
            while (d < le && isdigit((unsigned char)*d)) d++;
            if (d < le && (*d == '.' || *d == ')') && d + 1 < le && d[1] == ' ') s = d + 2;
        } else if (le - s >= 4 && s[0] == '(' && isalpha((unsigned char)s[1]) && s[2] == ')' && s[3] == ' ') {
            s += 4;
        }
        while (s < le && (*s == ' ' || *s == '\t')) s++;
        const char *te = le;
        while (te > s && isspace((unsigned char)te[-1])) te--;
        if (te > s) {
            if (out->len) sbuf_putc(out, '\n');
            sbuf_append(out, s, (size_t)(te - s));
        }
        p = nl ? nl + 1 : end;
    }
}

int rw_no_useful_content(const char *text, size_t n)
{
    const char *s = text, *e = text + n;
    while (s < e && (isspace((unsigned char)*s) || *s == '*' || *s == '"')) s++;
    while (e > s && (isspace((unsigned char)e[-1]) || e[-1] == '.' || e[-1] == '*' || e[-1] == '"')) e--;
    return (size_t)(e - s) == 17 && strncasecmp(s, "NO USEFUL CONTENT", 17) == 0;
}

int rw_validate_mcq(const char *text, size_t n, const char **why)
{
    static const char *const QL[] = {"Question", "Q", NULL};
    static const char *const AL[] = {"Answer", "Correct answer", "Correct", NULL};
    const char *p = text, *end = text + n;
    int questions = 0, options = 0, answers = 0;
    char answer = 0;
    unsigned seen = 0; /* option letters of the current question */
    int valid = 0;
#define CLOSE_QUESTION()                                                                 \
    do {                                                                                 \
        if (questions) {                                                                 \
            if (options < 2) { *why = "synth_mcq_too_few_options"; return 0; }           \
            if (answers != 1) { *why = "synth_mcq_not_one_answer"; return 0; }           \
            if (!(seen & (1u << (answer - 'A')))) { *why = "synth_mcq_answer_not_an_option"; return 0; } \
            valid++;                                                                     \
        }                                                                                \
    } while (0)
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p;
        while (s < le && (*s == ' ' || *s == '\t' || *s == '*')) s++;
        const char *after;
        if ((after = label_at(p, le, QL))) {
            CLOSE_QUESTION();
            questions++;
            options = answers = 0;
            seen = 0;
            answer = 0;
        } else if ((after = label_at(p, le, AL))) {
            while (after < le && (*after == ' ' || *after == '*' || *after == '(')) after++;
            char c = after < le ? (char)toupper((unsigned char)*after) : 0;
            if (c >= 'A' && c <= 'H' && (after + 1 >= le || !isalpha((unsigned char)after[1]))) {
                answers++;
                answer = c;
            } else {
                *why = "synth_mcq_unparsable_answer";
                return 0;
            }
        } else if (questions && le - s >= 2 && s[0] >= 'A' && s[0] <= 'H' && (s[1] == ')' || s[1] == '.')) {
            seen |= 1u << (s[0] - 'A');
            options++;
        }
        p = nl ? nl + 1 : end;
    }
    if (!questions) {
        *why = "synth_mcq_no_question";
        return 0;
    }
    CLOSE_QUESTION();
#undef CLOSE_QUESTION
    return valid;
}

/* ---------------------------------------------------------- preprocessing */

size_t rw_segment(const char *text, size_t n, rw_count_fn count, void *ctx, int min_tokens, int max_tokens,
                  rw_chunk **out, size_t *dropped_long, size_t *dropped_short)
{
    size_t cnt = 0, cap = 0;
    *out = NULL;
    rw_chunk cur = {0, 0, 0};
    int have = 0;
    const char *p = text, *end = text + n;
#define EMIT()                                                            \
    do {                                                                  \
        if (have) {                                                       \
            if (cur.tokens >= min_tokens) {                               \
                if (cnt == cap) {                                         \
                    cap = cap ? cap * 2 : 8;                              \
                    *out = xrealloc(*out, cap * sizeof **out);            \
                }                                                         \
                (*out)[cnt++] = cur;                                      \
            } else if (dropped_short) {                                   \
                (*dropped_short)++;                                       \
            }                                                             \
            have = 0;                                                     \
        }                                                                 \
    } while (0)
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl + 1 : end;
        size_t start = (size_t)(p - text), len = (size_t)(le - p);
        int blank = 1;
        for (const char *c = p; c < le; c++)
            if (!isspace((unsigned char)*c)) blank = 0;
        if (!blank) {
            int t = count(ctx, p, len);
            if (t > max_tokens) {
                /* A single line over the budget cannot be sent whole. */
                EMIT();
                if (dropped_long) (*dropped_long)++;
            } else if (have && cur.tokens + t <= max_tokens) {
                cur.len = start + len - cur.start;
                cur.tokens += t;
            } else {
                EMIT();
                cur.start = start;
                cur.len = len;
                cur.tokens = t;
                have = 1;
            }
        } else if (have) {
            cur.len = start + len - cur.start;
        }
        p = le;
    }
    EMIT();
#undef EMIT
    return cnt;
}

/* --------------------------------------------------------- postprocessing */

static int has_prefix_ws(const char *s, size_t n, const char *prefix)
{
    size_t i = 0;
    while (i < n && isspace((unsigned char)s[i])) i++;
    while (i < n && s[i] == '*') i++;
    size_t l = strlen(prefix);
    return n - i >= l && strncasecmp(s + i, prefix, l) == 0;
}

const char *rw_postprocess(const rw_task *t, const char *chunk, size_t chunk_len, const char *answer, size_t answer_len,
                           int answer_tokens, int doc_tokens, uint64_t seed, sbuf *result)
{
    sbuf_reset(result);
    if (answer_len == 0 || answer_tokens <= 0) return "synth_empty";
    if (t->kind == RW_MATH_CLEANUP && rw_no_useful_content(answer, answer_len)) return "synth_no_useful_content";
    if (answer_tokens < t->min_output_tokens) return "synth_too_short";
    if (answer_tokens >= t->max_output_tokens) return "synth_truncated";
    if (t->required_prefix && !has_prefix_ws(answer, answer_len, t->required_prefix)) return "synth_missing_prefix";
    switch (t->kind) {
    case RW_TEXT:
    case RW_MATH_CLEANUP: {
        const char *s = answer, *e = answer + answer_len;
        while (s < e && isspace((unsigned char)*s)) s++;
        while (e > s && isspace((unsigned char)e[-1])) e--;
        sbuf_append(result, s, (size_t)(e - s));
        return NULL;
    }
    case RW_BULLETS:
        rw_strip_bullets(answer, answer_len, result);
        return result->len ? NULL : "synth_empty";
    case RW_MCQ: {
        const char *why = NULL;
        if (!rw_validate_mcq(answer, answer_len, &why)) return why ? why : "synth_mcq_invalid";
        const char *s = answer, *e = answer + answer_len;
        while (s < e && isspace((unsigned char)*s)) s++;
        while (e > s && isspace((unsigned char)e[-1])) e--;
        sbuf_append(result, s, (size_t)(e - s));
        return NULL;
    }
    case RW_QA:
    case RW_INSTRUCT: {
        rw_pair *pairs;
        size_t np = rw_parse_pairs(answer, answer_len, t->kind == RW_INSTRUCT, &pairs);
        if (!np) {
            rw_pairs_free(pairs, np);
            return "synth_parse_failed";
        }
        /* Keep a random number of pairs that grows with the document's length
         * (more text supports more questions): up to one pair per 100 tokens,
         * at least one, at most max_pairs; the draw is seeded per chunk. */
        size_t cap = (size_t)(doc_tokens / 100) + 1;
        if (cap > np) cap = np;
        if (t->max_pairs > 0 && cap > (size_t)t->max_pairs) cap = (size_t)t->max_pairs;
        uint64_t r = XXH3_64bits_withSeed("pairs", 5, seed);
        size_t keep = 1 + (size_t)(r % cap);
        if (t->append) {
            const char *s = chunk, *e = chunk + chunk_len;
            while (e > s && isspace((unsigned char)e[-1])) e--;
            sbuf_append(result, s, (size_t)(e - s));
            sbuf_puts(result, "\n\n");
        }
        for (size_t i = 0; i < keep; i++) {
            if (i) sbuf_puts(result, "\n\n");
            if (t->kind == RW_INSTRUCT) sbuf_printf(result, "User: %s\nAssistant: %s", pairs[i].q, pairs[i].a);
            else sbuf_printf(result, "Question: %s\nAnswer: %s", pairs[i].q, pairs[i].a);
        }
        rw_pairs_free(pairs, np);
        return NULL;
    }
    }
    return "synth_unknown_kind";
}

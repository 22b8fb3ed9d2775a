/*
 * stages.c: the stages over filter.h's rules: langid, gopher_quality,
 * gopher_repetition, c4, fineweb, nemo_heuristics and pii.
 *
 * Every threshold is a parameter whose help text names the source of its
 * default. Parameters are bound once (init) into a read-only struct shared
 * by all threads; each instance (open) owns a filter_scratch.
 *
 * A dropped document gets a static reason (doc_drop) and the measured value
 * in metadata.filter_value. Word-count rules are skipped for languages
 * written without spaces (metadata.language in skip_word_rules_for): see
 * docs/filter.md.
 */
#include "core/stage.h"
#include "filter/filter.h"
#include "filter/fasttext_shim.h"

#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------- binding tables */

typedef struct pbind {
    const char *name;
    char type;        /* 'd' double, 'i' int64, 'b' bool(int) */
    size_t off;
} pbind;

static void bind_all(const cfg_params *p, const pbind *b, void *dst)
{
    for (; b->name; b++) {
        char *at = (char *)dst + b->off;
        if (b->type == 'd') *(double *)at = param_double(p, b->name);
        else if (b->type == 'i') *(int64_t *)at = param_int(p, b->name);
        else *(int *)at = param_bool(p, b->name);
    }
}

/* Comma-separated or listed languages. */
typedef struct langset {
    char **codes;
    size_t n;
    int any;
} langset;

static void langset_load(langset *ls, const cfg_params *p, const char *name)
{
    const char *const *items;
    size_t n = param_strlist(p, name, &items);
    memset(ls, 0, sizeof *ls);
    for (size_t i = 0; i < n; i++) {
        char *copy = xstrdup(items[i]), *save = NULL;
        for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
            if (!strcmp(t, "*") || !strcmp(t, "all")) ls->any = 1;
            ls->codes = xrealloc(ls->codes, (ls->n + 1) * sizeof *ls->codes);
            ls->codes[ls->n++] = xstrdup(t);
        }
        free(copy);
    }
}

static int langset_has(const langset *ls, const char *code, size_t len)
{
    for (size_t i = 0; i < ls->n; i++)
        if (strlen(ls->codes[i]) == len && !memcmp(ls->codes[i], code, len)) return 1;
    return 0;
}

static void langset_free(langset *ls)
{
    for (size_t i = 0; i < ls->n; i++) free(ls->codes[i]);
    free(ls->codes);
}

static int word_rules_for(const doc *d, const langset *skip)
{
    const json_value *v = doc_meta_get(d, "language");
    size_t len;
    const char *code = json_str(v, &len);
    if (!code) return 1;
    return !langset_has(skip, code, len);
}

static void drop_with(doc *d, filter_verdict v)
{
    doc_meta_set_num(d, "filter_value", v.value);
    doc_drop(d, v.reason);
}

#define SKIP_PARAM                                                                                       \
    {"skip_word_rules_for", PARAM_STRLIST, "zh,ja,th,lo,km,my,bo",                                      \
     "languages (metadata.language) written without spaces: word-count rules are skipped for them, "    \
     "since space splitting would see one 'word' per sentence (corpusd's choice; NeMo Curator instead "  \
     "segments zh/ja with jieba/MeCab)"},                                                                \
    {"unspaced_words", PARAM_STRING, "skip",                                                            \
     "for those languages: skip (the word rules) or icu (split words with ICU's dictionary-based word "  \
     "break iterator and apply every rule, as NeMo Curator does with jieba/MeCab)"}

/* ------------------------------------------------------------- langid */

typedef struct langid_shared {
    langset keep;
    double threshold;
    int64_t max_bytes;
} langid_shared;

static const param_spec LANGID_PARAMS[] = {
    {"languages", PARAM_STRLIST, "en",
     "ISO 639-1 codes to keep ('*' keeps every language above the threshold); default en as FineWeb "
     "(datatrove LanguageFilter(languages=[\"en\"]))"},
    {"threshold", PARAM_DOUBLE, "0.65",
     "keep when language_score > threshold; 0.65 is datatrove's LanguageFilter default (FineWeb)"},
    {"max_bytes", PARAM_SIZE, "0", "identify on the first N bytes only (0: the whole text; corpusd)"},
    {"drop", PARAM_BOOL, "true", "false: only annotate metadata.language / language_score"},
    {"backend", PARAM_STRING, "cld2",
     "cld2 (built in; score = share of the letters) or fasttext (a user-supplied lid.176 or GlotLID model "
     "in `model`; score = the top label's probability, as datatrove's FT176LID/GlotLID)"},
    {"model", PARAM_STRING, "", "fastText language-ID model (.bin/.ftz) for backend: fasttext"},
    {0},
};

typedef struct langid_full {
    langid_shared s;
    int drop;
    ft_shim *ft;    /* backend: fasttext */
} langid_full;

static int langid_init(const cfg_params *p, void **shared, cd_err *e)
{
    /* CLD2 allocates and frees a large scoring buffer on every call. With
     * glibc's default trim threshold that memory sits at the top of the heap,
     * is returned to the kernel on free and taken back on the next call: two
     * brk calls per document, which doubled the FineWeb preset's CPU time
     * (measured: 0.9 s of 1.7 s in the kernel on 11,580 documents). Keeping up
     * to 64 MiB of free heap avoids it. The setting is process-wide and only
     * affects when free memory is handed back to the kernel. */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    langid_full *l = xcalloc(1, sizeof *l);
    langset_load(&l->s.keep, p, "languages");
    l->s.threshold = param_double(p, "threshold");
    l->s.max_bytes = param_size(p, "max_bytes");
    l->drop = param_bool(p, "drop");
    const char *backend = param_str(p, "backend"), *model = param_str(p, "model");
    if (!strcmp(backend, "fasttext")) {
        char msg[512];
        if (!*model) {
            langset_free(&l->s.keep);
            free(l);
            return cd_fail(e, CD_ECONFIG, "langid: backend fasttext needs model: PATH (lid.176.bin or GlotLID)");
        }
        l->ft = ft_shim_load(model, msg, sizeof msg);
        if (!l->ft) {
            langset_free(&l->s.keep);
            free(l);
            return cd_fail(e, CD_ECONFIG, "langid: %s", msg);
        }
        *shared = l;
        return 0;
    }
    if (strcmp(backend, "cld2")) {
        langset_free(&l->s.keep);
        free(l);
        return cd_fail(e, CD_ECONFIG, "langid: backend must be cld2 or fasttext, not '%s'", backend);
    }
    if (*model) {
        langset_free(&l->s.keep);
        free(l);
        return cd_fail(e, CD_ECONFIG, "langid: model is only used with backend: fasttext");
    }
    filter_lang probe;
    if (filter_langid("hello", 5, &probe) != 0) {
        langset_free(&l->s.keep);
        free(l);
        return cd_fail(e, CD_ECONFIG, "langid: built without CLD2; install libcld2-dev and rebuild");
    }
    *shared = l;
    return 0;
}

static void langid_fini(void *shared)
{
    langid_full *l = shared;
    if (!l) return;
    ft_shim_free(l->ft);
    langset_free(&l->s.keep);
    free(l);
}

static int langid_process(stage *st, doc_batch *b, cd_err *e)
{
    const langid_full *l = st->shared;
    for (size_t i = 0; i < b->len; i++) {
        doc *d = b->docs[i];
        filter_lang r;
        size_t n = d->text_len;
        if (l->s.max_bytes > 0 && n > (size_t)l->s.max_bytes) n = (size_t)l->s.max_bytes;
        if (l->ft)
            filter_langid_ft(l->ft, d->text, n, &r);
        else
            filter_langid(d->text, n, &r);
        doc_meta_set_str(d, "language", r.code);
        if (r.script[0]) doc_meta_set_str(d, "language_script", r.script);
        /* CLD2's score is a whole percentage; fastText's a float probability */
        double scale = l->ft ? 1e6 : 1e4;
        doc_meta_set_num(d, "language_score", (double)(int64_t)(r.score * scale + 0.5) / scale);
        if (!l->drop) continue;
        if (!l->s.keep.any && !langset_has(&l->s.keep, r.code, strlen(r.code))) {
            drop_with(d, (filter_verdict){"langid_language", r.score});
        } else if (!(r.score > l->s.threshold)) {
            drop_with(d, (filter_verdict){"langid_score", r.score});
        }
    }
    return 0;
}

static const stage_ops langid_stage = {
    .name = "langid",
    .summary = "language identification (CLD2 or a fastText model): metadata.language/language_score; keep configured languages",
    .params = LANGID_PARAMS,
    .init = langid_init,
    .fini = langid_fini,
    .process = langid_process,
};
CORPUSD_STAGE(langid_stage)

/* ------------------------------------------------ heuristic stage frame */

typedef enum { H_GQ, H_GR, H_C4, H_FW, H_NEMO } heur_kind;

typedef struct heur_shared {
    heur_kind kind;
    langset skip;
    int use_icu;
    filter_gopher_quality gq;
    filter_gopher_repetition gr;
    filter_c4 c4;
    filter_fineweb fw;
    filter_nemo nemo;
    langset stop;
} heur_shared;

typedef struct heur_priv {
    filter_scratch *s;
    sbuf out;
} heur_priv;

static int heur_open(stage *st, cd_err *e)
{
    heur_priv *p = xcalloc(1, sizeof *p);
    p->s = filter_scratch_new();
    st->priv = p;
    return 0;
}

static void heur_close(stage *st)
{
    heur_priv *p = st->priv;
    if (!p) return;
    filter_scratch_free(p->s);
    sbuf_free(&p->out);
    free(p);
}

static void heur_fini(void *shared)
{
    heur_shared *h = shared;
    if (!h) return;
    langset_free(&h->skip);
    langset_free(&h->stop);
    free(h);
}

static int heur_process(stage *st, doc_batch *b, cd_err *e)
{
    const heur_shared *h = st->shared;
    heur_priv *p = st->priv;
    for (size_t i = 0; i < b->len; i++) {
        doc *d = b->docs[i];
        int wr = word_rules_for(d, &h->skip);
        if (!wr && h->use_icu) {
            filter_scratch_use_icu(p->s, 1);
            wr = 1;
            stats_count(&st->stats, "icu_words", 1);
        } else if (!wr) {
            stats_count(&st->stats, "word_rules_skipped", 1);
        }
        filter_verdict v = {NULL, 0};
        switch (h->kind) {
        case H_GQ:
            if (!wr) continue; /* every Gopher quality rule counts words */
            v = filter_gopher_quality_check(&h->gq, d->text, d->text_len, p->s);
            break;
        case H_GR: v = filter_gopher_repetition_check(&h->gr, d->text, d->text_len, wr, p->s); break;
        case H_FW: v = filter_fineweb_check(&h->fw, d->text, d->text_len, wr, p->s); break;
        case H_NEMO: v = filter_nemo_check(&h->nemo, d->text, d->text_len, wr, p->s); break;
        case H_C4: {
            uint64_t removed[5] = {0};
            v = filter_c4_check(&h->c4, d->text, d->text_len, wr, &p->out, removed);
            for (int k = 0; k < 5; k++)
                if (removed[k]) stats_count(&st->stats, filter_c4_line_reasons[k], removed[k]);
            if (!v.reason && (p->out.len != d->text_len || memcmp(p->out.data, d->text, d->text_len)))
                doc_set_text(d, p->out.data ? p->out.data : "", p->out.len);
            break;
        }
        }
        filter_scratch_use_icu(p->s, 0);
        if (v.reason) drop_with(d, v);
    }
    return 0;
}

/* Parameters every heuristic stage shares: which languages lack spaces and
 * what to do with them. */
static int heur_common_init(heur_shared *h, const cfg_params *p, cd_err *e)
{
    langset_load(&h->skip, p, "skip_word_rules_for");
    const char *mode = param_str(p, "unspaced_words");
    if (!strcmp(mode, "icu")) {
        filter_scratch *probe = filter_scratch_new();
        int rc = filter_scratch_use_icu(probe, 1);
        filter_scratch_free(probe);
        if (rc) return cd_fail(e, CD_ECONFIG, "unspaced_words: icu needs corpusd built with libicu-dev");
        h->use_icu = 1;
    } else if (strcmp(mode, "skip")) {
        return cd_fail(e, CD_ECONFIG, "unspaced_words must be skip or icu, not '%s'", mode);
    }
    return 0;
}

/* -------------------------------------------------------- gopher_quality */

#define GQ(f) offsetof(heur_shared, gq.f)
static const pbind GQ_BIND[] = {
    {"min_doc_words", 'i', GQ(min_doc_words)},
    {"max_doc_words", 'i', GQ(max_doc_words)},
    {"min_avg_word_length", 'd', GQ(min_avg_word_length)},
    {"max_avg_word_length", 'd', GQ(max_avg_word_length)},
    {"max_symbol_word_ratio", 'd', GQ(max_symbol_word_ratio)},
    {"max_bullet_lines_ratio", 'd', GQ(max_bullet_lines_ratio)},
    {"max_ellipsis_lines_ratio", 'd', GQ(max_ellipsis_lines_ratio)},
    {"max_non_alpha_words_ratio", 'd', GQ(max_non_alpha_words_ratio)},
    {"min_stop_words", 'i', GQ(min_stop_words)},
    {0},
};
#define DT "datatrove GopherQualityFilter default, from Gopher (Rae et al. 2021, table A1)"
static const param_spec GQ_PARAMS[] = {
    {"min_doc_words", PARAM_INT, "50", "fewer non-punctuation words drop the document; 50: " DT},
    {"max_doc_words", PARAM_INT, "100000", "more words drop it; 100000: " DT},
    {"min_avg_word_length", PARAM_DOUBLE, "3", "mean word length below drops; 3: " DT},
    {"max_avg_word_length", PARAM_DOUBLE, "10", "mean word length above drops; 10: " DT},
    {"max_symbol_word_ratio", PARAM_DOUBLE, "0.1", "'#' per word, and '...'/'…' per word, above drops; 0.1: " DT},
    {"max_bullet_lines_ratio", PARAM_DOUBLE, "0.9", "share of lines starting with '•' above drops; 0.9: " DT},
    {"max_ellipsis_lines_ratio", PARAM_DOUBLE, "0.3", "share of lines ending in an ellipsis above drops; 0.3: " DT},
    {"max_non_alpha_words_ratio", PARAM_DOUBLE, "0.8",
     "share of words with a letter below drops (datatrove's name); 0.8: " DT},
    {"min_stop_words", PARAM_INT, "2", "fewer stop words drop; 2: " DT},
    {"stop_words", PARAM_STRLIST, "the,be,to,of,and,that,have,with", "stop words; " DT},
    SKIP_PARAM,
    {0},
};

static int gq_init(const cfg_params *p, void **shared, cd_err *e)
{
    heur_shared *h = xcalloc(1, sizeof *h);
    h->kind = H_GQ;
    filter_gopher_quality_defaults(&h->gq);
    bind_all(p, GQ_BIND, h);
    if (heur_common_init(h, p, e)) {
        heur_fini(h);
        return -1;
    }
    /* Stop words reuse the langset loader: the same comma splitting. */
    langset_load(&h->stop, p, "stop_words");
    h->gq.stop_words = (const char *const *)h->stop.codes;
    h->gq.nstop_words = h->stop.n;
    *shared = h;
    return 0;
}

static const stage_ops gopher_quality_stage = {
    .name = "gopher_quality",
    .summary = "Gopher quality rules (word count, word length, symbols, bullets, ellipses, letters, stop words)",
    .params = GQ_PARAMS,
    .init = gq_init,
    .fini = heur_fini,
    .open = heur_open,
    .process = heur_process,
    .close = heur_close,
};
CORPUSD_STAGE(gopher_quality_stage)

/* ------------------------------------------------------ gopher_repetition */

#define GR(f) offsetof(heur_shared, gr.f)
static const pbind GR_BIND[] = {
    {"dup_line_frac", 'd', GR(dup_line_frac)},
    {"dup_para_frac", 'd', GR(dup_para_frac)},
    {"dup_line_char_frac", 'd', GR(dup_line_char_frac)},
    {"dup_para_char_frac", 'd', GR(dup_para_char_frac)},
    {"top_2_gram_frac", 'd', GR(top_ngram_frac[0])},
    {"top_3_gram_frac", 'd', GR(top_ngram_frac[1])},
    {"top_4_gram_frac", 'd', GR(top_ngram_frac[2])},
    {"dup_5_gram_frac", 'd', GR(dup_ngram_frac[0])},
    {"dup_6_gram_frac", 'd', GR(dup_ngram_frac[1])},
    {"dup_7_gram_frac", 'd', GR(dup_ngram_frac[2])},
    {"dup_8_gram_frac", 'd', GR(dup_ngram_frac[3])},
    {"dup_9_gram_frac", 'd', GR(dup_ngram_frac[4])},
    {"dup_10_gram_frac", 'd', GR(dup_ngram_frac[5])},
    {0},
};
#define DR "datatrove GopherRepetitionFilter default, from Gopher (Rae et al. 2021, table A1)"
static const param_spec GR_PARAMS[] = {
    {"dup_line_frac", PARAM_DOUBLE, "0.3", "duplicate line fraction above drops; 0.3: " DR},
    {"dup_para_frac", PARAM_DOUBLE, "0.3", "duplicate paragraph fraction above drops; 0.3: " DR},
    {"dup_line_char_frac", PARAM_DOUBLE, "0.2", "duplicate line character fraction above drops; 0.2: " DR},
    {"dup_para_char_frac", PARAM_DOUBLE, "0.2", "duplicate paragraph character fraction above drops; 0.2: " DR},
    {"top_2_gram_frac", PARAM_DOUBLE, "0.20", "top 2-gram character fraction above drops; 0.20: " DR},
    {"top_3_gram_frac", PARAM_DOUBLE, "0.18", "top 3-gram character fraction above drops; 0.18: " DR},
    {"top_4_gram_frac", PARAM_DOUBLE, "0.16", "top 4-gram character fraction above drops; 0.16: " DR},
    {"dup_5_gram_frac", PARAM_DOUBLE, "0.15", "duplicated 5-gram character fraction above drops; 0.15: " DR},
    {"dup_6_gram_frac", PARAM_DOUBLE, "0.14", "duplicated 6-gram character fraction; 0.14: " DR},
    {"dup_7_gram_frac", PARAM_DOUBLE, "0.13", "duplicated 7-gram character fraction; 0.13: " DR},
    {"dup_8_gram_frac", PARAM_DOUBLE, "0.12", "duplicated 8-gram character fraction; 0.12: " DR},
    {"dup_9_gram_frac", PARAM_DOUBLE, "0.11", "duplicated 9-gram character fraction; 0.11: " DR},
    {"dup_10_gram_frac", PARAM_DOUBLE, "0.10", "duplicated 10-gram character fraction; 0.10: " DR},
    SKIP_PARAM,
    {0},
};

static int gr_init(const cfg_params *p, void **shared, cd_err *e)
{
    heur_shared *h = xcalloc(1, sizeof *h);
    h->kind = H_GR;
    bind_all(p, GR_BIND, h);
    if (heur_common_init(h, p, e)) {
        heur_fini(h);
        return -1;
    }
    *shared = h;
    return 0;
}

static const stage_ops gopher_repetition_stage = {
    .name = "gopher_repetition",
    .summary = "Gopher repetition rules (duplicate lines/paragraphs, top and duplicated n-grams)",
    .params = GR_PARAMS,
    .init = gr_init,
    .fini = heur_fini,
    .open = heur_open,
    .process = heur_process,
    .close = heur_close,
};
CORPUSD_STAGE(gopher_repetition_stage)

/* ------------------------------------------------------------------- c4 */

#define C4(f) offsetof(heur_shared, c4.f)
static const pbind C4_BIND[] = {
    {"filter_no_terminal_punct", 'b', C4(filter_no_terminal_punct)},
    {"min_words_per_line", 'i', C4(min_words_per_line)},
    {"max_word_length", 'i', C4(max_word_length)},
    {"min_num_sentences", 'i', C4(min_num_sentences)},
    {"remove_citations", 'b', C4(remove_citations)},
    {"filter_lorem_ipsum", 'b', C4(filter_lorem_ipsum)},
    {"filter_javascript", 'b', C4(filter_javascript)},
    {"filter_curly_bracket", 'b', C4(filter_curly_bracket)},
    {"filter_policy", 'b', C4(filter_policy)},
    {0},
};
#define DC "datatrove C4QualityFilter default, from C4 (Raffel et al. 2020)"
static const param_spec C4_PARAMS[] = {
    {"filter_no_terminal_punct", PARAM_BOOL, "false",
     "remove lines not ending in . ? ! \" ' (or ending in ...); false as FineWeb sets it "
     "(datatrove's own default is true)"},
    {"min_words_per_line", PARAM_INT, "3", "lines with fewer words are removed; 3: " DC},
    {"max_word_length", PARAM_INT, "1000", "lines with a longer word are removed (-1 off); 1000: " DC},
    {"min_num_sentences", PARAM_INT, "5", "documents with fewer sentences are dropped (-1 off); 5: " DC},
    {"remove_citations", PARAM_BOOL, "true", "strip [1], [edit], [citation needed]; true: " DC},
    {"filter_lorem_ipsum", PARAM_BOOL, "true", "drop documents containing 'lorem ipsum'; true: " DC},
    {"filter_javascript", PARAM_BOOL, "true", "remove lines mentioning 'javascript'; true: " DC},
    {"filter_curly_bracket", PARAM_BOOL, "true", "drop documents with '{' in a kept line; true: " DC},
    {"filter_policy", PARAM_BOOL, "true", "remove lines with cookie/privacy/terms phrases; true: " DC},
    SKIP_PARAM,
    {0},
};

static int c4_init(const cfg_params *p, void **shared, cd_err *e)
{
    heur_shared *h = xcalloc(1, sizeof *h);
    h->kind = H_C4;
    bind_all(p, C4_BIND, h);
    if (heur_common_init(h, p, e)) {
        heur_fini(h);
        return -1;
    }
    *shared = h;
    return 0;
}

static const stage_ops c4_stage = {
    .name = "c4",
    .summary = "C4 line and document rules (line removal, lorem ipsum, curly brackets, sentence count)",
    .params = C4_PARAMS,
    .init = c4_init,
    .fini = heur_fini,
    .open = heur_open,
    .process = heur_process,
    .close = heur_close,
};
CORPUSD_STAGE(c4_stage)

/* -------------------------------------------------------------- fineweb */

#define FW(f) offsetof(heur_shared, fw.f)
static const pbind FW_BIND[] = {
    {"line_punct_thr", 'd', FW(line_punct_thr)},
    {"line_punct_exclude_zero", 'b', FW(line_punct_exclude_zero)},
    {"unicode_line_ends", 'b', FW(unicode_line_ends)},
    {"short_line_thr", 'd', FW(short_line_thr)},
    {"short_line_length", 'i', FW(short_line_length)},
    {"char_duplicates_ratio", 'd', FW(char_duplicates_ratio)},
    {"new_line_ratio", 'd', FW(new_line_ratio)},
    {0},
};
#define DF "datatrove FineWebQualityFilter default (FineWeb, Penedo et al. 2024)"
static const param_spec FW_PARAMS[] = {
    {"line_punct_thr", PARAM_DOUBLE, "0.12", "share of lines ending in . ' \" ! ? at or below drops; 0.12: " DF},
    {"line_punct_exclude_zero", PARAM_BOOL, "false", "keep documents where that share is 0; false: " DF},
    {"unicode_line_ends", PARAM_BOOL, "true",
     "also count lines ending in 。！？｡．।॥۔؟։።။ (FineWeb's datatrove counted only . ' \" ! ?, which "
     "drops most Chinese and Japanese; newer datatrove uses Unicode terminal punctuation too); English "
     "text is unaffected; corpusd default"},
    {"short_line_thr", PARAM_DOUBLE, "0.67", "share of short lines at or above drops; 0.67: " DF},
    {"short_line_length", PARAM_INT, "30", "a line of at most this many characters is short; 30: " DF},
    {"char_duplicates_ratio", PARAM_DOUBLE, "0.01",
     "characters in duplicated lines / all non-newline characters at or above drops; 0.01: " DF},
    {"new_line_ratio", PARAM_DOUBLE, "0.3", "newlines per word above drops; 0.3: " DF},
    SKIP_PARAM,
    {0},
};

static int fw_init(const cfg_params *p, void **shared, cd_err *e)
{
    heur_shared *h = xcalloc(1, sizeof *h);
    h->kind = H_FW;
    bind_all(p, FW_BIND, h);
    if (heur_common_init(h, p, e)) {
        heur_fini(h);
        return -1;
    }
    *shared = h;
    return 0;
}

static const stage_ops fineweb_stage = {
    .name = "fineweb",
    .summary = "FineWeb quality rules (line punctuation, short lines, duplicated characters, list ratio)",
    .params = FW_PARAMS,
    .init = fw_init,
    .fini = heur_fini,
    .open = heur_open,
    .process = heur_process,
    .close = heur_close,
};
CORPUSD_STAGE(fineweb_stage)

/* ------------------------------------------------------ nemo_heuristics */

#define NM(f) offsetof(heur_shared, nemo.f)
static const pbind NEMO_BIND[] = {
    {"max_non_alpha_numeric_to_text_ratio", 'd', NM(max_non_alpha_numeric_to_text_ratio)},
    {"max_symbol_to_word_ratio", 'd', NM(max_symbol_to_word_ratio)},
    {"max_number_to_text_ratio", 'd', NM(max_number_to_text_ratio)},
    {"max_url_to_text_ratio", 'd', NM(max_url_to_text_ratio)},
    {"max_white_space_ratio", 'd', NM(max_white_space_ratio)},
    {"max_parentheses_ratio", 'd', NM(max_parentheses_ratio)},
    {"max_boilerplate_string_ratio", 'd', NM(max_boilerplate_string_ratio)},
    {"max_repeated_line_fraction", 'd', NM(max_repeated_line_fraction)},
    {"max_repeated_paragraphs_ratio", 'd', NM(max_repeated_paragraphs_ratio)},
    {"max_repeated_lines_char_ratio", 'd', NM(max_repeated_lines_char_ratio)},
    {"max_repeated_paragraphs_char_ratio", 'd', NM(max_repeated_paragraphs_char_ratio)},
    {"min_words", 'i', NM(min_words)},
    {"max_words", 'i', NM(max_words)},
    {"max_num_sentences_without_endmark_ratio", 'd', NM(max_num_sentences_without_endmark_ratio)},
    {"min_words_with_alphabets", 'd', NM(min_words_with_alphabets)},
    {"min_num_common_words", 'i', NM(min_num_common_words)},
    {"min_mean_word_length", 'd', NM(min_mean_word_length)},
    {"max_mean_word_length", 'd', NM(max_mean_word_length)},
    {"max_word_length", 'i', NM(max_word_length)},
    {"max_num_lines_ending_with_ellipsis_ratio", 'd', NM(max_num_lines_ending_with_ellipsis_ratio)},
    {"max_repeating_top_2gram_ratio", 'd', NM(top_ngram_ratio[0])},
    {"max_repeating_top_3gram_ratio", 'd', NM(top_ngram_ratio[1])},
    {"max_repeating_top_4gram_ratio", 'd', NM(top_ngram_ratio[2])},
    {"max_repeating_duplicate_5gram_ratio", 'd', NM(dup_ngram_ratio[0])},
    {"max_repeating_duplicate_6gram_ratio", 'd', NM(dup_ngram_ratio[1])},
    {"max_repeating_duplicate_7gram_ratio", 'd', NM(dup_ngram_ratio[2])},
    {"max_repeating_duplicate_8gram_ratio", 'd', NM(dup_ngram_ratio[3])},
    {"max_repeating_duplicate_9gram_ratio", 'd', NM(dup_ngram_ratio[4])},
    {"max_repeating_duplicate_10gram_ratio", 'd', NM(dup_ngram_ratio[5])},
    {0},
};
#define DN "NeMo Curator heuristic_filter.py / config heuristic_filter_en.yaml"
static const param_spec NEMO_PARAMS[] = {
    {"max_non_alpha_numeric_to_text_ratio", PARAM_DOUBLE, "0.25", "NonAlphaNumericFilter; 0.25: " DN},
    {"max_symbol_to_word_ratio", PARAM_DOUBLE, "0.1", "SymbolsToWordsFilter; 0.1: " DN},
    {"max_number_to_text_ratio", PARAM_DOUBLE, "0.15", "NumbersFilter; 0.15: " DN},
    {"max_url_to_text_ratio", PARAM_DOUBLE, "0.2", "UrlsFilter; 0.2: " DN},
    {"max_white_space_ratio", PARAM_DOUBLE, "0.25", "WhiteSpaceFilter; 0.25: " DN},
    {"max_parentheses_ratio", PARAM_DOUBLE, "0.1", "ParenthesesFilter; 0.1: " DN},
    {"max_boilerplate_string_ratio", PARAM_DOUBLE, "0.4", "BoilerPlateStringFilter; 0.4: " DN},
    {"max_repeated_line_fraction", PARAM_DOUBLE, "0.7",
     "RepeatedLinesFilter: keeps when unique/total lines >= this; 0.7: " DN},
    {"max_repeated_paragraphs_ratio", PARAM_DOUBLE, "0.7",
     "RepeatedParagraphsFilter: keeps when unique/total paragraphs >= this; 0.7: " DN},
    {"max_repeated_lines_char_ratio", PARAM_DOUBLE, "0.8", "RepeatedLinesByCharFilter (unique chars share); 0.8: " DN},
    {"max_repeated_paragraphs_char_ratio", PARAM_DOUBLE, "0.8", "RepeatedParagraphsByCharFilter; 0.8: " DN},
    {"min_words", PARAM_INT, "50", "WordCountFilter; 50: " DN},
    {"max_words", PARAM_INT, "100000", "WordCountFilter; 100000: " DN},
    {"max_num_sentences_without_endmark_ratio", PARAM_DOUBLE, "0.85", "PunctuationFilter; 0.85: " DN},
    {"min_words_with_alphabets", PARAM_DOUBLE, "0.8", "WordsWithoutAlphabetsFilter; 0.8: " DN},
    {"min_num_common_words", PARAM_INT, "2", "CommonEnglishWordsFilter; 2: " DN},
    {"min_mean_word_length", PARAM_DOUBLE, "3", "MeanWordLengthFilter; 3: " DN},
    {"max_mean_word_length", PARAM_DOUBLE, "10", "MeanWordLengthFilter; 10: " DN},
    {"max_word_length", PARAM_INT, "1000", "LongWordFilter; 1000: " DN},
    {"max_num_lines_ending_with_ellipsis_ratio", PARAM_DOUBLE, "0.3", "EllipsisFilter; 0.3: " DN},
    {"max_repeating_top_2gram_ratio", PARAM_DOUBLE, "0.2", "RepeatingTopNGramsFilter n=2; 0.2: " DN},
    {"max_repeating_top_3gram_ratio", PARAM_DOUBLE, "0.18", "RepeatingTopNGramsFilter n=3; 0.18: " DN},
    {"max_repeating_top_4gram_ratio", PARAM_DOUBLE, "0.16", "RepeatingTopNGramsFilter n=4; 0.16: " DN},
    {"max_repeating_duplicate_5gram_ratio", PARAM_DOUBLE, "0.15", "RepeatingDuplicateNGramsFilter n=5; 0.15: " DN},
    {"max_repeating_duplicate_6gram_ratio", PARAM_DOUBLE, "0.14", "RepeatingDuplicateNGramsFilter n=6; 0.14: " DN},
    {"max_repeating_duplicate_7gram_ratio", PARAM_DOUBLE, "0.13", "RepeatingDuplicateNGramsFilter n=7; 0.13: " DN},
    {"max_repeating_duplicate_8gram_ratio", PARAM_DOUBLE, "0.12", "RepeatingDuplicateNGramsFilter n=8; 0.12: " DN},
    {"max_repeating_duplicate_9gram_ratio", PARAM_DOUBLE, "0.11", "RepeatingDuplicateNGramsFilter n=9; 0.11: " DN},
    {"max_repeating_duplicate_10gram_ratio", PARAM_DOUBLE, "0.10",
     "RepeatingDuplicateNGramsFilter n=10; 0.10: " DN},
    SKIP_PARAM,
    {0},
};

static int nemo_init(const cfg_params *p, void **shared, cd_err *e)
{
    heur_shared *h = xcalloc(1, sizeof *h);
    h->kind = H_NEMO;
    bind_all(p, NEMO_BIND, h);
    if (heur_common_init(h, p, e)) {
        heur_fini(h);
        return -1;
    }
    *shared = h;
    return 0;
}

static const stage_ops nemo_stage = {
    .name = "nemo_heuristics",
    .summary = "NeMo Curator's English heuristic cascade (Nemotron-CC)",
    .params = NEMO_PARAMS,
    .init = nemo_init,
    .fini = heur_fini,
    .open = heur_open,
    .process = heur_process,
    .close = heur_close,
};
CORPUSD_STAGE(nemo_stage)

/* ------------------------------------------------------------------ pii */

static const param_spec PII_PARAMS[] = {
    {"emails", PARAM_BOOL, "true", "redact email addresses"},
    {"ips", PARAM_BOOL, "true", "redact public IPv4/IPv6 addresses (private ranges are left alone)"},
    {"phones", PARAM_BOOL, "true", "redact phone numbers (NANP and +international, 10-15 digits)"},
    {"email_placeholder", PARAM_STRING, "|||EMAIL_ADDRESS|||", "replacement; default is Dolma's"},
    {"ip_placeholder", PARAM_STRING, "|||IP_ADDRESS|||", "replacement; default is Dolma's"},
    {"phone_placeholder", PARAM_STRING, "|||PHONE_NUMBER|||", "replacement; default is Dolma's"},
    {0},
};

static int pii_init(const cfg_params *p, void **shared, cd_err *e)
{
    filter_pii *f = filter_pii_new(param_bool(p, "emails"), param_bool(p, "ips"), param_bool(p, "phones"),
                                   param_str(p, "email_placeholder"), param_str(p, "ip_placeholder"),
                                   param_str(p, "phone_placeholder"), e);
    if (!f) return -1;
    *shared = f;
    return 0;
}

static void pii_fini(void *shared) { filter_pii_free(shared); }

typedef struct pii_priv {
    filter_pii_md *md;
    sbuf out;
} pii_priv;

static int pii_open(stage *st, cd_err *e)
{
    pii_priv *p = xcalloc(1, sizeof *p);
    p->md = filter_pii_md_new(st->shared);
    st->priv = p;
    return 0;
}

static void pii_close(stage *st)
{
    pii_priv *p = st->priv;
    if (!p) return;
    filter_pii_md_free(p->md);
    sbuf_free(&p->out);
    free(p);
}

static int pii_process(stage *st, doc_batch *b, cd_err *e)
{
    pii_priv *p = st->priv;
    for (size_t i = 0; i < b->len; i++) {
        doc *d = b->docs[i];
        filter_pii_counts c;
        if (!filter_pii_redact(st->shared, p->md, d->text, d->text_len, &p->out, &c)) continue;
        doc_set_text(d, p->out.data, p->out.len);
        if (c.email) doc_meta_set_int(d, "pii_email", (int64_t)c.email);
        if (c.ip) doc_meta_set_int(d, "pii_ip", (int64_t)c.ip);
        if (c.phone) doc_meta_set_int(d, "pii_phone", (int64_t)c.phone);
        stats_count(&st->stats, "pii_email", c.email);
        stats_count(&st->stats, "pii_ip", c.ip);
        stats_count(&st->stats, "pii_phone", c.phone);
    }
    return 0;
}

static const stage_ops pii_stage = {
    .name = "pii",
    .summary = "redact emails, public IP addresses and phone numbers into placeholders",
    .params = PII_PARAMS,
    .init = pii_init,
    .fini = pii_fini,
    .open = pii_open,
    .process = pii_process,
    .close = pii_close,
};
CORPUSD_STAGE(pii_stage)

/*
 * filter.h: the public face of the filter stage folder: language
 * identification, the heuristic quality rules (Gopher, C4, FineWeb, NeMo
 * Curator's English cascade) as plain functions, and PII redaction.
 *
 * The stages (langid, gopher_quality, gopher_repetition, c4, fineweb,
 * nemo_heuristics, url_filter, line_filter, regex, pii) are thin wrappers
 * that bind YAML parameters to the structs below and call these functions;
 * tests and the fuzz target call them directly.
 *
 * Every rule returns a filter_verdict: reason == NULL keeps the document,
 * otherwise reason is a static string naming the rule (the reasons follow
 * datatrove's and NeMo Curator's names, see docs/filter.md) and value is the
 * measured quantity that crossed the threshold.
 *
 * Lengths are counted as Python counts them (code points, not bytes), so
 * that thresholds mean what they mean in datatrove and NeMo Curator.
 *
 * Thread safety: parameter structs are read-only after setup and may be
 * shared; a filter_scratch belongs to one thread.
 */
#ifndef CORPUSD_FILTER_FILTER_H
#define CORPUSD_FILTER_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

typedef struct filter_verdict {
    const char *reason;   /* NULL: keep */
    double value;
} filter_verdict;

/* Per-thread buffers reused across documents (tokens, hash tables). */
typedef struct filter_scratch filter_scratch;
filter_scratch *filter_scratch_new(void);
void filter_scratch_free(filter_scratch *s);
/* on = 1: words come from ICU's word break iterator (Chinese, Japanese, Thai
 * segmentation) instead of whitespace; -1 when built without ICU. */
int filter_scratch_use_icu(filter_scratch *s, int on);

/* ------------------------------------------------------------ word split */

/* NLTK's word_tokenize (punkt sentences, then NLTKWordTokenizer), as
 * datatrove's rules split words; see filter/words.c for what is exact.
 * fn gets each token as a span of text (byte offset, bytes, code points).
 * Returns the number of tokens. One filter_words per thread. */
typedef void (*filter_word_fn)(void *arg, size_t off, size_t len, size_t nch);
typedef struct filter_words filter_words;
filter_words *filter_words_new(void);
void filter_words_free(filter_words *w);
size_t filter_words_split(filter_words *w, const char *text, size_t n, filter_word_fn fn, void *arg);

/* ------------------------------------------------------- language id (CLD2) */

typedef struct filter_lang {
    char code[16];      /* ISO 639-1 where one exists ("en", "zh"), else CLD2's code; "un" unknown */
    double score;       /* share of the text in that language, 0..1 */
    int reliable;       /* CLD2's is_reliable (1 for fastText) */
    char script[8];     /* GlotLID's ISO 15924 script ("Latn"), else "" */
} filter_lang;

/* Returns 0, or -1 when no language identifier was built in. */
int filter_langid(const char *text, size_t n, filter_lang *out);
/* 1 for languages written without spaces between words (zh, ja, th, lo, km, my, bo). */
int filter_lang_unspaced(const char *code);

/* fastText backend (lid.176 / GlotLID model loaded with ft_shim_load from
 * filter/fasttext_shim.h): the top label and its probability on the text
 * with newlines as spaces. Always returns 0 ("un", 0 when nothing is
 * predicted). */
struct ft_shim;
int filter_langid_ft(const struct ft_shim *m, const char *text, size_t n, filter_lang *out);
/* Maps a fastText label without its "__label__" prefix ("en", "eng_Latn")
 * to ISO 639-1 where the table knows one, else keeps the code. */
void filter_lang_from_label(const char *label, double prob, filter_lang *out);
/* The 639-3 -> 639-1 table (sorted by 639-3 code), for tests and docs. */
size_t filter_iso3_table(const char *const (**table)[2]);

/* ------------------------------------------------------------ Gopher rules */

typedef struct filter_gopher_quality {
    int64_t min_doc_words, max_doc_words;           /* 50, 100000 */
    double min_avg_word_length, max_avg_word_length; /* 3, 10 */
    double max_symbol_word_ratio;                   /* 0.1 */
    double max_bullet_lines_ratio;                  /* 0.9 */
    double max_ellipsis_lines_ratio;                /* 0.3 */
    double max_non_alpha_words_ratio;               /* 0.8 (minimum share of words with a letter) */
    int64_t min_stop_words;                         /* 2 */
    const char *const *stop_words;                  /* NULL: the, be, to, of, and, that, have, with */
    size_t nstop_words;
} filter_gopher_quality;
void filter_gopher_quality_defaults(filter_gopher_quality *p);
filter_verdict filter_gopher_quality_check(const filter_gopher_quality *p, const char *text, size_t n,
                                           filter_scratch *s);

typedef struct filter_gopher_repetition {
    double dup_line_frac, dup_para_frac;            /* 0.3, 0.3 */
    double dup_line_char_frac, dup_para_char_frac;  /* 0.2, 0.2 */
    double top_ngram_frac[3];                       /* n = 2, 3, 4: 0.20, 0.18, 0.16 */
    double dup_ngram_frac[6];                       /* n = 5..10: 0.15 .. 0.10 */
} filter_gopher_repetition;
void filter_gopher_repetition_defaults(filter_gopher_repetition *p);
/* word_rules = 0 skips the n-gram rules (languages written without spaces). */
filter_verdict filter_gopher_repetition_check(const filter_gopher_repetition *p, const char *text, size_t n,
                                              int word_rules, filter_scratch *s);

/* ------------------------------------------------------------------ C4 */

typedef struct filter_c4 {
    int filter_no_terminal_punct;   /* datatrove default true; FineWeb: false */
    int64_t min_words_per_line;     /* 3 */
    int64_t max_word_length;        /* 1000 (line removed), -1 off */
    int64_t min_num_sentences;      /* 5, -1 off */
    int remove_citations, filter_lorem_ipsum, filter_javascript, filter_curly_bracket, filter_policy;
} filter_c4;
void filter_c4_defaults(filter_c4 *p);
/* Writes the kept lines to out (joined by '\n'); counts removed lines per
 * rule in removed[5] (too_long_word, no_terminal_punct, too_few_words,
 * javascript, policy). */
filter_verdict filter_c4_check(const filter_c4 *p, const char *text, size_t n, int word_rules, sbuf *out,
                               uint64_t removed[5]);
extern const char *const filter_c4_line_reasons[5];

/* -------------------------------------------------------------- FineWeb */

typedef struct filter_fineweb {
    double line_punct_thr;          /* 0.12 */
    int line_punct_exclude_zero;    /* false */
    int unicode_line_ends;          /* also 。！？｡．।॥۔؟։።။ (corpusd; true) */
    double short_line_thr;          /* 0.67 */
    int64_t short_line_length;      /* 30 */
    double char_duplicates_ratio;   /* 0.01 */
    double new_line_ratio;          /* 0.3 */
} filter_fineweb;
void filter_fineweb_defaults(filter_fineweb *p);
filter_verdict filter_fineweb_check(const filter_fineweb *p, const char *text, size_t n, int word_rules,
                                    filter_scratch *s);

/* ------------------------------------------- NeMo Curator English cascade */

typedef struct filter_nemo {
    double max_non_alpha_numeric_to_text_ratio;     /* 0.25 */
    double max_symbol_to_word_ratio;                /* 0.1 */
    double max_number_to_text_ratio;                /* 0.15 */
    double max_url_to_text_ratio;                   /* 0.2 */
    double max_white_space_ratio;                   /* 0.25 */
    double max_parentheses_ratio;                   /* 0.1 */
    double max_boilerplate_string_ratio;            /* 0.4 */
    double max_repeated_line_fraction;              /* 0.7 (minimum unique share) */
    double max_repeated_paragraphs_ratio;           /* 0.7 */
    double max_repeated_lines_char_ratio;           /* 0.8 */
    double max_repeated_paragraphs_char_ratio;      /* 0.8 */
    int64_t min_words, max_words;                   /* 50, 100000 */
    double max_num_sentences_without_endmark_ratio; /* 0.85 */
    double min_words_with_alphabets;                /* 0.8 */
    int64_t min_num_common_words;                   /* 2 */
    double min_mean_word_length, max_mean_word_length; /* 3, 10 */
    int64_t max_word_length;                        /* 1000 */
    double max_num_lines_ending_with_ellipsis_ratio; /* 0.3 */
    double top_ngram_ratio[3];                      /* n = 2, 3, 4: 0.20, 0.18, 0.16 */
    double dup_ngram_ratio[6];                      /* n = 5..10: 0.15 .. 0.10 */
} filter_nemo;
void filter_nemo_defaults(filter_nemo *p);
filter_verdict filter_nemo_check(const filter_nemo *p, const char *text, size_t n, int word_rules,
                                 filter_scratch *s);

/* ------------------------------------------------------------------ PII */

typedef struct filter_pii filter_pii;
typedef struct filter_pii_counts {
    uint64_t email, ip, phone;
} filter_pii_counts;
/* Placeholders may be NULL for the defaults (Dolma's |||EMAIL_ADDRESS|||,
 * |||IP_ADDRESS|||, |||PHONE_NUMBER|||). */
filter_pii *filter_pii_new(int emails, int ips, int phones, const char *email_ph, const char *ip_ph,
                           const char *phone_ph, cd_err *e);
void filter_pii_free(filter_pii *p);
/* Redacts text into out; returns the number of replacements. md is per
 * thread (filter_pii_match_data). */
typedef struct filter_pii_md filter_pii_md;
filter_pii_md *filter_pii_md_new(const filter_pii *p);
void filter_pii_md_free(filter_pii_md *m);
uint64_t filter_pii_redact(const filter_pii *p, filter_pii_md *m, const char *text, size_t n, sbuf *out,
                           filter_pii_counts *counts);
/* 1 when the address (text form) is a public IPv4 or IPv6 address. */
int filter_ip_is_public(const char *s, size_t n);

/* ------------------------------------------------------------- helpers */

/* Number of UTF-8 code points (continuation bytes not counted). */
size_t filter_utf8_len(const char *s, size_t n);

#endif

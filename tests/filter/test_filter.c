/*
 * test_filter.c: the filter stage's rules at their thresholds.
 *
 * Each rule gets a document built to sit just inside and one just outside
 * its threshold (with the other rules of the block switched off so that the
 * rule under test decides). Expected values are worked out by hand from the
 * reference definitions (datatrove, NeMo Curator), written next to each case.
 * Stage-level tests load YAML through pipeline_stage_from_node(), so they
 * also show that a threshold changed in YAML changes the decision.
 */
#include "core/pipeline.h"
#include "filter/filter.h"
#include "tests/test.h"

#include <math.h>

/* n words "house" (5 letters) with `stops` of them replaced by "the". */
static char *words_text(int n, int stops, const char *sep)
{
    sbuf b = SBUF_INIT;
    for (int i = 0; i < n; i++) {
        if (i) sbuf_puts(&b, sep);
        sbuf_puts(&b, i < stops ? "the" : "house");
    }
    return sbuf_detach(&b, NULL);
}

static filter_verdict gq(const filter_gopher_quality *p, const char *t)
{
    filter_scratch *s = filter_scratch_new();
    filter_verdict v = filter_gopher_quality_check(p, t, strlen(t), s);
    filter_scratch_free(s);
    return v;
}

static int reason_is(filter_verdict v, const char *r) { return v.reason && !strcmp(v.reason, r); }

TEST(filter_gopher_word_count_bounds)
{
    filter_gopher_quality p;
    filter_gopher_quality_defaults(&p);
    char *t = words_text(50, 2, " ");
    CHECK(gq(&p, t).reason == NULL);          /* 50 words: the minimum itself is kept */
    free(t);
    t = words_text(49, 2, " ");
    filter_verdict v = gq(&p, t);
    CHECK(reason_is(v, "gopher_short_doc"));
    CHECK(v.value == 49);
    free(t);
    /* punctuation tokens are not words: 49 words + "." is still short */
    t = words_text(49, 2, " ");
    char *t2 = xasprintf("%s .", t);
    CHECK(reason_is(gq(&p, t2), "gopher_short_doc"));
    free(t);
    free(t2);
    p.max_doc_words = 60;
    t = words_text(60, 2, " ");
    CHECK(gq(&p, t).reason == NULL);
    free(t);
    t = words_text(61, 2, " ");
    CHECK(reason_is(gq(&p, t), "gopher_long_doc"));
    free(t);
}

TEST(filter_gopher_mean_word_length)
{
    filter_gopher_quality p;
    filter_gopher_quality_defaults(&p);
    /* 50 words of 3 letters: mean 3.0 is kept; one 2-letter word makes 2.98 */
    sbuf b = SBUF_INIT;
    for (int i = 0; i < 50; i++) sbuf_puts(&b, i < 2 ? "the " : "cat ");
    CHECK(gq(&p, b.data).reason == NULL);
    sbuf_reset(&b);
    for (int i = 0; i < 50; i++) sbuf_puts(&b, i < 2 ? "the " : i == 2 ? "to " : "cat ");
    filter_verdict v = gq(&p, b.data);
    CHECK(reason_is(v, "gopher_below_avg_threshold"));
    CHECK(fabs(v.value - 149.0 / 50) < 1e-9);
    /* upper bound: 10 letters kept, one 11-letter word above */
    sbuf_reset(&b);
    for (int i = 0; i < 50; i++) sbuf_puts(&b, i < 2 ? "the " : i < 4 ? "abcdefghijklmnopq " : "abcdefghij ");
    /* mean = (3*2 + 17*2 + 10*46) / 50 = 10.0 */
    CHECK(gq(&p, b.data).reason == NULL);
    sbuf_puts(&b, "abcdefghijk");
    CHECK(reason_is(gq(&p, b.data), "gopher_above_avg_threshold"));
    sbuf_free(&b);
}

TEST(filter_gopher_symbols_bullets_ellipsis)
{
    filter_gopher_quality p;
    filter_gopher_quality_defaults(&p);
    char *w = words_text(50, 2, " ");
    /* 5 '#' per 50 words = 0.1 (kept), 6 = 0.12 (dropped) */
    char *t = xasprintf("%s # # # # #", w);
    CHECK(gq(&p, t).reason == NULL);
    free(t);
    t = xasprintf("%s # # # # # #", w);
    CHECK(reason_is(gq(&p, t), "gopher_too_many_hashes"));
    free(t);
    t = xasprintf("%s ... … ... … ... …", w);
    CHECK(reason_is(gq(&p, t), "gopher_too_many_ellipsis"));
    free(t);
    free(w);
    /* 10 lines of 5 words; 9 start with a bullet (0.9, kept), then 10 (1.0) */
    sbuf b = SBUF_INIT;
    for (int i = 0; i < 10; i++) sbuf_printf(&b, "%sthe house house the house\n", i < 9 ? "• " : "");
    CHECK(gq(&p, b.data).reason == NULL);
    sbuf_reset(&b);
    for (int i = 0; i < 10; i++) sbuf_puts(&b, "  • the house house the house\n");
    CHECK(reason_is(gq(&p, b.data), "gopher_too_many_bullets"));
    /* 3 of 10 lines end with an ellipsis (0.3, kept); 4 (0.4) dropped */
    sbuf_reset(&b);
    for (int i = 0; i < 10; i++) sbuf_printf(&b, "the house house the house%s\n", i < 3 ? "..." : "");
    CHECK(gq(&p, b.data).reason == NULL);
    sbuf_reset(&b);
    for (int i = 0; i < 10; i++) sbuf_printf(&b, "the house house the house%s\n", i < 4 ? "\xe2\x80\xa6  " : "");
    filter_verdict v = gq(&p, b.data);
    CHECK(reason_is(v, "gopher_too_many_end_ellipsis"));
    CHECK(fabs(v.value - 0.4) < 1e-9);
    sbuf_free(&b);
}

TEST(filter_gopher_alpha_and_stop_words)
{
    filter_gopher_quality p;
    filter_gopher_quality_defaults(&p);
    p.min_avg_word_length = 0;
    /* 40 of 50 words have a letter: 0.8 kept; 39 of 50: 0.78 dropped */
    sbuf b = SBUF_INIT;
    for (int i = 0; i < 50; i++) sbuf_puts(&b, i < 2 ? "the " : i < 40 ? "house " : "12345 ");
    CHECK(gq(&p, b.data).reason == NULL);
    sbuf_reset(&b);
    for (int i = 0; i < 50; i++) sbuf_puts(&b, i < 2 ? "the " : i < 39 ? "house " : "12345 ");
    CHECK(reason_is(gq(&p, b.data), "gopher_below_alpha_threshold"));
    sbuf_free(&b);
    char *t = words_text(60, 2, " ");
    CHECK(gq(&p, t).reason == NULL);
    free(t);
    t = words_text(60, 1, " ");
    filter_verdict v = gq(&p, t);
    CHECK(reason_is(v, "gopher_enough_stop_words"));
    CHECK(v.value == 1);
    free(t);
    /* stop words are case-sensitive, as in datatrove */
    t = xasprintf("The THE %s", "house house");
    free(t);
}

static filter_verdict gr(const filter_gopher_repetition *p, const char *t)
{
    filter_scratch *s = filter_scratch_new();
    filter_verdict v = filter_gopher_repetition_check(p, t, strlen(t), 1, s);
    filter_scratch_free(s);
    return v;
}

static void gr_none(filter_gopher_repetition *p) { memset(p, 0, sizeof *p); }

TEST(filter_gopher_repetition_lines_paragraphs)
{
    filter_gopher_repetition p;
    /* 10 lines, 3 repeats of one line: 3/10 = 0.3 kept; 4 repeats 0.4 dropped */
    gr_none(&p);
    p.dup_line_frac = 0.3;
    sbuf b = SBUF_INIT;
    for (int i = 0; i < 7; i++) sbuf_printf(&b, "unique line number %d here\n", i);
    for (int i = 0; i < 3; i++) sbuf_puts(&b, "unique line number 0 here\n");
    CHECK(gr(&p, b.data).reason == NULL);
    sbuf_reset(&b);
    for (int i = 0; i < 6; i++) sbuf_printf(&b, "unique line number %d here\n", i);
    for (int i = 0; i < 4; i++) sbuf_puts(&b, "unique line number 0 here\n");
    filter_verdict v = gr(&p, b.data);
    CHECK(reason_is(v, "dup_line_frac"));
    /* re.split("\n+", text) leaves a trailing "" element: 11 elements */
    CHECK(fabs(v.value - 4.0 / 11) < 1e-9);
    /* duplicate line characters: "aaaa\nbbbb\naaaa" has 4 duplicated chars of 14 = 0.2857 */
    gr_none(&p);
    p.dup_line_char_frac = 0.28;
    CHECK(reason_is(gr(&p, "aaaa\nbbbb\naaaa"), "dup_line_char_frac"));
    p.dup_line_char_frac = 0.29;
    CHECK(gr(&p, "aaaa\nbbbb\naaaa").reason == NULL);
    /* paragraphs: "p1\n\np2\n\np1" -> 1 of 3 duplicated (0.333) */
    gr_none(&p);
    p.dup_para_frac = 0.3;
    CHECK(reason_is(gr(&p, "para one\n\npara two\n\npara one"), "dup_para_frac"));
    p.dup_para_frac = 0.34;
    CHECK(gr(&p, "para one\n\npara two\n\npara one").reason == NULL);
    /* characters counted as code points: "éé\néé" = 5 chars, 2 duplicated = 0.4 */
    gr_none(&p);
    p.dup_line_char_frac = 0.39;
    v = gr(&p, "\xc3\xa9\xc3\xa9\n\xc3\xa9\xc3\xa9");
    CHECK(reason_is(v, "dup_line_char_frac"));
    CHECK(fabs(v.value - 0.4) < 1e-9);
    sbuf_free(&b);
}

TEST(filter_gopher_repetition_ngrams)
{
    filter_gopher_repetition p;
    /* top 2-gram "aaaa bbbb" x2 = 18 chars of 39: 0.4615 */
    const char *t = "aaaa bbbb aaaa bbbb cccc dddd eeee ffff";
    gr_none(&p);
    p.top_ngram_frac[0] = 0.46;
    filter_verdict v = gr(&p, t);
    CHECK(reason_is(v, "top_2_gram"));
    CHECK(fabs(v.value - 18.0 / 39) < 1e-9);
    p.top_ngram_frac[0] = 0.47;
    CHECK(gr(&p, t).reason == NULL);
    /* duplicated 5-grams: A B C D E A B C D E F -> 20 chars of 54 = 0.3704 */
    t = "aaaa bbbb cccc dddd eeee aaaa bbbb cccc dddd eeee ffff";
    gr_none(&p);
    p.dup_ngram_frac[0] = 0.37;
    v = gr(&p, t);
    CHECK(reason_is(v, "duplicated_5_n_grams"));
    CHECK(fabs(v.value - 20.0 / 54) < 1e-9);
    p.dup_ngram_frac[0] = 0.371;
    CHECK(gr(&p, t).reason == NULL);
    /* the defaults keep ordinary prose */
    filter_gopher_repetition_defaults(&p);
    const char *prose =
        "Gopher's repetition rules were written for web pages, where navigation menus and link lists repeat.\n"
        "A page of ordinary prose, such as this short description of the rules, has no repeated lines, and its\n"
        "most common word pairs make up only a small share of its characters, so the defaults keep it. Short\n"
        "snippets are different: in a twelve-word text the first first two words alone exceed the 2-gram limit.";
    CHECK(gr(&p, prose).reason == NULL);
    /* "The quick" is the first of equally common 2-grams: 9 of 44 chars = 0.2045 */
    filter_verdict v2 = gr(&p, "The quick brown fox jumps over the lazy dog.");
    CHECK(reason_is(v2, "top_2_gram"));
    CHECK(fabs(v2.value - 9.0 / 44) < 1e-9);
}

static filter_verdict fw(const filter_fineweb *p, const char *t)
{
    filter_scratch *s = filter_scratch_new();
    filter_verdict v = filter_fineweb_check(p, t, strlen(t), 1, s);
    filter_scratch_free(s);
    return v;
}

TEST(filter_fineweb_rules)
{
    filter_fineweb p;
    filter_fineweb_defaults(&p);
    /* 25 lines of > 30 chars, 4 end with '.' -> 0.16 kept, 3 -> 0.12 dropped (<=) */
    sbuf b = SBUF_INIT;
    for (int i = 0; i < 25; i++) sbuf_printf(&b, "%sline %02d has several words in it%s", i ? "\n" : "", i, i < 4 ? "." : "");
    CHECK(fw(&p, b.data).reason == NULL);
    sbuf_reset(&b);
    for (int i = 0; i < 25; i++) sbuf_printf(&b, "%sline %02d has several words in it%s", i ? "\n" : "", i, i < 3 ? "." : "");
    filter_verdict v = fw(&p, b.data);
    CHECK(reason_is(v, "line_punct_ratio"));
    CHECK(fabs(v.value - 0.12) < 1e-9);
    /* short lines: 3 lines, 2 short (0.667 >= 0.67? no: 0.6667 kept); 100 lines with 67 short dropped */
    sbuf_reset(&b);
    for (int i = 0; i < 100; i++)
        sbuf_printf(&b, "%s%s %03d.", i ? "\n" : "", i < 67 ? "short line" : "a longer line with quite a few words in it", i);
    v = fw(&p, b.data);
    CHECK(reason_is(v, "short_line_ratio"));
    CHECK(fabs(v.value - 0.67) < 1e-9);
    sbuf_reset(&b);
    for (int i = 0; i < 100; i++)
        sbuf_printf(&b, "%s%s %03d.", i ? "\n" : "", i < 66 ? "short line" : "a longer line with quite a few words in it", i);
    CHECK(fw(&p, b.data).reason == NULL);
    /* duplicated line characters: one repeated 10-char line in ~1000 chars */
    sbuf_reset(&b);
    for (int i = 0; i < 20; i++) sbuf_printf(&b, "this is sentence number %02d of the text here.\n", i);
    sbuf_puts(&b, "repeated.\nrepeated.");
    v = fw(&p, b.data);
    CHECK(reason_is(v, "char_dup_ratio"));
    p.char_duplicates_ratio = 0.02;   /* 9 / (20*47 + 18) = 0.0094 < 0.01 ... */
    v = fw(&p, b.data);
    CHECK(v.reason == NULL);
    /* list ratio: newlines per word */
    filter_fineweb_defaults(&p);
    p.short_line_thr = 1.1;
    sbuf_reset(&b);
    for (int i = 0; i < 10; i++) sbuf_printf(&b, "%sword%d here now.", i ? "\n" : "", i);  /* 9 newlines / 40 tokens */
    CHECK(fw(&p, b.data).reason == NULL);
    p.new_line_ratio = 0.2;
    v = fw(&p, b.data);
    CHECK(reason_is(v, "list_ratio"));
    CHECK(fabs(v.value - 9.0 / 40) < 1e-9);
    sbuf_free(&b);
}

static filter_verdict c4(const filter_c4 *p, const char *t, sbuf *out, uint64_t removed[5])
{
    memset(removed, 0, 5 * sizeof *removed);
    return filter_c4_check(p, t, strlen(t), 1, out, removed);
}

TEST(filter_c4_rules)
{
    filter_c4 p;
    filter_c4_defaults(&p);
    sbuf out = SBUF_INIT;
    uint64_t rm[5];
    /* 5 sentences kept, 4 dropped */
    CHECK(c4(&p, "One two three. Four five six. Seven eight nine.\nTen and more. The last one here.", &out, rm).reason == NULL);
    filter_verdict v = c4(&p, "One two three. Four five six. Seven eight nine.\nTen and more.", &out, rm);
    CHECK(reason_is(v, "too_few_sentences"));
    CHECK(v.value == 4);
    /* lines under 3 words and javascript / policy lines are removed */
    const char *t = "Two words\nPlease enable JavaScript to view this.\nWe use cookies on this site.\n"
                    "A real line one. A real line two. A real line three. A real line four. A real line five.";
    v = c4(&p, t, &out, rm);
    CHECK(v.reason == NULL);
    CHECK_STR_EQ(out.data, "A real line one. A real line two. A real line three. A real line four. A real line five.");
    CHECK(rm[2] == 1 && rm[3] == 1 && rm[4] == 1);
    /* document rules */
    CHECK(reason_is(c4(&p, "Some text with lorem ipsum dolor sit amet.", &out, rm), "lorem_ipsum"));
    CHECK(reason_is(c4(&p, "function f() { return 1; } is code.", &out, rm), "curly_bracket"));
    /* a word of 1001 characters removes its line; 1000 is kept */
    sbuf b = SBUF_INIT;
    for (int i = 0; i < 1000; i++) sbuf_putc(&b, 'a');
    sbuf_puts(&b, " x y.\nA b c. D e f. G h i. J k l. M n o.");
    c4(&p, b.data, &out, rm);
    CHECK(rm[0] == 0);
    sbuf_reset(&b);
    for (int i = 0; i < 1001; i++) sbuf_putc(&b, 'a');
    sbuf_puts(&b, " x y.\nA b c. D e f. G h i. J k l. M n o.");
    c4(&p, b.data, &out, rm);
    CHECK(rm[0] == 1);
    /* terminal punctuation switch */
    p.filter_no_terminal_punct = 1;
    c4(&p, "A line without an end\nA b c. D e f. G h i. J k l. M n o.", &out, rm);
    CHECK(rm[1] == 1);
    /* citations are removed */
    p.filter_no_terminal_punct = 0;
    c4(&p, "A b c.[1] D e f.[edit] G h i. J k l. M n o.", &out, rm);
    CHECK_STR_EQ(out.data, "A b c. D e f. G h i. J k l. M n o.");
    sbuf_free(&b);
    sbuf_free(&out);
}

static void nemo_open_all(filter_nemo *p)
{
    filter_nemo_defaults(p);
    p->max_non_alpha_numeric_to_text_ratio = 1;
    p->max_symbol_to_word_ratio = 1;
    p->max_number_to_text_ratio = 1;
    p->max_url_to_text_ratio = 1;
    p->max_white_space_ratio = 1;
    p->max_parentheses_ratio = 1;
    p->max_boilerplate_string_ratio = 1;
    p->max_repeated_line_fraction = 0;
    p->max_repeated_paragraphs_ratio = 0;
    p->max_repeated_lines_char_ratio = 0;
    p->max_repeated_paragraphs_char_ratio = 0;
    p->min_words = 0;
    p->max_num_sentences_without_endmark_ratio = 1;
    p->min_words_with_alphabets = 0;
    p->min_num_common_words = 0;
    p->min_mean_word_length = 0;
    p->max_mean_word_length = 1e9;
    p->max_num_lines_ending_with_ellipsis_ratio = 1;
    for (int i = 0; i < 3; i++) p->top_ngram_ratio[i] = 1.1;
    for (int i = 0; i < 6; i++) p->dup_ngram_ratio[i] = 1.1;
}

static filter_verdict nemo(const filter_nemo *p, const char *t)
{
    filter_scratch *s = filter_scratch_new();
    filter_verdict v = filter_nemo_check(p, t, strlen(t), 1, s);
    filter_scratch_free(s);
    return v;
}

TEST(filter_nemo_cascade_thresholds)
{
    filter_nemo p;
    nemo_open_all(&p);
    p.max_number_to_text_ratio = 0.15;
    /* numbers: 15 digits in 100 chars kept (0.15), 16 dropped */
    sbuf b = SBUF_INIT;
    for (int i = 0; i < 85; i++) sbuf_putc(&b, 'a');
    sbuf_puts(&b, "123456789012345");
    CHECK(nemo(&p, b.data).reason == NULL);
    b.data[0] = '9';
    filter_verdict v = nemo(&p, b.data);
    CHECK(reason_is(v, "nemo_numbers_ratio"));
    CHECK(fabs(v.value - 0.16) < 1e-9);
    /* non-alphanumeric: 25 '-' in 100 kept, 26 dropped */
    nemo_open_all(&p);
    p.max_non_alpha_numeric_to_text_ratio = 0.25;
    sbuf_reset(&b);
    for (int i = 0; i < 100; i++) sbuf_putc(&b, i < 25 ? '-' : 'a');
    CHECK(nemo(&p, b.data).reason == NULL);
    b.data[25] = '-';
    CHECK(reason_is(nemo(&p, b.data), "nemo_alpha_numeric"));
    /* parentheses 10 of 100 kept, 11 dropped */
    nemo_open_all(&p);
    p.max_parentheses_ratio = 0.1;
    sbuf_reset(&b);
    for (int i = 0; i < 100; i++) sbuf_putc(&b, i < 10 ? '(' : 'a');
    CHECK(nemo(&p, b.data).reason == NULL);
    b.data[10] = ']';
    CHECK(reason_is(nemo(&p, b.data), "nemo_parentheses_ratio"));
    /* URLs: "http://ab.cd" (12 chars) in 60 chars = 0.2 kept; in 59 = 0.203 dropped */
    nemo_open_all(&p);
    p.max_url_to_text_ratio = 0.2;
    sbuf_reset(&b);
    sbuf_puts(&b, "http://ab.cd ");
    for (int i = 0; i < 47; i++) sbuf_putc(&b, 'x');
    CHECK(nemo(&p, b.data).reason == NULL);
    b.data[--b.len] = 0;
    CHECK(reason_is(nemo(&p, b.data), "nemo_urls_ratio"));
    /* common English words: 2 kept, 1 dropped */
    nemo_open_all(&p);
    p.min_num_common_words = 2;
    CHECK(nemo(&p, "the cat and dog").reason == NULL);
    CHECK(reason_is(nemo(&p, "the cat or dog"), "nemo_common_english_words"));
    /* word count 50 kept, 49 dropped (str.split words) */
    nemo_open_all(&p);
    p.min_words = 50;
    char *t = words_text(50, 2, "  ");
    CHECK(nemo(&p, t).reason == NULL);
    free(t);
    t = words_text(49, 2, "\n");
    CHECK(reason_is(nemo(&p, t), "nemo_word_count"));
    free(t);
    /* repeated lines: unique/total = 7/10 kept, 6/10 dropped */
    nemo_open_all(&p);
    p.max_repeated_line_fraction = 0.7;
    sbuf_reset(&b);
    for (int i = 0; i < 10; i++) sbuf_printf(&b, "line %d\n", i < 7 ? i : 0);
    CHECK(nemo(&p, b.data).reason == NULL);
    sbuf_reset(&b);
    for (int i = 0; i < 10; i++) sbuf_printf(&b, "line %d\n", i < 6 ? i : 0);
    v = nemo(&p, b.data);
    CHECK(reason_is(v, "nemo_repeated_lines"));
    CHECK(fabs(v.value - 0.6) < 1e-9);
    /* duplicated 5-grams, NeMo's counting: 24 chars of 54 = 0.444 */
    nemo_open_all(&p);
    p.dup_ngram_ratio[0] = 0.44;
    t = "aaaa bbbb cccc dddd eeee aaaa bbbb cccc dddd eeee ffff";
    v = nemo(&p, t);
    CHECK(reason_is(v, "nemo_repeating_dup_5gram"));
    CHECK(fabs(v.value - 24.0 / 54) < 1e-9);
    p.dup_ngram_ratio[0] = 0.45;
    CHECK(nemo(&p, t).reason == NULL);
    /* top 2-gram, NeMo's counting: text.replace("aaaa bbbb", "") removes 18 of 39 */
    nemo_open_all(&p);
    p.top_ngram_ratio[0] = 0.46;
    CHECK(reason_is(nemo(&p, "aaaa bbbb aaaa bbbb cccc dddd eeee ffff"), "nemo_repeating_top_2grams"));
    /* boilerplate: 1 of 2 paragraphs with "privacy policy" = 0.5 > 0.4 */
    nemo_open_all(&p);
    p.max_boilerplate_string_ratio = 0.4;
    CHECK(reason_is(nemo(&p, "Read our Privacy Policy.\n\nSome text."), "nemo_boilerplate_string_ratio"));
    CHECK(nemo(&p, "Read our Privacy Policy.\n\nSome text.\n\nMore text.").reason == NULL);
    /* ellipsis lines: 3 of 10 kept, 4 dropped */
    nemo_open_all(&p);
    p.max_num_lines_ending_with_ellipsis_ratio = 0.3;
    sbuf_reset(&b);
    for (int i = 0; i < 10; i++) sbuf_printf(&b, "line %d%s\n", i, i < 4 ? " read more" : "");
    CHECK(reason_is(nemo(&p, b.data), "nemo_ellipsis"));
    sbuf_free(&b);
}

TEST(filter_pii_redaction_and_private_ranges)
{
    cd_err e;
    filter_pii *p = filter_pii_new(1, 1, 1, NULL, NULL, NULL, &e);
    CHECK(p != NULL);
    filter_pii_md *m = filter_pii_md_new(p);
    sbuf out = SBUF_INIT;
    filter_pii_counts c;
    const char *t = "Mail jane.doe+x@example.co.uk or call +1 (415) 555-2671. Server 8.8.8.8 and "
                    "2001:4860:4860::8888. LAN 192.168.1.10, 10.0.0.1, 172.16.5.4, 127.0.0.1, 100.64.1.1, fe80::1, "
                    "2001:db8::1. In 2023 at 10:30:45 we sold 1,234 units. UK +44 20 7946 0958.";
    uint64_t n = filter_pii_redact(p, m, t, strlen(t), &out, &c);
    CHECK_INT_EQ(c.email, 1);
    CHECK_INT_EQ(c.ip, 2);
    CHECK_INT_EQ(c.phone, 2);
    CHECK_INT_EQ(n, 5);
    CHECK(strstr(out.data, "Mail |||EMAIL_ADDRESS||| or call |||PHONE_NUMBER|||.") != NULL);
    CHECK(strstr(out.data, "Server |||IP_ADDRESS||| and |||IP_ADDRESS|||.") != NULL);
    CHECK(strstr(out.data, "LAN 192.168.1.10, 10.0.0.1, 172.16.5.4, 127.0.0.1, 100.64.1.1, fe80::1, 2001:db8::1.") != NULL);
    CHECK(strstr(out.data, "In 2023 at 10:30:45 we sold 1,234 units.") != NULL);
    CHECK(strstr(out.data, "UK |||PHONE_NUMBER|||.") != NULL);
    CHECK(filter_ip_is_public("1.1.1.1", 7));
    CHECK(!filter_ip_is_public("172.31.255.255", 14));
    CHECK(filter_ip_is_public("172.32.0.1", 10));
    CHECK(!filter_ip_is_public("256.1.1.1", 9));
    CHECK(!filter_ip_is_public("::ffff:10.1.2.3", 15));
    CHECK(filter_ip_is_public("::ffff:9.1.2.3", 14));
    /* nothing to redact: text unchanged, no counts */
    CHECK_INT_EQ(filter_pii_redact(p, m, "plain words only", 16, &out, &c), 0);
    sbuf_free(&out);
    filter_pii_md_free(m);
    filter_pii_free(p);
}

TEST(filter_langid_cld2)
{
    filter_lang r;
    const char *en = "The committee will meet next week to discuss the budget and the new school buildings.";
    if (filter_langid(en, strlen(en), &r)) test_skip("built without CLD2");
    CHECK_STR_EQ(r.code, "en");
    CHECK(r.score > 0.65);
    const char *de = "Der Ausschuss wird sich nächste Woche treffen, um den Haushalt und die neuen Schulgebäude zu besprechen.";
    filter_langid(de, strlen(de), &r);
    CHECK_STR_EQ(r.code, "de");
    const char *he = "הוועדה תתכנס בשבוע הבא כדי לדון בתקציב ובבנייני בתי הספר החדשים של העיר.";
    filter_langid(he, strlen(he), &r);
    CHECK_STR_EQ(r.code, "he");   /* CLD2 says "iw"; we report ISO 639-1 */
    filter_langid("\xff\xfe\x00", 3, &r);   /* invalid UTF-8 is not fatal */
    CHECK(filter_lang_unspaced("ja") && !filter_lang_unspaced("en"));
}

/* ------------------------------------------------------- stage level */

typedef struct collect {
    int kept, dropped;
    char reason[64];
    char text[512];
    char meta[512];
} collect;

static int collect_sink(void *arg, doc *d, int kept, cd_err *e)
{
    collect *c = arg;
    if (kept) c->kept++;
    else c->dropped++;
    snprintf(c->reason, sizeof c->reason, "%s", d->drop_reason ? d->drop_reason : "");
    snprintf(c->text, sizeof c->text, "%.*s", (int)d->text_len, d->text);
    sbuf s = SBUF_INIT;
    json_write(&s, d->metadata);
    snprintf(c->meta, sizeof c->meta, "%s", s.data);
    sbuf_free(&s);
    return 0;   /* the chain owns and frees the document */
}

/* Runs one document through the stage list of a YAML text. */
static int run_yaml(const char *yaml, const char *text, const char *url, collect *c)
{
    cd_err e;
    cd_err_clear(&e);
    memset(c, 0, sizeof *c);
    cfg_node *root = cfg_parse(yaml, strlen(yaml), "test.yaml", &e);
    if (!root) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    const cfg_node *st = cfg_map_get(root, "stages");
    pipeline_stage defs[8];
    size_t n = 0;
    int rc = 0;
    for (; n < st->len; n++)
        if (pipeline_stage_from_node(st->items[n], n, &defs[n], &e)) {
            fprintf(stderr, "%s\n", e.msg);
            rc = -1;
            break;
        }
    if (!rc) {
        stage_ctx ctx = {0, NULL, NULL, NULL, NULL, 1};
        chain *ch = chain_open(defs, n, &ctx, &e);
        doc_batch b = {0};
        doc *d = doc_new();
        doc_set_id(d, "t/1", 3);
        doc_set_text(d, text, strlen(text));
        if (url) doc_meta_set_str(d, "url", url);
        doc_batch_push(&b, d);
        rc = chain_push(ch, &b, collect_sink, c, &e);
        chain_finish(ch, collect_sink, c, &e);
        chain_close(ch);
        doc_batch_free(&b);
    }
    for (size_t i = 0; i < n; i++) pipeline_stage_free(&defs[i]);
    cfg_free(root);
    return rc;
}

TEST(filter_yaml_threshold_changes_decision)
{
    collect c;
    char *t = words_text(60, 2, " ");
    CHECK(run_yaml("stages:\n  - gopher_quality: {min_doc_words: 50}\n", t, NULL, &c) == 0);
    CHECK(c.kept == 1);
    CHECK(run_yaml("stages:\n  - gopher_quality: {min_doc_words: 61}\n", t, NULL, &c) == 0);
    CHECK(c.dropped == 1);
    CHECK_STR_EQ(c.reason, "gopher_short_doc");
    CHECK(strstr(c.meta, "\"filter_value\":60") != NULL);
    free(t);
    const char *fr = "Le comité se réunira la semaine prochaine pour discuter du budget et des nouvelles écoles.";
    CHECK(run_yaml("stages:\n  - langid: {languages: [en]}\n", fr, NULL, &c) == 0);
    CHECK(c.dropped == 1);
    CHECK_STR_EQ(c.reason, "langid_language");
    CHECK(strstr(c.meta, "\"language\":\"fr\"") != NULL);
    CHECK(run_yaml("stages:\n  - langid: {languages: [en, fr]}\n", fr, NULL, &c) == 0);
    CHECK(c.kept == 1);
    CHECK(run_yaml("stages:\n  - langid: {languages: [fr], threshold: 0.999}\n", fr, NULL, &c) == 0);
    CHECK(c.dropped == 1);
    CHECK_STR_EQ(c.reason, "langid_score");
    /* a bad key is a config error naming the stage */
    CHECK(run_yaml("stages:\n  - fineweb: {line_punct_thresh: 0.1}\n", "x", NULL, &c) == -1);
}

TEST(filter_url_regex_line_stages)
{
    collect c;
    const char *y = "stages:\n  - url_filter:\n      domains: [bad.example]\n      banned_words: [casino]\n"
                    "      soft_words: [free, win, bonus]\n      banned_subwords: [xxx]\n";
    run_yaml(y, "text", "https://www.bad.example/page", &c);
    CHECK_STR_EQ(c.reason, "url_subdomain");
    run_yaml(y, "text", "http://BAD.example:8080/", &c);
    CHECK_STR_EQ(c.reason, "url_domain");
    run_yaml(y, "text", "https://notbad.example/", &c);
    CHECK(c.kept == 1);
    run_yaml(y, "text", "https://site.org/online-casino/", &c);
    CHECK_STR_EQ(c.reason, "url_hard_blacklisted");
    run_yaml(y, "text", "https://site.org/casinos", &c);   /* whole words only */
    CHECK(c.kept == 1);
    run_yaml(y, "text", "https://site.org/free-stuff", &c);  /* one soft word < 2 */
    CHECK(c.kept == 1);
    run_yaml(y, "text", "https://site.org/free-bonus", &c);
    CHECK_STR_EQ(c.reason, "url_soft_blacklisted");
    run_yaml(y, "text", "https://site.org/abcxxxdef", &c);
    CHECK_STR_EQ(c.reason, "url_blacklisted_subword");
    run_yaml("stages:\n  - line_filter: {patterns: ['^Share this', '(?i)all rights reserved']}\n",
             "Title\nShare this on Facebook\nBody text here.\n(c) 2024 ALL RIGHTS RESERVED", NULL, &c);
    CHECK(c.kept == 1);
    CHECK_STR_EQ(c.text, "Title\nBody text here.\n");
    run_yaml("stages:\n  - regex: {drop: ['\\bviagra\\b'], reason: spam}\n", "buy Viagra now", NULL, &c);
    CHECK(c.kept == 1);   /* case-sensitive unless the pattern says (?i) */
    run_yaml("stages:\n  - regex: {drop: ['(?i)\\bviagra\\b'], reason: spam}\n", "buy Viagra now", NULL, &c);
    CHECK_STR_EQ(c.reason, "spam");
    run_yaml("stages:\n  - regex: {keep: ['wikipedia\\.org'], field: metadata.url}\n", "x", "https://a.com/", &c);
    CHECK_STR_EQ(c.reason, "regex_no_keep");
    run_yaml("stages:\n  - pii: {}\n", "write to bob@example.com from 8.8.4.4", NULL, &c);
    CHECK_STR_EQ(c.text, "write to |||EMAIL_ADDRESS||| from |||IP_ADDRESS|||");
    CHECK(strstr(c.meta, "\"pii_email\":1") && strstr(c.meta, "\"pii_ip\":1"));
}

TEST(filter_unspaced_languages_skip_word_rules)
{
    /* A Japanese paragraph has a handful of space-separated "words": the
     * Gopher word-count rule would drop it; with metadata.language ja the
     * stage skips word rules. */
    collect c;
    const char *ja = "今日は天気がとても良いので、公園へ散歩に行きました。桜の花がきれいに咲いていて、多くの人が写真を撮っていました。";
    run_yaml("stages:\n  - langid: {languages: [ja]}\n  - gopher_quality: {}\n", ja, NULL, &c);
    CHECK(c.kept == 1);
    run_yaml("stages:\n  - langid: {languages: [ja]}\n  - gopher_quality: {skip_word_rules_for: []}\n", ja, NULL, &c);
    CHECK_STR_EQ(c.reason, "gopher_short_doc");
}

TEST(filter_fineweb_preset_keeps_chinese_and_japanese)
{
    /* Each line is a sentence ending in 。: the FineWeb stage list (word
     * rules skipped for zh/ja, Unicode line ends) keeps both documents; with
     * FineWeb's original ASCII-only line ends every line "lacks" terminal
     * punctuation and the document is dropped. */
    const char *zh = "今天早上我们去了城市北边的公园散步。\n"
                     "公园里有很多老人在打太极拳，孩子们在草地上跑来跑去。\n"
                     "湖边的柳树已经发芽了，看起来非常漂亮。\n"
                     "中午我们在附近的小饭馆吃了面条和饺子。\n"
                     "下午回家以后，大家都觉得很累，但是也很开心。";
    const char *ja = "今朝、私たちは町の北にある公園へ散歩に行きました。\n"
                     "公園では多くのお年寄りが体操をしていて、子供たちは芝生の上を走り回っていました。\n"
                     "池のそばの桜はもう咲き始めていて、とてもきれいでした。\n"
                     "昼ごはんは近くの小さな店でうどんを食べました。\n"
                     "家に帰ってから、みんな疲れていましたが、とても楽しい一日でした。";
    const char *stages = "stages:\n  - langid: {languages: [zh, ja]}\n  - gopher_repetition: {}\n"
                         "  - gopher_quality: {}\n  - c4: {}\n  - fineweb: {}\n";
    const char *ascii = "stages:\n  - langid: {languages: [zh, ja]}\n  - fineweb: {unicode_line_ends: false}\n";
    collect c;
    CHECK(run_yaml(stages, zh, NULL, &c) == 0);
    CHECK_MSG(c.kept == 1, "zh dropped: %s", c.reason);
    CHECK(run_yaml(stages, ja, NULL, &c) == 0);
    CHECK_MSG(c.kept == 1, "ja dropped: %s", c.reason);
    CHECK(run_yaml(ascii, zh, NULL, &c) == 0);
    CHECK_STR_EQ(c.reason, "line_punct_ratio");
}

TEST(filter_many_distinct_short_lines)
{
    /* 200,000 distinct 2..7-byte lines: more keys than the tables' initial
     * size hint (bytes/16), so they must grow. Every line is unique, so no
     * duplicate rule may fire. */
    sbuf b = SBUF_INIT;
    for (int i = 0; i < 200000; i++) sbuf_printf(&b, "%sl%d.", i ? "\n" : "", i);
    filter_scratch *s = filter_scratch_new();
    filter_gopher_repetition gr;
    filter_gopher_repetition_defaults(&gr);
    filter_verdict v = filter_gopher_repetition_check(&gr, b.data, b.len, 0, s);
    CHECK(v.reason == NULL);
    filter_fineweb fwp;
    filter_fineweb_defaults(&fwp);
    fwp.short_line_thr = 1.1;
    v = filter_fineweb_check(&fwp, b.data, b.len, 0, s);
    CHECK_MSG(v.reason == NULL, "%s", v.reason);
    filter_nemo np;
    nemo_open_all(&np);
    np.max_repeated_line_fraction = 1.0;   /* all lines unique: 1.0 is kept */
    np.max_words = 1000000;
    v = filter_nemo_check(&np, b.data, b.len, 1, s);
    CHECK_MSG(v.reason == NULL, "%s", v.reason);
    filter_scratch_free(s);
    sbuf_free(&b);
}

TEST(filter_icu_word_splitting_for_unspaced_languages)
{
    /* unspaced_words: icu splits Chinese into dictionary words (ICU), so
     * word-count and n-gram rules see words, not whole lines. */
    filter_scratch *probe = filter_scratch_new();
    int have_icu = filter_scratch_use_icu(probe, 1) == 0;
    filter_scratch_free(probe);
    if (!have_icu) test_skip("built without libicu-dev");
    const char *zh = "今天早上我们去了城市北边的公园散步。\n"
                     "公园里有很多老人在打太极拳，孩子们在草地上跑来跑去。\n"
                     "湖边的柳树已经发芽了，看起来非常漂亮。";
    collect c;
    CHECK(run_yaml("stages:\n  - langid: {languages: [zh]}\n"
                   "  - gopher_quality: {unspaced_words: icu, min_doc_words: 1000}\n", zh, NULL, &c) == 0);
    CHECK_STR_EQ(c.reason, "gopher_short_doc");
    /* 3 lines of 17-25 characters: ICU finds between 20 and 60 words (space splitting: 3) */
    const char *fv = strstr(c.meta, "\"filter_value\":");
    CHECK(fv != NULL);
    double words = fv ? atof(fv + 15) : 0;
    CHECK_MSG(words >= 20 && words <= 60, "ICU words: %g", words);
    /* A phrase repeated 8 times: the duplicated n-gram rule catches it with
     * ICU words; with word rules skipped only line rules apply (one line). */
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, "今天天气很好。");
    for (int i = 0; i < 8; i++) sbuf_puts(&b, "欢迎光临本店，全场商品一律八折优惠！");
    CHECK(run_yaml("stages:\n  - langid: {languages: [zh]}\n  - gopher_repetition: {unspaced_words: icu}\n", b.data, NULL,
                   &c) == 0);
    CHECK_MSG(c.dropped == 1 && !strncmp(c.reason, "top_", 4), "reason %s", c.reason);
    CHECK(run_yaml("stages:\n  - langid: {languages: [zh]}\n  - gopher_repetition: {}\n", b.data, NULL, &c) == 0);
    CHECK(c.kept == 1);
    sbuf_free(&b);
    CHECK(run_yaml("stages:\n  - fineweb: {unspaced_words: maybe}\n", zh, NULL, &c) == -1);
}

/* fastText language labels: lid.176 codes pass through (old CLD2-era codes
 * mapped), GlotLID's 639-3_Script labels map to 639-1 where ISO 639-1 has a
 * code (pairs from the ISO 639-2/3 code tables), else keep the 639-3 code. */
TEST(filter_fasttext_label_mapping)
{
    filter_lang r;
    filter_lang_from_label("en", 0.9, &r);
    CHECK(!strcmp(r.code, "en") && r.score == 0.9 && !r.script[0]);
    filter_lang_from_label("als", 0.5, &r);   /* lid.176: Alemannic, no 639-1 code: kept */
    CHECK(!strcmp(r.code, "als"));
    filter_lang_from_label("iw", 0.5, &r);
    CHECK(!strcmp(r.code, "he"));
    filter_lang_from_label("eng_Latn", 0.7, &r);
    CHECK(!strcmp(r.code, "en") && !strcmp(r.script, "Latn"));
    filter_lang_from_label("cmn_Hani", 0.7, &r);
    CHECK(!strcmp(r.code, "zh") && !strcmp(r.script, "Hani"));
    filter_lang_from_label("srp_Cyrl", 0.7, &r);
    CHECK(!strcmp(r.code, "sr") && !strcmp(r.script, "Cyrl"));
    filter_lang_from_label("als_Latn", 0.7, &r);  /* GlotLID: Tosk Albanian */
    CHECK(!strcmp(r.code, "sq"));
    filter_lang_from_label("yue_Hani", 0.7, &r);  /* Cantonese: no 639-1 code */
    CHECK(!strcmp(r.code, "yue") && !strcmp(r.script, "Hani"));
    filter_lang_from_label("", 0, &r);
    CHECK(!strcmp(r.code, "un"));
    const char *const(*t)[2];
    size_t n = filter_iso3_table(&t);
    CHECK(n > 150);
    for (size_t i = 1; i < n; i++) CHECK(strcmp(t[i - 1][0], t[i][0]) < 0);   /* bsearch needs order */
    for (size_t i = 0; i < n; i++) CHECK(strlen(t[i][0]) == 3 && strlen(t[i][1]) == 2);
}

/* test_rewrite.c: the synth stage's parsing and validation on crafted model
 * outputs, preprocessing by token counts, and task loading. */
#include "synth/rewrite.h"
#include "tests/test.h"

#include <ctype.h>

TEST(rewrite_parse_qa_pairs)
{
    const char *t = "Question: What is the capital of France?\nAnswer: Paris.\n\n"
                    "**Question 2:** Is water wet?\n**Answer:** Yes,\nin most senses.\n"
                    "Q: Which is larger, 3 or 5?\nA: 5\n"
                    "Question: dangling question without answer\n"
                    "Question: Last one?\nAnswer: Indeed.";
    rw_pair *p;
    size_t n = rw_parse_pairs(t, strlen(t), 0, &p);
    CHECK_INT_EQ(n, 4);
    CHECK_STR_EQ(p[0].q, "What is the capital of France?");
    CHECK_STR_EQ(p[0].a, "Paris.");
    CHECK_STR_EQ(p[1].q, "Is water wet?");
    CHECK_STR_EQ(p[1].a, "Yes,\nin most senses.");
    CHECK_STR_EQ(p[2].q, "Which is larger, 3 or 5?");
    CHECK_STR_EQ(p[2].a, "5");
    CHECK_STR_EQ(p[3].a, "Indeed.");
    rw_pairs_free(p, n);
    /* Not QA at all */
    n = rw_parse_pairs("Just some prose.\nNo labels.", 27, 0, &p);
    CHECK_INT_EQ(n, 0);
    rw_pairs_free(p, n);
    /* instruct pairs */
    const char *i = "Instruction: Sum 2 and 3.\nResponse: 5.\nInstruction: Say hi.\nResponse: Hi!";
    n = rw_parse_pairs(i, strlen(i), 1, &p);
    CHECK_INT_EQ(n, 2);
    CHECK_STR_EQ(p[1].a, "Hi!");
    rw_pairs_free(p, n);
}

TEST(rewrite_strip_bullets)
{
    const char *t = "- first fact\n* second fact\n\n\xe2\x80\xa2 third\n  12. numbered item\n(b) lettered\nplain line\n-nospace";
    sbuf b = SBUF_INIT;
    rw_strip_bullets(t, strlen(t), &b);
    CHECK_STR_EQ(b.data, "first fact\nsecond fact\nthird\nnumbered item\nlettered\nplain line\n-nospace");
    sbuf_free(&b);
}

TEST(rewrite_no_useful_content)
{
    CHECK(rw_no_useful_content("NO USEFUL CONTENT", 17));
    CHECK(rw_no_useful_content("  **NO USEFUL CONTENT.**\n", 25));
    CHECK(rw_no_useful_content("no useful content", 17));
    const char *t = "NO USEFUL CONTENT except this theorem: $a^2+b^2=c^2$";
    CHECK(!rw_no_useful_content(t, strlen(t)));
}

TEST(rewrite_validate_mcq)
{
    const char *why = NULL;
    const char *ok = "Question: 2+2?\nA) 3\nB) 4\nC) 5\nD) 6\nSolution: add.\nAnswer: B\n"
                     "Question: Largest prime below 10?\nA) 7\nB) 9\nC) 5\nAnswer: A";
    CHECK_INT_EQ(rw_validate_mcq(ok, strlen(ok), &why), 2);
    const char *two = "Question: 2+2?\nA) 3\nB) 4\nAnswer: B\nAnswer: A";
    CHECK_INT_EQ(rw_validate_mcq(two, strlen(two), &why), 0);
    CHECK_STR_EQ(why, "synth_mcq_not_one_answer");
    const char *none = "Question: 2+2?\nA) 3\nB) 4\nSolution: it is 4";
    CHECK_INT_EQ(rw_validate_mcq(none, strlen(none), &why), 0);
    CHECK_STR_EQ(why, "synth_mcq_not_one_answer");
    const char *off = "Question: 2+2?\nA) 3\nB) 4\nAnswer: D";
    CHECK_INT_EQ(rw_validate_mcq(off, strlen(off), &why), 0);
    CHECK_STR_EQ(why, "synth_mcq_answer_not_an_option");
    const char *noq = "A) 3\nB) 4\nAnswer: A";
    CHECK_INT_EQ(rw_validate_mcq(noq, strlen(noq), &why), 0);
    CHECK_STR_EQ(why, "synth_mcq_no_question");
}

/* whitespace-separated words as "tokens" */
static int words(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    int w = 0, in = 0;
    for (size_t i = 0; i < n; i++) {
        int sp = isspace((unsigned char)s[i]);
        if (!sp && !in) w++;
        in = !sp;
    }
    return w;
}

TEST(rewrite_segment_by_tokens)
{
    /* lines of 3, 4, 20 (too long), 2, 2, 1 words; budget 8, minimum 3 */
    const char *t = "a b c\nd e f g\n" "w w w w w w w w w w w w w w w w w w w w\n" "h i\nj k\n\nl\n";
    rw_chunk *c;
    size_t dl = 0, ds = 0;
    size_t n = rw_segment(t, strlen(t), words, NULL, 3, 8, &c, &dl, &ds);
    CHECK_INT_EQ(n, 2);
    CHECK_INT_EQ(dl, 1);
    CHECK_INT_EQ(ds, 0);
    CHECK_INT_EQ(c[0].tokens, 7);
    CHECK_MEM_EQ(t + c[0].start, c[0].len, "a b c\nd e f g\n", 14);
    CHECK_INT_EQ(c[1].tokens, 5);
    CHECK(strncmp(t + c[1].start, "h i\nj k\n\nl\n", c[1].len) == 0);
    free(c);
    /* everything too short */
    n = rw_segment("x y\n", 4, words, NULL, 3, 8, &c, &dl, &ds);
    CHECK_INT_EQ(n, 0);
    CHECK_INT_EQ(ds, 1);
    free(c);
}

static rw_task mktask(rw_kind k, const char *prefix, int append)
{
    rw_task t;
    memset(&t, 0, sizeof t);
    t.name = "t";
    t.kind = k;
    t.min_output_tokens = 3;
    t.max_output_tokens = 100;
    t.required_prefix = (char *)prefix;
    t.append = append;
    t.max_pairs = 8;
    return t;
}

TEST(rewrite_postprocess_validation)
{
    sbuf r = SBUF_INIT;
    rw_task qa = mktask(RW_QA, "Question", 1);
    const char *ans = "Question: A?\nAnswer: B.\nQuestion: C?\nAnswer: D.";
    /* a short document keeps one pair, appended to the source */
    CHECK(rw_postprocess(&qa, "Source text.\n", 13, ans, strlen(ans), 10, 50, 1, &r) == NULL);
    CHECK_STR_EQ(r.data, "Source text.\n\nQuestion: A?\nAnswer: B.");
    /* a long document can keep both; the count is seeded and within bounds */
    int seen2 = 0;
    for (uint64_t s = 0; s < 40; s++) {
        CHECK(rw_postprocess(&qa, "S", 1, ans, strlen(ans), 10, 1000, s, &r) == NULL);
        if (strstr(r.data, "C?")) seen2 = 1;
    }
    CHECK(seen2);
    CHECK_STR_EQ(rw_postprocess(&qa, "S", 1, "Here are questions:\nQuestion: A?\nAnswer: B", 42, 10, 50, 1, &r),
                 "synth_missing_prefix");
    CHECK_STR_EQ(rw_postprocess(&qa, "S", 1, "Question: no answer here", 24, 10, 50, 1, &r), "synth_parse_failed");
    CHECK_STR_EQ(rw_postprocess(&qa, "S", 1, ans, strlen(ans), 2, 50, 1, &r), "synth_too_short");
    CHECK_STR_EQ(rw_postprocess(&qa, "S", 1, ans, strlen(ans), 100, 50, 1, &r), "synth_truncated");
    CHECK_STR_EQ(rw_postprocess(&qa, "S", 1, "", 0, 0, 50, 1, &r), "synth_empty");
    rw_task math = mktask(RW_MATH_CLEANUP, NULL, 0);
    CHECK_STR_EQ(rw_postprocess(&math, "S", 1, "NO USEFUL CONTENT", 17, 4, 50, 1, &r), "synth_no_useful_content");
    CHECK(rw_postprocess(&math, "S", 1, " The sum $a+b$ is. ", 19, 6, 50, 1, &r) == NULL);
    CHECK_STR_EQ(r.data, "The sum $a+b$ is.");
    rw_task list = mktask(RW_BULLETS, NULL, 0);
    CHECK(rw_postprocess(&list, "S", 1, "- a fact\n- another", 18, 5, 50, 1, &r) == NULL);
    CHECK_STR_EQ(r.data, "a fact\nanother");
    rw_task mcq = mktask(RW_MCQ, "Question", 0);
    CHECK_STR_EQ(rw_postprocess(&mcq, "S", 1, "Question: x?\nA) 1\nB) 2\nAnswer: E", 33, 12, 50, 1, &r),
                 "synth_mcq_answer_not_an_option");
    sbuf_free(&r);
}

TEST(rewrite_tasks_load)
{
    const char *names[] = {"diverse_qa", "distill", "extract_knowledge", "knowledge_list", "wiki_rephrase",
                           "translate_qa", "code_qa", "math_cleanup", "stem_mcq", "instruct"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[256];
        snprintf(path, sizeof path, "configs/synth/%s.yaml", names[i]);
        rw_task t;
        cd_err e;
        CHECK_MSG(rw_task_load(path, &t, &e) == 0, "%s: %s", path, e.msg);
        CHECK_STR_EQ(t.name, names[i]);
        CHECK(strlen(t.version) == 16);
        rw_task_free(&t);
    }
    rw_task t;
    cd_err e;
    CHECK(rw_task_load("configs/synth/diverse_qa.yaml", &t, &e) == 0);
    CHECK_INT_EQ(t.min_doc_tokens, 30);
    CHECK_INT_EQ(t.max_input_tokens, 1000);
    CHECK_INT_EQ(t.max_output_tokens, 600);
    sbuf r = SBUF_INIT;
    rw_task_render(&t, "DOC", 3, NULL, &r);
    CHECK(strstr(r.data, "Text:\nDOC") != NULL);
    sbuf_free(&r);
    rw_task_free(&t);
}

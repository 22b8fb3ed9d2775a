/* test_extract.c: the extractor's text layout (from the rules),
 * boilerplate removal, metadata, math splicing, and hostile input. */
#include "extract/extract.h"
#include "tests/test.h"

#include <sys/resource.h>

static char *run(const char *html, extract_mode mode, extract_result *r)
{
    extract_opts o;
    extract_opts_default(&o);
    o.mode = mode;
    extract_ctx *c = extract_ctx_new();
    extract_html(c, html, strlen(html), &o, r, NULL);
    extract_ctx_free(c);
    return r->text.data ? r->text.data : "";
}

/* A page whose main content is clearly the article, plus boilerplate. */
#define ARTICLE_PARAS                                                                                        \
    "<p>The committee met on Tuesday to discuss the new budget, which has been under review for months, "   \
    "and agreed on a plan to fund the library, the parks and the schools.</p>"                             \
    "<p>Members said the decision, reached after a long debate, reflects what residents asked for in the " \
    "public hearings held last spring, when hundreds of people spoke.</p>"                                 \
    "<p>The plan now goes to the council, which is expected to vote on it next month, according to the "  \
    "chair of the committee, who spoke to reporters after the meeting.</p>"

static const char *PAGE =
    "<!DOCTYPE html><html lang=\"en-GB\"><head><title>  Budget   news | Example </title>"
    "<script>var x = '<p>not text</p>';</script><style>p{color:red}</style></head><body>"
    "<header><nav><a href=/>Home</a> <a href=/news>News</a> <a href=/sport>Sport</a></nav></header>"
    "<div id=cookie-banner>We use cookies to improve your experience. Accept all cookies?</div>"
    "<div class=main><article><h1>Budget approved</h1>" ARTICLE_PARAS
    "<div class=share-tools><a href='http://fb'>Share on Facebook</a> <a href='http://tw'>Tweet this</a></div>"
    "</article>"
    "<aside class=sidebar><h3>Most read</h3><ul><li><a href=/a>Story one about something</a></li>"
    "<li><a href=/b>Story two about other things</a></li></ul></aside>"
    "<div id=comments class=comment-list><p>Great article, thanks for writing it, I really enjoyed reading "
    "it and will share it with my friends and family.</p></div></div>"
    "<footer><p>Copyright 2024 Example News. All rights reserved. Contact us at the address below.</p></footer>"
    "</body></html>";

TEST(extract_main_content_without_boilerplate)
{
    extract_result r = {0};
    const char *t = run(PAGE, EXTRACT_PRECISION, &r);
    CHECK(strstr(t, "The committee met on Tuesday") != NULL);
    CHECK(strstr(t, "The plan now goes to the council") != NULL);
    CHECK_MSG(!strstr(t, "Home"), "nav kept: %s", t);
    CHECK_MSG(!strstr(t, "cookies"), "cookie banner kept: %s", t);
    CHECK_MSG(!strstr(t, "Facebook"), "share widget kept: %s", t);
    CHECK_MSG(!strstr(t, "Story one"), "sidebar kept: %s", t);
    CHECK_MSG(!strstr(t, "Great article"), "comments kept: %s", t);
    CHECK_MSG(!strstr(t, "Copyright"), "footer kept: %s", t);
    CHECK_MSG(!strstr(t, "not text") && !strstr(t, "color"), "script/style kept: %s", t);
    /* paragraphs are separated by one blank line */
    CHECK(strstr(t, "the schools.\n\nMembers said") != NULL);
    CHECK_STR_EQ(r.title.data, "Budget news | Example");
    CHECK_STR_EQ(r.lang.data, "en-GB");
    extract_result_free(&r);
}

TEST(extract_full_mode_keeps_all_visible_text)
{
    extract_result r = {0};
    const char *t = run(PAGE, EXTRACT_FULL, &r);
    CHECK(strstr(t, "Home") != NULL);
    CHECK(strstr(t, "Story one") != NULL);
    CHECK(strstr(t, "Copyright") != NULL);
    CHECK(strstr(t, "The committee met") != NULL);
    CHECK(!strstr(t, "not text"));
    extract_result_free(&r);
}

TEST(extract_recall_keeps_at_least_precision)
{
    extract_result a = {0}, b = {0};
    run(PAGE, EXTRACT_PRECISION, &a);
    run(PAGE, EXTRACT_RECALL, &b);
    CHECK(b.text.len >= a.text.len);
    CHECK(strstr(b.text.data, "The committee met") != NULL);
    extract_result_free(&a);
    extract_result_free(&b);
}

TEST(extract_structure_lists_tables_pre_br_links)
{
    const char *html =
        "<html><body><div><h2>Results of the survey</h2>" ARTICLE_PARAS
        "<ul><li>first item</li><li>second <b>bold</b> item</li></ul>"
        "<table><tr><th>Name</th><th>Score</th></tr><tr><td>Ann</td><td>12</td></tr></table>"
        "<pre>int main(void)\n{\n    if (x)\n\treturn $y;\n}</pre>"
        "<p>line one<br>line two</p>"
        "<p>See <a href=\"https://example.org/report\">the full report</a> for details.</p>"
        "</div></body></html>";
    extract_result r = {0};
    const char *t = run(html, EXTRACT_RECALL, &r);
    CHECK_MSG(strstr(t, "\n\nResults of the survey\n\n") || !strncmp(t, "Results of the survey\n\n", 23),
              "heading not its own paragraph: %s", t);
    CHECK_MSG(strstr(t, "- first item\n- second bold item") != NULL, "list: %s", t);
    CHECK_MSG(strstr(t, "Name | Score\nAnn | 12") != NULL, "table: %s", t);
    CHECK_MSG(strstr(t, "int main(void)\n{\n    if (x)\n\treturn $y;\n}") != NULL, "pre: %s", t);
    CHECK_MSG(strstr(t, "line one\nline two") != NULL, "br: %s", t);
    CHECK_MSG(strstr(t, "See the full report for details.") != NULL, "link: %s", t);
    CHECK(!strstr(t, "https://"));
    extract_result_free(&r);
}

TEST(extract_entities_and_whitespace)
{
    const char *html = "<html><body><div>" ARTICLE_PARAS
                       "<p>  caf&eacute;   &amp;\n\n  cr&#232;me &lt;b&gt; </p></div></body></html>";
    extract_result r = {0};
    const char *t = run(html, EXTRACT_RECALL, &r);
    CHECK_MSG(strstr(t, "caf\xc3\xa9 & cr\xc3\xa8me <b>") != NULL, "got: %s", t);
    extract_result_free(&r);
}

TEST(extract_math_spliced_in_place)
{
    /* MathJax's TeX script and a MathML element: mathnorm returns LaTeX,
     * which must appear between the surrounding words. */
    const char *html = "<html><body><div>" ARTICLE_PARAS
                       "<p>Let <script type=\"math/tex\">x^2</script> be the square.</p>"
                       "</div></body></html>";
    extract_result r = {0};
    const char *t = run(html, EXTRACT_PRECISION, &r);
    const char *a = strstr(t, "Let ");
    CHECK_MSG(a != NULL, "got: %s", t);
    const char *m = strstr(t, "x^2");
    const char *b = strstr(t, " be the square.");
    CHECK_MSG(m && b && a < m && m < b, "math not in place: %s", t);
    CHECK_MSG(m[-1] == '$' && m[3] == '$', "math not delimited: %s", t);
    extract_result_free(&r);
}

TEST(extract_title_fallback_og)
{
    const char *html = "<html><head><meta property=\"og:title\" content=\"From OG\"></head><body>"
                       "<p>x</p></body></html>";
    extract_result r = {0};
    run(html, EXTRACT_FULL, &r);
    CHECK_STR_EQ(r.title.data, "From OG");
    extract_result_free(&r);
}

/* ------------------------------------------------------------ hostile */

static int valid_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t k = utf8_valid_len((const unsigned char *)s + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

static long maxrss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

#if defined(__SANITIZE_ADDRESS__)
#define RSS_LIMIT_MB 0
#else
#define RSS_LIMIT_MB 1500
#endif

static void hostile(const char *html, size_t n, size_t max_bytes, extract_mode mode)
{
    extract_opts o;
    extract_opts_default(&o);
    o.mode = mode;
    if (max_bytes) o.max_html_bytes = max_bytes;
    extract_ctx *c = extract_ctx_new();
    extract_result r = {0};
    CHECK(extract_html(c, html, n, &o, &r, NULL) == 0);
    CHECK(r.text.len <= n);
    CHECK(valid_utf8(r.text.data ? r.text.data : "", r.text.len));
    if (RSS_LIMIT_MB) CHECK_MSG(maxrss_mb() < RSS_LIMIT_MB, "peak RSS %ld MB", maxrss_mb());
    extract_result_free(&r);
    extract_ctx_free(c);
}

static char *repeat(const char *unit, size_t times, const char *tail, size_t *len)
{
    size_t u = strlen(unit), t = strlen(tail);
    char *s = xmalloc(u * times + t + 1);
    for (size_t i = 0; i < times; i++) memcpy(s + i * u, unit, u);
    memcpy(s + u * times, tail, t + 1);
    *len = u * times + t;
    return s;
}

TEST(extract_hostile_deep_nesting)
{
    static const char *units[] = {"<div>", "<b>", "<table><tr><td>", "<ul><li>", "<p><a>x</a>", "<span>"};
    for (size_t k = 0; k < sizeof units / sizeof *units; k++) {
        size_t n;
        char *s = repeat(units[k], 100000, "deep text here", &n);
        hostile(s, n, 0, EXTRACT_PRECISION);
        hostile(s, n, 0, EXTRACT_FULL);
        free(s);
    }
}

TEST(extract_hostile_huge_text_node)
{
    size_t n = (size_t)50 << 20;
    char *s = xmalloc(n + 1);
    memcpy(s, "<html><body><p>", 15);
    for (size_t i = 15; i < n; i++) s[i] = (char)('a' + (i % 7 == 0 ? 0 : i % 26));
    for (size_t i = 15; i < n; i += 9) s[i] = ' ';
    s[n] = 0;
    hostile(s, n, 0, EXTRACT_PRECISION);          /* default cap */
    hostile(s, n, (size_t)64 << 20, EXTRACT_FULL); /* whole input to libxml2 */
    free(s);
}

TEST(extract_hostile_huge_attributes)
{
    size_t n = (size_t)10 << 20;
    char *s = xmalloc(n + 200);
    size_t k = 0;
    k += (size_t)sprintf(s, "<html><body><div class=\"");
    for (size_t i = 0; i < n; i++) s[k++] = (char)('a' + i % 26);
    k += (size_t)sprintf(s + k, "\" id=x><p>after the attribute</p></div></body></html>");
    hostile(s, k, 0, EXTRACT_PRECISION);
    hostile(s, k, (size_t)64 << 20, EXTRACT_RECALL);
    free(s);
}

TEST(extract_hostile_nul_and_invalid_utf8)
{
    static const char html[] = "<html><body><p>before\0after \xff\xfe\xc3 broken \xed\xa0\x80 surrogate "
                               "\xf4\x90\x80\x80 high, and the rest of the paragraph is ordinary text "
                               "that goes on for a while.</p></body></html>";
    size_t n = sizeof html - 1;
    hostile(html, n, 0, EXTRACT_PRECISION);
    hostile(html, n, 0, EXTRACT_FULL);
    extract_opts o;
    extract_opts_default(&o);
    o.mode = EXTRACT_FULL;
    extract_ctx *c = extract_ctx_new();
    extract_result r = {0};
    extract_html(c, html, n, &o, &r, NULL);
    /* text after the NUL byte survives */
    CHECK_MSG(r.text.data && strstr(r.text.data, "after"), "got: %s", r.text.data ? r.text.data : "");
    extract_result_free(&r);
    extract_ctx_free(c);
}

TEST(extract_hostile_plaintext_and_unclosed)
{
    const char *cases[] = {
        "<html><body><p>visible</p><plaintext><p>not a tag</p></body></html>",
        "<html><body><p>visible</p><!-- never closed <p>hidden</p>",
        "<html><body><p>visible<script>never closed",
        "<html><body><p>visible<style>never closed",
        "<html><body><p>visible<textarea>never closed",
        "<html><body><p>visible<title>never closed",
        "<html><body><![CDATA[ x <p>y",
        "<<<<>>>>&&&&;;;;<!<!--<?xml?><!DOCTYPE",
        "",
        "<",
        "\xef\xbb\xbf<html>",
        "<meta charset=\"utf-16\"><p>x</p>",
        "<meta charset=\"no-such-charset\"><p>x</p>",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        hostile(cases[i], strlen(cases[i]), 0, EXTRACT_PRECISION);
        hostile(cases[i], strlen(cases[i]), 0, EXTRACT_FULL);
    }
    extract_result r = {0};
    const char *t = run(cases[0], EXTRACT_FULL, &r);
    CHECK_MSG(strstr(t, "visible") != NULL, "got: %s", t);
    extract_result_free(&r);
}

TEST(extract_charset_from_meta_and_transport)
{
    const char *html = "<html><head><meta charset=\"iso-8859-1\"></head><body><p>caf\xe9</p></body></html>";
    extract_result r = {0};
    const char *t = run(html, EXTRACT_FULL, &r);
    CHECK_MSG(strstr(t, "caf\xc3\xa9") != NULL, "got: %s", t);
    extract_result_free(&r);
    extract_opts o;
    extract_opts_default(&o);
    o.mode = EXTRACT_FULL;
    o.encoding = "windows-1252";
    const char *h2 = "<html><body><p>\x93quoted\x94</p></body></html>";
    extract_ctx *c = extract_ctx_new();
    extract_html(c, h2, strlen(h2), &o, &r, NULL);
    CHECK_MSG(r.text.data && strstr(r.text.data, "\xe2\x80\x9cquoted\xe2\x80\x9d"), "got: %s",
              r.text.data ? r.text.data : "");
    extract_result_free(&r);
    extract_ctx_free(c);
}

TEST(extract_unknown_transport_charset_ignored)
{
    extract_opts o;
    extract_opts_default(&o);
    o.mode = EXTRACT_FULL;
    o.encoding = "x-no-such-charset";
    const char *h = "<html><body><p>plain text</p></body></html>";
    extract_ctx *c = extract_ctx_new();
    extract_result r = {0};
    extract_html(c, h, strlen(h), &o, &r, NULL);
    CHECK_MSG(r.text.data && !strcmp(r.text.data, "plain text"), "got: %s", r.text.data ? r.text.data : "");
    extract_result_free(&r);
    extract_ctx_free(c);
}

/* The page reaches libxml2 without <style> text and without the text of
 * scripts mathnorm does not read; "<script" where libxml2 sees no script
 * (an attribute value, a comment, a self-closed tag) must not hide the
 * text that follows, and a MathJax configuration script still counts. */
TEST(extract_raw_text_dropping_follows_the_tokenizer)
{
    static const char *P =
        "<html><head><script type=\"text/x-mathjax-config\">MathJax.Hub.Config({tex2jax: {inlineMath: "
        "[['%%','%%']]}});</script><style>.a{color:red}</style></head><body>"
        "<p title=\"<script>\">First paragraph stays.</p>"
        "<!-- <script> in a comment -->"
        "<p>Second paragraph stays.</p>"
        "<script src=\"x.js\"/>"
        "<p>Third paragraph stays.</p>"
        "<SCRIPT type=text/javascript>var s = \"</p><p>hidden words\";</SCRIPT>"
        "<p>Energy is %%E=mc^2%% here.</p>"
        "<p>Fourth paragraph </script> stays.</p></body></html>";
    extract_result r = {0};
    const char *t = run(P, EXTRACT_FULL, &r);
    CHECK_MSG(strstr(t, "First paragraph stays.") != NULL, "%s", t);
    CHECK_MSG(strstr(t, "Second paragraph stays.") != NULL, "%s", t);
    CHECK_MSG(strstr(t, "Third paragraph stays.") != NULL, "%s", t);
    CHECK_MSG(strstr(t, "Fourth paragraph stays.") != NULL, "%s", t);
    CHECK_MSG(!strstr(t, "hidden words") && !strstr(t, "color"), "script/style text kept: %s", t);
    CHECK_MSG(strstr(t, "$E=mc^2$") != NULL, "MathJax configuration lost: %s", t);
    extract_result_free(&r);
}

/* Asking mathnorm about an element and undoing the separators it did not
 * need used to leave a NUL byte in the text after a <pre> ending in
 * spaces (found on Debian's FAQ pages). */
TEST(extract_no_nul_after_pre_with_trailing_spaces)
{
    static const char *P =
        "<html><body><div><p>Some text before the code block, long enough to be content for sure, with "
        "commas, yes.</p>\n<PRE>\nRuntime error 201\n  $0000206D\n            </PRE>\n\n<p> The 201 in this "
        "case indicates the runtime error, which is the point of this paragraph here.</p></div></body></html>";
    for (int m = 0; m < 3; m++) {
        extract_result r = {0};
        run(P, (extract_mode)m, &r);
        CHECK(r.text.len > 0);
        CHECK_MSG(memchr(r.text.data, 0, r.text.len) == NULL, "NUL in text, mode %d", m);
        CHECK_MSG(strstr(r.text.data, "$0000206D\n\nThe 201") != NULL, "mode %d: %s", m, r.text.data);
        extract_result_free(&r);
    }
}

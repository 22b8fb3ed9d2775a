/* test_mathnorm_hostile.c: bad input comes back in bounded time and memory
 * (issue #5): 10k-level nesting, a huge mtable, invalid entities, a 1 MB
 * LaTeX alt text, and text with thousands of unclosed delimiters. Content
 * is never dropped silently: what is cut or flattened is counted. */
#include <libxml/HTMLparser.h>
#include <string.h>

#include "mathnorm/mathnorm.h"
#include "tests/test.h"

static char *repeat(const char *pre, const char *unit, size_t n, const char *mid, const char *unit2, const char *post)
{
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, pre);
    for (size_t i = 0; i < n; i++) sbuf_puts(&b, unit);
    sbuf_puts(&b, mid);
    for (size_t i = 0; i < n; i++) sbuf_puts(&b, unit2);
    sbuf_puts(&b, post);
    return sbuf_detach(&b, NULL);
}

TEST(mathnorm_hostile_deep_mathml_text)
{
    char *x = repeat("<math>", "<mrow>", 10000, "<mi>q</mi>", "</mrow>", "</math>");
    sbuf out = SBUF_INIT;
    mathnorm_stats st = {0};
    cd_err e;
    int rc = mathnorm_mathml_to_latex_stats(x, strlen(x), &out, &st, &e);
    /* either converted (the identifier kept, depth counted) or refused as
     * not MathML; never a crash or a stack overflow */
    CHECK_INT_EQ(rc, 0);
    CHECK_MSG(out.data && strchr(out.data, 'q'), "content lost: %.80s", out.data ? out.data : "");
    CHECK(st.depth_limited >= 1);
    sbuf_free(&out);
    free(x);
    x = repeat("<math>", "<msqrt>", 10000, "<mi>q</mi>", "</msqrt>", "</math>");
    rc = mathnorm_mathml_to_latex_stats(x, strlen(x), &out, &st, &e);
    CHECK_INT_EQ(rc, 0);
    CHECK(out.data && strchr(out.data, 'q'));
    sbuf_free(&out);
    free(x);
}

TEST(mathnorm_hostile_deep_mathml_dom)
{
    /* libxml2's parsers stop at 256 levels, but a caller's DOM can be
     * deeper: build 10k levels by hand and let the converter walk them */
    xmlDoc *d = xmlNewDoc((const xmlChar *)"1.0");
    xmlNode *math = xmlNewNode(NULL, (const xmlChar *)"math");
    xmlDocSetRootElement(d, math);
    xmlNode *cur = math;
    for (int i = 0; i < 10000; i++) cur = xmlNewChild(cur, NULL, (const xmlChar *)(i % 2 ? "mrow" : "msqrt"), NULL);
    xmlNewTextChild(cur, NULL, (const xmlChar *)"mi", (const xmlChar *)"q");
    mathnorm_page *pg = mathnorm_page_new(d);
    sbuf out = SBUF_INIT;
    CHECK_INT_EQ(mathnorm_node(pg, math, &out), 1);
    CHECK_MSG(out.data && strchr(out.data, 'q') != NULL, "the identifier under 10k levels was dropped");
    CHECK(mathnorm_page_stats(pg)->depth_limited >= 1);
    sbuf_free(&out);
    mathnorm_page_free(pg);
    xmlFreeDoc(d);
}

TEST(mathnorm_hostile_huge_mtable)
{
    const size_t rows = 300, cols = 300;
    sbuf x = SBUF_INIT;
    sbuf_puts(&x, "<math><mrow><mo>(</mo><mtable>");
    for (size_t r = 0; r < rows; r++) {
        sbuf_puts(&x, "<mtr>");
        for (size_t c = 0; c < cols; c++) sbuf_puts(&x, "<mtd><mn>1</mn></mtd>");
        sbuf_puts(&x, "</mtr>");
    }
    sbuf_puts(&x, "</mtable><mo>)</mo></mrow></math>");
    sbuf out = SBUF_INIT;
    cd_err e;
    CHECK_INT_EQ(mathnorm_mathml_to_latex(x.data, x.len, &out, &e), 0);
    size_t amp = 0, rowsep = 0;
    for (size_t i = 0; i + 1 < out.len; i++) {
        if (out.data[i] == '&') amp++;
        if (out.data[i] == '\\' && out.data[i + 1] == '\\') rowsep++, i++;
    }
    CHECK_INT_EQ(amp, rows * (cols - 1));
    CHECK_INT_EQ(rowsep, rows - 1);
    CHECK(strncmp(out.data, "\\begin{pmatrix}", 15) == 0);
    sbuf_free(&out);
    sbuf_free(&x);
}

TEST(mathnorm_hostile_invalid_entities)
{
    const char *cases[] = {
        "<math><mi>&bogus;</mi><mi>x</mi></math>",
        "<math><mi>&#xFFFFFFFF;</mi><mi>x</mi></math>",
        "<math><mi>&#0;</mi><mi>x</mi></math>",
        "<math><mi>& </mi><mi>x</mi></math>",
        "<math><mi>&#xD800;</mi><mi>x</mi></math>",
        "<math><mi>&alpha</mi><mi>x</mi></math>",
        "<math><mi>\xff\xfe</mi><mi>x</mi></math>",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sbuf out = SBUF_INIT;
        cd_err e;
        int rc = mathnorm_mathml_to_latex(cases[i], strlen(cases[i]), &out, &e);
        CHECK_MSG(rc == 0 && strchr(out.data, 'x'), "case %zu: rc %d out %s", i, rc, out.data ? out.data : "");
        sbuf_free(&out);
    }
    /* an unknown named entity is kept visibly, not dropped */
    sbuf out = SBUF_INIT;
    cd_err e;
    const char *x = "<math><mi>&bogus;</mi></math>";
    CHECK_INT_EQ(mathnorm_mathml_to_latex(x, strlen(x), &out, &e), 0);
    CHECK_MSG(strstr(out.data, "bogus") != NULL, "got %s", out.data);
    sbuf_free(&out);
}

TEST(mathnorm_hostile_huge_alt_text)
{
    const size_t big = 1000000;   /* 1 MB of LaTeX in an alt attribute */
    sbuf h = SBUF_INIT;
    sbuf_puts(&h, "<html><body><p>a <img class=\"latex\" alt=\"");
    for (size_t i = 0; i < big / 4; i++) sbuf_puts(&h, "x+1=");
    sbuf_puts(&h, "\" src=\"https://s0.wp.com/latex.php?latex=x\"> b</p></body></html>");
    htmlDocPtr d = htmlReadMemory(h.data, (int)h.len, "big.html", "UTF-8",
                                  HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
    CHECK(d != NULL);
    xmlNode *n = xmlDocGetRootElement(d);
    while (n && !(n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, "img")))
        n = n->children ? n->children : n->next;
    CHECK(n != NULL);
    mathnorm_page *pg = mathnorm_page_new(d);
    sbuf out = SBUF_INIT;
    CHECK_INT_EQ(mathnorm_node(pg, n, &out), 1);
    CHECK(out.len >= big && out.len <= big + 8);
    CHECK(out.data[0] == '$');
    sbuf_free(&out);
    /* over the 1 MiB bound: cut and counted */
    sbuf t = SBUF_INIT;
    for (size_t i = 0; i < 2 * big / 4; i++) sbuf_puts(&t, "y+1=");
    sbuf wrapped = SBUF_INIT;
    sbuf_puts(&wrapped, "$$");
    sbuf_append(&wrapped, t.data, t.len);
    sbuf_puts(&wrapped, "$$");
    mathnorm_text(pg, wrapped.data, wrapped.len, &out);
    CHECK(out.len <= (1u << 20) + 8);
    CHECK(mathnorm_page_stats(pg)->oversized >= 1);
    sbuf_free(&out);
    sbuf_free(&t);
    sbuf_free(&wrapped);
    mathnorm_page_free(pg);
    xmlFreeDoc(d);
    sbuf_free(&h);
}

TEST(mathnorm_hostile_unclosed_delimiters)
{
    /* 200k unclosed openers of every kind: linear, every byte kept */
    sbuf t = SBUF_INIT;
    for (int i = 0; i < 40000; i++) sbuf_puts(&t, "\\( \\[ \\begin{align} <math> $5 ");
    mathnorm_page *pg = mathnorm_page_new(NULL);
    sbuf out = SBUF_INIT;
    mathnorm_text(pg, t.data, t.len, &out);
    CHECK(out.len >= t.len);   /* dollars gain a backslash, nothing is lost */
    CHECK_INT_EQ(mathnorm_page_stats(pg)->formulas, 0);
    sbuf_free(&out);
    sbuf_free(&t);
    mathnorm_page_free(pg);
    /* AsciiMath: deep brackets and many bars */
    sbuf a = SBUF_INIT;
    for (int i = 0; i < 100000; i++) sbuf_puts(&a, "(|");
    sbuf_reset(&out);
    mathnorm_asciimath_to_latex(a.data, a.len, &out, NULL);
    CHECK(out.len > 0);
    sbuf_free(&out);
    sbuf_free(&a);
    /* nested would-be matrices with mismatched rows: no exponential backtracking */
    sbuf m = SBUF_INIT;
    for (int i = 0; i < 60; i++) sbuf_puts(&m, "((a,b),(c,");
    for (int i = 0; i < 60; i++) sbuf_puts(&m, "d,e)))");
    sbuf out2 = SBUF_INIT;
    mathnorm_asciimath_to_latex(m.data, m.len, &out2, NULL);
    CHECK(out2.len > 0);
    sbuf_free(&out2);
    sbuf_free(&m);
}

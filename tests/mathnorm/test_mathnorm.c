/* test_mathnorm.c: the MathML converter, AsciiMath, the page forms and the
 * text delimiters. Expected LaTeX is what the MathML / AsciiMath / MathJax
 * specifications say the input means (written by hand from the specs), not
 * output pasted back. */
#include <libxml/HTMLparser.h>
#include <string.h>

#include "core/doc.h"
#include "mathnorm/mathnorm.h"
#include "mathnorm/mathnorm_internal.h"
#include "tests/test.h"

static char *mml(const char *xml)
{
    sbuf out = SBUF_INIT;
    cd_err e;
    if (mathnorm_mathml_to_latex(xml, strlen(xml), &out, &e) != 0) {
        sbuf_free(&out);
        return NULL;
    }
    return sbuf_detach(&out, NULL);
}

#define CHECK_MML(xml, want)                         \
    do {                                             \
        char *got_ = mml(xml);                       \
        CHECK_STR_EQ(got_, want);                    \
        free(got_);                                  \
    } while (0)

TEST(mathnorm_symbol_table_sorted)
{
    size_t n;
    const mathnorm_sym *t = mathnorm_symbol_table(&n);
    for (size_t i = 1; i < n; i++) CHECK_MSG(t[i - 1].cp < t[i].cp, "entry %zu out of order", i);
    CHECK_STR_EQ(mathnorm_symbol(0x3B1), "\\alpha");
    CHECK_STR_EQ(mathnorm_symbol(0x2211), "\\sum");
    CHECK_STR_EQ(mathnorm_symbol(0x2264), "\\leq");
    CHECK(mathnorm_symbol(0x41) == NULL);
}

TEST(mathnorm_mathml_basic)
{
    CHECK_MML("<math><mfrac><mi>a</mi><mi>b</mi></mfrac></math>", "\\frac{a}{b}");
    CHECK_MML("<math><msqrt><mi>x</mi></msqrt></math>", "\\sqrt{x}");
    CHECK_MML("<math><mroot><mi>x</mi><mn>3</mn></mroot></math>", "\\sqrt[3]{x}");
    CHECK_MML("<math><msubsup><mi>x</mi><mi>i</mi><mn>2</mn></msubsup></math>", "x_{i}^{2}");
    CHECK_MML("<math><mi>&#x3B1;</mi><mo>&#x2264;</mo><mi>&#x3B2;</mi></math>", "\\alpha\\leq\\beta");
    CHECK_MML("<math><mi>&alpha;</mi><mi>x</mi></math>", "\\alpha x");
    CHECK_MML("<math><mtext>if x</mtext></math>", "\\text{if x}");
    /* namespace prefix */
    CHECK_MML("<m:math xmlns:m=\"http://www.w3.org/1998/Math/MathML\"><m:mi>y</m:mi></m:math>", "y");
    CHECK_MML("<mml:math><mml:msup><mml:mi>e</mml:mi><mml:mi>x</mml:mi></mml:msup></mml:math>", "e^{x}");
}

TEST(mathnorm_mathml_prefers_annotation_then_alttext)
{
    CHECK_MML("<math><semantics><mi>x</mi><annotation encoding=\"application/x-tex\">\\mathit{x}</annotation>"
              "</semantics></math>",
              "\\mathit{x}");
    CHECK_MML("<math alttext=\"a^2\"><msup><mi>a</mi><mn>2</mn></msup></math>", "a^2");
}

TEST(mathnorm_mathml_fences_and_tables)
{
    CHECK_MML("<math><mrow><mo>(</mo><mi>x</mi><mo>)</mo></mrow></math>", "\\left(x\\right)");
    CHECK_MML("<math><mrow><mo stretchy=\"false\">(</mo><mi>x</mi><mo stretchy=\"false\">)</mo></mrow></math>",
              "(x)");
    CHECK_MML("<math><mrow><mo>(</mo><mtable><mtr><mtd><mi>a</mi></mtd><mtd><mi>b</mi></mtd></mtr>"
              "<mtr><mtd><mi>c</mi></mtd><mtd><mi>d</mi></mtd></mtr></mtable><mo>)</mo></mrow></math>",
              "\\begin{pmatrix}a & b \\\\ c & d\\end{pmatrix}");
    CHECK_MML("<math><mrow><mo>[</mo><mtable><mtr><mtd><mn>1</mn></mtd></mtr></mtable><mo>]</mo></mrow></math>",
              "\\begin{bmatrix}1\\end{bmatrix}");
    CHECK_MML("<math><mrow><mo>{</mo><mtable columnalign=\"left left\"><mtr><mtd><mn>1</mn></mtd><mtd><mi>x</mi>"
              "</mtd></mtr></mtable></mrow></math>",
              "\\begin{cases}1 & x\\end{cases}");
    CHECK_MML("<math><mfenced><mi>a</mi><mi>b</mi></mfenced></math>", "\\left(a,b\\right)");
    CHECK_MML("<math><mrow><mo>(</mo><mfrac linethickness=\"0\"><mi>n</mi><mi>k</mi></mfrac><mo>)</mo></mrow></math>",
              "\\binom{n}{k}");
}

TEST(mathnorm_mathml_accents_limits_fonts)
{
    CHECK_MML("<math><mover accent=\"true\"><mi>x</mi><mo>^</mo></mover></math>", "\\hat{x}");
    CHECK_MML("<math><mover><mi>x</mi><mo>&#xAF;</mo></mover></math>", "\\bar{x}");
    CHECK_MML("<math><munderover><mo>&#x2211;</mo><mrow><mi>i</mi><mo>=</mo><mn>1</mn></mrow><mi>n</mi>"
              "</munderover></math>",
              "\\sum_{i=1}^{n}");
    CHECK_MML("<math><mi mathvariant=\"double-struck\">R</mi></math>", "\\mathbb{R}");
    CHECK_MML("<math><mi>&#x211D;</mi></math>", "\\mathbb{R}");
    CHECK_MML("<math><mi>&#x1D431;</mi></math>", "\\mathbf{x}");
    CHECK_MML("<math><mi mathvariant=\"fraktur\">g</mi></math>", "\\mathfrak{g}");
    CHECK_MML("<math><mi>sin</mi><mo>&#x2061;</mo><mi>x</mi></math>", "\\sin x");
    CHECK_MML("<math><menclose notation=\"box\"><mi>x</mi></menclose></math>", "\\boxed{x}");
    CHECK_MML("<math><mmultiscripts><mi>C</mi><none/><mn>2</mn><mprescripts/><mn>1</mn><none/></mmultiscripts></math>",
              "{}_{1}C^{2}");
}

TEST(mathnorm_mathml_unmapped_kept_and_counted)
{
    sbuf out = SBUF_INIT;
    mathnorm_stats st = {0};
    cd_err e;
    const char *x = "<math><mi>&#x16A0;</mi><mo>+</mo><mi>x</mi></math>";   /* a rune */
    CHECK_INT_EQ(mathnorm_mathml_to_latex_stats(x, strlen(x), &out, &st, &e), 0);
    CHECK(strstr(out.data, "\xe1\x9a\xa0") != NULL);
    CHECK_INT_EQ(st.unmapped, 1);
    sbuf_free(&out);
    CHECK(mml("just text, no math") == NULL);
}

TEST(mathnorm_asciimath)
{
    struct { const char *in, *want; } cases[] = {
        {"x^2", "x^{2}"},
        {"a/b", "\\frac{a}{b}"},
        {"(a+b)/2", "\\frac{a+b}{2}"},
        {"sqrt x", "\\sqrt{x}"},
        {"sum_(i=1)^n i", "\\sum_{i=1}^{n}i"},
        {"alpha -> beta", "\\alpha\\to\\beta"},
        {"RR", "\\mathbb{R}"},
        {"text(if) x", "\\text{if}x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sbuf out = SBUF_INIT;
        mathnorm_asciimath_to_latex(cases[i].in, strlen(cases[i].in), &out, NULL);
        CHECK_MSG(out.data && strcmp(out.data, cases[i].want) == 0, "%s -> %s (want %s)", cases[i].in,
                  out.data ? out.data : "(null)", cases[i].want);
        sbuf_free(&out);
    }
}

static char *page_text(const char *html)
{
    htmlDocPtr d = htmlReadMemory(html, (int)strlen(html), "t.html", "UTF-8",
                                  HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
    mathnorm_page *pg = mathnorm_page_new(d);
    sbuf out = SBUF_INIT;
    xmlNode *root = xmlDocGetRootElement(d);
    for (xmlNode *n = root; n;) {
        int skip = 0;
        if (n->type == XML_ELEMENT_NODE) {
            if (mathnorm_node(pg, n, &out)) skip = 1;
            else if (!strcmp((const char *)n->name, "script") || !strcmp((const char *)n->name, "head")) skip = 1;
        } else if (n->type == XML_TEXT_NODE) {
            mathnorm_text(pg, (const char *)n->content, strlen((const char *)n->content), &out);
        }
        if (!skip && n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            continue;
        }
        while (n && n != root && !n->next) n = n->parent;
        if (!n || n == root) break;
        n = n->next;
    }
    mathnorm_page_free(pg);
    xmlFreeDoc(d);
    return sbuf_detach(&out, NULL);
}

TEST(mathnorm_text_delimiters)
{
    char *t = page_text("<p>Price $5 and $10; let \\(x\\) and \\[y\\] and $z^2$ and $$w$$.</p>");
    CHECK_STR_EQ(t, "Price \\$5 and \\$10; let $x$ and $$y$$ and $z^2$ and $$w$$.");
    free(t);
    t = page_text("<p>\\begin{align}a&=b\\end{align}</p>");
    CHECK_STR_EQ(t, "$$\\begin{align}a&=b\\end{align}$$");
    free(t);
    /* a page that declares only \\( \\) as inline: $ is a dollar */
    t = page_text("<html><head><script>MathJax = {tex: {inlineMath: [['\\\\(', '\\\\)']]}};</script></head>"
                  "<body><p>$x$ and \\(y\\)</p></body></html>");
    CHECK_STR_EQ(t, "\\$x\\$ and $y$");
    free(t);
}

TEST(mathnorm_page_forms)
{
    char *t = page_text("<p><script type=\"math/tex; mode=display\">E=mc^2</script></p>");
    CHECK_STR_EQ(t, "$$E=mc^2$$");
    free(t);
    t = page_text("<p><span class=\"katex-display\"><span class=\"katex\"><span class=\"katex-mathml\"><math>"
                  "<semantics><mi>x</mi><annotation encoding=\"application/x-tex\">x</annotation></semantics>"
                  "</math></span><span class=\"katex-html\">x</span></span></span></p>");
    CHECK_STR_EQ(t, "$$x$$");
    free(t);
    t = page_text("<p>see <img src=\"https://latex.codecogs.com/gif.latex?%5Cfrac%7Ba%7D%7Bb%7D\"> here</p>");
    CHECK_STR_EQ(t, "see $\\frac{a}{b}$ here");
    free(t);
    t = page_text("<p>&lt;math&gt;x^2&lt;/math&gt;</p>");
    CHECK_STR_EQ(t, "$x^2$");
    free(t);
    t = page_text("<p><span class=\"math-container\">$\\alpha$</span></p>");
    CHECK_STR_EQ(t, "$\\alpha$");
    free(t);
    t = page_text("<p><span class=\"wp-katex-eq\" data-display=\"true\">a+b</span></p>");
    CHECK_STR_EQ(t, "$$a+b$$");
    free(t);
    t = page_text("<p>x<sup>2</sup>+y<sub>i</sub>, Smith<sup>1</sup>, 2<sup>nd</sup></p>");
    CHECK_STR_EQ(t, "x^{2}+y_{i}, Smith1, 2nd");
    free(t);
}

TEST(mathnorm_annotate)
{
    const char *html = "<html><head><script src=\"https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js\"></script>"
                       "</head><body><p>\\(a\\) and \\(b\\)</p></body></html>";
    htmlDocPtr d = htmlReadMemory(html, (int)strlen(html), "t.html", "UTF-8",
                                  HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
    mathnorm_page *pg = mathnorm_page_new(d);
    CHECK(mathnorm_page_is_math(pg));
    sbuf out = SBUF_INIT;
    const char *txt = "\\(a\\) and \\(b\\)";
    mathnorm_text(pg, txt, strlen(txt), &out);
    doc *dc = doc_new();
    mathnorm_page_annotate(pg, dc);
    json_value *m = doc_meta_get(dc, "math");
    CHECK(m && m->type == JSON_OBJECT);
    CHECK_INT_EQ(json_num(json_object_get(m, "formulas"), -1), 2);
    json_value *forms = json_object_get(m, "forms");
    CHECK(forms && forms->type == JSON_ARRAY && forms->u.array.len == 1);
    doc_free(dc);
    sbuf_free(&out);
    mathnorm_page_free(pg);
    xmlFreeDoc(d);
    /* plain prose is not math */
    mathnorm_page *p2 = mathnorm_page_new(NULL);
    CHECK(!mathnorm_page_is_math(p2));
    mathnorm_page_free(p2);
}

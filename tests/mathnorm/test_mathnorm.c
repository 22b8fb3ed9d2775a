/* test_mathnorm.c: the MathML converter, AsciiMath, the page forms and the
 * text delimiters. Expected LaTeX is what the MathML / AsciiMath / MathJax
 * specifications say the input means (written by hand from the specs), not
 * output pasted back. */
#include <libxml/HTMLparser.h>
#include <string.h>

#include "core/doc.h"
#include "core/stage.h"
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
    CHECK_MML("<math><msubsup><mi>x</mi><mi>i</mi><mn>2</mn></msubsup></math>", "x_i^2");
    CHECK_MML("<math><mi>&#x3B1;</mi><mo>&#x2264;</mo><mi>&#x3B2;</mi></math>", "\\alpha\\leq\\beta");
    CHECK_MML("<math><mi>&alpha;</mi><mi>x</mi></math>", "\\alpha x");
    CHECK_MML("<math><mtext>if x</mtext></math>", "\\text{if x}");
    /* namespace prefix */
    CHECK_MML("<m:math xmlns:m=\"http://www.w3.org/1998/Math/MathML\"><m:mi>y</m:mi></m:math>", "y");
    CHECK_MML("<mml:math><mml:msup><mml:mi>e</mml:mi><mml:mi>x</mml:mi></mml:msup></mml:math>", "e^x");
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
    CHECK_MML("<math><mfenced open=\"[\" close=\"]\"><mtable><mtr><mtd><mn>1</mn></mtd><mtd><mn>2</mn></mtd></mtr>"
              "</mtable></mfenced></math>",
              "\\begin{bmatrix}1 & 2\\end{bmatrix}");
    CHECK_MML("<math><mrow><mo>(</mo><mfrac linethickness=\"0\"><mi>n</mi><mi>k</mi></mfrac><mo>)</mo></mrow></math>",
              "\\binom{n}{k}");
}

TEST(mathnorm_mathml_accents_limits_fonts)
{
    CHECK_MML("<math><mover accent=\"true\"><mi>x</mi><mo>^</mo></mover></math>", "\\hat{x}");
    CHECK_MML("<math><mover><mi>x</mi><mo>&#xAF;</mo></mover></math>", "\\bar{x}");
    CHECK_MML("<math><munderover><mo>&#x2211;</mo><mrow><mi>i</mi><mo>=</mo><mn>1</mn></mrow><mi>n</mi>"
              "</munderover></math>",
              "\\sum_{i=1}^n");
    CHECK_MML("<math><mi mathvariant=\"double-struck\">R</mi></math>", "\\mathbb{R}");
    CHECK_MML("<math><mi>&#x211D;</mi></math>", "\\mathbb{R}");
    CHECK_MML("<math><mi>&#x1D431;</mi></math>", "\\mathbf{x}");
    CHECK_MML("<math><mi mathvariant=\"fraktur\">g</mi></math>", "\\mathfrak{g}");
    CHECK_MML("<math><mi>sin</mi><mo>&#x2061;</mo><mi>x</mi></math>", "\\sin x");
    CHECK_MML("<math><menclose notation=\"box\"><mi>x</mi></menclose></math>", "\\boxed{x}");
    CHECK_MML("<math><mmultiscripts><mi>C</mi><none/><mn>2</mn><mprescripts/><mn>1</mn><none/></mmultiscripts></math>",
              "{}_1C^2");
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

TEST(mathnorm_math_route_stage)
{
    const stage_ops *ops = registry_stage("math_route");
    CHECK(ops != NULL);
    if (!ops) return;
    cd_err e;
    cfg_params *p = cfg_params_bind(ops->params, NULL, "stage 'math_route'", &e);
    CHECK(p != NULL);
    void *shared = NULL;
    CHECK_INT_EQ(ops->init(p, &shared, &e), 0);
    stage st = {0};
    st.ops = ops;
    st.params = p;
    st.shared = shared;
    stage_ctx ctx = {0};
    st.ctx = &ctx;
    doc_batch b = {0};
    const char *lines[] = {
        "{\"id\":\"a\",\"text\":\"x\",\"metadata\":{\"math\":{\"forms\":[\"mathml\"],\"score\":3}}}",
        "{\"id\":\"b\",\"text\":\"y\",\"metadata\":{\"math\":{\"forms\":[],\"score\":0}}}",
        "{\"id\":\"c\",\"text\":\"z\",\"metadata\":{}}",
    };
    for (int i = 0; i < 3; i++) doc_batch_push(&b, doc_from_json(lines[i], strlen(lines[i]), &e));
    CHECK_INT_EQ(ops->process(&st, &b, &e), 0);
    CHECK_STR_EQ(b.docs[0]->subset, "math");
    CHECK(b.docs[1]->subset == NULL);
    CHECK(b.docs[2]->subset == NULL);
    CHECK_INT_EQ(stats_get_count(&st.stats, "routed_math"), 1);
    doc_batch_free(&b);
    stats_free(&st.stats);
    ops->fini(shared);
    cfg_params_free(p);
}

/* Expected values follow the MathML 3 / MathML Core definitions of each
 * element (written by hand), not converter output. */
TEST(mathnorm_mathml_element_coverage)
{
    CHECK_MML("<math><mi>a</mi><mspace width=\"1em\"/><mi>b</mi></math>", "a\\quad b");
    CHECK_MML("<math><mi>a</mi><mspace width=\"0.1667em\"/><mi>b</mi></math>", "a\\,b");
    CHECK_MML("<math><mi>a</mi><mspace linebreak=\"newline\"/><mi>b</mi></math>", "a\\\\ b");
    CHECK_MML("<math><ms>hi</ms></math>", "\\text{\"hi\"}");
    CHECK_MML("<math><mtext>50% of $x &amp; y_1</mtext></math>", "\\text{50\\% of \\$x \\& y\\_1}");
    CHECK_MML("<math><mphantom><mi>x</mi></mphantom></math>", "\\phantom{x}");
    CHECK_MML("<math><mpadded width=\"+1em\"><mi>x</mi></mpadded></math>", "x");
    CHECK_MML("<math><menclose notation=\"updiagonalstrike\"><mi>x</mi></menclose></math>", "\\cancel{x}");
    CHECK_MML("<math><menclose notation=\"updiagonalstrike downdiagonalstrike\"><mi>x</mi></menclose></math>",
              "\\xcancel{x}");
    CHECK_MML("<math><menclose notation=\"top\"><mi>x</mi></menclose></math>", "\\overline{x}");
    CHECK_MML("<math><mstyle displaystyle=\"true\"><mfrac><mn>1</mn><mn>2</mn></mfrac></mstyle></math>",
              "\\dfrac{1}{2}");
    CHECK_MML("<math><mfrac bevelled=\"true\"><mn>1</mn><mn>2</mn></mfrac></math>", "1/2");
    CHECK_MML("<math><mfenced open=\"[\" close=\")\" separators=\";\"><mi>a</mi><mi>b</mi></mfenced></math>",
              "\\left[a;b\\right)");
    CHECK_MML("<math><munder><mi>x</mi><mo>&#x23DF;</mo></munder></math>", "\\underbrace{x}");
    CHECK_MML("<math><mover><mover><mi>x</mi><mo>&#x23DE;</mo></mover><mi>n</mi></mover></math>",
              "\\overbrace{x}^n");
    CHECK_MML("<math><munderover><mo>&#x222B;</mo><mn>0</mn><mn>1</mn></munderover></math>", "\\int\\limits_0^1");
    CHECK_MML("<math><msub><mo>&#x2211;</mo><mi>i</mi></msub></math>", "\\sum\\nolimits_i");
    CHECK_MML("<math><munder><mi>lim</mi><mrow><mi>x</mi><mo>&#x2192;</mo><mn>0</mn></mrow></munder></math>",
              "\\lim_{x\\to0}");
    CHECK_MML("<math><mover><mi>x</mi><mi>y</mi></mover></math>", "\\overset{y}{x}");
    CHECK_MML("<math><munderover><mo stretchy=\"true\">&#x2192;</mo><mi>a</mi><mi>f</mi></munderover></math>",
              "\\xrightarrow[a]{f}");
    CHECK_MML("<math><msup><mi>f</mi><mo>&#x2032;</mo></msup></math>", "f'");
    CHECK_MML("<math><mi>x</mi><mo>&#x2260;</mo><mi>y</mi></math>", "x\\neq y");
    CHECK_MML("<math><mi>x</mi><mo>=&#x338;</mo><mi>y</mi></math>", "x\\not=y");
    CHECK_MML("<math><maction actiontype=\"toggle\" selection=\"2\"><mi>a</mi><mi>b</mi></maction></math>", "b");
    CHECK_MML("<math><mtable><mlabeledtr><mtd><mtext>(1)</mtext></mtd><mtd><mi>x</mi></mtd></mlabeledtr></mtable>"
              "</math>",
              "\\begin{matrix}x\\end{matrix}");
    CHECK_MML("<math><mtable columnalign=\"right left\" columnspacing=\"0em\"><mtr><mtd><mi>a</mi></mtd><mtd>"
              "<mo>=</mo><mi>b</mi></mtd></mtr></mtable></math>",
              "\\begin{aligned}a & =b\\end{aligned}");
    CHECK_MML("<math><mtable columnlines=\"solid\"><mtr><mtd><mn>1</mn></mtd><mtd><mn>2</mn></mtd></mtr></mtable>"
              "</math>",
              "\\begin{array}{c|c}1 & 2\\end{array}");
    CHECK_MML("<math><mrow><mo>|</mo><mtable><mtr><mtd><mi>a</mi></mtd></mtr></mtable><mo>|</mo></mrow></math>",
              "\\begin{vmatrix}a\\end{vmatrix}");
    /* a middle bar becomes \middle only when marked stretchy (P(A|B) stays readable) */
    CHECK_MML("<math><mrow><mo>(</mo><mi>a</mi><mo stretchy=\"true\">|</mo><mi>b</mi><mo>)</mo></mrow></math>",
              "\\left(a\\middle|b\\right)");
    CHECK_MML("<math><mrow><mo>(</mo><mi>a</mi><mo>|</mo><mi>b</mi><mo>)</mo></mrow></math>", "\\left(a|b\\right)");
    CHECK_MML("<math><mo minsize=\"1.2em\" maxsize=\"1.2em\">(</mo></math>", "\\big(");
    CHECK_MML("<math><mi mathvariant=\"bold\">v</mi><mi mathvariant=\"script\">L</mi><mi mathvariant=\"sans-serif\">"
              "T</mi><mi mathvariant=\"monospace\">x</mi><mi mathvariant=\"normal\">d</mi></math>",
              "\\mathbf{v}\\mathcal{L}\\mathsf{T}\\mathtt{x}\\mathrm{d}");
    CHECK_MML("<math><mi>&#x1D504;</mi><mi>&#x1D6C2;</mi><mn>&#x1D7D9;</mn></math>",
              "\\mathfrak{A}\\boldsymbol{\\alpha}\\mathbb{1}");
    CHECK_MML("<math><mi>sgn</mi><mo>&#x2061;</mo><mi>x</mi></math>", "\\operatorname{sgn}x");
    CHECK_MML("<math><mi>abc</mi></math>", "\\mathrm{abc}");
    /* layout nested inside a token (KaTeX does this) is converted, not lost */
    CHECK_MML("<math><mi><munder><mo><mi>arg</mi><mi>min</mi></mo><mi>x</mi></munder></mi></math>",
              "\\underset{x}{\\arg\\min}");
    CHECK_MML("<math><mo>&#x2200;</mo><mi>x</mi><mo>&#x2203;</mo><mi>y</mi><mo>&#x21D2;</mo><mo>&#x22A5;</mo></math>",
              "\\forall x\\exists y\\Rightarrow\\perp");
}

TEST(mathnorm_mathml_html5_entities)
{
    /* MathML entity names (HTML5) that libxml2's HTML 4 table lacks */
    CHECK_MML("<math><mi>x</mi><mo>&InvisibleTimes;</mo><mi>y</mi><mo>&Implies;</mo><mi>z</mi></math>",
              "xy\\Rightarrow z");
    char *t = page_text("<p><math><mi>f</mi><mo>&ApplyFunction;</mo><mo>&LeftArrow;</mo><mi>&alpha;</mi></math></p>");
    CHECK_STR_EQ(t, "$f\\gets\\alpha$");
    free(t);
}

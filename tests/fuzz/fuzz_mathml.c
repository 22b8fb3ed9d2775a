/* fuzz_mathml.c: the MathML converter, the AsciiMath converter and the page
 * text scanner on hostile input. Whatever they return must be bounded and
 * NUL-terminated; nothing may crash, leak or hang. */
#include <libxml/HTMLparser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mathnorm/mathnorm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    sbuf out = SBUF_INIT;
    cd_err e;
    mathnorm_stats st = {0};
    if (mathnorm_mathml_to_latex_stats(s, size, &out, &st, &e) == 0 && out.data && out.data[out.len] != 0) abort();
    sbuf_reset(&out);
    mathnorm_asciimath_to_latex(s, size, &out, &st);
    sbuf_reset(&out);
    mathnorm_page *pg = mathnorm_page_new(NULL);
    mathnorm_text(pg, s, size, &out);
    mathnorm_page_free(pg);
    sbuf_reset(&out);
    /* the whole page path: HTML parse, node walk */
    htmlDocPtr d = size < (1u << 20) ? htmlReadMemory(s, (int)size, "f.html", "UTF-8",
                                                      HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                                          HTML_PARSE_NOWARNING | HTML_PARSE_NONET)
                                     : NULL;
    if (d) {
        pg = mathnorm_page_new(d);
        xmlNode *root = xmlDocGetRootElement(d);
        for (xmlNode *n = root; n;) {
            int skip = n->type == XML_ELEMENT_NODE && mathnorm_node(pg, n, &out);
            if (!skip && n->type == XML_TEXT_NODE && n->content)
                mathnorm_text(pg, (const char *)n->content, strlen((const char *)n->content), &out);
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
    }
    sbuf_free(&out);
    return 0;
}

/* test_license.c: license matching against the SPDX License List texts
 * (canonical, with a real copyright line and reflowed whitespace, and as a
 * header comment), the confusable pairs, the normaliser and the shipped
 * data. Texts come from ../shared/data/spdx-license-list (skips without). */
#include "codefilter/codefilter.h"
#include "codefilter/license_data.h"
#include "core/json.h"
#include "tests/codefilter/spdx_fixture.h"
#include "tests/test.h"

#include <ctype.h>

/* Every allow- and deny-list license of configs/codefilter.yaml. */
static const char *const ALLOW[] = {"MIT", "MIT-0", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Zlib",
                                    "Unlicense", "CC0-1.0", "BSL-1.0", "0BSD", "PostgreSQL", "X11", "NCSA",
                                    "UPL-1.0", "BSD-3-Clause-Clear", "Python-2.0", "CC-BY-4.0", NULL};
static const char *const DENY[] = {"GPL-2.0-only", "GPL-3.0-only", "LGPL-2.1-only", "LGPL-3.0-only",
                                   "LGPL-2.0-only", "AGPL-3.0-only", "MPL-1.1", "MPL-2.0", "EPL-1.0", "EPL-2.0",
                                   "CC-BY-SA-3.0", "CC-BY-SA-4.0", "CC-BY-NC-3.0", "CC-BY-NC-4.0",
                                   "CC-BY-NC-SA-4.0", "SSPL-1.0", "CDDL-1.0", "EUPL-1.2", "BUSL-1.1", NULL};

/* Replaces the template's copyright line with a real one and reflows every
 * paragraph to 57 columns with doubled spaces here and there. */
static char *reflow_with_copyright(const char *t)
{
    sbuf o = SBUF_INIT;
    sbuf_puts(&o, "Copyright (c) 2009-2021, Jane Q. Developer <jane@example.org> and contributors\n\n");
    size_t col = 0, nw = 0;
    const char *p = t;
    while (*p) {
        if (p[0] == '\n' && p[1] == '\n') {
            sbuf_puts(&o, "\n\n");
            col = 0;
            while (*p == '\n') p++;
            continue;
        }
        if (isspace((unsigned char)*p)) {
            p++;
            continue;
        }
        const char *w = p;
        while (*p && !isspace((unsigned char)*p)) p++;
        /* drop the SPDX template's own copyright placeholder lines */
        size_t k = (size_t)(p - w);
        if (col + k > 57) {
            sbuf_putc(&o, '\n');
            col = 0;
        } else if (col) {
            sbuf_puts(&o, (nw++ % 7) ? " " : "  ");
            col++;
        }
        sbuf_append(&o, w, k);
        col += k;
    }
    return sbuf_detach(&o, NULL);
}

static char *as_c_comment(const char *body, size_t words)
{
    sbuf o = SBUF_INIT;
    sbuf_puts(&o, "/*\n * Copyright 2020 Example Corp.\n *\n * ");
    size_t nw = 0, col = 0;
    const char *p = body;
    while (*p && nw < words) {
        if (isspace((unsigned char)*p)) {
            if (p[0] == '\n' && p[1] == '\n') {
                sbuf_puts(&o, "\n *\n * ");
                col = 0;
                while (*p == '\n') p++;
                continue;
            }
            p++;
            continue;
        }
        const char *w = p;
        while (*p && !isspace((unsigned char)*p)) p++;
        if (col > 70) {
            sbuf_puts(&o, "\n * ");
            col = 0;
        } else if (col) {
            sbuf_putc(&o, ' ');
        }
        sbuf_append(&o, w, (size_t)(p - w));
        col += (size_t)(p - w);
        nw++;
    }
    sbuf_puts(&o, "\n */\n\n#include <stdio.h>\n\nint main(void) { return 0; }\n");
    return sbuf_detach(&o, NULL);
}

static void check_license(const char *id)
{
    const cf_license_db *db = cf_license_db_builtin();
    char *t = test_spdx_text(id);
    CHECK_MSG(t != NULL, "no text for %s", id);
    if (!t) return;
    cf_match m;
    int ok = cf_license_match_text(db, t, strlen(t), 0.9, &m);
    CHECK_MSG(ok && m.spdx && !strcmp(m.spdx, id), "%s canonical: got %s %.3f (runner-up %s %.3f)", id,
              m.spdx ? m.spdx : "-", m.score, m.runner_up ? m.runner_up : "-", m.runner_up_score);
    char *r = reflow_with_copyright(t);
    ok = cf_license_match_text(db, r, strlen(r), 0.9, &m);
    CHECK_MSG(ok && m.spdx && !strcmp(m.spdx, id), "%s reflowed: got %s %.3f (runner-up %s %.3f)", id,
              m.spdx ? m.spdx : "-", m.score, m.runner_up ? m.runner_up : "-", m.runner_up_score);
    free(r);
    /* The header comment: the license's own notice when it has one (cut
     * from the SPDX text the same way regen.sh does), else its first 250
     * words, which is how short permissive licenses appear in headers. */
    static const struct { const char *id, *from, *to; } NOTICE[] = {
        {"GPL-2.0-only", "This program is free software; you can redistribute", "02110-1301, USA."},
        {"GPL-3.0-only", "This program is free software: you can redistribute", "<https://www.gnu.org/licenses/>."},
        {"LGPL-2.1-only", "This library is free software; you can redistribute", "02110-1301  USA"},
        {"AGPL-3.0-only", "This program is free software: you can redistribute", "<http://www.gnu.org/licenses/>."},
        {"Apache-2.0", "Licensed under the Apache License, Version 2.0", "limitations under the License."},
        {"MPL-2.0", "This Source Code Form is subject to the terms", "MPL/2.0/."},
    };
    char *body = NULL;
    /* the exact id expected from the header: a GNU notice says "either
     * version N ... or (at your option) any later version", so -or-later;
     * an excerpt of the text itself is the license itself */
    char want[64];
    snprintf(want, sizeof want, "%s", id);
    for (size_t i = 0; i < sizeof NOTICE / sizeof *NOTICE; i++)
        if (!strcmp(NOTICE[i].id, id) && strstr(id, "-only"))
            snprintf(want, sizeof want, "%.*s-or-later", (int)(strlen(id) - 5), id);
    for (size_t i = 0; i < sizeof NOTICE / sizeof *NOTICE; i++)
        if (!strcmp(NOTICE[i].id, id)) {
            const char *a = strstr(t, NOTICE[i].from);
            const char *b = a ? strstr(a, NOTICE[i].to) : NULL;
            if (a && b) body = xstrndup(a, (size_t)(b - a) + strlen(NOTICE[i].to));
        }
    char *c = as_c_comment(body ? body : t, body ? 100000 : 250);
    const char *hs;
    size_t hn = cf_leading_comment(c, strlen(c), &hs);
    CHECK_MSG(hn > 0, "%s: no leading comment", id);
    ok = cf_license_match_header(db, hs, hn, 0.9, &m);
    CHECK_MSG(ok && m.spdx && !strcmp(m.spdx, want), "%s header: got %s %.3f (runner-up %s %.3f), want %s", id,
              m.spdx ? m.spdx : "-", m.score, m.runner_up ? m.runner_up : "-", m.runner_up_score, want);
    /* the same source file matched whole, as `corpusd license FILE` once
     * did and as a LICENSE file holding a notice is: same id */
    if (body) {
        ok = cf_license_match_text(db, c, strlen(c), 0.9, &m);
        CHECK_MSG(ok && m.spdx && !strcmp(m.spdx, want), "%s header, whole file: got %s %.3f, want %s", id,
                  m.spdx ? m.spdx : "-", m.score, want);
    }
    free(c);
    free(body);
    free(t);
}

TEST(codefilter_license_allow_list_detected)
{
    for (int i = 0; ALLOW[i]; i++) check_license(ALLOW[i]);
}

TEST(codefilter_license_deny_list_detected)
{
    for (int i = 0; DENY[i]; i++) check_license(DENY[i]);
}

/* Every other shipped license text too (the rest of the built-in lists and
 * the look-alikes): canonical, reflowed with a copyright line, header. */
TEST(codefilter_license_every_shipped_text_detected)
{
    const cf_license_db *db = cf_license_db_builtin();
    size_t n = cf_license_db_size(db), checked = 0;
    for (size_t i = 0; i < n; i++) {
        int hdr;
        const char *id = cf_license_db_id(db, i, &hdr);
        int seen = hdr;
        for (size_t j = 0; j < i && !seen; j++) seen = !strcmp(cf_license_db_id(db, j, NULL), id);
        for (int k = 0; ALLOW[k] && !seen; k++) seen = !strcmp(ALLOW[k], id);
        for (int k = 0; DENY[k] && !seen; k++) seen = !strcmp(DENY[k], id);
        if (seen) continue;
        check_license(id);
        checked++;
    }
    CHECK(checked >= 20);
}

static cf_match match_id(const char *id)
{
    char *t = test_spdx_text(id);
    cf_match m;
    memset(&m, 0, sizeof m);
    if (t) cf_license_match_text(cf_license_db_builtin(), t, strlen(t), 0.9, &m);
    free(t);
    return m;
}

TEST(codefilter_license_confusable_pairs)
{
    static const char *const PAIRS[][2] = {
        {"BSD-2-Clause", "BSD-3-Clause"}, {"GPL-2.0-only", "GPL-3.0-only"}, {"MIT", "MIT-0"},
        {"LGPL-2.1-only", "GPL-2.0-only"}, {"LGPL-3.0-only", "GPL-3.0-only"}, {"MPL-1.1", "MPL-2.0"},
        {"CC-BY-SA-4.0", "CC-BY-NC-SA-4.0"}, {"EPL-1.0", "EPL-2.0"}, {"AGPL-3.0-only", "GPL-3.0-only"},
    };
    for (size_t i = 0; i < sizeof PAIRS / sizeof *PAIRS; i++)
        for (int k = 0; k < 2; k++) {
            cf_match m = match_id(PAIRS[i][k]);
            CHECK_MSG(m.spdx && !strcmp(m.spdx, PAIRS[i][k]) && m.score >= 0.99, "%s: got %s %.3f", PAIRS[i][k],
                      m.spdx ? m.spdx : "-", m.score);
            /* the look-alike scores strictly lower */
            CHECK_MSG(m.runner_up_score < m.score, "%s: runner-up %s %.3f", PAIRS[i][k],
                      m.runner_up ? m.runner_up : "-", m.runner_up_score);
        }
    /* MIT and MIT-0 are close: the runner-up of one is the other. */
    cf_match m = match_id("MIT-0");
    CHECK(m.runner_up && !strcmp(m.runner_up, "MIT"));
}

TEST(codefilter_license_apache_appendix_boilerplate)
{
    const cf_license_db *db = cf_license_db_builtin();
    char *t = test_spdx_text("Apache-2.0");
    const char *a = strstr(t, "Licensed under the Apache License");
    CHECK(a != NULL);
    /* A LICENSE file that holds only the appendix boilerplate, with its
     * copyright line filled in. */
    sbuf f = SBUF_INIT;
    sbuf_puts(&f, "Copyright 2018 The Example Authors\n\n");
    sbuf_puts(&f, a);
    cf_match m;
    CHECK(cf_license_match_text(db, f.data, f.len, 0.9, &m) == 1);
    CHECK_STR_EQ(m.spdx, "Apache-2.0");
    CHECK(m.is_header == 1);
    /* the full text is the license itself, not its boilerplate */
    CHECK(cf_license_match_text(db, t, strlen(t), 0.9, &m) == 1);
    CHECK_STR_EQ(m.spdx, "Apache-2.0");
    CHECK(m.is_header == 0);
    sbuf_free(&f);
    free(t);
}

TEST(codefilter_license_lgpl_header_is_not_gpl)
{
    const cf_license_db *db = cf_license_db_builtin();
    const char *lgpl =
        "# This library is free software; you can redistribute it and/or\n"
        "# modify it under the terms of the GNU Lesser General Public\n"
        "# License as published by the Free Software Foundation; either\n"
        "# version 2.1 of the License, or (at your option) any later version.\n"
        "#\n"
        "# This library is distributed in the hope that it will be useful,\n"
        "# but WITHOUT ANY WARRANTY; without even the implied warranty of\n"
        "# MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU\n"
        "# Lesser General Public License for more details.\n"
        "#\n"
        "# You should have received a copy of the GNU Lesser General Public\n"
        "# License along with this library; if not, write to the Free Software\n"
        "# Foundation, Inc., 51 Franklin Street, Fifth Floor, Boston, MA  02110-1301  USA\n"
        "import os\n";
    const char *s;
    size_t n = cf_leading_comment(lgpl, strlen(lgpl), &s);
    CHECK(n > 0 && n < strlen(lgpl));
    cf_match m;
    CHECK(cf_license_match_header(db, s, n, 0.9, &m) == 1);
    CHECK_STR_EQ(m.spdx, "LGPL-2.1-or-later");
    CHECK(m.runner_up != NULL && strstr(m.runner_up, "GPL") != NULL);
    CHECK(m.runner_up_score < m.score);
}

/* Runs without ../shared: the shipped templates are normalised, so the C
 * normaliser (the twin of regen.sh's) must give each one back unchanged. */
TEST(codefilter_license_shipped_data_is_normal_form)
{
    CHECK(cf_license_templates_len >= 40);
    for (unsigned i = 0; i < cf_license_templates_len; i++) {
        /* "x " first: a sequence may begin with the word "copyright",
         * which only drops a line when it starts one. */
        char *w = xasprintf("x %s", cf_license_templates[i].words);
        sbuf o = SBUF_INIT;
        cf_normalize(w, strlen(w), &o);
        CHECK_MSG(o.len == strlen(w) && !memcmp(o.data, w, o.len), "%s is not a fixed point",
                  cf_license_templates[i].spdx);
        sbuf_free(&o);
        free(w);
    }
}

TEST(codefilter_license_normalizer_rules)
{
    /* SPDX matching guidelines: case, punctuation, bullets, copyright
     * lines, comment markers, varietal spellings, http(s). */
    const char *a = "// Copyright (c) 2020 Someone\n// (a) The LICENCE is \"granted\" --\n"
                    " *   2.1. see https://example.org/x\n";
    sbuf o = SBUF_INIT;
    cf_normalize(a, strlen(a), &o);
    CHECK_STR_EQ(o.data, "the license is granted see http example org x");
    /* a reflowed sentence starting with "copyright notice" is text, and a
     * "(c)" list bullet is a bullet, not a copyright line */
    const char *b = "provided that the above\ncopyright notice appears\n(c) You must retain\n(C) 2019 Foo\n";
    sbuf_reset(&o);
    cf_normalize(b, strlen(b), &o);
    CHECK_STR_EQ(o.data, "provided that the above copyright notice appears you must retain");
    sbuf_free(&o);
}

/* test_codefilter.c: SPDX expressions, policy, license file names,
 * manifests, StarCoder2 quality filters, secret redaction, and the stage's
 * per-file license decisions on a repository built here. */
#include "codefilter/codefilter.h"
#include "core/pipeline.h"
#include "tests/test.h"

static char *roundtrip(const char *s)
{
    cd_err e;
    cf_spdx_node *x = cf_spdx_parse(s, strlen(s), &e);
    if (!x) return NULL;
    sbuf o = SBUF_INIT;
    cf_spdx_write(x, &o);
    cf_spdx_free(x);
    return sbuf_detach(&o, NULL);
}

TEST(codefilter_spdx_expressions)
{
    /* Precedence from the SPDX spec, annex D: WITH > AND > OR. */
    char *s = roundtrip("MIT OR Apache-2.0 AND BSD-3-Clause");
    CHECK_STR_EQ(s, "MIT OR Apache-2.0 AND BSD-3-Clause");
    free(s);
    s = roundtrip("(MIT OR Apache-2.0) AND BSD-3-Clause");
    CHECK_STR_EQ(s, "(MIT OR Apache-2.0) AND BSD-3-Clause");
    free(s);
    s = roundtrip("GPL-2.0-only WITH Classpath-exception-2.0 or mit");
    CHECK_STR_EQ(s, "GPL-2.0-only WITH Classpath-exception-2.0 OR mit");
    free(s);
    s = roundtrip("((GPL-2.0+))");
    CHECK_STR_EQ(s, "GPL-2.0+");
    free(s);
    s = roundtrip("LicenseRef-Foo AND DocumentRef-x:LicenseRef-y");
    CHECK(s != NULL);
    free(s);
    const char *bad[] = {"", "MIT OR", "(MIT", "MIT)", "AND MIT", "MIT WITH", "MIT Apache-2.0", "MIT OR OR x",
                         "M!T"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cd_err e;
        cf_spdx_node *x = cf_spdx_parse(bad[i], strlen(bad[i]), &e);
        CHECK_MSG(x == NULL, "accepted '%s'", bad[i]);
        cf_spdx_free(x);
    }
    /* hostile nesting is an error, not a stack overflow */
    sbuf deep = SBUF_INIT;
    for (int i = 0; i < 100000; i++) sbuf_putc(&deep, '(');
    cd_err e;
    CHECK(cf_spdx_parse(deep.data, deep.len, &e) == NULL);
    sbuf_free(&deep);
}

TEST(codefilter_spdx_tag)
{
    const char *src = "// SPDX-License-Identifier: MIT OR Apache-2.0\nint x;\n";
    const char *ex;
    size_t n = cf_spdx_find_tag(src, strlen(src), 4096, &ex);
    CHECK_MEM_EQ(ex, n, "MIT OR Apache-2.0", 17);
    const char *c = "/* SPDX-License-Identifier: GPL-2.0-only */\n";
    n = cf_spdx_find_tag(c, strlen(c), 4096, &ex);
    CHECK_MEM_EQ(ex, n, "GPL-2.0-only", 12);
    CHECK_INT_EQ(cf_spdx_find_tag("int x;", 6, 4096, &ex), 0);
}

static const char *const ALLOW[] = {"MIT", "Apache-2.0", "BSD-3-Clause"};
static const char *const DENY[] = {"GPL-*", "LGPL-*", "AGPL-*"};

static cf_verdict verdict(const char *s)
{
    cf_policy p = {ALLOW, 3, DENY, 3};
    cd_err e;
    cf_spdx_node *x = cf_spdx_parse(s, strlen(s), &e);
    if (!x) return (cf_verdict)-1;
    cf_verdict v = cf_policy_expr(&p, x);
    cf_spdx_free(x);
    return v;
}

TEST(codefilter_policy)
{
    CHECK_INT_EQ(verdict("MIT"), CF_ALLOW);
    CHECK_INT_EQ(verdict("GPL-3.0-or-later"), CF_DENY);
    CHECK_INT_EQ(verdict("LGPL-2.1+"), CF_DENY);
    CHECK_INT_EQ(verdict("GPL-2.0-only OR MIT"), CF_ALLOW);          /* the user may choose MIT */
    CHECK_INT_EQ(verdict("GPL-2.0-only AND MIT"), CF_DENY);          /* both apply */
    CHECK_INT_EQ(verdict("GPL-2.0-only WITH Classpath-exception-2.0"), CF_DENY);
    CHECK_INT_EQ(verdict("Foo-1.0"), CF_UNKNOWN);
    CHECK_INT_EQ(verdict("Foo-1.0 OR MIT"), CF_ALLOW);
    CHECK_INT_EQ(verdict("Foo-1.0 AND MIT"), CF_UNKNOWN);
    CHECK_INT_EQ(verdict("mit"), CF_ALLOW);                          /* ids are case-insensitive */
}

TEST(codefilter_license_filenames)
{
    const char *yes[] = {"LICENSE", "LICENSE.txt", "LICENSE.md", "license", "LICENCE", "COPYING", "COPYING.LESSER",
                         "UNLICENSE", "LICENSE-MIT", "LICENSE-APACHE", "MIT-LICENSE.txt", "COPYRIGHT", "LICENSES"};
    const char *no[] = {"license.py", "licenses.json", "README.md", "LICENSE_checker.c", "src", "my-license-tool.go"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) CHECK_MSG(cf_is_license_filename(yes[i]), "%s", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) CHECK_MSG(!cf_is_license_filename(no[i]), "%s", no[i]);
}

TEST(codefilter_manifests)
{
    const char *pj = "{\"name\":\"x\",\"license\":\"(MIT OR Apache-2.0)\"}";
    char *l = cf_manifest_license("package.json", pj, strlen(pj));
    CHECK_STR_EQ(l, "(MIT OR Apache-2.0)");
    free(l);
    const char *ct = "[package]\nname = \"x\"\nlicense = \"MIT/Apache-2.0\"\n[dependencies]\nlicense = \"no\"\n";
    l = cf_manifest_license("Cargo.toml", ct, strlen(ct));
    CHECK_STR_EQ(l, "MIT OR Apache-2.0");   /* Cargo's legacy '/' means OR */
    free(l);
    const char *pp = "[project]\nname = \"x\"\nlicense = {text = \"BSD-3-Clause\"}\n";
    l = cf_manifest_license("pyproject.toml", pp, strlen(pp));
    CHECK_STR_EQ(l, "BSD-3-Clause");
    free(l);
    CHECK(cf_manifest_license("package.json", "{", 1) == NULL);
    CHECK(cf_manifest_license("setup.py", "x", 1) == NULL);
}

static const char *q(const char *lang, const char *path, const char *text)
{
    cf_quality_params p;
    cf_quality_defaults(&p);
    return cf_quality_check(&p, lang, path, text, strlen(text));
}

static char *repeat(const char *unit, int n)
{
    sbuf o = SBUF_INIT;
    for (int i = 0; i < n; i++) sbuf_puts(&o, unit);
    return sbuf_detach(&o, NULL);
}

TEST(codefilter_quality_starcoder2_thresholds)
{
    CHECK(q("C", "a.c", "int main(void) {\n    return 0;\n}\n") == NULL);
    char *longl = repeat("x = 1; ", 160);   /* one 1120-char line */
    CHECK_STR_EQ(q("Python", "a.py", longl), "long_lines_avg");
    free(longl);
    /* a 1001-char line among short ones: max, not average */
    sbuf s = SBUF_INIT;
    for (int i = 0; i < 200; i++) sbuf_puts(&s, "int a = 1;\n");
    for (int i = 0; i < 1001; i++) sbuf_putc(&s, 'a');
    sbuf_putc(&s, '\n');
    CHECK_STR_EQ(q("C", "b.c", s.data), "long_lines_max");
    /* the same in Markdown is fine (data/markup: only 100k lines count) */
    CHECK(q("Markdown", "b.md", s.data) == NULL);
    sbuf_free(&s);
    CHECK_STR_EQ(q("C", "gen.c", "// Code generated by protoc-gen-go. DO NOT EDIT.\nint x;\n"), "autogenerated");
    CHECK_STR_EQ(q("Go", "x.pb.go", "package x\nvar y = 1\n"), "autogenerated");
    CHECK_STR_EQ(q("C", "n.c", "1 2 3 4 5 6 7 8 9 0 = + - ( ) ; ; ;\nx\n"), "low_alpha");
    char *b64 = repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=", 40);   /* 1440 chars, no spaces */
    char *src = xasprintf("const char *blob =\n\"%s\";\nint main(void) { return 0; }\n", b64);
    cf_quality_params p;
    cf_quality_defaults(&p);
    p.max_avg_line = 1e9, p.max_line = 1 << 30, p.min_alpha = 0;   /* isolate the encoded-data rule */
    CHECK_STR_EQ(cf_quality_check(&p, "C", "b.c", src, strlen(src)), "encoded_data");
    free(b64);
    free(src);
    char *uesc = repeat("\\u0041", 200);
    src = xasprintf("s = \"%s\"\n", uesc);
    CHECK_STR_EQ(cf_quality_check(&p, "Python", "u.py", src, strlen(src)), "encoded_data");
    free(uesc);
    free(src);
    char *yaml = repeat("key: value\n", 513);
    CHECK_STR_EQ(q("YAML", "c.yaml", yaml), "data_too_long");
    free(yaml);
    yaml = repeat("key: value\n", 512);
    CHECK(q("YAML", "c.yaml", yaml) == NULL);
    free(yaml);
    char *scripts = repeat("<script>var a = 1; var b = 2;</script>\n", 20);
    char *html = xasprintf("<html><body><p>Hello there, this is a short page.</p>%s</body></html>\n", scripts);
    CHECK_STR_EQ(q("HTML", "i.html", html), "html_little_text");
    free(html);
    free(scripts);
    char *words = repeat("Plenty of visible prose in this page. ", 10);
    html = xasprintf("<html><body><p>%s</p></body></html>\n", words);
    CHECK(q("HTML", "i.html", html) == NULL);
    free(html);
    free(words);
}

TEST(codefilter_secrets_redacted_and_counted)
{
    cd_err e;
    cf_secrets *s = cf_secrets_new(&e);
    CHECK(s != NULL);
    const char *src =
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
        "aws_secret_access_key = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n"
        "token = 'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789'\n"
        "SLACK = \"xoxb-123456789012-abcdefghijABCDEF\"\n"
        "api_key = \"q8Zr4LmW2vTx9KpB7nYc3HsD\"\n"
        "password = \"aaaaaaaaaaaaaaaaaaaa\"\n"
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----\n"
        "int ok = 1;\n";
    uint64_t counts[16] = {0};
    sbuf out = SBUF_INIT;
    int n = cf_secrets_redact(s, src, strlen(src), &out, counts);
    CHECK_INT_EQ(n, 6);
    CHECK(strstr(out.data, "AKIAIOSFODNN7EXAMPLE") == NULL);
    CHECK(strstr(out.data, "wJalrXUtnFEMI") == NULL);
    CHECK(strstr(out.data, "ghp_") == NULL);
    CHECK(strstr(out.data, "xoxb-") == NULL);
    CHECK(strstr(out.data, "q8Zr4LmW2") == NULL);
    CHECK(strstr(out.data, "MIIEowIBAAKCAQEA") == NULL);
    /* low-entropy placeholder values are not secrets */
    CHECK(strstr(out.data, "aaaaaaaaaaaaaaaaaaaa") != NULL);
    CHECK(strstr(out.data, "api_key = \"<REDACTED:generic_secret>\"") != NULL);
    CHECK(strstr(out.data, "int ok = 1;") != NULL);
    for (size_t k = 0; k < cf_secrets_nkinds(); k++) {
        const char *kind = cf_secrets_kind(k);
        if (!strcmp(kind, "google_api_key") || !strcmp(kind, "stripe_key")) CHECK_INT_EQ(counts[k], 0);
        else CHECK_MSG(counts[k] == 1, "%s counted %llu", kind, (unsigned long long)counts[k]);
    }
    sbuf_free(&out);
    cf_secrets_free(s);
}

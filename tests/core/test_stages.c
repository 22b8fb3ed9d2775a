/* test_stages.c: config binding, the select expression language, the sample
 * stage's determinism and superset property, and the chain runtime. */
#include "core/cfg.h"
#include "core/pipeline.h"
#include "core/stage.h"
#include "tests/test.h"

#include "core/select.h"

static doc *mkdoc(const char *json)
{
    cd_err e;
    doc *d = doc_from_json(json, strlen(json), &e);
    if (!d) test_fail(__FILE__, __LINE__, "bad fixture: %s", e.msg);
    return d;
}

static int sel(const char *expr, const char *json)
{
    void *c;
    cd_err e;
    if (select_compile(expr, &c, &e)) test_fail(__FILE__, __LINE__, "compile %s: %s", expr, e.msg);
    doc *d = mkdoc(json);
    int r = select_match(c, d);
    doc_free(d);
    select_free(c);
    return r;
}

TEST(select_expressions)
{
    const char *d = "{\"id\":\"cc/1\",\"text\":\"hello world\",\"source\":\"cc\",\"metadata\":{\"language\":\"en\","
                    "\"language_score\":0.8,\"url\":\"https://en.wikipedia.org/wiki/X\",\"q\":{\"b\":3},\"flag\":true}}";
    CHECK(sel("metadata.language == \"en\"", d));
    CHECK(!sel("metadata.language == \"de\"", d));
    CHECK(sel("metadata.language_score >= 0.65 and source == 'cc'", d));
    CHECK(!sel("metadata.language_score > 0.8", d));
    CHECK(sel("metadata.language_score > 0.79999", d));
    CHECK(sel("metadata.language in [\"de\", \"en\"]", d));
    CHECK(sel("metadata.language not in [\"de\", \"fr\"]", d));
    CHECK(sel("metadata.q.b == 3", d));
    CHECK(sel("metadata.url =~ '^https://[a-z]+\\.wikipedia\\.org/'", d));
    CHECK(!sel("metadata.url !~ 'wikipedia'", d));
    CHECK(sel("len(text) == 11", d));
    CHECK(sel("exists(metadata.url) and not exists(metadata.nope)", d));
    CHECK(sel("metadata.nope == null", d));
    CHECK(!sel("metadata.nope > 1", d));
    CHECK(sel("metadata.nope != 1", d));
    CHECK(sel("metadata.flag", d));
    CHECK(sel("!(metadata.language == 'de') && (id == 'cc/1' || id == 'x')", d));
    CHECK(sel("metadata.language == \"de\" or metadata.language_score < 1", d));
    /* strings compare bytewise, numbers numerically, mixed never */
    CHECK(!sel("metadata.language < 3", d));
    CHECK(sel("source < 'd'", d));
}

TEST(select_syntax_errors)
{
    const char *bad[] = {"metadata.x ===", "foo == 1", "metadata.x in 3", "(metadata.x == 1", "metadata.x =~ '('",
                         "metadata.x == 'unterminated", "len(text", "metadata.x == 1 junk"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        void *c = NULL;
        cd_err e;
        cd_err_clear(&e);
        CHECK_MSG(select_compile(bad[i], &c, &e) != 0, "accepted: %s", bad[i]);
        CHECK_MSG(strstr(e.msg, "select expression") != NULL, "message: %s", e.msg);
    }
}

static const param_spec SPEC[] = {
    {"n", PARAM_INT, "5", "a count"},
    {"x", PARAM_DOUBLE, "0.5", "a ratio"},
    {"on", PARAM_BOOL, "false", "a switch"},
    {"mem", PARAM_SIZE, "1G", "memory"},
    {"words", PARAM_STRLIST, NULL, "words"},
    {"name", PARAM_STRING, NULL, "a name"},
    {0},
};

TEST(cfg_params_defaults_and_types)
{
    cd_err e;
    const char *y = "n: 7\non: yes\nwords: [a, b]\nmem: 512M\n";
    cfg_node *n = cfg_parse(y, strlen(y), "t.yaml", &e);
    CHECK(n != NULL);
    cfg_params *p = cfg_params_bind(SPEC, n, "stage 't'", &e);
    CHECK(p != NULL);
    CHECK_INT_EQ(param_int(p, "n"), 7);
    CHECK(param_double(p, "x") == 0.5);
    CHECK_INT_EQ(param_bool(p, "on"), 1);
    CHECK_INT_EQ(param_size(p, "mem"), 512LL << 20);
    const char *const *w;
    CHECK_INT_EQ(param_strlist(p, "words", &w), 2);
    CHECK_STR_EQ(w[1], "b");
    CHECK(param_str(p, "name") == NULL);
    CHECK(param_given(p, "n") && !param_given(p, "x"));
    cfg_params_free(p);
    cfg_free(n);
}

TEST(cfg_errors_name_line_and_column)
{
    cd_err e;
    const char *y = "n: 7\nx: [1]\n";
    cfg_node *n = cfg_parse(y, strlen(y), "t.yaml", &e);
    cd_err_clear(&e);
    CHECK(cfg_params_bind(SPEC, n, "stage 't'", &e) == NULL);
    CHECK_MSG(strstr(e.msg, "t.yaml:2:4: expected a number") != NULL, "%s", e.msg);
    cfg_free(n);
    const char *y2 = "n: 7\n  bad: indent\n";
    CHECK(cfg_parse(y2, strlen(y2), "u.yaml", &e) == NULL);
    CHECK_MSG(strstr(e.msg, "u.yaml:2:") != NULL, "%s", e.msg);
    const char *y3 = "a: &x 1\nb: *x\n";
    CHECK(cfg_parse(y3, strlen(y3), "v.yaml", &e) == NULL);
    CHECK_MSG(strstr(e.msg, "anchors") != NULL || strstr(e.msg, "aliases") != NULL, "%s", e.msg);
    const char *y4 = "a: 1\na: 2\n";
    CHECK(cfg_parse(y4, strlen(y4), "w.yaml", &e) == NULL);
    CHECK_MSG(strstr(e.msg, "w.yaml:2:1: duplicate key 'a'") != NULL, "%s", e.msg);
}

TEST(cfg_canonical_ignores_key_order)
{
    cd_err e;
    const char *ya = "{b: 1, a: [x, {d: 2, c: 3}]}", *yb = "a: [x, {c: 3, d: 2}]\nb: 1\n",
               *yc = "a: [x, {c: 3, d: 2}]\nb: 2\n";
    cfg_node *a = cfg_parse(ya, strlen(ya), "a", &e);
    cfg_node *b = cfg_parse(yb, strlen(yb), "b", &e);
    cfg_node *c = cfg_parse(yc, strlen(yc), "c", &e);
    CHECK(a && b && c);
    sbuf sa = SBUF_INIT, sb = SBUF_INIT, sc = SBUF_INIT;
    cfg_canonical(a, &sa);
    cfg_canonical(b, &sb);
    cfg_canonical(c, &sc);
    CHECK_STR_EQ(sa.data, sb.data);
    CHECK(strcmp(sa.data, sc.data) != 0);
    sbuf_free(&sa);
    sbuf_free(&sb);
    sbuf_free(&sc);
    cfg_free(a);
    cfg_free(b);
    cfg_free(c);
}

/* Runs the sample stage over ids 0..n-1 and returns a bitmap of kept ids. */
static unsigned char *sample_ids(double fraction, uint64_t seed, int n)
{
    cd_err e;
    char y[128];
    snprintf(y, sizeof y, "sample: {fraction: %g}", fraction);
    cfg_node *node = cfg_parse(y, strlen(y), "s", &e);
    pipeline_stage st;
    if (pipeline_stage_from_node(node, 0, &st, &e)) test_fail(__FILE__, __LINE__, "%s", e.msg);
    stage_ctx ctx = {seed, "in", "in", NULL, NULL, 1};
    chain *c = chain_open(&st, 1, &ctx, &e);
    doc_batch b = {0};
    for (int i = 0; i < n; i++) {
        doc *d = doc_new();
        char id[32];
        int l = snprintf(id, sizeof id, "doc/%d", i);
        doc_set_id(d, id, (size_t)l);
        doc_batch_push(&b, d);
    }
    unsigned char *kept = calloc((size_t)n, 1);
    struct { unsigned char *k; } arg = {kept};
    int sink(void *a, doc *d, int k, cd_err *err);
    CHECK(chain_push(c, &b, sink, &arg, &e) == 0);
    chain_close(c);
    doc_batch_free(&b);
    pipeline_stage_free(&st);
    cfg_free(node);
    return kept;
}

int sink(void *a, doc *d, int k, cd_err *err)
{
    unsigned char *kept = *(unsigned char **)a;
    if (k) kept[atoi(d->id + 4)] = 1;
    return 0;
}

TEST(sample_deterministic_and_nested)
{
    int n = 20000;
    unsigned char *a = sample_ids(0.3, 7, n), *b = sample_ids(0.3, 7, n), *c = sample_ids(0.5, 7, n),
                  *d = sample_ids(0.3, 8, n);
    int ka = 0, kc = 0, same_other_seed = 0;
    for (int i = 0; i < n; i++) {
        CHECK(a[i] == b[i]);              /* same seed: same decision */
        CHECK(!a[i] || c[i]);             /* a larger fraction is a superset */
        ka += a[i];
        kc += c[i];
        same_other_seed += a[i] && d[i];
    }
    /* Binomial(20000, 0.3): sd ~ 65; 6 sd bounds. */
    CHECK_MSG(ka > 6000 - 400 && ka < 6000 + 400, "kept %d of %d at 0.3", ka, n);
    CHECK_MSG(kc > 10000 - 420 && kc < 10000 + 420, "kept %d of %d at 0.5", kc, n);
    /* another seed gives an (almost) independent sample: overlap ~ 0.09 n */
    CHECK_MSG(same_other_seed > 1800 - 300 && same_other_seed < 1800 + 300, "overlap %d", same_other_seed);
    free(a);
    free(b);
    free(c);
    free(d);
}

TEST(input_stems)
{
    char *s = pipeline_input_stem("/data/CC-MAIN-2025-26/segments/x/warc/CC-MAIN-2025-00001.warc.gz");
    CHECK_STR_EQ(s, "CC-MAIN-2025-00001");
    free(s);
    s = pipeline_input_stem("a/b/part 7.jsonl.zst");
    CHECK_STR_EQ(s, "part_7");
    free(s);
    s = pipeline_input_stem("https://host/path/file.jsonl.gz?sig=1");
    CHECK_STR_EQ(s, "file");
    free(s);
}

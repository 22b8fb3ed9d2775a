/* test_json.c: JSON parser/writer properties. */
#include "core/json.h"
#include "tests/test.h"

static char *roundtrip(arena *a, const char *in, size_t n)
{
    cd_err e;
    json_value *v = json_parse(a, in, n, 0, &e);
    if (!v) return NULL;
    sbuf out = SBUF_INIT;
    json_write(&out, v);
    char *s = arena_strndup(a, out.data, out.len);
    sbuf_free(&out);
    return s;
}

TEST(json_roundtrip_exact)
{
    arena a;
    arena_init(&a, 0);
    const char *cases[] = {
        "{\"a\":1,\"b\":[true,false,null],\"c\":\"x\\ny\"}",
        "[12345678901234567890,-0.5,1e300,0]",
        "\"\\u0000nul\\u0001\"",
        "{\"k\":{\"deep\":[[[]]],\"e\":{}}}",
        "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *out = roundtrip(&a, cases[i], strlen(cases[i]));
        CHECK_MSG(out && strcmp(out, cases[i]) == 0, "case %zu: %s -> %s", i, cases[i], out ? out : "(error)");
    }
    arena_free(&a);
}

TEST(json_nul_inside_string)
{
    arena a;
    arena_init(&a, 0);
    cd_err e;
    json_value *v = json_parse(&a, "\"a\\u0000b\"", 10, 0, &e);
    CHECK(v && v->type == JSON_STRING);
    CHECK_INT_EQ(v->u.string.len, 3);
    CHECK(v->u.string.ptr[1] == 0 && v->u.string.ptr[2] == 'b');
    arena_free(&a);
}

TEST(json_invalid_utf8_replaced)
{
    arena a;
    arena_init(&a, 0);
    /* raw invalid byte, overlong, lone surrogate escapes */
    const char in[] = "[\"a\xff" "b\",\"\xc0\xaf\",\"\\ud800x\",\"\\udc00\"]";
    char *out = roundtrip(&a, in, sizeof in - 1);
    CHECK(out != NULL);
    CHECK_STR_EQ(out, "[\"a\xef\xbf\xbd" "b\",\"\xef\xbf\xbd\xef\xbf\xbd\",\"\xef\xbf\xbdx\",\"\xef\xbf\xbd\"]");
    /* the writer also sanitises strings set from raw bytes */
    sbuf b = SBUF_INIT;
    json_write_string(&b, "x\x80y", 3);
    CHECK_STR_EQ(b.data, "\"x\xef\xbf\xbdy\"");
    sbuf_free(&b);
    arena_free(&a);
}

TEST(json_surrogate_pair)
{
    arena a;
    arena_init(&a, 0);
    char *out = roundtrip(&a, "\"\\ud83d\\ude00\"", 14);
    CHECK_STR_EQ(out, "\"\xf0\x9f\x98\x80\"");
    arena_free(&a);
}

TEST(json_rejects_malformed)
{
    const char *bad[] = {"", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "tru", "01", "1.", "-", "\"abc", "[1 2]",
                         "{1:2}", "\"\\x\"", "nul", "[1]x", "\"\\u12\""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        arena a;
        arena_init(&a, 0);
        cd_err e;
        cd_err_clear(&e);
        json_value *v = json_parse(&a, bad[i], strlen(bad[i]), 0, &e);
        CHECK_MSG(v == NULL, "accepted malformed JSON: %s", bad[i]);
        CHECK_MSG(strstr(e.msg, "at byte") != NULL, "error has no offset: %s", e.msg);
        arena_free(&a);
    }
}

TEST(json_deep_nesting_bounded)
{
    size_t n = 200000;
    char *s = malloc(2 * n);
    memset(s, '[', n);
    memset(s + n, ']', n);
    arena a;
    arena_init(&a, 0);
    cd_err e;
    json_value *v = json_parse(&a, s, 2 * n, 0, &e);
    CHECK(v == NULL);
    CHECK(strstr(e.msg, "too deep") != NULL);
    /* within the limit it parses */
    v = json_parse(&a, s + n - 100, 200, 0, &e);
    CHECK(v != NULL && v->type == JSON_ARRAY);
    arena_free(&a);
    free(s);
}

TEST(json_object_last_key_wins)
{
    arena a;
    arena_init(&a, 0);
    cd_err e;
    json_value *v = json_parse(&a, "{\"a\":1,\"b\":{\"c\":\"d\"},\"a\":2}", 27, 0, &e);
    CHECK(v != NULL);
    CHECK(json_num(json_object_get(v, "a"), 0) == 2);
    size_t n;
    CHECK_STR_EQ(json_str(json_get_path(v, "b.c"), &n), "d");
    CHECK(json_get_path(v, "b.x") == NULL);
    arena_free(&a);
}

TEST(json_number_formatting)
{
    sbuf b = SBUF_INIT;
    json_write_number(&b, 0.1);
    sbuf_putc(&b, ' ');
    json_write_number(&b, 3.0);
    sbuf_putc(&b, ' ');
    json_write_number(&b, 1.0 / 3.0);
    sbuf_putc(&b, ' ');
    json_write_number(&b, 0.0 / 0.0);
    CHECK_STR_EQ(b.data, "0.1 3 0.3333333333333333 null");
    sbuf_free(&b);
}

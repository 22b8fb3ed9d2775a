/*
 * test_bpe.c: unit tests of the BPE tokenizer on a small in-memory
 * tokenizer.json (tests/tokenizer/small_tokenizer.h). Expected ids follow
 * from the definition of BPE (lowest-rank pair first, leftmost on ties), the
 * expected normal forms from utf8proc itself; parity with the real
 * references is tests/tokenizer/parity_test.sh.
 */
#include "tests/test.h"
#include "tests/tokenizer/small_tokenizer.h"
#include "tokenizer/bpe.h"

#include <stdint.h>
#include <utf8proc.h>

static bpe *small(const char *const *merges, int pair_form)
{
    char *j = small_tokenizer_json(merges, pair_form, NULL);
    cd_err e;
    cd_err_clear(&e);
    bpe *t = bpe_load_json(j, strlen(j), "small", &e);
    if (!t) fprintf(stderr, "load: %s\n", e.msg);
    free(j);
    return t;
}

static size_t enc(const bpe *t, const char *s, unsigned flags, int32_t *out, size_t max)
{
    bpe_ids ids = {0};
    cd_err e;
    CHECK(bpe_encode(t, NULL, s, strlen(s), flags, &ids, &e) == 0);
    size_t n = ids.len < max ? ids.len : max;
    memcpy(out, ids.ids, n * sizeof *out);
    size_t len = ids.len;
    bpe_ids_free(&ids);
    return len;
}

TEST(bpe_merge_order_follows_rank)
{
    /* "abc": with a+b ranked first the result is [ab, c]; reversed, [a, bc]. */
    static const char *const m1[] = {"a", "b", "b", "c", NULL};
    static const char *const m2[] = {"b", "c", "a", "b", NULL};
    bpe *t1 = small(m1, 0), *t2 = small(m2, 1);
    CHECK(t1 && t2);
    int32_t ids[8];
    CHECK_INT_EQ(enc(t1, "abc", 0, ids, 8), 2);
    CHECK_INT_EQ(ids[0], 256); /* ab */
    CHECK_INT_EQ(ids[1], 'c');
    CHECK_INT_EQ(enc(t2, "abc", 0, ids, 8), 2);
    CHECK_INT_EQ(ids[0], 'a');
    CHECK_INT_EQ(ids[1], 256); /* bc */
    /* leftmost wins among equal ranks: "aaa" with a+a -> [aa, a] */
    static const char *const m3[] = {"a", "a", NULL};
    bpe *t3 = small(m3, 0);
    CHECK_INT_EQ(enc(t3, "aaa", 0, ids, 8), 2);
    CHECK_INT_EQ(ids[0], 256);
    CHECK_INT_EQ(ids[1], 'a');
    bpe_free(t1);
    bpe_free(t2);
    bpe_free(t3);
}

TEST(bpe_pretokenizer_and_specials)
{
    bpe *t = small(SMALL_TOK_MERGES, 0);
    CHECK(t);
    size_t nm = 19;
    int32_t eot = (int32_t)(256 + nm), bos = eot + 1;
    CHECK_INT_EQ(bpe_vocab_size(t), 258 + nm);
    CHECK_INT_EQ(bpe_token_to_id(t, "<|endoftext|>", 13), eot);
    CHECK_INT_EQ(bpe_eos_id(t), eot);
    CHECK_INT_EQ(bpe_bos_id(t), bos);
    CHECK_INT_EQ(bpe_token_to_id(t, "hello", 5), 256 + 12);
    CHECK(bpe_is_special(t, eot) && !bpe_is_special(t, 'a'));
    int32_t ids[64];
    /* " the": t+h (rank 0), then th+e (rank 1) comes before " "+th (rank 2) */
    size_t n = enc(t, "hello the", 0, ids, 64);
    CHECK_INT_EQ(n, 3);
    CHECK_INT_EQ(ids[0], 256 + 12);
    CHECK_INT_EQ(ids[1], ' ');
    CHECK_INT_EQ(ids[2], 256 + 1);
    /* " thing": t+h (0), " "+th (2), i+n (3), in+g (4) -> " th" "ing" */
    n = enc(t, " thing", 0, ids, 64);
    CHECK_INT_EQ(n, 2);
    CHECK_INT_EQ(ids[0], 256 + 2);
    CHECK_INT_EQ(ids[1], 256 + 4);
    /* special tokens: recognised only with BPE_PARSE_SPECIAL */
    n = enc(t, "a<|endoftext|>b", BPE_PARSE_SPECIAL, ids, 64);
    CHECK_INT_EQ(n, 3);
    CHECK_INT_EQ(ids[1], eot);
    n = enc(t, "a<|endoftext|>b", 0, ids, 64);
    CHECK(n > 3);
    for (size_t i = 0; i < n; i++) CHECK(ids[i] != eot);
    /* the post-processor adds BOS */
    n = enc(t, "hello", BPE_ADD_SPECIAL, ids, 64);
    CHECK_INT_EQ(n, 2);
    CHECK_INT_EQ(ids[0], bos);
    /* numbers split in groups of three: 12345 -> "123" "45" */
    n = enc(t, "12345", 0, ids, 64);
    CHECK_INT_EQ(n, 3);
    CHECK_INT_EQ(ids[0], 256 + 17);
    CHECK_INT_EQ(ids[1], '4');
    CHECK_INT_EQ(ids[2], '5');
    bpe_free(t);
}

TEST(bpe_hash_is_stable_and_content_based)
{
    bpe *a = small(SMALL_TOK_MERGES, 0), *b = small(SMALL_TOK_MERGES, 1);
    static const char *const other[] = {"t", "h", NULL};
    bpe *c = small(other, 0);
    CHECK(a && b && c);
    CHECK_INT_EQ(strlen(bpe_hash(a)), 16);
    CHECK_STR_EQ(bpe_hash(a), bpe_hash(b)); /* string vs pair merges: same tokenizer */
    CHECK(strcmp(bpe_hash(a), bpe_hash(c)) != 0);
    bpe_free(a);
    bpe_free(b);
    bpe_free(c);
}

TEST(bpe_load_errors_are_clear)
{
    cd_err e;
    CHECK(!bpe_load_json("{\"model\": ", 10, "t.json", &e));
    CHECK(strstr(e.msg, "malformed") != NULL);
    const char *wp = "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{}}}";
    CHECK(!bpe_load_json(wp, strlen(wp), "t.json", &e));
    CHECK_MSG(strstr(e.msg, "unsupported model type 'WordPiece'") != NULL, "%s", e.msg);
    /* a merge naming a token that is not in the vocab */
    char *j = small_tokenizer_json(SMALL_TOK_MERGES, 0, NULL);
    char *p = strstr(j, "\"merges\":[\"");
    CHECK(p != NULL);
    sbuf s = SBUF_INIT;
    sbuf_append(&s, j, (size_t)(p - j) + 11);
    sbuf_puts(&s, "zz qq\",\"");
    sbuf_puts(&s, p + 11);
    CHECK(!bpe_load_json(s.data, s.len, "t.json", &e));
    CHECK_MSG(strstr(e.msg, "merges[0] references a token missing from the vocab: 'zz'") != NULL, "%s", e.msg);
    sbuf_free(&s);
    free(j);
    /* tiktoken: unknown encoding, bad line */
    CHECK(!bpe_load_tiktoken("QQ== 0\n", 7, "nope", &e));
    CHECK(strstr(e.msg, "unknown tiktoken encoding") != NULL);
    CHECK(!bpe_load_tiktoken("QQ==\n", 5, "cl100k_base", &e));
    CHECK(strstr(e.msg, "line 1") != NULL);
}

/* decode(encode(x)) must be NFC(x) as utf8proc computes it on the whole
 * string: this checks the fast path that skips runs NFC cannot change. */
TEST(bpe_nfc_matches_utf8proc)
{
    bpe *t = small(SMALL_TOK_MERGES, 0);
    CHECK(t);
    static const char *const pieces[] = {"e", "\xcc\x81", "a", "\xcc\x88", "\xe1\x84\x80", "\xe1\x85\xa1", "\xe1\x86\xa8",
                                         "\xea\xb0\x80", "\xe2\x84\xab", "\xe2\x84\xa6", "\xe0\xad\x87", "\xe0\xac\xbe",
                                         "\xe3\x81\x8b", "\xe3\x82\x99", " ", "x", "\xc3\xa9", "\xef\xac\x81",
                                         "\xe0\xa5\x98", "\xcd\x85", "\xe4\xb8\x80", "\xf0\x9f\x98\x80", "\xd0\xb8",
                                         "\xcc\x86", "\xe0\xb7\x99", "\xe0\xb7\x8f"};
    size_t np = sizeof pieces / sizeof *pieces;
    uint64_t r = 12345;
    bpe_ctx *ctx = bpe_ctx_new(t);
    for (int round = 0; round < 3000; round++) {
        sbuf s = SBUF_INIT, d = SBUF_INIT;
        int len = 1 + (int)(r % 12);
        for (int i = 0; i < len; i++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            sbuf_puts(&s, pieces[(r >> 33) % np]);
        }
        bpe_ids ids = {0};
        cd_err e;
        CHECK(bpe_encode(t, ctx, s.data, s.len, 0, &ids, &e) == 0);
        bpe_decode(t, ids.ids, ids.len, &d, NULL);
        utf8proc_uint8_t *want = NULL;
        utf8proc_ssize_t wl = utf8proc_map((const utf8proc_uint8_t *)s.data, (utf8proc_ssize_t)s.len, &want,
                                           (utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
        CHECK(wl >= 0);
        CHECK_MSG(d.len == (size_t)wl && !memcmp(d.data, want, (size_t)wl), "NFC differs in round %d", round);
        free(want);
        bpe_ids_free(&ids);
        sbuf_free(&s);
        sbuf_free(&d);
    }
    bpe_ctx_free(ctx);
    bpe_free(t);
}

/* Invalid UTF-8 becomes one U+FFFD per maximal subpart (Unicode 3.9 best
 * practice; the examples are those of the Unicode standard, table 3-8). */
TEST(bpe_invalid_utf8_replacement)
{
    bpe *t = small(NULL, 0);
    CHECK(t);
    struct { const char *in; size_t n; const char *want; } cases[] = {
        {"\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", 13,
         "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD" "d"},
        {"\xC0\xAF", 2, "\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\xED\xA0\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\xF4\x90\x80\x80", 4, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"ok\xF0\x9F\x98", 5, "ok\xEF\xBF\xBD"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bpe_ids ids = {0};
        cd_err e;
        CHECK(bpe_encode(t, NULL, cases[i].in, cases[i].n, 0, &ids, &e) == 0);
        sbuf d = SBUF_INIT;
        bpe_decode(t, ids.ids, ids.len, &d, NULL);
        CHECK_MSG(d.len == strlen(cases[i].want) && !memcmp(d.data, cases[i].want, d.len), "case %zu", i);
        sbuf_free(&d);
        bpe_ids_free(&ids);
    }
    bpe_free(t);
}

/* Dolma #272/#299: a huge document without whitespace must finish (no
 * quadratic merge loop) and round-trip. 100 MB in the release build. */
TEST(bpe_huge_document_without_whitespace)
{
    const char *mode = getenv("CORPUSD_MODE");
    int san = mode && !strcmp(mode, "san");
    size_t n = san ? (4u << 20) : (100u << 20);
    bpe *t = small(SMALL_TOK_MERGES, 0);
    CHECK(t);
    char *s = malloc(n);
    uint64_t r = 7;
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    for (size_t i = 0; i < n; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        s[i] = alpha[(r >> 33) % 65];
    }
    /* and one long single pre-token: 8 MB (1 MB under ASan) of letters */
    size_t word = san ? (1u << 20) : (8u << 20);
    for (size_t i = 0; i < word; i++) s[i] = "thean"[i % 5];
    bpe_ids ids = {0};
    cd_err e;
    bpe_ctx *ctx = bpe_ctx_new(t);
    CHECK(bpe_encode(t, ctx, s, n, 0, &ids, &e) == 0);
    sbuf d = SBUF_INIT;
    bpe_decode(t, ids.ids, ids.len, &d, NULL);
    CHECK(d.len == n && !memcmp(d.data, s, n));
    CHECK(ids.len < n);
    sbuf_free(&d);
    bpe_ids_free(&ids);
    bpe_ctx_free(ctx);
    free(s);
    bpe_free(t);
}

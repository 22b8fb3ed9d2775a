/*
 * test.h: corpusd's unit-test harness.
 *
 *   TEST(json_roundtrip) { CHECK(x == 1); CHECK_STR_EQ(a, b); }
 *
 * Tests register themselves; tests/unit_main.c runs each one in a forked
 * child (so a crash fails one test, not the suite) and prints one line per
 * test: "PASS name", "FAIL name: file:line: what", or "SKIP name: why".
 * Skipping is for missing optional data (../shared) or devices, and always
 * says why.
 */
#ifndef CORPUSD_TESTS_TEST_H
#define CORPUSD_TESTS_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
void test_register(const char *name, test_fn fn);
void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
_Noreturn void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A per-test scratch directory (created on first use, removed after a pass). */
const char *test_tmpdir(void);
/* Path of the shared data directory (../shared/data) or NULL when absent. */
const char *test_shared_data(void);
/* Path of the corpusd binary under test ($CORPUSD or bin/corpusd). */
const char *test_corpusd(void);

#define TEST(name)                                                        \
    static void test_##name(void);                                        \
    __attribute__((constructor)) static void test_reg_##name(void)        \
    {                                                                     \
        test_register(#name, test_##name);                                \
    }                                                                     \
    static void test_##name(void)

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (!(cond)) test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);  \
    } while (0)

#define CHECK_MSG(cond, ...)                                              \
    do {                                                                  \
        if (!(cond)) test_fail(__FILE__, __LINE__, __VA_ARGS__);          \
    } while (0)

#define CHECK_INT_EQ(a, b)                                                                    \
    do {                                                                                      \
        long long a_ = (long long)(a), b_ = (long long)(b);                                   \
        if (a_ != b_) test_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)", #a, #b, a_, b_); \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                                       \
    do {                                                                                         \
        const char *a_ = (a), *b_ = (b);                                                         \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                                   \
            test_fail(__FILE__, __LINE__, "%s == %s (\"%s\" != \"%s\")", #a, #b, a_ ? a_ : "(null)", \
                      b_ ? b_ : "(null)");                                                       \
    } while (0)

#define CHECK_MEM_EQ(a, alen, b, blen)                                                       \
    do {                                                                                     \
        size_t al_ = (alen), bl_ = (blen);                                                   \
        if (al_ != bl_ || memcmp((a), (b), al_) != 0)                                        \
            test_fail(__FILE__, __LINE__, "%s == %s (lengths %zu, %zu)", #a, #b, al_, bl_); \
    } while (0)

#endif

/*
 * unit_main.c: runs the registered unit tests, each in a forked child, and
 * prints a line per test plus the closing "N passed, N failed, N skipped".
 * Usage: unit-tests [FILTER...]  (a test runs when its name contains a filter)
 */
#include "tests/test.h"

#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TESTS 4096
static struct { const char *name; test_fn fn; } g_tests[MAX_TESTS];
static int g_ntests;
static char g_tmp[512];
static int g_fail_fd = -1;

void test_register(const char *name, test_fn fn)
{
    if (g_ntests < MAX_TESTS) {
        g_tests[g_ntests].name = name;
        g_tests[g_ntests].fn = fn;
        g_ntests++;
    }
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(msg, sizeof msg, "%s:%d: ", file, line);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "    %s\n", msg);
    if (g_fail_fd >= 0) {
        size_t len = strlen(msg);
        if (write(g_fail_fd, msg, len) < 0) { /* best effort */ }
        if (write(g_fail_fd, "\n", 1) < 0) { }
    }
    fflush(stderr);
    exit(1);
}

void test_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (g_fail_fd >= 0) {
        if (write(g_fail_fd, msg, strlen(msg)) < 0) { }
    }
    exit(77);
}

const char *test_tmpdir(void)
{
    if (!g_tmp[0]) {
        const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(g_tmp, sizeof g_tmp, "%s/corpusd-test-XXXXXX", base);
        if (!mkdtemp(g_tmp)) {
            perror("mkdtemp");
            exit(1);
        }
    }
    return g_tmp;
}

const char *test_shared_data(void)
{
    static char path[1024];
    const char *env = getenv("CORPUSD_SHARED");
    const char *cands[] = {env, "../shared/data", NULL};
    for (int i = 0; i < 2; i++) {
        if (!cands[i]) continue;
        struct stat st;
        if (stat(cands[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            snprintf(path, sizeof path, "%s", cands[i]);
            return path;
        }
    }
    return NULL;
}

const char *test_corpusd(void)
{
    const char *env = getenv("CORPUSD");
    return env ? env : "bin/corpusd";
}

static int matches(const char *name, int argc, char **argv)
{
    if (argc < 2) return 1;
    for (int i = 1; i < argc; i++)
        if (strstr(name, argv[i])) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0, skipped = 0;
    for (int i = 0; i < g_ntests; i++) {
        if (!matches(g_tests[i].name, argc, argv)) continue;
        int pipefd[2];
        if (pipe(pipefd) != 0) return 2;
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            close(pipefd[0]);
            g_fail_fd = pipefd[1];
            g_tests[i].fn();
            if (g_tmp[0]) {
                char cmd[600];
                snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
                if (system(cmd)) { }
            }
            exit(0);
        }
        close(pipefd[1]);
        char msg[4096];
        size_t got = 0;
        ssize_t r;
        while ((r = read(pipefd[0], msg + got, sizeof msg - 1 - got)) > 0) got += (size_t)r;
        msg[got] = 0;
        close(pipefd[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            printf("PASS %s\n", g_tests[i].name);
            passed++;
        } else if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
            printf("SKIP %s: %s\n", g_tests[i].name, msg);
            skipped++;
        } else {
            char *nl = strchr(msg, '\n');
            if (nl) *nl = 0;
            if (WIFSIGNALED(status))
                printf("FAIL %s: killed by signal %d %s\n", g_tests[i].name, WTERMSIG(status), msg);
            else
                printf("FAIL %s: %s\n", g_tests[i].name, msg[0] ? msg : "exited non-zero (sanitizer report above?)");
            failed++;
        }
        fflush(stdout);
    }
    printf("unit: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}

/*
 * log.c: see log.h. One mutex serialises both sinks.
 */
#include "core/log.h"
#include "core/json.h"
#include "core/util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t g_log_mu = PTHREAD_MUTEX_INITIALIZER;
static log_level g_min = LOG_INFO;
static int g_quiet;
static int g_progress;
static FILE *g_file;

void log_set_level(log_level min) { g_min = min; }
void log_set_quiet(int quiet) { g_quiet = quiet; }
void log_set_progress_active(int active) { g_progress = active; }

int log_open_file(const char *path)
{
    pthread_mutex_lock(&g_log_mu);
    if (g_file) fclose(g_file);
    g_file = fopen(path, "ae");
    pthread_mutex_unlock(&g_log_mu);
    return g_file ? 0 : -1;
}

void log_close_file(void)
{
    pthread_mutex_lock(&g_log_mu);
    if (g_file) fclose(g_file);
    g_file = NULL;
    pthread_mutex_unlock(&g_log_mu);
}

static const char *NAMES[] = {"debug", "info", "warn", "error"};

void log_msg(log_level lvl, const char *fmt, ...)
{
    if (lvl < g_min && !g_file) return;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[40];
    snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    pthread_mutex_lock(&g_log_mu);
    if (lvl >= g_min && !g_quiet) {
        if (g_progress) fputs("\r\033[K", stderr);
        fprintf(stderr, "corpusd: %s: %s\n", NAMES[lvl], msg);
    }
    if (g_file) {
        sbuf b = SBUF_INIT;
        sbuf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", stamp, NAMES[lvl]);
        json_write_string(&b, msg, strlen(msg));
        sbuf_puts(&b, "}\n");
        fwrite(b.data, 1, b.len, g_file);
        fflush(g_file);
        sbuf_free(&b);
    }
    pthread_mutex_unlock(&g_log_mu);
}

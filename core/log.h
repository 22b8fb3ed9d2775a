/*
 * log.h: logging. Messages go to stderr (human form) and, once a run has a
 * log directory, to logs/corpusd.jsonl as structured JSON lines. Thread-safe.
 */
#ifndef CORPUSD_CORE_LOG_H
#define CORPUSD_CORE_LOG_H

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

void log_set_level(log_level min);
void log_set_quiet(int quiet);             /* stderr off (file logging stays) */
int log_open_file(const char *path);       /* JSON-lines log file; 0 ok */
void log_close_file(void);
void log_msg(log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Called by the progress line so log output does not collide with it. */
void log_set_progress_active(int active);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif

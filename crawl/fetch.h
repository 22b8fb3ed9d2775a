/*
 * fetch.h: downloads over libcurl for the crawl stage.
 *
 *  - fetch_source_open(): an io_source that streams one URL (http, https,
 *    s3) straight into a reader. It drives a curl multi handle from the
 *    reader's own read() calls, so no thread is needed, and fetches up to
 *    stream_parallel Range segments of segment_size bytes at once, which the
 *    reader receives strictly in order. A transfer that
 *    drops, stalls, answers 429/5xx or ends short of its Content-Length is
 *    retried with exponential backoff and jitter, and resumed with a Range
 *    request from the last byte delivered; a server that ignores the Range
 *    has the bytes already delivered skipped. The source either delivers the
 *    complete body or fails with a clear error after its retries: it never
 *    ends silently short.
 *  - fetch_many(): parallel downloads to a directory (multi interface), at
 *    most `parallel` transfers at once and `per_host` per host, with the same
 *    retry and length rules, written to a temporary name and renamed.
 *  - fetch_get(): a small whole resource into memory (collinfo.json, paths).
 *
 * s3://BUCKET/KEY URLs are signed with libcurl's AWS SigV4
 * (CURLOPT_AWS_SIGV4) using AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
 * (/ AWS_SESSION_TOKEN) and AWS_REGION (default us-east-1); the endpoint
 * is AWS_ENDPOINT_URL when set (path style), else
 * https://BUCKET.s3.amazonaws.com. Proxies come from the environment
 * (http_proxy, https_proxy, no_proxy), which libcurl reads itself.
 *
 * With cache_dir set, a finished download is kept under
 * cache_dir/<host>/<path> and later opens of the same URL read that file.
 *
 * One source belongs to one thread. curl_global_init runs once, guarded.
 */
#ifndef CORPUSD_CRAWL_FETCH_H
#define CORPUSD_CRAWL_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/io.h"
#include "core/util.h"

typedef struct fetch_opts {
    int max_retries;           /* attempts after the first */
    double backoff_base;       /* seconds; doubles each retry, +-50% jitter */
    double backoff_max;        /* seconds */
    long connect_timeout;      /* seconds */
    long stall_timeout;        /* seconds with under 1 byte/s = a stall */
    const char *user_agent;
    const char *cache_dir;     /* NULL = no cache */
    int parallel;              /* fetch_many: transfers at once */
    int per_host;              /* fetch_many: transfers at once per host */
    int stream_parallel;       /* fetch_source: ranged segments in flight; 1 = one transfer */
    uint64_t segment_size;     /* fetch_source: bytes per segment */
    int quiet;                 /* no retry messages in the log */
} fetch_opts;

void fetch_opts_default(fetch_opts *o);
int fetch_is_url(const char *path);

/* Streams [offset, offset+length) of url (length 0 = to the end). */
int fetch_source_open(const char *url, uint64_t offset, uint64_t length, const fetch_opts *o,
                      io_source *out, cd_err *e);
/* Whole resource into out (at most max_bytes). */
int fetch_get(const char *url, const fetch_opts *o, uint64_t max_bytes, sbuf *out, cd_err *e);

typedef struct fetch_result {
    int ok;                    /* 1 when the file is complete */
    char *path;                /* where it was written */
    char err[256];
    int attempts;
    uint64_t bytes;
} fetch_result;

/* Downloads urls[i] to dir/<basename> (dir/<i>-<basename> when an earlier
 * URL has the same base name); res has n entries (free with
 * fetch_results_free). Returns the number of failures. */
int fetch_many(const char *const *urls, size_t n, const char *dir, const fetch_opts *o,
               fetch_result *res);
void fetch_results_free(fetch_result *res, size_t n);

#endif

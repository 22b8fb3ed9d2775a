/*
 * fetch.c: libcurl transfers with retries, resume and length checks (see
 * fetch.h for the contract).
 *
 * One `xfer` is one logical download of [offset, offset+length) of a URL.
 * It may take several HTTP attempts; each attempt asks for the bytes from
 * offset+delivered on (a Range request once anything was delivered). The
 * header callback judges every response before its body is used:
 *   - 200 to a ranged request: the server ignored Range, so the bytes
 *     already delivered are skipped;
 *   - 206: Content-Range must start where we asked, else the attempt fails;
 *   - 429 and 5xx: the body is discarded and the attempt is retried;
 *   - other 4xx/3xx leftovers: a permanent failure.
 * An attempt that ends (curl error, stall, drop) before the expected end
 * is retried after min(backoff_max, backoff_base * 2^n) seconds, times a
 * jitter factor in [0.5, 1.5). After max_retries the download fails with a
 * message naming the URL, the attempts and the last error.
 */
#include "crawl/fetch.h"

#include "core/log.h"
#include "core/version.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void fetch_opts_default(fetch_opts *o)
{
    o->max_retries = 6;        /* 0.5+1+2+4+8+16 s: rides out a minute-long hiccup */
    o->backoff_base = 0.5;
    o->backoff_max = 30.0;
    o->connect_timeout = 30;
    o->stall_timeout = 60;
    o->user_agent = "corpusd/" CORPUSD_VERSION " (pretraining-data curation; +https://commoncrawl.org/ faq)";
    o->cache_dir = NULL;
    o->parallel = 8;
    o->per_host = 4;
    o->quiet = 0;
    /* Overrides for tests and operators (documented in docs/crawl.md). */
    const char *v;
    if ((v = getenv("CORPUSD_FETCH_RETRIES")) && *v) o->max_retries = atoi(v);
    if ((v = getenv("CORPUSD_FETCH_BACKOFF")) && *v) o->backoff_base = atof(v);
    if ((v = getenv("CORPUSD_FETCH_STALL")) && *v) o->stall_timeout = atol(v);
}

int fetch_is_url(const char *p)
{
    return !strncasecmp(p, "http://", 7) || !strncasecmp(p, "https://", 8) || !strncasecmp(p, "s3://", 5);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ xfer */

typedef struct xfer xfer;
typedef int (*xfer_sink)(xfer *x, const char *p, size_t n);   /* 0 ok, 1 pause, -1 abort */

struct xfer {
    char *url;                 /* http(s) URL actually requested */
    char *name;                /* as the user wrote it */
    int s3;
    char *s3_sigv4, *s3_userpwd, *s3_token;
    fetch_opts o;
    uint64_t offset, length;   /* length 0 = to the end */
    uint64_t delivered;
    uint64_t end_abs;          /* expected end (absolute); valid when end_known */
    int end_known;
    uint64_t skip;             /* bytes to drop (server ignored Range) */
    int accept;                /* this response's body is ours */
    long code;
    int attempts;
    double next_try;
    CURL *easy;
    struct curl_slist *hdrs;
    char errbuf[CURL_ERROR_SIZE];
    char err[512];
    int done, failed, paused;
    xfer_sink sink;
    void *sink_ctx;
    uint64_t rng;
};

static double jitter(xfer *x)
{
    x->rng ^= x->rng << 13;
    x->rng ^= x->rng >> 7;
    x->rng ^= x->rng << 17;
    return 0.5 + (double)(x->rng >> 11) / (double)(1ull << 53);
}

static int xfer_init(xfer *x, const char *url, uint64_t offset, uint64_t length, const fetch_opts *o, cd_err *e)
{
    memset(x, 0, sizeof *x);
    x->o = *o;
    x->name = xstrdup(url);
    x->offset = offset;
    x->length = length;
    x->rng = (uint64_t)(uintptr_t)x ^ (uint64_t)(now_s() * 1e9) ^ 0x9E3779B97F4A7C15ull;
    if (!x->rng) x->rng = 1;
    if (!strncasecmp(url, "s3://", 5)) {
        const char *b = url + 5, *slash = strchr(b, '/');
        if (!slash || slash == b || !slash[1]) {
            free(x->name);
            return cd_fail(e, CD_ECONFIG, "%s: an s3 URL is s3://BUCKET/KEY", url);
        }
        const char *ep = getenv("AWS_ENDPOINT_URL");
        const char *region = getenv("AWS_REGION") ? getenv("AWS_REGION") : getenv("AWS_DEFAULT_REGION");
        if (!region || !*region) region = "us-east-1";
        if (ep && *ep) {
            size_t el = strlen(ep);
            while (el && ep[el - 1] == '/') el--;
            x->url = xasprintf("%.*s/%.*s%s", (int)el, ep, (int)(slash - b), b, slash);
        } else {
            x->url = xasprintf("https://%.*s.s3.amazonaws.com%s", (int)(slash - b), b, slash);
        }
        x->s3 = 1;
        const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
        if (ak && sk && *ak) {
            x->s3_sigv4 = xasprintf("aws:amz:%s:s3", region);
            x->s3_userpwd = xasprintf("%s:%s", ak, sk);
            const char *tok = getenv("AWS_SESSION_TOKEN");
            if (tok && *tok) x->s3_token = xasprintf("x-amz-security-token: %s", tok);
        }
    } else {
        x->url = xstrdup(url);
    }
    return 0;
}

static void xfer_free(xfer *x)
{
    if (x->easy) curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->hdrs);
    free(x->url);
    free(x->name);
    free(x->s3_sigv4);
    free(x->s3_userpwd);
    free(x->s3_token);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
        const char *sp = memchr(p, ' ', len);
        x->code = sp ? strtol(sp + 1, NULL, 10) : 0;
        x->accept = 0;
        return len;
    }
    uint64_t want = x->offset + x->delivered;
    if (len > 14 && !strncasecmp(p, "Content-Range:", 14) && x->code == 206) {
        const char *q = p + 14;
        while (*q == ' ') q++;
        if (!strncasecmp(q, "bytes", 5)) q += 5;
        while (*q == ' ') q++;
        unsigned long long a = strtoull(q, NULL, 10);
        const char *dash = strchr(q, '-');
        unsigned long long b = dash ? strtoull(dash + 1, NULL, 10) : 0;
        if (a != want || !dash) {
            snprintf(x->err, sizeof x->err, "Content-Range starts at %llu, asked for %llu", a,
                     (unsigned long long)want);
            return 0;   /* abort the attempt */
        }
        uint64_t end = b + 1;
        if (x->length && end > x->offset + x->length) end = x->offset + x->length;
        if (!x->end_known || end < x->end_abs) x->end_abs = end;
        x->end_known = 1;
        return len;
    }
    if (len > 15 && !strncasecmp(p, "Content-Length:", 15) && x->code == 200) {
        unsigned long long cl = strtoull(p + 15, NULL, 10);
        uint64_t end = cl;
        if (x->length && end > x->offset + x->length) end = x->offset + x->length;
        x->end_abs = end;
        x->end_known = 1;
        return len;
    }
    if (len <= 2 && (x->code == 200 || x->code == 206)) {
        /* End of the final headers: this body is ours. */
        x->accept = 1;
        x->skip = x->code == 200 ? want : 0;
        if (x->code == 206 && !x->end_known && x->length) {
            x->end_abs = x->offset + x->length;
            x->end_known = 1;
        }
    }
    return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n, all = len;
    if (!x->accept) return len;   /* an error page, or a redirect body */
    if (len && x->sink(x, NULL, 0) > 0) {
        /* Full: curl calls again with the same bytes once unpaused. */
        x->paused = 1;
        return CURL_WRITEFUNC_PAUSE;
    }
    if (x->skip) {
        size_t k = x->skip < len ? (size_t)x->skip : len;
        x->skip -= k;
        p += k;
        len -= k;
    }
    if (x->length) {
        uint64_t room = x->offset + x->length - (x->offset + x->delivered);
        if (len > room) len = (size_t)room;
    }
    if (len) {
        if (x->sink(x, p, len) < 0) return 0;
        x->delivered += len;
    }
    return all;
}

static int xfer_start(xfer *x, CURLM *multi)
{
    if (x->easy) curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->hdrs);
    x->hdrs = NULL;
    x->easy = curl_easy_init();
    if (!x->easy) cd_die("curl_easy_init failed");
    x->attempts++;
    x->accept = 0;
    x->skip = 0;
    x->code = 0;
    x->errbuf[0] = 0;
    x->err[0] = 0;
    CURL *c = x->easy;
    curl_easy_setopt(c, CURLOPT_URL, x->url);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, x->o.user_agent);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, x->o.connect_timeout);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, x->o.stall_timeout);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_PRIVATE, x);
    /* Identity only: a Content-Encoding would break the byte offsets. */
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, NULL);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    uint64_t from = x->offset + x->delivered;
    if (from || x->length) {
        char range[64];
        if (x->length)
            snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)from,
                     (unsigned long long)(x->offset + x->length - 1));
        else
            snprintf(range, sizeof range, "%llu-", (unsigned long long)from);
        curl_easy_setopt(c, CURLOPT_RANGE, range);
    }
    if (x->s3_sigv4) {
        curl_easy_setopt(c, CURLOPT_AWS_SIGV4, x->s3_sigv4);
        curl_easy_setopt(c, CURLOPT_USERPWD, x->s3_userpwd);
        if (x->s3_token) x->hdrs = curl_slist_append(x->hdrs, x->s3_token);
    }
    if (x->hdrs) curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->hdrs);
    return curl_multi_add_handle(multi, c) == CURLM_OK ? 0 : -1;
}

/* After an attempt ends: 1 = complete, 0 = retry scheduled, -1 = failed. */
static int xfer_finish(xfer *x, CURLM *multi, CURLcode res)
{
    curl_multi_remove_handle(multi, x->easy);
    long code = x->code;
    int retry = 0;
    char why[512];
    if (res != CURLE_OK) {
        snprintf(why, sizeof why, "%s", x->err[0] ? x->err : x->errbuf[0] ? x->errbuf : curl_easy_strerror(res));
        retry = 1;
    } else if (code == 429 || code >= 500) {
        snprintf(why, sizeof why, "HTTP %ld", code);
        retry = 1;
    } else if (code == 416 && x->end_known && x->offset + x->delivered >= x->end_abs) {
        x->done = 1;
        return 1;
    } else if (code != 200 && code != 206) {
        snprintf(x->err, sizeof x->err, "%s: HTTP %ld", x->name, code ? code : 0L);
        x->failed = 1;
        return -1;
    } else if (x->end_known && x->offset + x->delivered < x->end_abs) {
        snprintf(why, sizeof why, "body ended at byte %llu of %llu",
                 (unsigned long long)(x->offset + x->delivered), (unsigned long long)x->end_abs);
        retry = 1;
    } else {
        x->done = 1;
        return 1;
    }
    if (retry && x->attempts > x->o.max_retries) {
        snprintf(x->err, sizeof x->err, "%s: failed after %d attempts (%llu bytes received): %s", x->name,
                 x->attempts, (unsigned long long)x->delivered, why);
        x->failed = 1;
        return -1;
    }
    double wait = x->o.backoff_base;
    for (int i = 1; i < x->attempts && wait < x->o.backoff_max; i++) wait *= 2;
    if (wait > x->o.backoff_max) wait = x->o.backoff_max;
    wait *= jitter(x);
    if (!x->o.quiet)
        log_warn("%s: %s; retry %d/%d in %.1fs from byte %llu", x->name, why, x->attempts, x->o.max_retries, wait,
                 (unsigned long long)(x->offset + x->delivered));
    x->next_try = now_s() + wait;
    return 0;
}

/* ---------------------------------------------------------------- source */

typedef struct fsrc {
    xfer x;
    CURLM *multi;
    int running;
    sbuf buf;
    size_t bpos;
    FILE *cache;
    char *cache_tmp, *cache_final;
    int cache_fd;              /* reading a cached copy */
} fsrc;

#define SRC_HIGH (8u << 20)

static int src_sink(xfer *x, const char *p, size_t n)
{
    fsrc *s = x->sink_ctx;
    if (!p) return s->buf.len - s->bpos >= SRC_HIGH;
    if (s->bpos && s->bpos == s->buf.len) {
        s->buf.len = 0;
        s->bpos = 0;
    }
    sbuf_append(&s->buf, p, n);
    if (s->cache && fwrite(p, 1, n, s->cache) != n) {
        fclose(s->cache);
        s->cache = NULL;
        remove(s->cache_tmp);
    }
    return 0;
}

static ssize_t src_read(void *ctx, void *out, size_t n, cd_err *e)
{
    fsrc *s = ctx;
    if (s->cache_fd >= 0) {
        for (;;) {
            ssize_t k = read(s->cache_fd, out, n);
            if (k < 0 && errno == EINTR) continue;
            if (k < 0) return cd_fail(e, CD_EIO, "%s: %s", s->cache_final, strerror(errno));
            return k;
        }
    }
    for (;;) {
        if (s->bpos < s->buf.len) {
            size_t k = s->buf.len - s->bpos < n ? s->buf.len - s->bpos : n;
            memcpy(out, s->buf.data + s->bpos, k);
            s->bpos += k;
            if (s->x.paused && s->buf.len - s->bpos < SRC_HIGH / 2) {
                s->x.paused = 0;
                curl_easy_pause(s->x.easy, CURLPAUSE_CONT);
            }
            return (ssize_t)k;
        }
        if (s->x.done) {
            if (s->cache) {
                int ok = fclose(s->cache) == 0;
                s->cache = NULL;
                if (ok) rename(s->cache_tmp, s->cache_final);
                else remove(s->cache_tmp);
            }
            return 0;
        }
        if (s->x.failed) return cd_fail(e, CD_EIO, "%s", s->x.err);
        if (!s->running) {
            double wait = s->x.next_try - now_s();
            if (wait > 0) {
                struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
                nanosleep(&ts, NULL);
            }
            if (xfer_start(&s->x, s->multi)) return cd_fail(e, CD_EIO, "%s: cannot start a transfer", s->x.name);
            s->running = 1;
        }
        int still = 0;
        curl_multi_perform(s->multi, &still);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(s->multi, &left))) {
            if (m->msg != CURLMSG_DONE) continue;
            s->running = 0;
            xfer_finish(&s->x, s->multi, m->data.result);
        }
        if (s->running && s->bpos == s->buf.len && !s->x.paused) curl_multi_poll(s->multi, NULL, 0, 200, NULL);
    }
}

static void src_close(void *ctx)
{
    fsrc *s = ctx;
    if (s->x.easy) curl_multi_remove_handle(s->multi, s->x.easy);
    xfer_free(&s->x);
    if (s->multi) curl_multi_cleanup(s->multi);
    if (s->cache) {
        fclose(s->cache);
        remove(s->cache_tmp);
    }
    if (s->cache_fd >= 0) close(s->cache_fd);
    free(s->cache_tmp);
    free(s->cache_final);
    sbuf_free(&s->buf);
    free(s);
}

static char *cache_path(const char *dir, const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    char *rel = xstrdup(p);
    for (char *c = rel; *c; c++)
        if (*c == '?' || *c == '#' || *c == ':' || (*c == '.' && c[1] == '.')) *c = '_';
    char *path = xasprintf("%s/%s", dir, rel);
    free(rel);
    return path;
}

int fetch_source_open(const char *url, uint64_t offset, uint64_t length, const fetch_opts *o, io_source *out,
                      cd_err *e)
{
    pthread_once(&curl_once, curl_init_once);
    fsrc *s = xcalloc(1, sizeof *s);
    s->cache_fd = -1;
    if (xfer_init(&s->x, url, offset, length, o, e)) {
        free(s);
        return -1;
    }
    s->x.sink = src_sink;
    s->x.sink_ctx = s;
    if (o->cache_dir && !offset && !length) {
        s->cache_final = cache_path(o->cache_dir, url);
        s->cache_fd = open(s->cache_final, O_RDONLY | O_CLOEXEC);
        if (s->cache_fd < 0) {
            char *dir = xstrdup(s->cache_final);
            char *slash = strrchr(dir, '/');
            if (slash) *slash = 0;
            cd_err me;
            if (cd_mkdirs(dir, &me) == 0) {
                s->cache_tmp = xasprintf("%s.part%d", s->cache_final, (int)getpid());
                s->cache = fopen(s->cache_tmp, "wb");
            }
            free(dir);
        }
    }
    if (s->cache_fd < 0) {
        s->multi = curl_multi_init();
        if (!s->multi) cd_die("curl_multi_init failed");
    }
    out->ctx = s;
    out->read = src_read;
    out->close = src_close;
    out->name = s->x.name;
    return 0;
}

int fetch_get(const char *url, const fetch_opts *o, uint64_t max_bytes, sbuf *out, cd_err *e)
{
    io_source src;
    if (fetch_source_open(url, 0, 0, o, &src, e)) return -1;
    char buf[65536];
    int rc = 0;
    for (;;) {
        ssize_t k = src.read(src.ctx, buf, sizeof buf, e);
        if (k < 0) {
            rc = -1;
            break;
        }
        if (k == 0) break;
        if (max_bytes && out->len + (size_t)k > max_bytes) {
            rc = cd_fail(e, CD_EINPUT, "%s: larger than %llu bytes", url, (unsigned long long)max_bytes);
            break;
        }
        sbuf_append(out, buf, (size_t)k);
    }
    src.close(src.ctx);
    return rc;
}

/* ------------------------------------------------------------------- many */

typedef struct mfile {
    xfer x;
    FILE *f;
    char *tmp;
    char host[256];
    int state;                 /* 0 waiting, 1 running, 2 finished */
} mfile;

static int file_sink(xfer *x, const char *p, size_t n)
{
    mfile *m = x->sink_ctx;
    if (!p) return 0;
    return fwrite(p, 1, n, m->f) == n ? 0 : -1;
}

static void host_of(const char *url, char *out, size_t n)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t k = strcspn(p, "/?#");
    snprintf(out, n, "%.*s", (int)k, p);
}

int fetch_many(const char *const *urls, size_t n, const char *dir, const fetch_opts *o, fetch_result *res)
{
    pthread_once(&curl_once, curl_init_once);
    memset(res, 0, n * sizeof *res);
    mfile *fs = xcalloc(n ? n : 1, sizeof *fs);
    CURLM *multi = curl_multi_init();
    int failures = 0;
    cd_err e;
    if (cd_mkdirs(dir, &e)) {
        for (size_t i = 0; i < n; i++) snprintf(res[i].err, sizeof res[i].err, "%s", e.msg);
        curl_multi_cleanup(multi);
        free(fs);
        return (int)n;
    }
    for (size_t i = 0; i < n; i++) {
        const char *base = strrchr(urls[i], '/');
        base = base ? base + 1 : urls[i];
        res[i].path = xasprintf("%s/%s", dir, *base ? base : "index");
        for (size_t j = 0; j < i; j++)
            if (res[j].path && !strcmp(res[j].path, res[i].path)) {
                /* Two URLs with one base name: number the later one. */
                free(res[i].path);
                res[i].path = xasprintf("%s/%zu-%s", dir, i, *base ? base : "index");
                break;
            }
        if (xfer_init(&fs[i].x, urls[i], 0, 0, o, &e)) {
            snprintf(res[i].err, sizeof res[i].err, "%s", e.msg);
            fs[i].state = 2;
            failures++;
            continue;
        }
        fs[i].x.sink = file_sink;
        fs[i].x.sink_ctx = &fs[i];
        fs[i].tmp = xasprintf("%s.part", res[i].path);
        host_of(fs[i].x.url, fs[i].host, sizeof fs[i].host);
    }
    int parallel = o->parallel > 0 ? o->parallel : 1, per_host = o->per_host > 0 ? o->per_host : 1;
    for (;;) {
        int running = 0, pending = 0;
        for (size_t i = 0; i < n; i++) running += fs[i].state == 1, pending += fs[i].state == 0;
        if (!running && !pending) break;
        double t = now_s();
        for (size_t i = 0; i < n && running < parallel; i++) {
            if (fs[i].state != 0 || fs[i].x.next_try > t) continue;
            int same = 0;
            for (size_t j = 0; j < n; j++) same += fs[j].state == 1 && !strcmp(fs[j].host, fs[i].host);
            if (same >= per_host) continue;
            if (!fs[i].f) fs[i].f = fopen(fs[i].tmp, fs[i].x.delivered ? "ab" : "wb");
            if (!fs[i].f) {
                snprintf(res[i].err, sizeof res[i].err, "%s: %s", fs[i].tmp, strerror(errno));
                fs[i].state = 2;
                failures++;
                continue;
            }
            if (xfer_start(&fs[i].x, multi) == 0) {
                fs[i].state = 1;
                running++;
            }
        }
        int still = 0;
        curl_multi_perform(multi, &still);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left))) {
            if (m->msg != CURLMSG_DONE) continue;
            xfer *x = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            mfile *f = (mfile *)x;
            size_t i = (size_t)(f - fs);
            int r = xfer_finish(x, multi, m->data.result);
            fflush(f->f);
            if (r == 0) {
                f->state = 0;   /* retry later, appending */
                continue;
            }
            f->state = 2;
            int ok = r == 1 && fclose(f->f) == 0;
            f->f = NULL;
            if (ok && rename(f->tmp, res[i].path) == 0) {
                res[i].ok = 1;
            } else {
                if (r == 1) snprintf(res[i].err, sizeof res[i].err, "%s: cannot write", res[i].path);
                else snprintf(res[i].err, sizeof res[i].err, "%s", x->err);
                remove(f->tmp);
                failures++;
            }
        }
        if (running) curl_multi_poll(multi, NULL, 0, 200, NULL);
        else {
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    for (size_t i = 0; i < n; i++) {
        res[i].attempts = fs[i].x.attempts;
        res[i].bytes = fs[i].x.delivered;
        if (fs[i].f) fclose(fs[i].f);
        if (fs[i].x.url) xfer_free(&fs[i].x);
        free(fs[i].tmp);
    }
    curl_multi_cleanup(multi);
    free(fs);
    return failures;
}

void fetch_results_free(fetch_result *res, size_t n)
{
    for (size_t i = 0; i < n; i++) free(res[i].path);
}

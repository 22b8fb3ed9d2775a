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

#include "core/lazy_curl.h"
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
    o->stream_parallel = 4;    /* 4 x 8 MiB in flight: 32 MiB per stream at most */
    o->segment_size = 8u << 20;
    o->quiet = 0;
    /* Overrides for tests and operators (documented in docs/crawl.md). */
    const char *v;
    if ((v = getenv("CORPUSD_FETCH_RETRIES")) && *v) o->max_retries = atoi(v);
    if ((v = getenv("CORPUSD_FETCH_BACKOFF")) && *v) o->backoff_base = atof(v);
    if ((v = getenv("CORPUSD_FETCH_STALL")) && *v) o->stall_timeout = atol(v);
    if ((v = getenv("CORPUSD_FETCH_PARALLEL")) && *v) o->stream_parallel = atoi(v);
    if ((v = getenv("CORPUSD_FETCH_SEGMENT")) && *v && cd_parse_size(v) > 0) o->segment_size = (uint64_t)cd_parse_size(v);
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
    uint64_t total;            /* size of the whole resource, when a response said */
    int total_known;
    int whole_ok;              /* a 200 may deliver everything from offset on */
    int complete_early;        /* a 200 to a Range gave all we wanted: stopped */
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
        /* A segment asked for with Range whose server answers 200: take the
         * rest of the resource through this one transfer instead. */
        if (x->code == 200 && x->whole_ok) x->length = 0;
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
        const char *slash = strchr(q, '/');
        if (slash && slash[1] >= '0' && slash[1] <= '9') {
            x->total = strtoull(slash + 1, NULL, 10);
            x->total_known = 1;
        }
        uint64_t end = b + 1;
        if (x->length && end > x->offset + x->length) end = x->offset + x->length;
        if (!x->end_known || end < x->end_abs) x->end_abs = end;
        x->end_known = 1;
        return len;
    }
    if (len > 15 && !strncasecmp(p, "Content-Length:", 15) && x->code == 200) {
        unsigned long long cl = strtoull(p + 15, NULL, 10);
        x->total = cl;
        x->total_known = 1;
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
    if (x->code == 200 && x->length && x->delivered >= x->length) {
        /* The server ignored Range and we have our bytes: stop reading. */
        x->complete_early = 1;
        return all ? 0 : all;
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
    x->complete_early = 0;
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
    if (x->complete_early) {
        x->done = 1;
        return 1;
    }
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

/* A stream is a queue of segments, each one xfer over its own byte range,
 * delivered strictly in order. The first segment learns the resource's size
 * (Content-Range: .../TOTAL); then up to `stream_parallel` segments of
 * `segment_size` bytes run at once on one multi handle, so a slow or
 * dropped connection delays one segment, not the stream. A server that
 * answers 200 to the first Range gets one transfer for everything (then
 * paused when the reader falls behind). */

typedef struct seg {
    xfer x;
    sbuf buf;
    size_t bpos;
    int running;
    struct fsrc *src;
} seg;

typedef struct fsrc {
    char *url;
    fetch_opts o;
    CURLM *multi;
    seg **q;                   /* segments in order; q[0] is being read */
    size_t nq;
    uint64_t next_off;         /* first byte not yet given to a segment */
    uint64_t end;              /* end of the wanted range, once known */
    int end_known, single;
    int chain;                 /* 206 without a total: one more open-ended transfer */
    uint64_t offset, length;
    FILE *cache;
    char *cache_tmp, *cache_final;
    int cache_fd;              /* reading a cached copy */
    char *name;
} fsrc;

#define SRC_HIGH (8u << 20)

static int seg_sink(xfer *x, const char *p, size_t n)
{
    seg *g = x->sink_ctx;
    if (!p) return g->src->single && g->buf.len - g->bpos >= SRC_HIGH;
    if (g->bpos && g->bpos == g->buf.len) {
        g->buf.len = 0;
        g->bpos = 0;
    }
    sbuf_append(&g->buf, p, n);
    return 0;
}

static seg *seg_new(fsrc *s, uint64_t off, uint64_t len, cd_err *e)
{
    seg *g = xcalloc(1, sizeof *g);
    if (xfer_init(&g->x, s->url, off, len, &s->o, e)) {
        free(g);
        return NULL;
    }
    g->x.sink = seg_sink;
    g->x.sink_ctx = g;
    g->src = s;
    return g;
}

static void seg_free(fsrc *s, seg *g)
{
    if (g->running) curl_multi_remove_handle(s->multi, g->x.easy);
    xfer_free(&g->x);
    sbuf_free(&g->buf);
    free(g);
}

/* Adds segments up to the parallel limit once the size is known. */
static int schedule(fsrc *s, cd_err *e)
{
    int par = s->o.stream_parallel > 1 ? s->o.stream_parallel : 1;
    while (s->end_known && !s->single && s->nq < (size_t)par && s->next_off < s->end) {
        uint64_t len = s->end - s->next_off;
        if (len > s->o.segment_size) len = s->o.segment_size;
        seg *g = seg_new(s, s->next_off, len, e);
        if (!g) return -1;
        s->q = xrealloc(s->q, (s->nq + 1) * sizeof *s->q);
        s->q[s->nq++] = g;
        s->next_off += len;
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
        seg *h = s->nq ? s->q[0] : NULL;
        if (h && h->bpos < h->buf.len) {
            size_t k = h->buf.len - h->bpos < n ? h->buf.len - h->bpos : n;
            memcpy(out, h->buf.data + h->bpos, k);
            if (s->cache && fwrite(out, 1, k, s->cache) != k) {
                fclose(s->cache);
                s->cache = NULL;
                remove(s->cache_tmp);
            }
            h->bpos += k;
            if (h->x.paused && h->buf.len - h->bpos < SRC_HIGH / 2) {
                h->x.paused = 0;
                curl_easy_pause(h->x.easy, CURLPAUSE_CONT);
            }
            return (ssize_t)k;
        }
        if (h && h->x.done) {
            uint64_t next = h->x.offset + h->x.delivered;
            int chain = s->chain && h->x.length && h->x.delivered == h->x.length;
            seg_free(s, h);
            memmove(s->q, s->q + 1, (s->nq - 1) * sizeof *s->q);
            s->nq--;
            if (chain) {
                /* The server did not say how big the resource is: ask for
                 * the rest in one open-ended transfer. */
                s->chain = 0;
                uint64_t rest = s->length ? s->offset + s->length - next : 0;
                if (!s->length || rest) {
                    seg *g = seg_new(s, next, rest, e);
                    if (!g) return -1;
                    s->q = xrealloc(s->q, (s->nq + 1) * sizeof *s->q);
                    s->q[s->nq++] = g;
                }
            }
            if (schedule(s, e)) return -1;
            continue;
        }
        if (!h) {
            if (s->cache) {
                int ok = fclose(s->cache) == 0;
                s->cache = NULL;
                if (ok) rename(s->cache_tmp, s->cache_final);
                else remove(s->cache_tmp);
            }
            return 0;
        }
        /* Start what may start; fail on the first segment that failed. */
        double t = now_s(), wake = t + 0.2;
        for (size_t i = 0; i < s->nq; i++) {
            seg *g = s->q[i];
            if (g->x.failed) return cd_fail(e, CD_EIO, "%s", g->x.err);
            if (g->running || g->x.done) continue;
            if (g->x.next_try > t) {
                if (g->x.next_try < wake) wake = g->x.next_try;
                continue;
            }
            if (xfer_start(&g->x, s->multi)) return cd_fail(e, CD_EIO, "%s: cannot start a transfer", s->name);
            g->running = 1;
        }
        int still = 0;
        curl_multi_perform(s->multi, &still);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(s->multi, &left))) {
            if (m->msg != CURLMSG_DONE) continue;
            seg *g = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&g);
            g->running = 0;
            xfer_finish(&g->x, s->multi, m->data.result);
        }
        /* The first segment tells the size (or that Range is not honoured). */
        if (!s->end_known && h->x.accept) {
            if (h->x.code == 200 || !h->x.total_known) {
                s->single = 1;
                s->end_known = 1;
                s->chain = h->x.code == 206 && h->x.length > 0;
            } else {
                uint64_t e_all = h->x.total;
                s->end = s->length && s->offset + s->length < e_all ? s->offset + s->length : e_all;
                s->end_known = 1;
                h->x.whole_ok = 0;   /* other segments now cover the rest */
                if (h->x.offset + h->x.length > s->end) h->x.length = s->end - h->x.offset;
                s->next_off = h->x.offset + h->x.length;
                if (schedule(s, e)) return -1;
            }
        }
        int any_running = 0, h_paused = h->x.paused;
        for (size_t i = 0; i < s->nq; i++) any_running |= s->q[i]->running;
        if (h->bpos == h->buf.len && !h->x.done && !h_paused) {
            double wait = wake - now_s();
            int ms = wait <= 0 ? 0 : wait > 0.2 ? 200 : (int)(wait * 1000) + 1;
            if (any_running) curl_multi_poll(s->multi, NULL, 0, ms, NULL);
            else if (ms) {
                struct timespec ts = {0, (long)ms * 1000000L};
                nanosleep(&ts, NULL);
            }
        }
    }
}

static void src_close(void *ctx)
{
    fsrc *s = ctx;
    for (size_t i = 0; i < s->nq; i++) seg_free(s, s->q[i]);
    free(s->q);
    if (s->multi) curl_multi_cleanup(s->multi);
    if (s->cache) {
        fclose(s->cache);
        remove(s->cache_tmp);
    }
    if (s->cache_fd >= 0) close(s->cache_fd);
    free(s->cache_tmp);
    free(s->cache_final);
    free(s->url);
    free(s->name);
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
    s->url = xstrdup(url);
    s->name = xstrdup(url);
    s->o = *o;
    if (s->o.segment_size < (64u << 10)) s->o.segment_size = 64u << 10;
    s->offset = offset;
    s->length = length;
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
        /* The first segment: the whole range when not parallel, else one
         * segment's worth, whose answer tells the size. */
        uint64_t first = length;
        int seg_mode = o->stream_parallel > 1 && (!length || length > s->o.segment_size);
        if (seg_mode) first = s->o.segment_size;
        seg *g = seg_new(s, offset, first, e);
        if (!g) {
            src_close(s);
            return -1;
        }
        g->x.whole_ok = seg_mode && !length;
        if (!seg_mode) s->single = s->end_known = 1;
        s->q = xmalloc(sizeof *s->q);
        s->q[0] = g;
        s->nq = 1;
    }
    out->ctx = s;
    out->read = src_read;
    out->close = src_close;
    out->name = s->name;
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

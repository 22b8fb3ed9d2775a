/*
 * cmd_crawl.c: the crawl subcommands.
 *
 *   corpusd warc cat FILE_OR_URL [--offset N --length N] [--jsonl]
 *   corpusd warc make DIR_OF_HTML -o OUT.warc.gz [--base-url U] [--date D] [--plain]
 *   corpusd warc docs FILE_OR_URL... -o OUT.jsonl   (the warc reader alone)
 *   corpusd crawl list [--base URL]
 *   corpusd crawl paths CC-MAIN-YYYY-WW --type wet|warc [--base URL] [--limit N]
 *   corpusd crawl fetch URL... -o DIR [--parallel N] [--per-host N] [--retries N]
 *
 * CommonCrawl's layout: collinfo.json lists the snapshots ({"id":
 * "CC-MAIN-2025-26", "name": ...}); BASE/crawl-data/ID/{warc,wet}.paths.gz
 * list one file path per line, relative to BASE. The defaults are
 * https://index.commoncrawl.org/collinfo.json and https://data.commoncrawl.org/;
 * --base URL serves both (BASE/collinfo.json), which is how tests point
 * the commands at a local server.
 */
#include "cli/cli.h"
#include "core/json.h"
#include "core/log.h"
#include "core/pipeline.h"
#include "crawl/cclist.h"
#include "crawl/fetch.h"
#include "crawl/warc.h"

#include <dirent.h>
#include <sys/resource.h>
#include <time.h>
#define XXH_INLINE_ALL   /* the header's SIMD paths, not the shared library's */
#include <xxhash.h>
#if defined(__x86_64__)
/* libxxhash's run-time dispatching entry point (declared in
 * xxh_x86dispatch.h, which does not mix with XXH_INLINE_ALL). */
extern uint64_t XXH3_64bits_dispatch(const void *input, size_t len);
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>


static int parse_u64_arg(const char *s, uint64_t *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || *s == '-') return -1;
    *out = v;
    return 0;
}

/* ------------------------------------------------------------- warc cat */

static void print_jsonl(const warc_record *rec, warc_scratch *s, sbuf *line)
{
    const unsigned char *payload = rec->block;
    size_t plen = (size_t)rec->content_length;
    warc_http h;
    if (rec->type == WARC_RESPONSE && warc_http_parse(rec->block, plen, s, &h) == 0) {
        payload = h.body;
        plen = h.body_len;
    }
    char hex[65];
    warc_sha256_hex(payload, plen, hex);
    sbuf_reset(line);
    sbuf_puts(line, "{\"type\":");
    json_write_string(line, rec->type_name, strlen(rec->type_name));
    sbuf_puts(line, ",\"uri\":");
    json_write_string(line, rec->target_uri, strlen(rec->target_uri));
    sbuf_puts(line, ",\"record_id\":");
    json_write_string(line, rec->record_id, strlen(rec->record_id));
    sbuf_printf(line, ",\"offset\":%llu,\"length\":%llu,\"payload_sha256\":\"%s\"}\n",
                (unsigned long long)rec->offset, (unsigned long long)rec->content_length, hex);
    fwrite(line->data, 1, line->len, stdout);
}

static void print_raw(const warc_record *rec)
{
    printf("%s\r\n", rec->version);
    for (size_t i = 0; i < rec->nfields; i++) printf("%s: %s\r\n", rec->fields[i].name, rec->fields[i].value);
    printf("\r\n");
    fwrite(rec->block, 1, (size_t)rec->content_length, stdout);
    printf("\r\n\r\n");
}

/* CPU seconds of the calling thread (the reader's consumer) and of the
 * whole process (workers included), for --count's report. */
static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double process_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* XXH3 of a block on the widest vector unit this CPU has: libxxhash's
 * run-time dispatch (AVX-512/AVX2/SSE2) on x86-64; the inlined header code is
 * built for the baseline (SSE2) only. The value is the same either way. */
static uint64_t block_hash(const void *p, size_t n)
{
#if defined(__x86_64__)
    return XXH3_64bits_dispatch(p, n);
#else
    return XXH3_64bits(p, n);
#endif
}

static int warc_cat(int argc, char **argv)
{
    static const char *const bools[] = {"jsonl", "quiet", "count", NULL};
    static const char *const known[] = {"jsonl", "offset", "length", "quiet", "max-record", "count", "threads", NULL};
    cli_args a;
    if (cli_parse(argc, argv, bools, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd warc cat FILE_OR_URL [--offset N --length N] [--jsonl]\n\n"
               "Prints the records of a WARC/WET file (plain, per-record gzip or whole-file gzip),\n"
               "local or over http(s)/s3. --offset/--length read one record (or a run) at the byte\n"
               "range a CDX index gives: a seek locally, an HTTP Range request remotely.\n"
               "--jsonl prints one object per record: type, uri, record_id, offset (in the\n"
               "compressed file), length (Content-Length), payload_sha256 (the HTTP entity body\n"
               "of responses, the whole block otherwise). Bad records are reported on stderr.\n"
               "--count reads every record and hashes each block (XXH3), then prints the number\n"
               "of records, bytes, MB/s and CPU seconds (the reading thread's and the whole\n"
               "process's) on stderr (what bench/crawl measures).\n"
               "--threads N inflates a per-record-gzip file on N threads (default: the number of\n"
               "CPUs; 1 = serial); the output is the same.\n");
        cli_free(&a);
        return EXIT_OK;
    }
    if (cli_check(&a, "warc cat", known) || a.npos != 1) {
        if (a.npos != 1) fprintf(stderr, "usage: corpusd warc cat FILE_OR_URL [--offset N --length N] [--jsonl]\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    uint64_t off = 0, len = 0;
    if ((cli_has(&a, "offset") && parse_u64_arg(cli_get(&a, "offset"), &off)) ||
        (cli_has(&a, "length") && parse_u64_arg(cli_get(&a, "length"), &len))) {
        fprintf(stderr, "corpusd warc cat: --offset and --length take byte counts\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    warc_limits lim;
    warc_limits_default(&lim);
    if (cli_has(&a, "max-record")) lim.max_record = (uint64_t)cd_parse_size(cli_get(&a, "max-record"));
    if (cli_has(&a, "threads")) lim.threads = atoi(cli_get(&a, "threads"));
    cd_err e;
    cd_err_clear(&e);
    warc_reader *r = warc_reader_open_range(a.pos[0], off, len, &lim, &e);
    if (!r) {
        fprintf(stderr, "corpusd warc cat: %s\n", e.msg);
        cli_free(&a);
        return EXIT_FAILURES;
    }
    if (cli_has(&a, "quiet")) warc_reader_set_quiet(r, 1);
    int jsonl = cli_has(&a, "jsonl"), count = cli_has(&a, "count");
    uint64_t nrec = 0, nbytes = 0, h = 0;
    double t0 = cd_now(), c0 = thread_cpu(), p0 = process_cpu();
    warc_scratch s;
    memset(&s, 0, sizeof s);
    sbuf line = SBUF_INIT;
    warc_record rec;
    int rc;
    while ((rc = warc_reader_next(r, &rec, &e)) == 1) {
        if (count) {
            h ^= block_hash(rec.block, (size_t)rec.content_length);
            nrec++;
            nbytes += rec.content_length;
        } else if (jsonl) {
            print_jsonl(&rec, &s, &line);
        } else {
            print_raw(&rec);
        }
    }
    if (count) {
        double dt = cd_now() - t0, ct = thread_cpu() - c0, pt = process_cpu() - p0;
        const warc_stats *cs = warc_reader_stats(r);
        printf("%llu\n", (unsigned long long)nrec);
        fprintf(stderr, "records=%llu block_bytes=%llu input_bytes=%llu seconds=%.3f input_MB/s=%.1f records/s=%.0f xxh3=%016llx "
                        "reader_cpu=%.3f total_cpu=%.3f parallel_members=%llu\n",
                (unsigned long long)nrec, (unsigned long long)nbytes, (unsigned long long)cs->bytes_in, dt,
                dt > 0 ? cs->bytes_in / dt / 1e6 : 0.0, dt > 0 ? nrec / dt : 0.0, (unsigned long long)h, ct, pt,
                (unsigned long long)warc_reader_parallel_members(r));
    }
    int code = EXIT_OK;
    if (rc < 0) {
        fprintf(stderr, "corpusd warc cat: %s\n", e.msg);
        code = EXIT_FAILURES;
    }
    const warc_stats *st = warc_reader_stats(r);
    uint64_t bad = st->corrupt_gzip + st->gzip_bomb + st->truncated + st->garbage + st->oversized_header +
                   st->oversized_record + st->bad_content_length;
    if (bad) {
        fprintf(stderr,
                "corpusd warc cat: %llu problems: corrupt_gzip=%llu gzip_bomb=%llu truncated=%llu garbage=%llu "
                "oversized_header=%llu oversized_record=%llu bad_content_length=%llu\n",
                (unsigned long long)bad, (unsigned long long)st->corrupt_gzip, (unsigned long long)st->gzip_bomb,
                (unsigned long long)st->truncated, (unsigned long long)st->garbage,
                (unsigned long long)st->oversized_header, (unsigned long long)st->oversized_record,
                (unsigned long long)st->bad_content_length);
        code = EXIT_FAILURES;
    }
    fflush(stdout);
    sbuf_free(&line);
    warc_scratch_free(&s);
    warc_reader_close(r);
    cli_free(&a);
    return code;
}

/* ------------------------------------------------------------ warc make */

/* A metadata record shaped like CommonCrawl's (fetch time, detected
 * charset and languages), deterministic in i and the page length. */
static int write_metadata(warc_writer *w, const char *uri, const char *date, size_t i, size_t len, cd_err *e)
{
    char m[256];
    int ml = snprintf(m, sizeof m,
                      "fetchTimeMs: %zu\r\ncharset-detected: UTF-8\r\n"
                      "languages-cld2: {\"reliable\":true,\"text-bytes\":%zu,\"languages\":[{\"code\":\"en\",\"code-iso-639-3\":\"eng\",\"text-covered\":0.99,\"score\":%zu.0,\"name\":\"ENGLISH\"}]}\r\n",
                      40 + (i * 37) % 900, len / 3, 800 + i % 200);
    const char *mf[] = {"WARC-Warcinfo-ID", "<urn:uuid:00000000-0000-5000-8000-000000000000>", NULL};
    return warc_writer_write(w, "metadata", uri, date, "application/warc-fields", mf, m, (size_t)ml, e);
}

static int warc_make(int argc, char **argv)
{
    static const char *const bools[] = {"plain", "metadata", NULL};
    static const char *const known[] = {"output", "base-url", "date", "plain", "metadata", NULL};
    cli_args a;
    if (cli_parse(argc, argv, bools, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd warc make DIR_OF_HTML -o OUT.warc.gz [--base-url URL] [--date ISO] [--plain]\n\n"
               "Writes a WARC/1.1 file with a warcinfo record and one request and one response\n"
               "record per *.html file in DIR (sorted by name), each record its own gzip member\n"
               "(CommonCrawl's layout; --plain writes no compression). The URL of FILE.html is\n"
               "BASE-URL/FILE.html (default https://sample.corpusd.invalid). --metadata adds a\n"
               "metadata record after each response, as CommonCrawl writes (request, response,\n"
               "metadata triples). The output is deterministic: record ids derive from the\n"
               "content, the date is --date.\n");
        cli_free(&a);
        return EXIT_OK;
    }
    if (cli_check(&a, "warc make", known) || a.npos != 1 || !cli_get(&a, "output")) {
        fprintf(stderr, "usage: corpusd warc make DIR_OF_HTML -o OUT.warc.gz\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    const char *dir = a.pos[0], *out = cli_get(&a, "output");
    const char *base = cli_get(&a, "base-url") ? cli_get(&a, "base-url") : "https://sample.corpusd.invalid";
    const char *date = cli_get(&a, "date") ? cli_get(&a, "date") : "2025-06-20T12:00:00Z";
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "corpusd warc make: %s: %s\n", dir, strerror(errno));
        cli_free(&a);
        return EXIT_USAGE;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!cd_ends_with(de->d_name, ".html") && !cd_ends_with(de->d_name, ".htm")) continue;
        names = xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    cd_strv_sort(names, n);
    cd_err e;
    cd_err_clear(&e);
    int code = EXIT_OK;
    warc_writer *w = warc_writer_create(out, !cli_has(&a, "plain"), &e);
    if (!w) {
        fprintf(stderr, "corpusd warc make: %s\n", e.msg);
        code = EXIT_FAILURES;
        goto done;
    }
    char info[256];
    int il = snprintf(info, sizeof info, "software: corpusd warc make\r\nformat: WARC File Format 1.1\r\n"
                                         "description: generated from %zu HTML files\r\n", n);
    const char *base_name = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
    const char *info_fields[] = {"WARC-Filename", base_name, NULL};
    if (warc_writer_write(w, "warcinfo", NULL, date, "application/warc-fields", info_fields, info, (size_t)il, &e))
        goto fail;
    sbuf http = SBUF_INIT, req = SBUF_INIT;
    for (size_t i = 0; i < n && code == EXIT_OK; i++) {
        char *path = xasprintf("%s/%s", dir, names[i]);
        size_t len = 0;
        char *html = cd_read_file(path, &len, &e);
        free(path);
        if (!html) goto fail_bufs;
        char *uri = xasprintf("%s/%s", base, names[i]);
        const char *host = strstr(uri, "://") ? strstr(uri, "://") + 3 : uri;
        size_t hl = strcspn(host, "/");
        sbuf_reset(&req);
        sbuf_printf(&req, "GET /%s HTTP/1.1\r\nHost: %.*s\r\nUser-Agent: corpusd-warc-make\r\nAccept: text/html\r\n\r\n",
                    names[i], (int)hl, host);
        /* A page that declares its charset in <meta> gets a bare Content-Type,
         * so readers must find the charset in the HTML. */
        int has_meta = strcasestr(html, "<meta charset") || strcasestr(html, "charset=");
        sbuf_reset(&http);
        sbuf_printf(&http, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\nServer: corpusd-sample\r\n\r\n",
                    has_meta ? "text/html" : "text/html; charset=utf-8", len);
        sbuf_append(&http, html, len);
        free(html);
        const char *rf[] = {"WARC-Warcinfo-ID", "<urn:uuid:00000000-0000-5000-8000-000000000000>", NULL};
        if (warc_writer_write(w, "request", uri, date, "application/http; msgtype=request", rf, req.data, req.len, &e) ||
            warc_writer_write(w, "response", uri, date, "application/http; msgtype=response", rf, http.data, http.len,
                              &e) ||
            (cli_has(&a, "metadata") && write_metadata(w, uri, date, i, len, &e))) {
            free(uri);
            goto fail_bufs;
        }
        free(uri);
    }
    sbuf_free(&http);
    sbuf_free(&req);
    if (warc_writer_close(w, &e)) {
        w = NULL;
        goto fail;
    }
    fprintf(stderr, "corpusd warc make: %zu pages -> %s\n", n, out);
    goto done;
fail_bufs:
    sbuf_free(&http);
    sbuf_free(&req);
fail:
    fprintf(stderr, "corpusd warc make: %s\n", e.msg);
    if (w) warc_writer_close(w, &e);
    remove(out);
    code = EXIT_FAILURES;
done:
    cd_strv_free(names, n);
    cli_free(&a);
    return code;
}

/* ------------------------------------------------------------ warc docs */

static int warc_docs(int argc, char **argv)
{
    static const char *const known[] = {"output", NULL};
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd warc docs FILE_OR_URL... -o OUT.jsonl[.zst|.gz]\n\n"
               "Runs the `warc` reader alone: one document per HTML response or WET record\n"
               "(see docs/crawl.md for the fields). '-o -' writes to stdout.\n");
        cli_free(&a);
        return EXIT_OK;
    }
    if (cli_check(&a, "warc docs", known) || a.npos < 1) {
        fprintf(stderr, "usage: corpusd warc docs FILE_OR_URL... -o OUT.jsonl\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    cd_err e;
    cd_err_clear(&e);
    const char *out = cli_get(&a, "output") ? cli_get(&a, "output") : "-";
    int rc = pipeline_run_files(NULL, 0, a.pos, a.npos, "warc", out, NULL, 0, &e);
    if (rc) fprintf(stderr, "corpusd warc docs: %s\n", e.msg);
    cli_free(&a);
    return rc ? (e.code == CD_ECONFIG ? EXIT_USAGE : EXIT_FAILURES) : EXIT_OK;
}

static int cmd_warc(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "cat")) return warc_cat(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "make")) return warc_make(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "docs")) return warc_docs(argc - 1, argv + 1);
    FILE *f = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ? stdout : stderr;
    fprintf(f, "usage: corpusd warc cat|make|docs ... (each takes --help)\n"
               "  cat FILE_OR_URL [--offset N --length N] [--jsonl]   print records\n"
               "  make DIR_OF_HTML -o OUT.warc.gz                     write a WARC from HTML files\n"
               "  docs FILE_OR_URL... -o OUT.jsonl                    documents, as the warc reader yields them\n");
    return f == stdout ? EXIT_OK : EXIT_USAGE;
}
CORPUSD_COMMAND("warc", "read, inspect and write WARC/WET files (cat, make, docs)", cmd_warc)

/* ---------------------------------------------------------------- crawl */

static int crawl_list(int argc, char **argv)
{
    static const char *const known[] = {"base", NULL};
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd crawl list [--base URL]\n\n"
               "Lists CommonCrawl snapshots from collinfo.json (" CC_INDEX_COLLINFO ",\n"
               "or BASE/collinfo.json): one line per snapshot, id TAB name.\n");
        cli_free(&a);
        return EXIT_OK;
    }
    if (cli_check(&a, "crawl list", known) || a.npos) {
        cli_free(&a);
        return EXIT_USAGE;
    }
    char **ids = NULL, **names = NULL;
    size_t n = 0;
    cd_err e;
    cd_err_clear(&e);
    int code = EXIT_OK;
    if (cc_snapshots(cli_get(&a, "base"), &ids, &names, &n, &e)) {
        fprintf(stderr, "corpusd crawl list: %s\n", e.msg);
        code = EXIT_FAILURES;
    }
    for (size_t i = 0; i < n; i++) printf("%s\t%s\n", ids[i], names[i]);
    cd_strv_free(ids, n);
    cd_strv_free(names, n);
    cli_free(&a);
    return code;
}

static int crawl_paths(int argc, char **argv)
{
    static const char *const known[] = {"base", "type", "limit", NULL};
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd crawl paths CC-MAIN-YYYY-WW --type wet|warc [--base URL] [--limit N]\n\n"
               "Prints the input URLs of a snapshot: BASE/crawl-data/ID/TYPE.paths.gz, each line\n"
               "resolved against BASE (default " CC_DATA_BASE ").\n");
        cli_free(&a);
        return EXIT_OK;
    }
    const char *type = cli_get(&a, "type") ? cli_get(&a, "type") : "warc";
    char snap[64];
    if (cli_check(&a, "crawl paths", known) || a.npos != 1 || (strcmp(type, "wet") && strcmp(type, "warc") && strcmp(type, "wat")) ||
        warc_snapshot_from_path(a.pos[0], snap, sizeof snap) || strcmp(snap, a.pos[0])) {
        fprintf(stderr, "usage: corpusd crawl paths CC-MAIN-YYYY-WW --type wet|warc [--base URL]\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    uint64_t limit = 0;
    if (cli_has(&a, "limit") && parse_u64_arg(cli_get(&a, "limit"), &limit)) {
        fprintf(stderr, "corpusd crawl paths: --limit takes a count\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    char **urls = NULL;
    size_t n = 0;
    cd_err e;
    cd_err_clear(&e);
    int code = EXIT_OK;
    if (cc_snapshot_urls(cli_get(&a, "base"), snap, type, limit, &urls, &n, &e)) {
        fprintf(stderr, "corpusd crawl paths: %s\n", e.msg);
        code = EXIT_FAILURES;
    }
    for (size_t i = 0; i < n; i++) printf("%s\n", urls[i]);
    cd_strv_free(urls, n);
    cli_free(&a);
    return code;
}

static int crawl_fetch(int argc, char **argv)
{
    static const char *const known[] = {"output", "parallel", "per-host", "retries", "backoff", "stall", NULL};
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd crawl fetch URL... -o DIR [--parallel N] [--per-host N] [--retries N]\n"
               "                          [--backoff SECONDS] [--stall SECONDS]\n\n"
               "Downloads URLs (http, https, s3) in parallel into DIR, retrying 429/5xx, drops and\n"
               "stalls with exponential backoff and jitter and resuming with Range. A file is\n"
               "renamed into place only when complete and as long as its Content-Length says.\n");
        cli_free(&a);
        return EXIT_OK;
    }
    if (cli_check(&a, "crawl fetch", known) || a.npos < 1 || !cli_get(&a, "output")) {
        fprintf(stderr, "usage: corpusd crawl fetch URL... -o DIR\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    fetch_opts o;
    fetch_opts_default(&o);
    if (cli_get(&a, "parallel")) o.parallel = atoi(cli_get(&a, "parallel"));
    if (cli_get(&a, "per-host")) o.per_host = atoi(cli_get(&a, "per-host"));
    if (cli_get(&a, "retries")) o.max_retries = atoi(cli_get(&a, "retries"));
    if (cli_get(&a, "backoff")) o.backoff_base = atof(cli_get(&a, "backoff"));
    if (cli_get(&a, "stall")) o.stall_timeout = atol(cli_get(&a, "stall"));
    fetch_result *res = xcalloc(a.npos, sizeof *res);
    int fails = fetch_many((const char *const *)a.pos, a.npos, cli_get(&a, "output"), &o, res);
    for (size_t i = 0; i < a.npos; i++) {
        if (res[i].ok)
            printf("ok\t%s\t%llu bytes\t%d attempts\n", res[i].path, (unsigned long long)res[i].bytes, res[i].attempts);
        else
            printf("failed\t%s\t%s\n", a.pos[i], res[i].err);
    }
    fetch_results_free(res, a.npos);
    free(res);
    cli_free(&a);
    return fails ? EXIT_FAILURES : EXIT_OK;
}

static int cmd_crawl(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "list")) return crawl_list(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "paths")) return crawl_paths(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "fetch")) return crawl_fetch(argc - 1, argv + 1);
    FILE *f = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ? stdout : stderr;
    fprintf(f, "usage: corpusd crawl list|paths|fetch ... (each takes --help)\n"
               "  list [--base URL]                                  CommonCrawl snapshots (collinfo.json)\n"
               "  paths CC-MAIN-YYYY-WW --type wet|warc [--base URL] input URLs of a snapshot\n"
               "  fetch URL... -o DIR                                parallel downloads with retries\n");
    return f == stdout ? EXIT_OK : EXIT_USAGE;
}
CORPUSD_COMMAND("crawl", "CommonCrawl listing and downloads (list, paths, fetch)", cmd_crawl)

/*
 * cmd_daemon.c: `corpusd daemon CONFIG`, the long-running incremental
 * ingestion service.
 *
 * Every cycle it reloads the pipeline's inputs (globs are re-expanded, so a
 * drop folder named in `inputs:` is watched for new files), runs whatever the
 * ledger does not list as done, and rewrites the manifest. Finished outputs
 * are never rewritten: a new input only adds files.
 *
 * Invariants:
 *  - one daemon per state directory (flock on STATE/daemon.lock, which holds
 *    the holder's pid for the error message);
 *  - SIGTERM/SIGINT: stop taking inputs, let in-flight ones finish, and abort
 *    them (back to pending, nothing committed) once the grace period is over;
 *    then exit 0;
 *  - SIGHUP: reload the config; a change that alters the configuration hash
 *    (stages, parameters, output, seed) would alter finished outputs and is
 *    refused with a clear message; input, thread and interval changes apply;
 *  - a full disk pauses the daemon (the input stays pending) and it retries
 *    each interval until space is freed;
 *  - /metrics (Prometheus) and /healthz on 127.0.0.1 by default, answered from
 *    the ledger itself, so the counters are the ledger's.
 */
#include "cli/cli.h"
#include "cli/global.h"
#include "core/ledger.h"
#include "core/log.h"
#include "core/pipeline.h"
#include "crawl/cclist.h"

#include <fnmatch.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_MICROHTTPD
#include <arpa/inet.h>
#include "core/lazy_mhd.h"
#include <netinet/in.h>
#endif

static volatile sig_atomic_t g_term, g_hup;
static atomic_int g_paused, g_cycles;
static atomic_llong g_last_cycle;
static double g_term_at;
static atomic_int g_in_global;   /* the global steps (dedup, shards) are running */

static void on_term(int sig)
{
    (void)sig;
    g_term = 1;
    pipeline_request_stop(0);
}

static void on_hup(int sig)
{
    (void)sig;
    g_hup = 1;
}

typedef struct daemon_opts {
    double interval, grace;
    const char *metrics;   /* "ADDR:PORT", or NULL/"off" */
    int once;
    /* CommonCrawl watching (daemon.commoncrawl in the config) */
    char *cc_pattern;      /* NULL: off */
    char *cc_base;         /* NULL: CommonCrawl's own servers */
    char *cc_type;
    int64_t cc_limit;
    double cc_poll;
} daemon_opts;

/* Polls collinfo.json; every snapshot matching the pattern that the ledger
 * has not seen gets its files queued as pending inputs, and is remembered
 * in the ledger's kv table so that it is queued once. */
static void cc_poll(const daemon_opts *o, const char *state_dir, const char *config_hash)
{
    cd_err e;
    cd_err_clear(&e);
    char **ids = NULL, **names = NULL;
    size_t n = 0;
    if (cc_snapshots(o->cc_base, &ids, &names, &n, &e)) {
        log_error("commoncrawl: cannot list snapshots: %s", e.msg);
        return;
    }
    ledger *l = ledger_open(state_dir, &e);
    if (!l) {
        log_error("commoncrawl: %s", e.msg);
        cd_strv_free(ids, n);
        cd_strv_free(names, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (fnmatch(o->cc_pattern, ids[i], 0) != 0) continue;
        char *key = xasprintf("commoncrawl:%s:%s", o->cc_type, ids[i]);
        char *seen = ledger_kv_get(l, key);
        if (!seen) {
            char **urls = NULL;
            size_t nu = 0;
            if (cc_snapshot_urls(o->cc_base, ids[i], o->cc_type, (uint64_t)o->cc_limit, &urls, &nu, &e)) {
                log_error("commoncrawl: snapshot %s: %s", ids[i], e.msg);
            } else {
                /* The snapshot's files, their marks (the global steps batch
                 * them by snapshot) and the seen key go in one transaction:
                 * a batch never forms from part of a snapshot. */
                char *msg = NULL;
                int rc = sqlite3_exec(ledger_db(l), "BEGIN IMMEDIATE", NULL, NULL, &msg) == SQLITE_OK ? 0 : -1;
                if (rc) cd_fail(&e, CD_EIO, "ledger: %s", msg ? msg : "begin");
                sqlite3_free(msg);
                for (size_t k = 0; k < nu && !rc; k++) {
                    char *ck = xasprintf("%s%s", GLOBAL_CC_KEY, urls[k]);
                    rc = ledger_kv_set(l, ck, ids[i], &e);
                    free(ck);
                    if (!rc) rc = ledger_input_register(l, urls[k], config_hash, 0, &e);
                }
                char val[64];
                snprintf(val, sizeof val, "%zu", nu);
                if (!rc) rc = ledger_kv_set(l, key, val, &e);
                if (!rc && sqlite3_exec(ledger_db(l), "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                    rc = cd_fail(&e, CD_EIO, "ledger: commit: %s", sqlite3_errmsg(ledger_db(l)));
                if (rc) sqlite3_exec(ledger_db(l), "ROLLBACK", NULL, NULL, NULL);
                if (rc) log_error("commoncrawl: %s", e.msg);
                else log_info("commoncrawl: new snapshot %s: queued %zu %s file(s)", ids[i], nu, o->cc_type);
            }
            cd_strv_free(urls, nu);
        }
        free(seen);
        free(key);
    }
    ledger_close(l);
    cd_strv_free(ids, n);
    cd_strv_free(names, n);
}

/* Adds the inputs the ledger has queued (discovered files) to a pipeline. */
static void add_queued_inputs(pipeline *p)
{
    cd_err e;
    cd_err_clear(&e);
    char *path = xasprintf("%s/ledger.sqlite", p->state_dir);
    int exists = access(path, F_OK) == 0;
    free(path);
    if (!exists) return;
    ledger *l = ledger_open(p->state_dir, &e);
    if (!l) return;
    char **paths = NULL;
    size_t n = 0;
    if (ledger_input_paths(l, p->config_hash, &paths, &n, &e) == 0)
        for (size_t i = 0; i < n; i++)
            if (pipeline_add_input(p, paths[i], NULL, &e)) log_error("queued input %s: %s", paths[i], e.msg);
    cd_strv_free(paths, n);
    ledger_close(l);
}

/* ---------------------------------------------------------------- metrics */

#ifdef HAVE_MICROHTTPD
typedef struct metrics_ctx {
    char *ledger_path;
} metrics_ctx;

static void metric_rows(sqlite3 *db, sbuf *b, const char *sql, const char *name, const char *help,
                        const char *type, int nlabels, const char *const *labels)
{
    sbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        sbuf_puts(b, name);
        if (nlabels) {
            sbuf_putc(b, '{');
            for (int i = 0; i < nlabels; i++) {
                const char *v = (const char *)sqlite3_column_text(st, i);
                sbuf_printf(b, "%s%s=\"", i ? "," : "", labels[i]);
                for (const char *c = v ? v : ""; *c; c++) {
                    if (*c == '"' || *c == '\\') sbuf_putc(b, '\\');
                    if (*c == '\n') sbuf_puts(b, "\\n");
                    else sbuf_putc(b, *c);
                }
                sbuf_putc(b, '"');
            }
            sbuf_putc(b, '}');
        }
        sbuf_printf(b, " %lld\n", sqlite3_column_int64(st, nlabels));
    }
    sqlite3_finalize(st);
}

static void render_metrics(const char *ledger_path, sbuf *b)
{
    sbuf_printf(b, "# HELP corpusd_up 1 while the daemon runs\n# TYPE corpusd_up gauge\ncorpusd_up 1\n");
    sbuf_printf(b, "# HELP corpusd_paused 1 while paused on a full disk\n# TYPE corpusd_paused gauge\ncorpusd_paused %d\n",
                atomic_load(&g_paused));
    sbuf_printf(b, "# HELP corpusd_cycles_total daemon cycles completed\n# TYPE corpusd_cycles_total counter\n"
                   "corpusd_cycles_total %d\n", atomic_load(&g_cycles));
    sbuf_printf(b, "# HELP corpusd_last_cycle_timestamp_seconds end of the last cycle\n"
                   "# TYPE corpusd_last_cycle_timestamp_seconds gauge\ncorpusd_last_cycle_timestamp_seconds %lld\n",
                (long long)atomic_load(&g_last_cycle));
    sqlite3 *db;
    if (sqlite3_open_v2(ledger_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return;
    }
    sqlite3_busy_timeout(db, 5000);
    static const char *const L_STATUS[] = {"status"}, *const L_STAGE[] = {"index", "stage"},
                             *const L_DROP[] = {"index", "stage", "reason"}, *const L_SUBSET[] = {"subset"};
    metric_rows(db, b, "SELECT status, COUNT(*) FROM inputs GROUP BY status ORDER BY status", "corpusd_inputs",
                "inputs by ledger status", "gauge", 1, L_STATUS);
    metric_rows(db, b, "SELECT status, COALESCE(SUM(bytes),0) FROM inputs GROUP BY status ORDER BY status",
                "corpusd_input_bytes", "input bytes by ledger status", "gauge", 1, L_STATUS);
    metric_rows(db, b, "SELECT idx, stage, SUM(docs_in) FROM stage_stats GROUP BY idx, stage ORDER BY idx",
                "corpusd_stage_docs_in_total", "documents into each stage (done inputs)", "counter", 2, L_STAGE);
    metric_rows(db, b, "SELECT idx, stage, SUM(docs_out) FROM stage_stats GROUP BY idx, stage ORDER BY idx",
                "corpusd_stage_docs_out_total", "documents out of each stage (done inputs)", "counter", 2, L_STAGE);
    metric_rows(db, b,
                "SELECT idx, stage, name, SUM(value) FROM stage_counts WHERE kind='drop' GROUP BY idx, stage, name "
                "ORDER BY idx, name",
                "corpusd_stage_drops_total", "documents dropped, by stage and reason", "counter", 3, L_DROP);
    metric_rows(db, b, "SELECT subset, COUNT(*) FROM outputs GROUP BY subset ORDER BY subset", "corpusd_output_files",
                "output files by subset", "gauge", 1, L_SUBSET);
    metric_rows(db, b, "SELECT subset, SUM(docs) FROM outputs GROUP BY subset ORDER BY subset", "corpusd_output_docs",
                "documents in the outputs, by subset", "gauge", 1, L_SUBSET);
    metric_rows(db, b, "SELECT subset, SUM(bytes) FROM outputs GROUP BY subset ORDER BY subset", "corpusd_output_bytes",
                "output bytes on disk, by subset", "gauge", 1, L_SUBSET);
    metric_rows(db, b, "SELECT status, COUNT(*) FROM global_batches GROUP BY status ORDER BY status",
                "corpusd_corpus_batches", "batches of the global steps, by status", "gauge", 1, L_STATUS);
    metric_rows(db, b, "SELECT COALESCE(SUM(shard_tokens),0) FROM global_batches", "corpusd_corpus_tokens",
                "tokens in the corpus shards", "gauge", 0, NULL);
    metric_rows(db, b, "SELECT COALESCE(SUM(removed),0) FROM global_batches", "corpusd_corpus_dedup_removed",
                "documents removed by the global dedup", "counter", 0, NULL);
    metric_rows(db, b, "SELECT COUNT(*) FROM errors", "corpusd_errors_total", "errors recorded in the ledger", "counter",
                0, NULL);
    sqlite3_close(db);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;
    metrics_ctx *mc = cls;
    if (strcmp(method, "GET") != 0) return MHD_NO;
    sbuf b = SBUF_INIT;
    unsigned code = MHD_HTTP_OK;
    const char *ctype = "text/plain; version=0.0.4";
    if (!strcmp(url, "/metrics")) {
        render_metrics(mc->ledger_path, &b);
    } else if (!strcmp(url, "/healthz")) {
        if (atomic_load(&g_paused)) {
            code = MHD_HTTP_SERVICE_UNAVAILABLE;
            sbuf_puts(&b, "paused: disk full\n");
        } else {
            sbuf_puts(&b, "ok\n");
        }
        ctype = "text/plain";
    } else {
        code = MHD_HTTP_NOT_FOUND;
        sbuf_puts(&b, "not found: try /metrics or /healthz\n");
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", ctype);
    enum MHD_Result ret = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    sbuf_free(&b);
    return ret;
}

static struct MHD_Daemon *metrics_start(const char *spec, metrics_ctx *mc, cd_err *e)
{
    const char *colon = strrchr(spec, ':');
    if (!colon) {
        cd_fail(e, CD_ECONFIG, "--metrics wants ADDR:PORT, got '%s'", spec);
        return NULL;
    }
    char *addr = xstrndup(spec, (size_t)(colon - spec));
    int port = atoi(colon + 1);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (port <= 0 || port > 65535 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        cd_fail(e, CD_ECONFIG, "--metrics: bad address '%s' (IPv4 ADDR:PORT)", spec);
        free(addr);
        return NULL;
    }
    free(addr);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, on_request, mc,
                                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
    if (!d) cd_fail(e, CD_EIO, "cannot serve metrics on %s: %s", spec, strerror(errno));
    return d;
}
#endif

/* ---------------------------------------------------------------- the loop */

/* Whether a reloaded config keeps the global steps' hash. */
static int global_same(const pipeline *np, const char *corpus, const char *state_dir, const char *ghash)
{
    cd_err e;
    global_cfg *ng = NULL;
    if (global_load(np, corpus, state_dir, &ng, &e)) return 0;
    int same = ng ? !strcmp(global_hash(ng), ghash) : !*ghash;
    global_free(ng);
    return same;
}

static int lock_state(const char *state_dir, int *fd_out, cd_err *e)
{
    if (cd_mkdirs(state_dir, e)) return -1;
    char *path = xasprintf("%s/daemon.lock", state_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int rc = cd_fail(e, CD_EIO, "%s: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = {0};
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        (void)n;
        int rc = cd_fail(e, CD_ECONFIG, "another corpusd daemon (pid %ld) holds %s; one daemon per state directory",
                         strtol(buf, NULL, 10), path);
        close(fd);
        free(path);
        return rc;
    }
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) log_warn("cannot write pid to %s", path);
    free(path);
    *fd_out = fd;
    return 0;
}

static void *grace_watchdog(void *arg)
{
    const daemon_opts *o = arg;
    for (;;) {
        usleep(50000);
        if (g_term && g_term_at == 0) g_term_at = cd_now();
        if (g_term && cd_now() - g_term_at >= o->grace) {
            log_warn("grace period of %.1f s over: aborting in-flight inputs (they stay pending)", o->grace);
            pipeline_request_stop(1);
            if (atomic_load(&g_in_global)) {
                /* dedup and shard writing have no cancellation point, but they
                 * are exactly-once across a crash (index commit in one
                 * transaction, files temp+rename, recovery at start-up), so
                 * leaving now is as safe as a kill -9 and keeps the promise. */
                log_warn("grace period over during the global steps: exiting now; the batch resumes on restart");
                fflush(NULL);
                _exit(EXIT_OK);
            }
            return NULL;
        }
    }
}

static void sleep_interruptible(double seconds)
{
    double end = cd_now() + seconds;
    while (!g_term && !g_hup && cd_now() < end) usleep(50000);
}

static int cmd_daemon(int argc, char **argv)
{
    static const char *const bools[] = {"once", NULL};
    static const char *const known[] = {"state",   "output", "corpus", "threads", "interval",
                                        "grace",   "metrics", "once",  NULL};
    cli_args a;
    if (cli_parse(argc, argv, bools, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd daemon CONFIG [--state DIR] [--output DIR] [--threads N] [--interval S]\n"
               "                      [--grace S] [--metrics ADDR:PORT|off] [--once]\n\n"
               "Incremental ingestion: every interval, re-expands the config's inputs (a drop folder\n"
               "glob picks up new files), runs what the ledger has not done, and updates the manifest.\n"
               "  --interval S   seconds between cycles (default 60, or daemon.interval in the config)\n"
               "  --grace S      on SIGTERM/SIGINT, seconds to let in-flight inputs finish (default 30)\n"
               "  --metrics A:P  serve /metrics and /healthz (default 127.0.0.1:9464; 'off' disables)\n"
               "  --once         run one cycle and exit\n"
               "  --corpus DIR   where the global steps (dedup:, shards:) put their outputs\n"
               "SIGHUP reloads the config; changes that would alter finished outputs are refused.\n"
               "A full disk pauses the daemon until space is freed; nothing is lost.\n");
        cli_free(&a);
        return EXIT_OK;
    }
    if (cli_check(&a, "daemon", known) || a.npos != 1) {
        if (a.npos != 1) fprintf(stderr, "usage: corpusd daemon CONFIG [options] (see --help)\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    const char *config = a.pos[0];
    pipeline_overrides ov = {cli_get(&a, "state"), cli_get(&a, "output"), 0, 0, 1};
    if (cli_has(&a, "threads")) ov.threads = atoi(cli_get(&a, "threads"));
    cd_err e;
    cd_err_clear(&e);
    /* The daemon runs the config text it loaded; edits on disk apply on SIGHUP. */
    size_t config_len = 0;
    char *config_text = cd_read_file(config, &config_len, &e);
    pipeline *p = config_text ? pipeline_load_text(config, config_text, config_len, &ov, &e) : NULL;
    if (!p) {
        free(config_text);
        fprintf(stderr, "corpusd daemon: %s\n", e.msg);
        cli_free(&a);
        return EXIT_USAGE;
    }
    daemon_opts o = {60, 30, "127.0.0.1:9464", cli_has(&a, "once"), NULL, NULL, NULL, 0, 3600};
    const cfg_node *dn = cfg_map_get(p->root, "daemon");
    if (dn) {
        static const param_spec DAEMON_PARAMS[] = {
            {"interval", PARAM_DOUBLE, "60", "seconds between cycles"},
            {"grace", PARAM_DOUBLE, "30", "seconds in-flight inputs may take after SIGTERM"},
            {"metrics", PARAM_STRING, "127.0.0.1:9464", "ADDR:PORT for /metrics and /healthz, or off"},
            {"commoncrawl", PARAM_STRING, NULL, "snapshot id pattern to watch in collinfo.json, e.g. CC-MAIN-2025-*"},
            {"commoncrawl_base", PARAM_STRING, NULL, "base URL laid out like CommonCrawl (default: CommonCrawl's servers)"},
            {"commoncrawl_type", PARAM_STRING, "wet", "files to queue per snapshot: wet, warc or wat"},
            {"commoncrawl_limit", PARAM_INT, "0", "files queued per snapshot; 0 = all"},
            {"commoncrawl_poll", PARAM_DOUBLE, "3600", "seconds between polls of collinfo.json"},
            {0},
        };
        cfg_params *dp = cfg_params_bind(DAEMON_PARAMS, dn, "the daemon section", &e);
        if (!dp) {
            fprintf(stderr, "corpusd daemon: %s\n", e.msg);
            free(config_text);
            pipeline_free(p);
            cli_free(&a);
            return EXIT_USAGE;
        }
        o.interval = param_double(dp, "interval");
        o.grace = param_double(dp, "grace");
        static char metrics_buf[256];
        snprintf(metrics_buf, sizeof metrics_buf, "%s", param_str(dp, "metrics"));
        o.metrics = metrics_buf;
        if (param_str(dp, "commoncrawl")) {
            o.cc_pattern = xstrdup(param_str(dp, "commoncrawl"));
            o.cc_base = param_str(dp, "commoncrawl_base") ? xstrdup(param_str(dp, "commoncrawl_base")) : NULL;
            o.cc_type = xstrdup(param_str(dp, "commoncrawl_type"));
            o.cc_limit = param_int(dp, "commoncrawl_limit");
            o.cc_poll = param_double(dp, "commoncrawl_poll");
        }
        cfg_params_free(dp);
    }
    if (cli_has(&a, "interval")) o.interval = atof(cli_get(&a, "interval"));
    if (cli_has(&a, "grace")) o.grace = atof(cli_get(&a, "grace"));
    if (cli_has(&a, "metrics")) o.metrics = cli_get(&a, "metrics");
    if (o.interval < 0.05) o.interval = 0.05;

    int lockfd = -1;
    if (lock_state(p->state_dir, &lockfd, &e)) {
        fprintf(stderr, "corpusd daemon: %s\n", e.msg);
        free(config_text);
        pipeline_free(p);
        cli_free(&a);
        return EXIT_USAGE;
    }
    char *state_dir = xstrdup(p->state_dir);
    char *out_dir = xstrdup(p->out_dir);
    char hash[17];
    memcpy(hash, p->config_hash, sizeof hash);
    int threads = p->threads;
    /* The global steps: dedup against the index, shards, corpus manifest. */
    char *corpus = cli_get(&a, "corpus")                                        ? xstrdup(cli_get(&a, "corpus"))
                   : cli_get(&a, "output") && !cfg_map_get(p->root, "corpus_dir") ? xasprintf("%s-corpus", cli_get(&a, "output"))
                                                                                 : NULL;
    global_cfg *g = NULL;
    if (global_load(p, corpus, state_dir, &g, &e)) {
        fprintf(stderr, "corpusd daemon: %s\n", e.msg);
        free(corpus);
        free(state_dir);
        free(out_dir);
        free(config_text);
        pipeline_free(p);
        close(lockfd);
        cli_free(&a);
        return EXIT_USAGE;
    }
    char ghash[17] = "";
    if (g) memcpy(ghash, global_hash(g), sizeof ghash);
    pipeline_free(p);
    p = NULL;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    pthread_t wd;
    pthread_create(&wd, NULL, grace_watchdog, &o);
    pthread_detach(wd);

#ifdef HAVE_MICROHTTPD
    metrics_ctx mc = {xasprintf("%s/ledger.sqlite", state_dir)};
    struct MHD_Daemon *mhd = NULL;
    if (o.metrics && strcmp(o.metrics, "off") != 0) {
        mhd = metrics_start(o.metrics, &mc, &e);
        if (!mhd) {
            fprintf(stderr, "corpusd daemon: %s\n", e.msg);
            free(mc.ledger_path);
            free(state_dir);
            free(config_text);
            close(lockfd);
            cli_free(&a);
            return EXIT_USAGE;
        }
        log_info("metrics on http://%s/metrics", o.metrics);
    }
#endif
    log_info("daemon started (pid %ld), config %s, state %s, interval %.1f s", (long)getpid(), config, state_dir,
             o.interval);
    int code = EXIT_OK;
    double last_cc_poll = -1e18;
    while (!g_term) {
        if (g_hup) {
            g_hup = 0;
            cd_err he;
            size_t nlen = 0;
            char *ntext = cd_read_file(config, &nlen, &he);
            pipeline *np = ntext ? pipeline_load_text(config, ntext, nlen, &ov, &he) : NULL;
            if (!np) {
                log_error("SIGHUP: config not reloaded: %s", he.msg);
                free(ntext);
            } else if (strcmp(np->config_hash, hash) != 0 || !global_same(np, corpus, state_dir, ghash)) {
                log_error("SIGHUP: refused: the new config changes stages, parameters, seed, output or the global steps "
                          "(config hash %s -> %s), which would alter finished outputs; keep the old config or "
                          "start a new --state",
                          hash, np->config_hash);
                free(ntext);
            } else {
                log_info("SIGHUP: config reloaded (inputs and run settings)");
                free(config_text);
                config_text = ntext;
                config_len = nlen;
            }
            pipeline_free(np);
        }
        if (o.cc_pattern && cd_now() - last_cc_poll >= o.cc_poll) {
            cc_poll(&o, state_dir, hash);
            last_cc_poll = cd_now();
        }
        cd_err ce;
        cd_err_clear(&ce);
        pipeline *cp = pipeline_load_text(config, config_text, config_len, &ov, &ce);
        if (cp) add_queued_inputs(cp);
        if (!cp) {
            log_error("cycle skipped: %s", ce.msg);
        } else {
            cp->own_signals = 0;
            cp->progress = 0;
            pipeline_result res;
            if (pipeline_run(cp, &res, &ce)) {
                log_error("cycle failed: %s", ce.msg);
                if (ce.code == CD_ECONFIG) {
                    pipeline_free(cp);
                    code = EXIT_USAGE;
                    break;
                }
            } else {
                if (res.disk_full) {
                    if (!atomic_load(&g_paused)) log_error("paused: disk full; retrying every %.1f s", o.interval);
                    atomic_store(&g_paused, 1);
                } else if (atomic_load(&g_paused)) {
                    log_info("resumed: space available again");
                    atomic_store(&g_paused, 0);
                }
                if (res.inputs_failed) code = EXIT_FAILURES;
                if (g && !res.disk_full && !res.interrupted && !g_term) {
                    cd_err ge;
                    cd_err_clear(&ge);
                    atomic_store(&g_in_global, 1);
                    char *logpath = xasprintf("%s/corpusd.jsonl", cp->log_dir);   /* the global steps log there too */
                    log_open_file(logpath);
                    free(logpath);
                    int grc = global_run(g, state_dir, out_dir, hash, GLOBAL_MODE_DAEMON, threads, NULL, &ge);
                    if (grc) {
                        if (g_term) log_info("global steps stopped by the signal (%s); the batch resumes on restart", ge.msg);
                        else log_error("global steps: %s (retried next cycle)", ge.msg);
                    }
                    log_close_file();
                    atomic_store(&g_in_global, 0);
                }
            }
            pipeline_free(cp);
        }
        atomic_fetch_add(&g_cycles, 1);
        atomic_store(&g_last_cycle, (long long)time(NULL));
        if (o.once && !atomic_load(&g_paused)) break;
        if (!g_term) sleep_interruptible(o.interval);
    }
    log_info("daemon stopping (%s)", g_term ? "signal" : "done");
#ifdef HAVE_MICROHTTPD
    if (mhd) MHD_stop_daemon(mhd);
    free(mc.ledger_path);
#endif
    free(state_dir);
    free(out_dir);
    free(corpus);
    global_free(g);
    free(config_text);
    free(o.cc_pattern);
    free(o.cc_base);
    free(o.cc_type);
    close(lockfd);
    cli_free(&a);
    log_close_file();
    return g_term ? EXIT_OK : code;
}
CORPUSD_COMMAND("daemon", "incremental ingestion service: watches inputs, runs new work, serves /metrics", cmd_daemon)

/*
 * cmd_run.c: `corpusd run CONFIG`, `corpusd status`, `corpusd retry`, and
 * the file-level command of the built-in `select` stage.
 */
#include "cli/cli.h"
#include "cli/global.h"
#include "core/ledger.h"
#include "core/log.h"
#include "core/pipeline.h"

#include <glob.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Keeps the inputs of one rank: input i goes to rank i mod size. */
static void keep_share(pipeline *p, int rank, int size)
{
    size_t k = 0;
    for (size_t i = 0; i < p->ninputs; i++) {
        if ((int)(i % (size_t)size) == rank) {
            p->inputs[k++] = p->inputs[i];
        } else {
            free(p->inputs[i].path);
            free(p->inputs[i].stem);
            cfg_params_free(p->inputs[i].reader_params);
        }
    }
    p->ninputs = k;
}

/* Drops the inputs that some rank's ledger already has done, so that a
 * re-run with more ranks or more inputs neither redoes nor reassigns them. */
static void drop_done(pipeline *p, const char *top_state)
{
    char *pat = xasprintf("%s/rank-*/ledger.sqlite", top_state);
    glob_t gl;
    int n = glob(pat, 0, NULL, &gl) == 0 ? (int)gl.gl_pathc : 0;
    free(pat);
    for (int k = 0; k < n; k++) {
        sqlite3 *db = NULL;
        if (sqlite3_open_v2(gl.gl_pathv[k], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
            sqlite3_close(db);
            continue;
        }
        sqlite3_busy_timeout(db, 30000);
        sqlite3_stmt *st = NULL;
        sqlite3_prepare_v2(db, "SELECT 1 FROM inputs WHERE path=? AND config_hash=? AND status='done'", -1, &st, NULL);
        size_t j = 0;
        for (size_t i = 0; i < p->ninputs; i++) {
            int done = 0;
            if (st) {
                sqlite3_reset(st);
                sqlite3_bind_text(st, 1, p->inputs[i].path, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 2, p->config_hash, -1, SQLITE_TRANSIENT);
                done = sqlite3_step(st) == SQLITE_ROW;
            }
            if (done) {
                free(p->inputs[i].path);
                free(p->inputs[i].stem);
                cfg_params_free(p->inputs[i].reader_params);
            } else {
                p->inputs[j++] = p->inputs[i];
            }
        }
        p->ninputs = j;
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
    globfree(&gl);
}

static int run_main(int argc, char **argv, const dedup_comm *comm)
{
    static const char *const bools[] = {"progress", "no-progress", "quiet", "check", NULL};
    static const char *const known[] = {"threads", "state", "output", "corpus", "progress", "no-progress", "quiet",
                                        "check", NULL};
    cli_args a;
    if (cli_parse(argc, argv, bools, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd run CONFIG [--threads N] [--state DIR] [--output DIR] [--corpus DIR] [--quiet]\n\n"
               "Runs the pipeline in CONFIG (YAML) over every input not yet done, then the global steps the\n"
               "config names (dedup: against the persistent index, shards: new token shards; see docs/daemon.md).\n"
               "  --threads N   worker threads (default: the config's, else all cores)\n"
               "  --state DIR   run state directory holding ledger.sqlite (default RUN_DIR/state)\n"
               "  --output DIR  output directory (overrides the config's output.dir)\n"
               "  --corpus DIR  where the global steps put documents, shards and manifest.json\n"
               "                (default: corpus_dir in the config, else OUTPUT-corpus with --output, else RUN_DIR/corpus)\n"
               "  --quiet       no log lines on stderr (they still go to logs/corpusd.jsonl)\n"
               "  --check       validate the config (stages, parameters, output) and print the plan; inputs\n"
               "                that match no file are allowed; nothing runs\n"
               "Under mpirun/srun (N ranks) input i (of those no rank has done) goes to rank i mod N; each rank keeps its ledger in\n"
               "STATE/rank-R and its outputs in OUTPUT/rank-R, and the global dedup runs over MPI.\n"
               "A re-run skips finished inputs; a killed run resumes without losing or repeating data.\n"
               "Exit codes: 0 ok, 1 some inputs failed (see corpusd status), 2 usage or config error.\n");
        cli_free(&a);
        return EXIT_OK;
    }
    if (cli_check(&a, "run", known) || a.npos != 1) {
        if (a.npos != 1) fprintf(stderr, "usage: corpusd run CONFIG [--threads N] [--state DIR] [--output DIR]\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    int rank = comm ? comm->rank : 0, size = comm ? comm->size : 1;
    pipeline_overrides ov = {cli_get(&a, "state"), cli_get(&a, "output"), 0, -1, 0};
    if (cli_has(&a, "threads")) {
        ov.threads = atoi(cli_get(&a, "threads"));
        if (ov.threads < 1) {
            fprintf(stderr, "corpusd run: --threads must be at least 1\n");
            cli_free(&a);
            return EXIT_USAGE;
        }
    }
    if (cli_has(&a, "no-progress")) ov.progress = 0;
    if (cli_has(&a, "progress")) ov.progress = 1;
    if (cli_has(&a, "quiet")) log_set_quiet(1);
    if (cli_has(&a, "check")) ov.allow_empty_inputs = 1;
    if (size > 1) ov.progress = 0;
    cd_err e;
    cd_err_clear(&e);
    pipeline *p = pipeline_load(a.pos[0], &ov, &e);
    global_cfg *g = NULL;
    char *top_state = p ? xstrdup(p->state_dir) : NULL;
    char *corpus = cli_get(&a, "corpus")   ? xstrdup(cli_get(&a, "corpus"))
                   : cli_get(&a, "output") ? xasprintf("%s-corpus", cli_get(&a, "output"))
                                           : NULL;
    if (p && cfg_map_get(p->root, "corpus_dir") && !cli_get(&a, "corpus")) {
        free(corpus);
        corpus = NULL;
    }
    if (p && global_load(p, corpus, top_state, &g, &e)) {
        pipeline_free(p);
        p = NULL;
    }
    free(corpus);
    if (p && size > 1) {
        /* Each rank its own ledger and output root (see global.h). */
        char *rs = xasprintf("%s/rank-%d", p->state_dir, rank), *ro = xasprintf("%s/rank-%d", p->out_dir, rank);
        pipeline_overrides rov = ov;
        rov.state_dir = rs;
        rov.out_dir = ro;
        pipeline_free(p);
        p = pipeline_load(a.pos[0], &rov, &e);
        if (p) {
            /* Every rank sees the same ledgers before any of them writes. */
            drop_done(p, top_state);
            comm->barrier(comm->ctx);
            keep_share(p, rank, size);
            ledger *l = ledger_open(rs, &e);
            if (!l || ledger_kv_set(l, "rank_out_dir", ro, &e)) {
                pipeline_free(p);
                p = NULL;
            }
            ledger_close(l);
        }
        free(rs);
        free(ro);
    }
    if (!p) {
        fprintf(stderr, "corpusd run: %s\n", e.msg);
        global_free(g);
        free(top_state);
        cli_free(&a);
        return EXIT_USAGE;
    }
    if (cli_has(&a, "check")) {
        printf("%s: ok, config %s, %zu input(s), output %s (%s)\n", a.pos[0], p->config_hash, p->ninputs, p->out_dir,
               p->writer->name);
        for (size_t i = 0; i < p->nstages; i++) printf("  stage %s\n", p->stages[i].label);
        if (g) printf("  global: %s%s%s-> %s\n", cfg_map_get(p->root, "dedup") ? "dedup " : "",
                      cfg_map_get(p->root, "after_dedup") ? "after_dedup " : "",
                      cfg_map_get(p->root, "shards") ? "shards " : "", global_corpus_dir(g));
        pipeline_free(p);
        global_free(g);
        free(top_state);
        cli_free(&a);
        return EXIT_OK;
    }
    pipeline_result res;
    int rc = pipeline_run(p, &res, &e);
    int code = EXIT_OK;
    if (rc) {
        fprintf(stderr, "corpusd run: %s\n", e.msg);
        code = e.code == CD_ECONFIG ? EXIT_USAGE : EXIT_FAILURES;
    } else if (res.inputs_failed || res.interrupted) {
        code = EXIT_FAILURES;
    }
    if (g) {
        /* The global steps need every rank's inputs finished. */
        int stop = rc != 0 || res.interrupted || res.disk_full;
        if (comm) stop = comm->allreduce_or(comm->ctx, stop);
        if (!stop) {
            cd_err ge;
            cd_err_clear(&ge);
            const char *out = p->out_dir;
            char *logpath = xasprintf("%s/corpusd.jsonl", p->log_dir);   /* the global steps log there too */
            log_open_file(logpath);
            free(logpath);
            int grc = global_run(g, top_state, out, p->config_hash, GLOBAL_MODE_RUN, p->threads, comm, &ge);
            log_close_file();
            if (grc) {
                if (rank == 0) fprintf(stderr, "corpusd run: global steps: %s\n", ge.msg);
                code = EXIT_FAILURES;
            }
        } else if (rank == 0) {
            fprintf(stderr, "corpusd run: global steps skipped (the per-document pipeline did not finish)\n");
        }
    }
    pipeline_free(p);
    global_free(g);
    free(top_state);
    cli_free(&a);
    return code;
}

static int cmd_run(int argc, char **argv) { return dedup_mpi_launch("run", argc, argv, run_main); }
CORPUSD_COMMAND("run", "run a pipeline (batch build) from a YAML config", cmd_run)

static void print_rate(double docs, double seconds)
{
    if (seconds > 0) printf("  %.0f docs/s", docs / seconds);
}

/* Prints one ledger's sections; 1 if some input failed. */
static int print_ledger(const char *state, int nerr)
{
    cd_err e;
    ledger *l = ledger_open(state, &e);
    if (!l) {
        fprintf(stderr, "corpusd status: %s\n", e.msg);
        return 1;
    }
    sqlite3 *db = ledger_db(l);
    sqlite3_stmt *st;
    printf("state: %s\n\ninputs:\n", state);
    sqlite3_prepare_v2(db,
                       "SELECT status, COUNT(*), COALESCE(SUM(bytes),0), COALESCE(SUM(docs_in),0),"
                       " COALESCE(SUM(docs_out),0) FROM inputs GROUP BY status ORDER BY status",
                       -1, &st, NULL);
    int any_failed = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        if (!strcmp(s, "failed")) any_failed = 1;
        printf("  %-8s %6d inputs  %12.1f MB  docs in %lld  out %lld\n", s, sqlite3_column_int(st, 1),
               sqlite3_column_double(st, 2) / 1e6, sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4));
    }
    sqlite3_finalize(st);

    printf("\nstages (all inputs done):\n");
    sqlite3_prepare_v2(db,
                       "SELECT idx, stage, SUM(docs_in), SUM(docs_out), SUM(bytes_in), SUM(seconds) FROM stage_stats"
                       " GROUP BY idx, stage ORDER BY idx",
                       -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int idx = sqlite3_column_int(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        double secs = sqlite3_column_double(st, 5);
        printf("  %d %-12s in %-10lld out %-10lld", idx, name, sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3));
        print_rate((double)sqlite3_column_int64(st, 2), secs);
        printf("\n");
        sqlite3_stmt *q;
        sqlite3_prepare_v2(db,
                           "SELECT kind, name, SUM(value) FROM stage_counts WHERE idx=? AND stage=?"
                           " GROUP BY kind, name ORDER BY kind DESC, name",
                           -1, &q, NULL);
        sqlite3_bind_int(q, 1, idx);
        sqlite3_bind_text(q, 2, name, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(q) == SQLITE_ROW)
            printf("      %-5s %-28s %lld\n", (const char *)sqlite3_column_text(q, 0),
                   (const char *)sqlite3_column_text(q, 1), sqlite3_column_int64(q, 2));
        sqlite3_finalize(q);
    }
    sqlite3_finalize(st);

    printf("\noutputs:\n");
    sqlite3_prepare_v2(db,
                       "SELECT subset, COUNT(*), SUM(docs), SUM(bytes) FROM outputs GROUP BY subset ORDER BY subset", -1,
                       &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW)
        printf("  %-10s %6d files  %10lld docs  %12.1f MB\n", (const char *)sqlite3_column_text(st, 0),
               sqlite3_column_int(st, 1), sqlite3_column_int64(st, 2), sqlite3_column_double(st, 3) / 1e6);
    sqlite3_finalize(st);

    printf("\nruns (latest 5):\n");
    sqlite3_prepare_v2(db,
                       "SELECT r.id, r.status, r.threads, r.inputs, r.inputs_done, r.inputs_failed,"
                       " COALESCE(r.finished, strftime('%s','now')) - r.started,"
                       " (SELECT COALESCE(SUM(docs_in),0) FROM inputs i WHERE i.run_id=r.id AND i.status='done'),"
                       " (SELECT COALESCE(SUM(bytes),0) FROM inputs i WHERE i.run_id=r.id AND i.status='done')"
                       " FROM runs r ORDER BY r.id DESC LIMIT 5",
                       -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        double secs = sqlite3_column_double(st, 6);
        double docs = (double)sqlite3_column_int64(st, 7), bytes = (double)sqlite3_column_int64(st, 8);
        printf("  #%-4d %-12s threads %-3d inputs %d (done %d, failed %d)  %.1f s", sqlite3_column_int(st, 0),
               (const char *)sqlite3_column_text(st, 1), sqlite3_column_int(st, 2), sqlite3_column_int(st, 3),
               sqlite3_column_int(st, 4), sqlite3_column_int(st, 5), secs);
        if (secs > 0) printf("  %.0f docs/s  %.1f MB/s", docs / secs, bytes / secs / 1e6);
        printf("\n");
    }
    sqlite3_finalize(st);
    global_print_status(db);

    printf("\nrecent errors:\n");
    sqlite3_prepare_v2(db, "SELECT ts, input, message FROM errors ORDER BY id DESC LIMIT ?", -1, &st, NULL);
    sqlite3_bind_int(st, 1, nerr);
    int nshown = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        time_t t = (time_t)sqlite3_column_double(st, 0);
        struct tm tm;
        gmtime_r(&t, &tm);
        char ts[32];
        strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
        printf("  %s  %s: %s\n", ts, (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2));
        nshown++;
    }
    if (!nshown) printf("  none\n");
    sqlite3_finalize(st);
    ledger_close(l);
    return any_failed;
}

static int cmd_status(int argc, char **argv)
{
    static const char *const known[] = {"state", "errors", NULL};
    cli_args a;
    if (cli_parse(argc, argv, NULL, &a)) return EXIT_USAGE;
    if (a.help) {
        printf("usage: corpusd status [--state DIR] [--errors N] [CONFIG]\n\n"
               "Reads the ledger: inputs per status, per-stage documents in and out with drop\n"
               "reasons, rates of recent runs, and the latest errors. With CONFIG, the state\n"
               "directory is the config's.\n");
        cli_free(&a);
        return EXIT_OK;
    }
    if (cli_check(&a, "status", known)) {
        cli_free(&a);
        return EXIT_USAGE;
    }
    char *state = NULL;
    if (cli_get(&a, "state")) {
        state = xstrdup(cli_get(&a, "state"));
    } else if (a.npos == 1) {
        cd_err e;
        pipeline *p = pipeline_load(a.pos[0], NULL, &e);
        if (!p) {
            fprintf(stderr, "corpusd status: %s\n", e.msg);
            cli_free(&a);
            return EXIT_USAGE;
        }
        state = xstrdup(p->state_dir);
        pipeline_free(p);
    } else {
        fprintf(stderr, "corpusd status: give --state DIR or a CONFIG\n");
        cli_free(&a);
        return EXIT_USAGE;
    }
    int nerr = cli_get(&a, "errors") ? atoi(cli_get(&a, "errors")) : 10;
    /* A multi-rank run keeps one ledger per rank under STATE/rank-R. */
    char *pat = xasprintf("%s/rank-*/ledger.sqlite", state);
    glob_t gl;
    int nranks = glob(pat, 0, NULL, &gl) == 0 ? (int)gl.gl_pathc : 0;
    free(pat);
    char *path = xasprintf("%s/ledger.sqlite", state);
    int have_top = access(path, R_OK) == 0;
    free(path);
    if (!have_top && !nranks) {
        fprintf(stderr, "corpusd status: no ledger at %s/ledger.sqlite\n", state);
        globfree(&gl);
        free(state);
        cli_free(&a);
        return EXIT_USAGE;
    }
    int any_failed = have_top ? print_ledger(state, nerr) : 0;
    for (int i = 0; i < nranks; i++) {
        char *rs = xstrndup(gl.gl_pathv[i], strlen(gl.gl_pathv[i]) - strlen("/ledger.sqlite"));
        printf("\n======== rank ledger %s\n", rs);
        any_failed |= print_ledger(rs, nerr);
        free(rs);
    }
    globfree(&gl);
    free(state);
    cli_free(&a);
    return any_failed ? EXIT_FAILURES : EXIT_OK;
}
CORPUSD_COMMAND("status", "show a run's progress, per-stage statistics and errors from its ledger", cmd_status)

static int cmd_retry(int argc, char **argv)
{
    static const char *const bools[] = {"failed", NULL};
    static const char *const known[] = {"state", "failed", NULL};
    cli_args a;
    if (cli_parse(argc, argv, bools, &a)) return EXIT_USAGE;
    if (a.help || !cli_has(&a, "state") || !cli_has(&a, "failed") || cli_check(&a, "retry", known)) {
        printf("usage: corpusd retry --failed --state DIR\n\nPuts failed inputs back in the queue; the next "
               "`corpusd run` processes them again.\n");
        int help = a.help;
        cli_free(&a);
        return help ? EXIT_OK : EXIT_USAGE;
    }
    cd_err e;
    ledger *l = ledger_open(cli_get(&a, "state"), &e);
    if (!l) {
        fprintf(stderr, "corpusd retry: %s\n", e.msg);
        cli_free(&a);
        return EXIT_FAILURES;
    }
    int n = 0;
    int rc = ledger_requeue_failed(l, &n, &e);
    if (rc) fprintf(stderr, "corpusd retry: %s\n", e.msg);
    else printf("re-queued %d failed input(s)\n", n);
    ledger_close(l);
    cli_free(&a);
    return rc ? EXIT_FAILURES : EXIT_OK;
}
CORPUSD_COMMAND("retry", "re-queue failed inputs of a run (--failed)", cmd_retry)

static int cmd_select(int argc, char **argv) { return cli_stage_main("select", argc, argv); }
CORPUSD_COMMAND("select", "keep or drop documents of JSONL files by an expression", cmd_select)

/* `corpusd sample` lives in shards/cmd_sample.c (stratified, token budget or
 * --fraction); the `sample` pipeline stage stays in core/stage_sample.c. */

/*
 * ledger.c: SQLite-backed run state. See ledger.h for the invariants.
 */
#include "core/ledger.h"
#include "core/json.h"
#include "core/log.h"
#include "core/version.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define OWNER_MARKER ".corpusd-owner"
#define MANIFEST "manifest.json"

struct ledger {
    sqlite3 *db;
    pthread_mutex_t mu;
    char *path;
    char uuid[40];
};

static const char *SCHEMA =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY, started REAL, finished REAL,"
    "  config_hash TEXT, config_path TEXT, threads INT, status TEXT, inputs INT,"
    "  inputs_done INT DEFAULT 0, inputs_failed INT DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS inputs(path TEXT NOT NULL, config_hash TEXT NOT NULL,"
    "  status TEXT NOT NULL, error TEXT, run_id INT, attempts INT DEFAULT 0, bytes INT DEFAULT 0,"
    "  started REAL, finished REAL, docs_in INT DEFAULT 0, docs_out INT DEFAULT 0,"
    "  PRIMARY KEY(path, config_hash));"
    "CREATE TABLE IF NOT EXISTS outputs(path TEXT PRIMARY KEY, input TEXT NOT NULL,"
    "  config_hash TEXT NOT NULL, subset TEXT, docs INT, bytes INT, raw_bytes INT,"
    "  checksum TEXT, created REAL);"
    "CREATE INDEX IF NOT EXISTS outputs_input ON outputs(input, config_hash);"
    "CREATE TABLE IF NOT EXISTS stage_stats(input TEXT, config_hash TEXT, idx INT, stage TEXT,"
    "  docs_in INT, docs_out INT, bytes_in INT, bytes_out INT, seconds REAL,"
    "  PRIMARY KEY(input, config_hash, idx));"
    "CREATE TABLE IF NOT EXISTS stage_counts(input TEXT, config_hash TEXT, idx INT, stage TEXT,"
    "  kind TEXT, name TEXT, value INT, PRIMARY KEY(input, config_hash, idx, kind, name));"
    "CREATE TABLE IF NOT EXISTS errors(id INTEGER PRIMARY KEY, ts REAL, input TEXT, message TEXT);"
    "CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value TEXT);";

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

const char *ledger_status_name(ledger_status s)
{
    static const char *n[] = {"unknown", "pending", "running", "done", "failed"};
    return n[s];
}

static ledger_status status_from(const char *s)
{
    if (!s) return LEDGER_UNKNOWN;
    if (!strcmp(s, "pending")) return LEDGER_PENDING;
    if (!strcmp(s, "running")) return LEDGER_RUNNING;
    if (!strcmp(s, "done")) return LEDGER_DONE;
    if (!strcmp(s, "failed")) return LEDGER_FAILED;
    return LEDGER_UNKNOWN;
}

static int db_fail(ledger *l, cd_err *e, const char *what)
{
    return cd_fail(e, CD_EIO, "ledger %s: %s: %s", l->path, what, sqlite3_errmsg(l->db));
}

static int exec(ledger *l, const char *sql, cd_err *e)
{
    char *msg = NULL;
    if (sqlite3_exec(l->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        cd_fail(e, CD_EIO, "ledger %s: %s", l->path, msg ? msg : "error");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

ledger *ledger_open(const char *state_dir, cd_err *e)
{
    if (cd_mkdirs(state_dir, e)) return NULL;
    ledger *l = xcalloc(1, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
    l->path = xasprintf("%s/ledger.sqlite", state_dir);
    if (sqlite3_open_v2(l->path, &l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        cd_fail(e, CD_EIO, "cannot open ledger %s: %s", l->path, l->db ? sqlite3_errmsg(l->db) : "?");
        ledger_close(l);
        return NULL;
    }
    sqlite3_busy_timeout(l->db, 30000);
    if (exec(l, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", e) ||
        exec(l, SCHEMA, e)) {
        ledger_close(l);
        return NULL;
    }
    /* A stable id for this ledger, used to claim output directories. */
    sqlite3_stmt *st;
    sqlite3_prepare_v2(l->db, "SELECT value FROM meta WHERE key='uuid'", -1, &st, NULL);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(l->uuid, sizeof l->uuid, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    } else {
        sqlite3_finalize(st);
        unsigned char rnd[16];
        FILE *f = fopen("/dev/urandom", "rb");
        if (!f || fread(rnd, 1, sizeof rnd, f) != sizeof rnd) {
            /* Fall back to time and pid: uniqueness only matters per machine. */
            uint64_t t = (uint64_t)(wall_now() * 1e9) ^ ((uint64_t)getpid() << 32);
            memcpy(rnd, &t, 8);
            memcpy(rnd + 8, &t, 8);
        }
        if (f) fclose(f);
        for (int i = 0; i < 16; i++) snprintf(l->uuid + 2 * i, 3, "%02x", rnd[i]);
        sqlite3_prepare_v2(l->db, "INSERT INTO meta(key,value) VALUES('uuid',?)", -1, &st, NULL);
        sqlite3_bind_text(st, 1, l->uuid, -1, SQLITE_TRANSIENT);
        sqlite3_step(st);
        sqlite3_finalize(st);
    }
    return l;
}

void ledger_close(ledger *l)
{
    if (!l) return;
    if (l->db) sqlite3_close(l->db);
    pthread_mutex_destroy(&l->mu);
    free(l->path);
    free(l);
}

sqlite3 *ledger_db(ledger *l) { return l->db; }
void ledger_lock(ledger *l) { pthread_mutex_lock(&l->mu); }
void ledger_unlock(ledger *l) { pthread_mutex_unlock(&l->mu); }

int ledger_claim_output(ledger *l, const char *out_root, cd_err *e)
{
    if (cd_mkdirs(out_root, e)) return -1;
    char *marker = xasprintf("%s/%s", out_root, OWNER_MARKER);
    size_t n;
    char *owner = cd_read_file(marker, &n, NULL);
    int rc = 0;
    if (owner) {
        while (n && (owner[n - 1] == '\n' || owner[n - 1] == ' ')) owner[--n] = 0;
        if (strcmp(owner, l->uuid) != 0)
            rc = cd_fail(e, CD_ECONFIG,
                         "output directory %s belongs to another run state (ledger %s); "
                         "use that --state or another --output",
                         out_root, owner);
        free(owner);
    } else {
        DIR *d = opendir(out_root);
        int nonempty = 0;
        if (d) {
            struct dirent *de;
            while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
                /* The marker's own temporary file, left by a crash between its
                 * creation and rename: ours, not the user's. */
                if (!strncmp(de->d_name, OWNER_MARKER ".tmp.", strlen(OWNER_MARKER ".tmp."))) {
                    char *t = xasprintf("%s/%s", out_root, de->d_name);
                    unlink(t);
                    free(t);
                    continue;
                }
                nonempty = 1;
            }
            closedir(d);
        }
        if (nonempty)
            rc = cd_fail(e, CD_ECONFIG,
                         "output directory %s is not empty and was not created by corpusd with state "
                         "%s; refusing to use it (recovery would delete files it does not know)",
                         out_root, l->path);
        else {
            sbuf b = SBUF_INIT;
            sbuf_printf(&b, "%s\n", l->uuid);
            rc = cd_write_file_atomic(marker, b.data, b.len, e);
            sbuf_free(&b);
        }
    }
    free(marker);
    return rc;
}

/* nftw has no user pointer: recovery is serialised by the ledger mutex. */
static ledger *g_walk_ledger;
static size_t g_walk_root_len;
static int g_walk_removed;
static sqlite3_stmt *g_walk_stmt;

static int walk_cb(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (type != FTW_F && type != FTW_SL) return 0;
    const char *rel = fpath + g_walk_root_len;
    while (*rel == '/') rel++;
    if (strcmp(rel, OWNER_MARKER) == 0 || strcmp(rel, MANIFEST) == 0) return 0;
    sqlite3_reset(g_walk_stmt);
    sqlite3_bind_text(g_walk_stmt, 1, rel, -1, SQLITE_TRANSIENT);
    int known = sqlite3_step(g_walk_stmt) == SQLITE_ROW;
    if (!known) {
        if (unlink(fpath) == 0) {
            g_walk_removed++;
            log_info("recovery: removed %s (not in the ledger)", fpath);
        } else {
            log_warn("recovery: cannot remove %s: %s", fpath, strerror(errno));
        }
    }
    return 0;
}

int ledger_recover(ledger *l, const char *out_root, int *removed, cd_err *e)
{
    pthread_mutex_lock(&l->mu);
    int rc = exec(l, "UPDATE inputs SET status='pending' WHERE status='running'", e);
    if (rc == 0) {
        g_walk_ledger = l;
        g_walk_root_len = strlen(out_root);
        g_walk_removed = 0;
        sqlite3_prepare_v2(l->db, "SELECT 1 FROM outputs WHERE path=?", -1, &g_walk_stmt, NULL);
        struct stat st;
        if (stat(out_root, &st) == 0) nftw(out_root, walk_cb, 16, FTW_PHYS);
        sqlite3_finalize(g_walk_stmt);
        g_walk_stmt = NULL;
        if (removed) *removed = g_walk_removed;
        /* Outputs the ledger knows but the disk lost are a real problem: say so. */
        sqlite3_stmt *q;
        sqlite3_prepare_v2(l->db, "SELECT path FROM outputs", -1, &q, NULL);
        while (sqlite3_step(q) == SQLITE_ROW) {
            char *p = xasprintf("%s/%s", out_root, (const char *)sqlite3_column_text(q, 0));
            if (access(p, F_OK) != 0) log_warn("recovery: ledger lists %s but it is missing", p);
            free(p);
        }
        sqlite3_finalize(q);
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int64_t ledger_run_begin(ledger *l, const char *config_hash, const char *config_path, int threads,
                         int ninputs, cd_err *e)
{
    pthread_mutex_lock(&l->mu);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(l->db,
                       "INSERT INTO runs(started,config_hash,config_path,threads,status,inputs) "
                       "VALUES(?,?,?,?,'running',?)",
                       -1, &st, NULL);
    sqlite3_bind_double(st, 1, wall_now());
    sqlite3_bind_text(st, 2, config_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, config_path ? config_path : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 4, threads);
    sqlite3_bind_int(st, 5, ninputs);
    int64_t id = -1;
    if (sqlite3_step(st) == SQLITE_DONE) id = sqlite3_last_insert_rowid(l->db);
    else db_fail(l, e, "run begin");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&l->mu);
    return id;
}

int ledger_run_end(ledger *l, int64_t run_id, const char *status, int done, int failed, cd_err *e)
{
    pthread_mutex_lock(&l->mu);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(l->db,
                       "UPDATE runs SET finished=?, status=?, inputs_done=?, inputs_failed=? WHERE id=?",
                       -1, &st, NULL);
    sqlite3_bind_double(st, 1, wall_now());
    sqlite3_bind_text(st, 2, status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, done);
    sqlite3_bind_int(st, 4, failed);
    sqlite3_bind_int64(st, 5, run_id);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(l, e, "run end");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

ledger_status ledger_input_status(ledger *l, const char *input, const char *config_hash)
{
    pthread_mutex_lock(&l->mu);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(l->db, "SELECT status FROM inputs WHERE path=? AND config_hash=?", -1, &st, NULL);
    sqlite3_bind_text(st, 1, input, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, config_hash, -1, SQLITE_TRANSIENT);
    ledger_status s = LEDGER_UNKNOWN;
    if (sqlite3_step(st) == SQLITE_ROW) s = status_from((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    pthread_mutex_unlock(&l->mu);
    return s;
}

int ledger_input_register(ledger *l, const char *input, const char *config_hash, uint64_t bytes, cd_err *e)
{
    pthread_mutex_lock(&l->mu);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(l->db,
                       "INSERT INTO inputs(path,config_hash,status,bytes) VALUES(?,?,'pending',?) "
                       "ON CONFLICT(path,config_hash) DO UPDATE SET bytes=excluded.bytes",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, input, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, config_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)bytes);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(l, e, "register input");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int ledger_input_begin(ledger *l, const char *input, const char *config_hash, int64_t run_id, cd_err *e)
{
    pthread_mutex_lock(&l->mu);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(l->db,
                       "UPDATE inputs SET status='running', run_id=?, attempts=attempts+1, started=?,"
                       " error=NULL WHERE path=? AND config_hash=?",
                       -1, &st, NULL);
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_double(st, 2, wall_now());
    sqlite3_bind_text(st, 3, input, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, config_hash, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(l, e, "begin input");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

static int bind_exec(ledger *l, sqlite3_stmt *st, cd_err *e, const char *what)
{
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(l, e, what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

int ledger_input_done(ledger *l, const char *input, const char *config_hash, const output_list *outs,
                      const ledger_stage_stats *sts, int nst, cd_err *e)
{
    pthread_mutex_lock(&l->mu);
    int rc = exec(l, "BEGIN IMMEDIATE", e);
    if (rc) goto out;
    sqlite3_stmt *st = NULL;
    double now = wall_now();
    /* A re-run replaces the earlier result of the same input. */
    sqlite3_prepare_v2(l->db, "DELETE FROM outputs WHERE input=? AND config_hash=?", -1, &st, NULL);
    sqlite3_bind_text(st, 1, input, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, config_hash, -1, SQLITE_TRANSIENT);
    rc = bind_exec(l, st, e, "clear outputs");
    sqlite3_finalize(st);
    if (rc) goto rollback;
    sqlite3_prepare_v2(l->db,
                       "INSERT OR REPLACE INTO outputs(path,input,config_hash,subset,docs,bytes,raw_bytes,"
                       "checksum,created) VALUES(?,?,?,?,?,?,?,?,?)",
                       -1, &st, NULL);
    for (size_t i = 0; outs && i < outs->len && !rc; i++) {
        const output_file *f = &outs->files[i];
        sqlite3_bind_text(st, 1, f->path, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, input, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, config_hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, f->subset, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)f->docs);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)f->bytes);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)f->raw_bytes);
        sqlite3_bind_text(st, 8, f->checksum, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(st, 9, now);
        rc = bind_exec(l, st, e, "record output");
    }
    sqlite3_finalize(st);
    if (rc) goto rollback;
    sqlite3_prepare_v2(l->db, "DELETE FROM stage_counts WHERE input=? AND config_hash=?", -1, &st, NULL);
    sqlite3_bind_text(st, 1, input, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, config_hash, -1, SQLITE_TRANSIENT);
    rc = bind_exec(l, st, e, "clear counts");
    sqlite3_finalize(st);
    if (rc) goto rollback;
    sqlite3_stmt *ss, *sc;
    sqlite3_prepare_v2(l->db,
                       "INSERT OR REPLACE INTO stage_stats(input,config_hash,idx,stage,docs_in,docs_out,"
                       "bytes_in,bytes_out,seconds) VALUES(?,?,?,?,?,?,?,?,?)",
                       -1, &ss, NULL);
    sqlite3_prepare_v2(l->db,
                       "INSERT OR REPLACE INTO stage_counts(input,config_hash,idx,stage,kind,name,value) "
                       "VALUES(?,?,?,?,?,?,?)",
                       -1, &sc, NULL);
    uint64_t docs_in = 0, docs_out = 0;
    for (int i = 0; i < nst && !rc; i++) {
        const stage_stats *s = sts[i].stats;
        if (i == 0) docs_in = s->docs_out;
        if (i == nst - 1) docs_out = s->docs_out;
        sqlite3_bind_text(ss, 1, input, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ss, 2, config_hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(ss, 3, i);
        sqlite3_bind_text(ss, 4, sts[i].name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ss, 5, (sqlite3_int64)s->docs_in);
        sqlite3_bind_int64(ss, 6, (sqlite3_int64)s->docs_out);
        sqlite3_bind_int64(ss, 7, (sqlite3_int64)s->bytes_in);
        sqlite3_bind_int64(ss, 8, (sqlite3_int64)s->bytes_out);
        sqlite3_bind_double(ss, 9, s->seconds);
        rc = bind_exec(l, ss, e, "record stage stats");
        for (int kind = 0; kind < 2 && !rc; kind++) {
            const stat_count *arr = kind ? s->counters : s->drops;
            size_t n = kind ? s->ncounters : s->ndrops;
            for (size_t j = 0; j < n && !rc; j++) {
                sqlite3_bind_text(sc, 1, input, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(sc, 2, config_hash, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int(sc, 3, i);
                sqlite3_bind_text(sc, 4, sts[i].name, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(sc, 5, kind ? "count" : "drop", -1, SQLITE_STATIC);
                sqlite3_bind_text(sc, 6, arr[j].name, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(sc, 7, (sqlite3_int64)arr[j].value);
                rc = bind_exec(l, sc, e, "record stage counts");
            }
        }
    }
    sqlite3_finalize(ss);
    sqlite3_finalize(sc);
    if (rc) goto rollback;
    sqlite3_prepare_v2(l->db,
                       "UPDATE inputs SET status='done', finished=?, error=NULL, docs_in=?, docs_out=? "
                       "WHERE path=? AND config_hash=?",
                       -1, &st, NULL);
    sqlite3_bind_double(st, 1, now);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)docs_in);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)docs_out);
    sqlite3_bind_text(st, 4, input, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, config_hash, -1, SQLITE_TRANSIENT);
    rc = bind_exec(l, st, e, "mark done");
    sqlite3_finalize(st);
    if (rc) goto rollback;
    rc = exec(l, "COMMIT", e);
    if (rc) goto rollback;
    goto out;
rollback:
    exec(l, "ROLLBACK", NULL);
out:
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int ledger_input_fail(ledger *l, const char *input, const char *config_hash, const char *message, cd_err *e)
{
    pthread_mutex_lock(&l->mu);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(l->db,
                       "UPDATE inputs SET status='failed', finished=?, error=? WHERE path=? AND config_hash=?",
                       -1, &st, NULL);
    double now = wall_now();
    sqlite3_bind_double(st, 1, now);
    sqlite3_bind_text(st, 2, message, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, input, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, config_hash, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(l, e, "mark failed");
    sqlite3_finalize(st);
    sqlite3_prepare_v2(l->db, "INSERT INTO errors(ts,input,message) VALUES(?,?,?)", -1, &st, NULL);
    sqlite3_bind_double(st, 1, now);
    sqlite3_bind_text(st, 2, input, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, message, -1, SQLITE_TRANSIENT);
    sqlite3_step(st);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int ledger_input_paths(ledger *l, const char *config_hash, char ***paths, size_t *n, cd_err *e)
{
    *paths = NULL;
    *n = 0;
    pthread_mutex_lock(&l->mu);
    sqlite3_stmt *st;
    int rc = 0;
    if (sqlite3_prepare_v2(l->db, "SELECT path FROM inputs WHERE config_hash=? ORDER BY path", -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(l, e, "list inputs");
    } else {
        sqlite3_bind_text(st, 1, config_hash, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW) {
            *paths = xrealloc(*paths, (*n + 1) * sizeof **paths);
            (*paths)[(*n)++] = xstrdup((const char *)sqlite3_column_text(st, 0));
        }
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int ledger_input_reset(ledger *l, const char *input, const char *config_hash, cd_err *e)
{
    pthread_mutex_lock(&l->mu);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(l->db, "UPDATE inputs SET status='pending' WHERE path=? AND config_hash=? AND status='running'",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, input, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, config_hash, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(l, e, "reset input");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int ledger_write_manifest(ledger *l, const char *out_root, const char *config_hash, cd_err *e)
{
    sbuf b = SBUF_INIT;
    sbuf_printf(&b, "{\n  \"corpusd_version\": \"%s\",\n  \"config_hash\": \"%s\",\n  \"files\": [", CORPUSD_VERSION,
                config_hash);
    pthread_mutex_lock(&l->mu);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(l->db, "SELECT path, subset, docs, bytes, raw_bytes, checksum, input FROM outputs ORDER BY path", -1,
                       &st, NULL);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        sbuf_puts(&b, n++ ? ",\n    {\"path\": " : "\n    {\"path\": ");
        const char *path = (const char *)sqlite3_column_text(st, 0);
        json_write_string(&b, path, strlen(path));
        const char *subset = (const char *)sqlite3_column_text(st, 1);
        sbuf_puts(&b, ", \"subset\": ");
        json_write_string(&b, subset ? subset : "", subset ? strlen(subset) : 0);
        sbuf_printf(&b, ", \"docs\": %lld, \"bytes\": %lld, \"raw_bytes\": %lld, \"checksum\": \"%s\", \"input\": ",
                    sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4),
                    (const char *)sqlite3_column_text(st, 5));
        const char *in = (const char *)sqlite3_column_text(st, 6);
        json_write_string(&b, in, strlen(in));
        sbuf_putc(&b, '}');
    }
    sqlite3_finalize(st);
    sbuf_puts(&b, "\n  ],\n  \"subsets\": {");
    sqlite3_prepare_v2(l->db, "SELECT subset, COUNT(*), SUM(docs), SUM(bytes) FROM outputs GROUP BY subset ORDER BY subset",
                       -1, &st, NULL);
    n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *subset = (const char *)sqlite3_column_text(st, 0);
        sbuf_puts(&b, n++ ? ",\n    " : "\n    ");
        json_write_string(&b, subset ? subset : "", subset ? strlen(subset) : 0);
        sbuf_printf(&b, ": {\"files\": %d, \"docs\": %lld, \"bytes\": %lld}", sqlite3_column_int(st, 1),
                    sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3));
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&l->mu);
    sbuf_puts(&b, "\n  }\n}\n");
    char *path = xasprintf("%s/%s", out_root, MANIFEST);
    int rc = cd_write_file_atomic(path, b.data, b.len, e);
    free(path);
    sbuf_free(&b);
    return rc;
}

int ledger_requeue_failed(ledger *l, int *count, cd_err *e)
{
    pthread_mutex_lock(&l->mu);
    int rc = exec(l, "UPDATE inputs SET status='pending' WHERE status='failed'", e);
    if (count) *count = rc ? 0 : sqlite3_changes(l->db);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int ledger_kv_set(ledger *l, const char *key, const char *value, cd_err *e)
{
    pthread_mutex_lock(&l->mu);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(l->db, "INSERT OR REPLACE INTO kv(key,value) VALUES(?,?)", -1, &st, NULL);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(l, e, "kv set");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

char *ledger_kv_get(ledger *l, const char *key)
{
    pthread_mutex_lock(&l->mu);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(l->db, "SELECT value FROM kv WHERE key=?", -1, &st, NULL);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    char *v = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        v = xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    pthread_mutex_unlock(&l->mu);
    return v;
}

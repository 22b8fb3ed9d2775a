/*
 * stage_dedup.c: the `dedup` pipeline stage. Deduplication is global, so it
 * cannot be decided one input at a time as pipeline stages run; the global
 * phases run in `corpusd dedup ... --index DIR` (alone or under MPI), and
 * this stage applies the decisions recorded in that index's ledger to the
 * documents flowing through a pipeline:
 *
 *   stages:
 *     - dedup: {index: runs/dedup-index}
 *
 * A document whose id the index lists as removed is dropped with reason
 * "duplicate" and gets metadata duplicate_of, dedup_cluster, dedup_method;
 * others pass unchanged (counted as dedup_kept; the ledger lists removals
 * only, so an id the index never saw also passes). Lookups go to SQLite by an indexed id column, so memory
 * does not grow with the index. Each stage instance (one per input and
 * thread) has its own read-only connection.
 */
#include "core/stage.h"
#include "dedup/dedup.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct dstage_shared {
    char *db_path;
    char *snapshot;
} dstage_shared;

typedef struct dstage {
    sqlite3 *db;
    sqlite3_stmt *q;
} dstage;

static const param_spec DSTAGE_PARAMS[] = {
    {"index", PARAM_STRING, NULL, "index directory built by `corpusd dedup --index DIR`"},
    {"snapshot", PARAM_STRING, NULL, "only apply the removals recorded for this snapshot name (default: all)"},
    {0},
};

static int dstage_init(const cfg_params *p, void **shared, cd_err *e)
{
    const char *dir = param_str(p, "index");
    if (!dir) return cd_fail(e, CD_ECONFIG, "dedup: needs `index`");
    char *path = xasprintf("%s/ledger.sqlite", dir);
    if (access(path, R_OK) != 0) {
        int rc = cd_fail(e, CD_ECONFIG, "dedup: no index at %s (build it with `corpusd dedup ... --index %s`)", dir, dir);
        free(path);
        return rc;
    }
    sqlite3 *db = NULL;
    int ok = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
             sqlite3_exec(db, "SELECT 1 FROM dedup_removed LIMIT 1", NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(db);
    if (!ok) {
        int rc = cd_fail(e, CD_ECONFIG, "dedup: %s is not a dedup index", dir);
        free(path);
        return rc;
    }
    dstage_shared *s = xcalloc(1, sizeof *s);
    s->db_path = path;
    s->snapshot = param_str(p, "snapshot") ? xstrdup(param_str(p, "snapshot")) : NULL;
    *shared = s;
    return 0;
}

static void dstage_fini(void *shared)
{
    dstage_shared *s = shared;
    if (!s) return;
    free(s->db_path);
    free(s->snapshot);
    free(s);
}

static int dstage_open(stage *st, cd_err *e)
{
    dstage_shared *s = st->shared;
    dstage *d = xcalloc(1, sizeof *d);
    st->priv = d;
    if (sqlite3_open_v2(s->db_path, &d->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return cd_fail(e, CD_EIO, "dedup: cannot open %s", s->db_path);
    sqlite3_busy_timeout(d->db, 10000);
    const char *sql = s->snapshot
                          ? "SELECT r.duplicate_of, r.cluster, r.method FROM dedup_removed r JOIN dedup_snapshots s"
                            " ON s.ord = r.snap WHERE r.id = ?1 AND s.name = ?2 LIMIT 1"
                          : "SELECT duplicate_of, cluster, method FROM dedup_removed WHERE id = ?1 LIMIT 1";
    if (sqlite3_prepare_v2(d->db, sql, -1, &d->q, NULL) != SQLITE_OK)
        return cd_fail(e, CD_EIO, "dedup: %s: %s", s->db_path, sqlite3_errmsg(d->db));
    if (s->snapshot) sqlite3_bind_text(d->q, 2, s->snapshot, -1, SQLITE_STATIC);
    return 0;
}

static int dstage_process(stage *st, doc_batch *b, cd_err *e)
{
    dstage *d = st->priv;
    for (size_t i = 0; i < b->len; i++) {
        doc *x = b->docs[i];
        sqlite3_reset(d->q);
        sqlite3_bind_text(d->q, 1, x->id, (int)x->id_len, SQLITE_STATIC);
        int rc = sqlite3_step(d->q);
        if (rc == SQLITE_ROW) {
            doc_meta_set_str(x, "duplicate_of", (const char *)sqlite3_column_text(d->q, 0));
            doc_meta_set_str(x, "dedup_cluster", (const char *)sqlite3_column_text(d->q, 1));
            doc_meta_set_str(x, "dedup_method", (const char *)sqlite3_column_text(d->q, 2));
            doc_drop(x, "duplicate");
        } else if (rc == SQLITE_DONE) {
            stats_count(&st->stats, "dedup_kept", 1);
        } else {
            return cd_fail(e, CD_EIO, "dedup: index lookup failed: %s", sqlite3_errmsg(d->db));
        }
    }
    return 0;
}

static void dstage_close(stage *st)
{
    dstage *d = st->priv;
    if (!d) return;
    sqlite3_finalize(d->q);
    sqlite3_close(d->db);
    free(d);
    st->priv = NULL;
}

static const stage_ops dedup_stage_ops = {
    .name = "dedup",
    .summary = "drop the documents a `corpusd dedup --index DIR` run removed (applies a global dedup index)",
    .params = DSTAGE_PARAMS,
    .init = dstage_init,
    .fini = dstage_fini,
    .open = dstage_open,
    .process = dstage_process,
    .close = dstage_close,
};
CORPUSD_STAGE(dedup_stage_ops)

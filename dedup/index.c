/*
 * index.c: the persistent dedup index, an LSM of sorted band-hash runs plus
 * per-snapshot document tables, described by a ledger.
 *
 * Layout of INDEX_DIR:
 *   ledger.sqlite         core ledger + tables dedup_snapshots, dedup_files,
 *                         dedup_removed, dedup_meta (the index's catalogue)
 *   snap-NNNNNN/ids.dat   the snapshot's document ids, in gid order
 *   snap-NNNNNN/ids.off   u64 offsets into ids.dat (count + 1 of them)
 *   snap-NNNNNN/dupof.u64 per gid: the gid it duplicates (bit 63: exact), or ~0
 *   snap-NNNNNN/roots.u64 per gid: the kept document at the root of its chain
 *   snap-NNNNNN/bands-P.run   sorted band records, hash partition P
 *   snap-NNNNNN/merged.run    a compaction of every run up to this snapshot
 *   snap-NNNNNN/verify.idx    with jaccard_check: per gid {offset, count, part}
 *   snap-NNNNNN/verify-P.dat  the records (signatures or sorted shingle sets)
 *
 * Invariants:
 *  - gids are dense; snapshot k holds [base_k, base_k + count_k), and every
 *    gid of a later snapshot is larger: old gids never change.
 *  - A file is part of the index iff dedup_files lists it with live = 1;
 *    its XXH3-64 checksum is verified before any use, and a mismatch fails
 *    the run with the file's name (a corrupt run is never used).
 *  - A snapshot becomes visible in one SQLite transaction, after all its
 *    files are durable; directories the catalogue does not know (a crashed
 *    ingest) are removed on open.
 * Thread safety: lookups (dd_index_id, dd_index_u64) use pread and may run
 * from several threads; everything else belongs to one thread.
 */
#include "dedup/index.h"
#include "core/io.h"
#include "core/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *SCHEMA =
    "CREATE TABLE IF NOT EXISTS dedup_meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS dedup_snapshots(ord INTEGER PRIMARY KEY, name TEXT UNIQUE, base INTEGER,"
    " count INTEGER, created REAL);"
    "CREATE TABLE IF NOT EXISTS dedup_files(path TEXT PRIMARY KEY, kind TEXT, snap INTEGER, bytes INTEGER,"
    " checksum TEXT, live INTEGER);"
    "CREATE TABLE IF NOT EXISTS dedup_removed(snap INTEGER, id TEXT, duplicate_of TEXT, cluster TEXT,"
    " method TEXT);"
    "CREATE INDEX IF NOT EXISTS dedup_removed_id ON dedup_removed(id);";

static int exec(sqlite3 *db, const char *sql, cd_err *e)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = cd_fail(e, CD_EIO, "index ledger: %s", msg ? msg : "error");
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

static int rm_cb(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    remove(p);
    return 0;
}

void dd_rmtree(const char *path) { nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS); }

static void snap_close(dd_snap *s)
{
    if (s->fd_ids >= 0) close(s->fd_ids);
    if (s->fd_off >= 0) close(s->fd_off);
    if (s->fd_dupof >= 0) close(s->fd_dupof);
    if (s->fd_roots >= 0) close(s->fd_roots);
    if (s->fd_vidx >= 0) close(s->fd_vidx);
    for (int i = 0; i < s->nvparts; i++)
        if (s->fd_vparts[i] >= 0) close(s->fd_vparts[i]);
    free(s->fd_vparts);
    free(s->name);
    free(s->dir);
}

int dd_snap_open_files(dd_snap *s, cd_err *e)
{
    const char *names[4] = {"ids.dat", "ids.off", "dupof.u64", "roots.u64"};
    int *fds[4] = {&s->fd_ids, &s->fd_off, &s->fd_dupof, &s->fd_roots};
    for (int i = 0; i < 4; i++) {
        if (*fds[i] >= 0) continue;
        char *p = xasprintf("%s/%s", s->dir, names[i]);
        *fds[i] = open(p, O_RDONLY | O_CLOEXEC);
        if (*fds[i] < 0) {
            int rc = cd_fail(e, CD_EIO, "index: cannot open %s: %s", p, strerror(errno));
            free(p);
            return rc;
        }
        free(p);
    }
    return 0;
}

/* Removes snap-* directories the catalogue does not know. */
static void remove_strays(dd_index *x)
{
    DIR *d = opendir(x->dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        long ord;
        if (sscanf(de->d_name, "snap-%ld", &ord) != 1 && strncmp(de->d_name, "work-", 5) != 0) continue;
        int known = 0;
        if (!strncmp(de->d_name, "snap-", 5))
            for (size_t i = 0; i < x->nsnaps; i++)
                if (x->snaps[i].ord == ord) known = 1;
        if (known) continue;
        char *p = xasprintf("%s/%s", x->dir, de->d_name);
        log_warn("index %s: removing %s (not in the catalogue: an interrupted ingest)", x->dir, de->d_name);
        dd_rmtree(p);
        free(p);
    }
    closedir(d);
}

dd_index *dd_index_open(const char *dir, int writer, int verify, cd_err *e)
{
    if (cd_mkdirs(dir, e)) return NULL;
    dd_index *x = xcalloc(1, sizeof *x);
    x->dir = xstrdup(dir);
    x->led = ledger_open(dir, e);
    if (!x->led) {
        free(x->dir);
        free(x);
        return NULL;
    }
    x->db = ledger_db(x->led);
    if (exec(x->db, SCHEMA, e)) goto fail;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(x->db, "SELECT ord, name, base, count FROM dedup_snapshots ORDER BY ord", -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        x->snaps = xrealloc(x->snaps, (x->nsnaps + 1) * sizeof *x->snaps);
        dd_snap *s = &x->snaps[x->nsnaps++];
        memset(s, 0, sizeof *s);
        s->fd_ids = s->fd_off = s->fd_dupof = s->fd_roots = s->fd_vidx = -1;
        s->ord = sqlite3_column_int64(st, 0);
        s->name = xstrdup((const char *)sqlite3_column_text(st, 1));
        s->base = (uint64_t)sqlite3_column_int64(st, 2);
        s->count = (uint64_t)sqlite3_column_int64(st, 3);
        s->dir = xasprintf("%s/snap-%06lld", dir, (long long)s->ord);
        x->next_gid = s->base + s->count;
        x->next_ord = s->ord + 1;
    }
    sqlite3_finalize(st);
    if (!x->next_ord) x->next_ord = 1;
    sqlite3_prepare_v2(x->db, "SELECT path, kind, checksum FROM dedup_files WHERE live=1 ORDER BY path", -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *rel = (const char *)sqlite3_column_text(st, 0);
        const char *kind = (const char *)sqlite3_column_text(st, 1);
        const char *sum = (const char *)sqlite3_column_text(st, 2);
        char *path = xasprintf("%s/%s", dir, rel);
        if (verify) {
            char got[17];
            uint64_t size;
            cd_err fe;
            if (io_file_checksum(path, got, &size, &fe)) {
                cd_fail(e, CD_EIO, "index file %s is missing or unreadable: %s", path, fe.msg);
                free(path);
                sqlite3_finalize(st);
                goto fail;
            }
            if (strcmp(got, sum)) {
                cd_fail(e, CD_EIO,
                        "index file %s is corrupt: checksum %s, the ledger recorded %s; refusing to use the index "
                        "(restore the file or rebuild the snapshot)",
                        path, got, sum);
                free(path);
                sqlite3_finalize(st);
                goto fail;
            }
        }
        if (!strcmp(kind, "run")) {
            x->runs = xrealloc(x->runs, (x->nruns + 1) * sizeof *x->runs);
            x->runs[x->nruns++] = path;
        } else {
            free(path);
        }
    }
    sqlite3_finalize(st);
    char *sig = NULL;
    sqlite3_prepare_v2(x->db, "SELECT value FROM dedup_meta WHERE key='params'", -1, &st, NULL);
    if (sqlite3_step(st) == SQLITE_ROW) sig = xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    x->params_sig = sig;
    if (writer) remove_strays(x);
    return x;
fail:
    dd_index_close(x);
    return NULL;
}

void dd_index_close(dd_index *x)
{
    if (!x) return;
    for (size_t i = 0; i < x->nsnaps; i++) snap_close(&x->snaps[i]);
    free(x->snaps);
    for (size_t i = 0; i < x->nruns; i++) free(x->runs[i]);
    free(x->runs);
    free(x->params_sig);
    if (x->led) ledger_close(x->led);
    free(x->dir);
    free(x);
}

dd_snap *dd_index_add_snap(dd_index *x, const char *name, uint64_t count)
{
    x->snaps = xrealloc(x->snaps, (x->nsnaps + 1) * sizeof *x->snaps);
    dd_snap *s = &x->snaps[x->nsnaps++];
    memset(s, 0, sizeof *s);
    s->fd_ids = s->fd_off = s->fd_dupof = s->fd_roots = s->fd_vidx = -1;
    s->ord = x->next_ord;
    s->name = xstrdup(name);
    s->base = x->next_gid;
    s->count = count;
    s->dir = xasprintf("%s/snap-%06lld", x->dir, (long long)s->ord);
    s->is_new = 1;
    return s;
}

int dd_index_has_snap(const dd_index *x, const char *name)
{
    for (size_t i = 0; i < x->nsnaps; i++)
        if (!x->snaps[i].is_new && !strcmp(x->snaps[i].name, name)) return 1;
    return 0;
}

static dd_snap *find_snap(dd_index *x, uint64_t gid)
{
    size_t lo = 0, hi = x->nsnaps;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (x->snaps[mid].base + x->snaps[mid].count <= gid) lo = mid + 1;
        else hi = mid;
    }
    if (lo < x->nsnaps && gid >= x->snaps[lo].base) return &x->snaps[lo];
    return NULL;
}

int dd_index_u64(dd_index *x, int which, uint64_t gid, uint64_t *out, cd_err *e)
{
    dd_snap *s = find_snap(x, gid);
    if (!s) return cd_fail(e, CD_EINTERNAL, "index: gid %llu is in no snapshot", (unsigned long long)gid);
    int fd = which == DD_DUPOF ? s->fd_dupof : s->fd_roots;
    if (fd < 0) return cd_fail(e, CD_EINTERNAL, "index: snapshot %s not opened", s->name);
    return dd_pread(fd, out, 8, (gid - s->base) * 8, s->dir, e);
}

int dd_index_id(dd_index *x, uint64_t gid, sbuf *out, cd_err *e)
{
    dd_snap *s = find_snap(x, gid);
    if (!s) return cd_fail(e, CD_EINTERNAL, "index: gid %llu is in no snapshot", (unsigned long long)gid);
    if (s->fd_off < 0) return cd_fail(e, CD_EINTERNAL, "index: snapshot %s not opened", s->name);
    uint64_t off[2];
    if (dd_pread(s->fd_off, off, 16, (gid - s->base) * 8, s->dir, e)) return -1;
    if (off[1] < off[0] || off[1] - off[0] > (64u << 20)) return cd_fail(e, CD_EIO, "index %s: bad id offsets", s->dir);
    size_t n = (size_t)(off[1] - off[0]);
    sbuf_reset(out);
    sbuf_reserve(out, n + 1);
    if (n && dd_pread(s->fd_ids, out->data, n, off[0], s->dir, e)) return -1;
    out->len = n;
    out->data[n] = 0;
    return 0;
}

int dd_index_vrec(dd_index *x, uint64_t gid, sbuf *out, cd_err *e)
{
    dd_snap *s = find_snap(x, gid);
    if (!s) return cd_fail(e, CD_EINTERNAL, "index: gid %llu is in no snapshot", (unsigned long long)gid);
    if (s->fd_vidx < 0) {
        char *p = xasprintf("%s/verify.idx", s->dir);
        s->fd_vidx = open(p, O_RDONLY | O_CLOEXEC);
        if (s->fd_vidx < 0) {
            int rc = cd_fail(e, CD_EIO,
                             "index: %s: %s (snapshot '%s' was ingested without jaccard_check; rebuild the index "
                             "to verify against it)",
                             p, strerror(errno), s->name);
            free(p);
            return rc;
        }
        free(p);
    }
    dd_vrec_entry ent;
    if (dd_pread(s->fd_vidx, &ent, sizeof ent, (gid - s->base) * sizeof ent, s->dir, e)) return -1;
    if (ent.part > 4096) return cd_fail(e, CD_EIO, "index %s: bad verification entry", s->dir);
    if ((int)ent.part >= s->nvparts) {
        s->fd_vparts = xrealloc(s->fd_vparts, (ent.part + 1) * sizeof *s->fd_vparts);
        for (int i = s->nvparts; i <= (int)ent.part; i++) s->fd_vparts[i] = -1;
        s->nvparts = (int)ent.part + 1;
    }
    int *fd = &s->fd_vparts[ent.part];
    if (*fd < 0) {
        char *p = xasprintf("%s/verify-%03u.dat", s->dir, ent.part);
        *fd = open(p, O_RDONLY | O_CLOEXEC);
        if (*fd < 0) {
            int rc = cd_fail(e, CD_EIO, "index: cannot open %s: %s", p, strerror(errno));
            free(p);
            return rc;
        }
        free(p);
    }
    sbuf_reset(out);
    size_t n = (size_t)ent.n * 8;
    sbuf_reserve(out, n + 1);
    if (n && dd_pread(*fd, out->data, n, ent.off, s->dir, e)) return -1;
    out->len = n;
    return 0;
}

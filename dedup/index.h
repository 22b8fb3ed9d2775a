/*
 * index.h: private interface of the persistent dedup index (index.c).
 * Used by run.c and the dedup stage; see index.c for the layout and its
 * invariants.
 */
#ifndef CORPUSD_DEDUP_INDEX_H
#define CORPUSD_DEDUP_INDEX_H

#include <stdint.h>

#include "core/ledger.h"
#include "dedup/dedup_int.h"

#define DD_RUN_MAGIC "CDDEDUPRUN1\0\0\0\0"
#define DD_RUN_HEADER 16
#define DD_EXACT_BAND 0xFFFFFFFFu
#define DD_NONE UINT64_MAX
#define DD_EXACT_BIT (1ULL << 63)

/* A band record, as sorted in memory and stored in runs. */
typedef struct dd_band_rec {
    uint64_t hi, lo, gid;
    uint32_t band, pad;
} dd_band_rec;

typedef struct dd_snap {
    int64_t ord;
    char *name, *dir;
    uint64_t base, count;
    int fd_ids, fd_off, fd_dupof, fd_roots;
    int is_new;
    /* verification records (jaccard_check): verify.idx holds, per gid,
     * {u64 offset, u32 count of u64 words, u32 part}; the words are in
     * verify-PPP.dat (one per rank of the ingest). Opened lazily. */
    int fd_vidx;
    int *fd_vparts;
    int nvparts;
} dd_snap;

typedef struct dd_vrec_entry {
    uint64_t off;
    uint32_t n, part;
} dd_vrec_entry;

typedef struct dd_index {
    char *dir;
    ledger *led;
    struct sqlite3 *db;
    dd_snap *snaps;
    size_t nsnaps;
    char **runs;            /* live run files, absolute paths */
    size_t nruns;
    uint64_t next_gid;
    int64_t next_ord;
    char *params_sig;       /* NULL for a new index */
} dd_index;

enum { DD_DUPOF = 0, DD_ROOTS = 1 };

dd_index *dd_index_open(const char *dir, int writer, int verify, cd_err *e);
void dd_index_close(dd_index *x);
dd_snap *dd_index_add_snap(dd_index *x, const char *name, uint64_t count);
int dd_index_has_snap(const dd_index *x, const char *name);
int dd_snap_open_files(dd_snap *s, cd_err *e);
int dd_index_u64(dd_index *x, int which, uint64_t gid, uint64_t *out, cd_err *e);
int dd_index_id(dd_index *x, uint64_t gid, sbuf *out, cd_err *e);
/* The verification record of gid (signature or shingle set, u64 words) into
 * out. Lazily opens files: one thread only. */
int dd_index_vrec(dd_index *x, uint64_t gid, sbuf *out, cd_err *e);
void dd_rmtree(const char *path);

#endif

/*
 * dedup_int.h: private pieces of the dedup folder: the external sorter and
 * k-way file merger, and small positional-I/O helpers. Not for other
 * stages (they use dedup/dedup.h).
 *
 * External sort (xs_*): records are either fixed-size (rec_size > 0) or
 * variable (rec_size == 0, each up to XS_MAX_REC bytes). Records accumulate
 * in memory until the budget is reached, are sorted and spilled to an
 * unlinked temporary run file; xs_finish() merges the runs (in several
 * passes when there are more than XS_FANIN) and xs_next() streams the sorted
 * result. Memory stays within the budget given to xs_new plus a constant.
 * Equal records come out in an unspecified order, so comparators must be
 * total where order matters. One sorter belongs to one thread.
 */
#ifndef CORPUSD_DEDUP_DEDUP_INT_H
#define CORPUSD_DEDUP_DEDUP_INT_H

#include <stdint.h>
#include <stdio.h>

#include "core/util.h"

#define XS_MAX_REC (1u << 20)
#define XS_FANIN 64

typedef int (*xs_cmp)(const void *a, size_t alen, const void *b, size_t blen);

typedef struct extsort extsort;

extsort *xs_new(const char *tmpdir, size_t rec_size, size_t mem_budget, xs_cmp cmp);
int xs_add(extsort *x, const void *rec, size_t len, cd_err *e);
int xs_finish(extsort *x, cd_err *e);
/* 1 = *rec set (valid until the next call), 0 = end, -1 = error. */
int xs_next(extsort *x, const void **rec, size_t *len, cd_err *e);
uint64_t xs_count(const extsort *x);
int xs_spilled_runs(const extsort *x);
void xs_free(extsort *x);

/* A k-way merge of sorted files of fixed-size records (header bytes are
 * skipped). accept() may filter records (NULL = all). */
typedef struct xs_merge xs_merge;
xs_merge *xs_merge_open(char *const *paths, size_t n, size_t header, size_t rec_size, size_t buf_budget,
                        xs_cmp cmp, int (*accept)(void *arg, const void *rec), void *accept_arg, cd_err *e);
int xs_merge_next(xs_merge *m, const void **rec, cd_err *e);
void xs_merge_close(xs_merge *m);

/* pread/pwrite of whole buffers; -1 with e set on failure or short read. */
int dd_pread(int fd, void *buf, size_t n, uint64_t off, const char *name, cd_err *e);
int dd_pwrite(int fd, const void *buf, size_t n, uint64_t off, const char *name, cd_err *e);

/* A buffered sequential file writer that checksums (XXH3-64) what it writes. */
typedef struct dd_out {
    FILE *f;
    char *path, *tmp;
    uint64_t bytes;
    void *hash_state;
} dd_out;
int dd_out_open(dd_out *o, const char *path, cd_err *e);
int dd_out_write(dd_out *o, const void *p, size_t n, cd_err *e);
/* fsyncs and renames to the final path; checksum as 16 hex chars. */
int dd_out_close(dd_out *o, char checksum[17], cd_err *e);
void dd_out_abort(dd_out *o);

/* Runs one permutation kernel ("scalar", "avx2", "avx512") directly, for
 * tests; -1 when this CPU lacks it. nperm must be a multiple of 8. */
int dd_fold_kernel(const char *kernel, const uint64_t *a, const uint64_t *b, size_t nperm, const uint64_t *h,
                   size_t nh, uint64_t *sig);

#endif

/*
 * warc_par.h: speculative parallel inflate of gzip members, private to the
 * WARC reader (crawl/warc_read.c).
 *
 * The engine owns the reading of the source from a given offset on: it reads
 * it in fixed blocks ("jobs", each with an overlap into the next block), and
 * worker threads find gzip member starts in each block and inflate whole
 * members from them with ISA-L. The reader (one consumer thread) asks, at
 * every member start it reaches, whether the member starting exactly there
 * was inflated; only fully inflated members, with a valid trailer and under
 * the bomb limits at every point, are offered. Everything else (no result,
 * corrupt, huge, garbage) is left to the reader's serial path, which reads
 * the same compressed bytes through warc_par_read().
 *
 * Invariants:
 *  - Offsets are the reader's: an offset is bytes from the start of the
 *    reader's source (its cbase coordinate).
 *  - Memory is bounded: at most njobs blocks of JOB_OWN + JOB_OVERLAP bytes
 *    and at most JOB_OUT_CAP inflated bytes per block are in flight.
 *  - Reads are monotonic, and a lookup is never below the last read
 *    position minus `lookback` (the reader's compressed buffer size): blocks
 *    below both are recycled.
 *  - Only the consumer thread calls these functions.
 */
#ifndef CORPUSD_CRAWL_WARC_PAR_H
#define CORPUSD_CRAWL_WARC_PAR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/io.h"
#include "core/util.h"
#include "crawl/warc.h"

typedef struct warc_par warc_par;

/* Reads src (which the caller keeps and closes, after warc_par_free) from
 * offset `base` on. NULL when parallel inflate is not built (no ISA-L). */
warc_par *warc_par_start(io_source *src, uint64_t base, int threads, const warc_limits *lim,
                         size_t lookback);
/* Compressed bytes at pos (>= the last read's end): >0 bytes, 0 at the end
 * of the source, -1 when the source failed (e says why). */
ssize_t warc_par_read(warc_par *p, uint64_t pos, void *buf, size_t n, cd_err *e);
/* The member starting at pos, if a worker inflated it whole: 1 and its
 * inflated bytes (valid until the next call) and compressed length; 0 not. */
int warc_par_lookup(warc_par *p, uint64_t pos, const unsigned char **out, size_t *olen, uint64_t *clen);
void warc_par_free(warc_par *p);

#endif

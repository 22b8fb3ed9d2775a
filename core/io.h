/*
 * io.h: streaming input and atomic output, with transparent compression.
 *
 * Readers detect gzip (including multi-member files) and zstd (including
 * concatenated frames) by their magic bytes, and read plain files otherwise.
 * A stream that ends before its compressed data does is reported as
 * CD_ETRUNC with the file name and offset; it is never silently short.
 *
 * Readers may also be built over a byte source (io_source), which is how the
 * crawl stage streams a download straight into a parser.
 *
 * Writers write to a hidden temporary name in the destination directory
 * (".NAME.tmp"); io_writer_commit() flushes, fsyncs, renames to the final
 * name and fsyncs the directory, then reports the size and an XXH3-64
 * checksum of the bytes on disk for the ledger. A writer that is not
 * committed leaves only its temporary file, which start-up recovery removes.
 *
 * One reader or writer belongs to one thread.
 */
#ifndef CORPUSD_CORE_IO_H
#define CORPUSD_CORE_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/util.h"

typedef enum { IO_PLAIN = 0, IO_GZIP = 1, IO_ZSTD = 2 } io_compression;

/* A raw byte source: read returns bytes read, 0 at end, -1 on error. */
typedef struct io_source {
    void *ctx;
    ssize_t (*read)(void *ctx, void *buf, size_t n, cd_err *e);
    void (*close)(void *ctx);
    const char *name;          /* for messages */
} io_source;

typedef struct io_reader io_reader;

io_reader *io_open(const char *path, cd_err *e);
io_reader *io_open_source(io_source src, cd_err *e);
/* Reads up to n decompressed bytes: >0 bytes, 0 at a clean end, -1 error. */
ssize_t io_read(io_reader *r, void *buf, size_t n, cd_err *e);
/* Reads one line without its '\n' (and '\r\n'). Returns 1, 0 at end, -1 on
 * error (including a line over max_line bytes). The line stays valid until
 * the next call. */
int io_getline(io_reader *r, const char **line, size_t *len, cd_err *e);
void io_set_max_line(io_reader *r, size_t max_line);
uint64_t io_line_number(const io_reader *r);       /* of the last line read */
uint64_t io_raw_offset(const io_reader *r);        /* compressed bytes consumed */
io_compression io_reader_compression(const io_reader *r);
const char *io_reader_name(const io_reader *r);
void io_close(io_reader *r);

typedef struct io_writer io_writer;
typedef struct io_commit_info {
    uint64_t bytes;            /* on disk */
    uint64_t raw_bytes;        /* before compression */
    char checksum[17];         /* XXH3-64 of the on-disk bytes, hex */
} io_commit_info;

io_compression io_compression_for_path(const char *path);
io_writer *io_writer_create(const char *final_path, io_compression c, cd_err *e);
int io_write(io_writer *w, const void *p, size_t n, cd_err *e);
uint64_t io_writer_raw_bytes(const io_writer *w);
int io_writer_commit(io_writer *w, io_commit_info *info, cd_err *e);  /* frees w */
void io_writer_abort(io_writer *w);                                     /* frees w */

/* XXH3-64 of a whole file as 16 hex chars; -1 on error. */
int io_file_checksum(const char *path, char out[17], uint64_t *size, cd_err *e);

#endif

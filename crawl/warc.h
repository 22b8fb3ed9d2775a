/*
 * warc.h: corpusd's streaming WARC/WET reader and writer (the public header
 * of the crawl stage).
 *
 * Reading. warc_reader_open() takes a local path, an http(s):// URL or an
 * s3:// URL (the last two stream through crawl/fetch.h) and yields one
 * record at a time with warc_reader_next(). It reads WARC/1.0 and WARC/1.1
 * (and any WARC/N.N line), of every record type, framed three ways:
 *
 *  - one gzip member per record, as CommonCrawl writes them;
 *  - one gzip stream over the whole file (or any member layout);
 *  - no compression.
 *
 * The gzip layer is driven here (ISA-L igzip when built with it, zlib
 * otherwise) rather than through core/io, because a record's offset is the
 * compressed offset of the gzip member it starts, which is what the
 * CommonCrawl CDX index gives and what random access needs.
 *
 * Invariants.
 *  - Memory is bounded: a header block over limits.max_header bytes is
 *    refused, a record whose Content-Length is over limits.max_record is
 *    streamed past without being held, and a gzip member that inflates past
 *    limits.max_ratio (once over limits.ratio_floor bytes) or past
 *    limits.max_member is refused as a decompression bomb.
 *  - Bad input is never fatal: a corrupt gzip member, a garbage record, a
 *    lying Content-Length or a truncated tail is logged with the file name
 *    and the byte offset, counted in warc_stats, and the reader resumes at
 *    the next gzip member or `WARC/` line. Only an I/O failure of the source
 *    itself (a download that fails after its retries) ends the input with -1.
 *  - Offsets are stable: record.offset is the compressed offset of the gzip
 *    member the record starts (per-record gzip), or the byte offset of the
 *    record in the uncompressed stream otherwise (record.offset_exact says
 *    which), plus the start offset given to warc_reader_open_range().
 *
 * Parallel inflate. With limits.threads != 1 (ISA-L builds), a per-record-
 * gzip stream longer than limits.par_after (1 MiB) is inflated speculatively by worker threads
 * (crawl/warc_par.h): they inflate whole members from candidate member
 * starts ahead of the reader, and the reader takes a worker's result only
 * for the member starting exactly where its serial path stands; anything
 * else (corrupt members, garbage, bombs, whole-file gzip, plain files) goes
 * through the serial path. The records, offsets and counters are the same
 * as with threads = 1.
 *
 * A record's pointers stay valid until the next warc_reader_next() call.
 * One reader belongs to one thread; the functions below keep no global
 * state and are reentrant.
 */
#ifndef CORPUSD_CRAWL_WARC_H
#define CORPUSD_CRAWL_WARC_H

#include <stddef.h>
#include <stdint.h>

#include "core/io.h"
#include "core/util.h"

/* ------------------------------------------------------------------ limits */

typedef struct warc_limits {
    size_t max_header;         /* WARC header block, bytes */
    uint64_t max_record;       /* Content-Length held in memory; bigger is skipped */
    uint64_t max_member;       /* inflated bytes of one gzip member; 0 = no limit */
    double max_ratio;          /* inflated/compressed of one member, once past ratio_floor */
    uint64_t ratio_floor;
    int threads;               /* inflate threads: 0 = cd_ncpus(), 1 = serial (see below) */
    uint64_t par_after;        /* compressed bytes read serially before threads start */
} warc_limits;

/* Defaults (see warc.c for where each number comes from). */
void warc_limits_default(warc_limits *l);

/* -------------------------------------------------------------- statistics */

/* Named counters; warc_stats_names() lists them in order for reporting. */
typedef struct warc_stats {
    uint64_t records;              /* records returned */
    uint64_t members;              /* gzip members started */
    uint64_t corrupt_gzip;         /* member failed to inflate (bad data, CRC) */
    uint64_t gzip_bomb;            /* member refused by the ratio/size limits */
    uint64_t truncated;            /* input ended inside a member or a record */
    uint64_t garbage;              /* bytes that were not a WARC record (resyncs) */
    uint64_t oversized_header;     /* header block over max_header */
    uint64_t oversized_record;     /* Content-Length over max_record (skipped) */
    uint64_t bad_content_length;   /* Content-Length missing, unparsable or lying */
    uint64_t bytes_in;             /* compressed bytes read */
    uint64_t bytes_out;            /* uncompressed bytes produced */
} warc_stats;

/* ----------------------------------------------------------------- records */

typedef enum {
    WARC_OTHER = 0, WARC_WARCINFO, WARC_RESPONSE, WARC_RESOURCE, WARC_REQUEST,
    WARC_METADATA, WARC_REVISIT, WARC_CONVERSION, WARC_CONTINUATION,
} warc_type;

typedef struct warc_field {
    const char *name, *value;      /* NUL-terminated; folded lines joined by one space */
} warc_field;

typedef struct warc_record {
    const char *version;           /* "WARC/1.0", "WARC/1.1" */
    warc_type type;
    const char *type_name;         /* WARC-Type as written ("" when absent) */
    const char *record_id;         /* WARC-Record-ID ("" when absent) */
    const char *target_uri;        /* WARC-Target-URI, angle brackets removed */
    const char *date;              /* WARC-Date */
    const char *content_type;      /* Content-Type of the block */
    warc_field *fields;            /* every header field, in order */
    size_t nfields;
    uint64_t offset;               /* see the invariants above */
    int offset_exact;              /* 1: offset is a gzip member start (seekable) */
    uint64_t compressed_length;    /* bytes of its gzip member(s); 0 when unknown */
    uint64_t content_length;
    const unsigned char *block;    /* content_length bytes */
} warc_record;

/* Case-insensitive lookup of a header field; NULL when absent. */
const char *warc_record_field(const warc_record *r, const char *name);

/* ------------------------------------------------------------------ reader */

typedef struct warc_reader warc_reader;

/* path: a file, an http(s):// URL or an s3:// URL. lim may be NULL. */
warc_reader *warc_reader_open(const char *path, const warc_limits *lim, cd_err *e);
/* One record (or a run of records) from [offset, offset+length) of a file
 * or URL (an HTTP Range request); length 0 = to the end. */
warc_reader *warc_reader_open_range(const char *path, uint64_t offset, uint64_t length,
                                    const warc_limits *lim, cd_err *e);
/* Over any byte source (takes ownership of src; closes it). */
warc_reader *warc_reader_open_source(io_source src, const char *name, uint64_t start_offset,
                                     const warc_limits *lim, cd_err *e);
/* 1 = *rec filled, 0 = end of input, -1 = the source failed (e says why). */
int warc_reader_next(warc_reader *r, warc_record *rec, cd_err *e);
const warc_stats *warc_reader_stats(const warc_reader *r);
/* Compressed bytes consumed so far (for progress). */
uint64_t warc_reader_offset(const warc_reader *r);
const char *warc_reader_name(const warc_reader *r);
/* Gzip members whose inflated bytes came from parallel workers (tests, bench). */
uint64_t warc_reader_parallel_members(const warc_reader *r);
/* Set to 1 to keep skipped/garbage messages off the log (fuzzing, tests). */
void warc_reader_set_quiet(warc_reader *r, int quiet);
void warc_reader_close(warc_reader *r);

/* -------------------------------------------------------------------- HTTP */

typedef struct warc_http {
    int status;                    /* 0 when the block is not an HTTP response */
    const char *status_line;       /* NUL-terminated copy, in `scratch` */
    warc_field *headers;
    size_t nheaders;
    const unsigned char *body;     /* entity body (de-chunked when it was chunked) */
    size_t body_len;
    int was_chunked;
} warc_http;

/* Scratch storage reused across calls (one per thread). */
typedef struct warc_scratch {
    sbuf strings, body, conv, decoded;
    warc_field *fields;
    size_t cap;
    void *iconv_cache;             /* private */
} warc_scratch;

void warc_scratch_free(warc_scratch *s);

/* One "Name: value" header line (without its line end), shared by the WARC
 * and HTTP header parsers: appends the name and the value, each trimmed of
 * blanks and NUL-terminated, to strings and sets their offsets there.
 * Returns 0, appending nothing, when the line has no colon. */
int warc_header_field(sbuf *strings, const unsigned char *line, const unsigned char *lend, size_t off[2]);
/* A folded continuation line (one starting with a blank) of either parser:
 * its text, trimmed of blanks, joins the last value appended to strings with
 * one space. The caller checks that there is a previous field. */
void warc_header_fold(sbuf *strings, const unsigned char *line, const unsigned char *lend);

/* Parses an HTTP response block (status line, headers, body). Chunked
 * bodies are de-chunked; a body that claims chunked encoding but is not
 * (CommonCrawl stores bodies de-chunked) is returned as is. 0 ok, -1 when
 * the block is not an HTTP response. */
int warc_http_parse(const unsigned char *block, size_t len, warc_scratch *s, warc_http *out);
const char *warc_http_header(const warc_http *h, const char *name);

/* Undoes a Content-Encoding of gzip, x-gzip or deflate (zlib or raw) on
 * h->body into s->decoded, at most max bytes (a bomb or a cut body keeps what
 * inflated). 1 decoded (h->body now points at it), 0 nothing to do, -1 the
 * body does not inflate (h is unchanged). CommonCrawl stores bodies already
 * decoded; other crawlers (wget, browsers' WARCs) often do not. */
int warc_http_decode(warc_http *h, warc_scratch *s, size_t max);

/* The entity body's charset: the HTTP Content-Type charset, else a <meta>
 * charset in the first 4 KiB, else a sniff (BOM, valid UTF-8, else
 * windows-1252). Labels are normalised (WHATWG: latin1/ascii ->
 * windows-1252). Writes a lowercase name into out. */
void warc_detect_charset(const char *content_type, const unsigned char *body, size_t len, char *out,
                         size_t outsz);
/* Converts body from charset to UTF-8 with iconv; invalid bytes become
 * U+FFFD. The result is in s->conv (valid until the next call). 0 ok, -1
 * when iconv does not know the charset (s->conv then holds a sanitised copy). */
int warc_to_utf8(const char *charset, const unsigned char *body, size_t len, warc_scratch *s);

/* ------------------------------------------------------------------ SHA-256 */

typedef struct warc_sha256 {
    uint32_t h[8];
    uint64_t len;
    unsigned char buf[64];
    size_t nbuf;
} warc_sha256;

void warc_sha256_init(warc_sha256 *c);
void warc_sha256_update(warc_sha256 *c, const void *p, size_t n);
void warc_sha256_final(warc_sha256 *c, unsigned char out[32]);
/* Lowercase hex of the SHA-256 of p (65 bytes with the NUL). */
void warc_sha256_hex(const void *p, size_t n, char out[65]);

/* ------------------------------------------------------------------ writer */

/* Writes WARC/1.1 records, each its own gzip member when gzip is set. */
typedef struct warc_writer warc_writer;
warc_writer *warc_writer_create(const char *path, int gzip, cd_err *e);
/* fields: extra "Name: value" pairs (NULL-terminated array of pairs). The
 * record id, date, type, target URI and Content-Length are written here. */
int warc_writer_write(warc_writer *w, const char *type, const char *target_uri, const char *date,
                      const char *content_type, const char *const *fields, const void *block,
                      size_t len, cd_err *e);
int warc_writer_close(warc_writer *w, cd_err *e);

/* The CommonCrawl snapshot ("CC-MAIN-2025-26") named in a path or URL, into
 * out; 0 when found, -1 otherwise. */
int warc_snapshot_from_path(const char *path, char *out, size_t outsz);

#endif

/*
 * doc.h: the document record every stage reads and writes.
 *
 * A document is {id, text, source, metadata}. On disk it is one JSON object
 * per line, compatible with datatrove (id, text, media, metadata) and Dolma
 * (id, text, source, added, created, metadata): unknown top-level fields are
 * kept in `extra` and written back unchanged, so their files round-trip.
 *
 * Each document owns an arena; id, text and the metadata tree live in it.
 * A document belongs to one thread at a time.
 *
 * Stages drop a document with doc_drop(d, "reason"); the runtime counts the
 * reason under the stage, removes the document from the batch and, when the
 * pipeline keeps rejects, writes it with metadata.drop_reason set.
 */
#ifndef CORPUSD_CORE_DOC_H
#define CORPUSD_CORE_DOC_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/util.h"

typedef struct doc {
    arena arena;
    const char *id;
    size_t id_len;
    const char *text;
    size_t text_len;
    const char *source;        /* "" when absent */
    json_value *metadata;      /* always an object */
    json_value *extra;         /* other top-level fields, in order; object */
    /* Runtime state, not serialised as top-level fields. */
    const char *drop_reason;   /* NULL while kept; static string */
    const char *subset;        /* output subset; NULL = the pipeline default */
    uint64_t seq;              /* position in its input (0-based) */
    void *raw;                 /* stage-private payload (e.g. raw HTML); arena-owned */
    size_t raw_len;
} doc;

doc *doc_new(void);
void doc_free(doc *d);
void doc_set_id(doc *d, const char *id, size_t n);
void doc_set_text(doc *d, const char *text, size_t n);
void doc_set_source(doc *d, const char *source);
/* metadata helpers (values are copied into the document's arena) */
void doc_meta_set_str(doc *d, const char *key, const char *val);
void doc_meta_set_strn(doc *d, const char *key, const char *val, size_t n);
void doc_meta_set_num(doc *d, const char *key, double v);
void doc_meta_set_int(doc *d, const char *key, int64_t v);
void doc_meta_set_bool(doc *d, const char *key, int v);
void doc_meta_set(doc *d, const char *key, json_value *v);  /* v from d->arena */
json_value *doc_meta_get(const doc *d, const char *key);
/* Marks the document dropped; reason must be a static string. */
void doc_drop(doc *d, const char *reason);

/* Parses one JSONL line into a new document. NULL + e on malformed input. */
doc *doc_from_json(const char *line, size_t n, cd_err *e);
/* Appends the document as one JSON line (with trailing '\n'). When
 * with_drop_reason is set and the doc was dropped, metadata.drop_reason is
 * written too. */
void doc_to_json(const doc *d, sbuf *out, int with_drop_reason);

/* A batch of documents, in input order. */
typedef struct doc_batch {
    doc **docs;
    size_t len, cap;
} doc_batch;

void doc_batch_push(doc_batch *b, doc *d);
void doc_batch_clear(doc_batch *b);   /* frees the documents */
void doc_batch_free(doc_batch *b);

#endif

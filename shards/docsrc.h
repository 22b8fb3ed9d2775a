/*
 * docsrc.h (private to shards/): reads the documents of several inputs in
 * order through the registered readers (JSONL by default), skipping inputs
 * that fail to open with a logged error. One docsrc belongs to one thread.
 */
#ifndef CORPUSD_SHARDS_DOCSRC_H
#define CORPUSD_SHARDS_DOCSRC_H

#include "core/stage.h"

typedef struct docsrc docsrc;

docsrc *docsrc_open(char **inputs, size_t n, const char *format, cd_err *e);
/* 1 = *out set (caller frees it), 0 = end of all inputs. */
int docsrc_next(docsrc *s, doc **out);
/* Inputs that failed (open or read errors), and records skipped as bad. */
uint64_t docsrc_failed_inputs(const docsrc *s);
uint64_t docsrc_bad_records(const docsrc *s);
void docsrc_close(docsrc *s);

/* The manifest's "source" of a document: d->source, else metadata.source,
 * else "unknown". */
const char *docsrc_source(const doc *d);

#endif

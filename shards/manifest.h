/*
 * manifest.h (private to shards/): manifest.json of a token-shard output:
 * the files with their document counts, sizes and checksums, document and
 * token counts per source and per subset, the tokenizer (path, kind, hash,
 * vocabulary size, EOD), a hash of the configuration and corpusd's version.
 */
#ifndef CORPUSD_SHARDS_MANIFEST_H
#define CORPUSD_SHARDS_MANIFEST_H

#include "core/stage.h"
#include "tokenizer/bpe.h"

typedef struct manifest_count {
    char *name;
    uint64_t docs, tokens;
} manifest_count;

typedef struct manifest_counts {
    manifest_count *sources, *subsets;
    size_t nsources, nsubsets;
} manifest_counts;

void manifest_counts_add(manifest_counts *c, const char *source, const char *subset, uint64_t docs, uint64_t tokens);
void manifest_counts_merge(manifest_counts *dst, const manifest_counts *src);
void manifest_counts_free(manifest_counts *c);

typedef struct manifest_info {
    const char *format;
    const char *tokenizer_path;
    const bpe *tokenizer;
    const char *config;          /* canonical configuration text (hashed) */
    uint64_t docs, tokens, empty_docs, bad_records, failed_inputs;
} manifest_info;

/* Writes the manifest to path atomically. */
int manifest_write(const char *path, const manifest_info *mi, const output_list *files, const manifest_counts *c,
                   cd_err *e);

#endif

/*
 * shards.h: token shards that training frameworks read directly.
 *
 * Formats:
 *  - megatron: Megatron-LM's MMIDIDX indexed dataset, as
 *    tools/preprocess_data.py writes it (one sequence per document):
 *      PREFIX_N.idx: "MMIDIDX\0\0", u64 version 1, u8 dtype code (8 = uint16
 *        when the vocabulary has fewer than 65500 ids, else 4 = int32),
 *        u64 sequence count, u64 document-index count (= documents + 1),
 *        int32 sequence lengths, int64 byte pointers into .bin, int64
 *        document indices starting with 0;
 *      PREFIX_N.bin: the tokens, little-endian, in that dtype.
 *  - datatrove: datatrove's DocumentTokenizer output: PREFIX_N.ds (uint16
 *    or uint32 tokens), PREFIX_N.ds.index (uint64 cumulative document ends)
 *    and PREFIX_N.ds.metadata ("tokenizer|token_size", token count).
 *
 * Every document ends with the tokenizer's EOD id (appended by the writer).
 * A shard is closed before it would pass max_tokens (a document longer than
 * that gets a shard of its own). Files are written under temporary names,
 * fsynced and renamed, so a crash leaves no half shard under a final name.
 * A tokshard_writer belongs to one thread.
 */
#ifndef CORPUSD_SHARDS_SHARDS_H
#define CORPUSD_SHARDS_SHARDS_H

#include <stddef.h>
#include <stdint.h>

#include "core/doc.h"
#include "core/stage.h"
#include "core/util.h"
#include "tokenizer/bpe.h"

typedef enum { TOKSHARD_MEGATRON = 0, TOKSHARD_DATATROVE = 1 } tokshard_format;

typedef struct tokshard_writer tokshard_writer;

/* dir/prefix_N.* files; token_bytes is 2 or 4; max_tokens 0 = unbounded.
 * tokenizer_name goes into datatrove's .metadata. */
tokshard_writer *tokshard_open(const char *dir, const char *prefix, tokshard_format fmt, int token_bytes,
                               uint64_t max_tokens, const char *tokenizer_name, cd_err *e);
/* Appends one document (its ids; EOD already included by the caller). */
int tokshard_add(tokshard_writer *w, const int32_t *ids, size_t n, cd_err *e);
/* Closes the last shard and lists every file written (paths relative to
 * rel_dir, which may be ""), then frees w. */
int tokshard_commit(tokshard_writer *w, const char *rel_dir, const char *subset, output_list *out, cd_err *e);
/* Removes what was written and frees w. */
void tokshard_abort(tokshard_writer *w);
uint64_t tokshard_total_tokens(const tokshard_writer *w);
uint64_t tokshard_total_docs(const tokshard_writer *w);

/* Encodes batches of documents on several threads: document i by worker
 * i mod T, each worker with its own bpe_ctx, the caller's thread being
 * worker 0. out[i] gets document i's ids (no EOD), so what the caller then
 * writes in input order is byte-identical at any thread count. */
typedef struct tokpool tokpool;
tokpool *tokpool_new(const bpe *t, int threads, unsigned flags);
int tokpool_encode(tokpool *p, doc *const *docs, size_t n, bpe_ids *out, cd_err *e);
/* The same for JSONL records: line i is parsed as a document record and its
 * text encoded into out[i]; bad[i] is set to 1 (and out[i] left empty) when
 * the line is not a valid record, else to 0. */
int tokpool_encode_jsonl(tokpool *p, const char *const *lines, const size_t *lens, size_t n, bpe_ids *out,
                         unsigned char *bad, cd_err *e);
int tokpool_threads(const tokpool *p);
void tokpool_free(tokpool *p);

/* Megatron's dtype choice: 2 bytes (uint16) when vocab_size < 65500. */
int tokshard_token_bytes(size_t vocab_size, tokshard_format fmt);

#endif

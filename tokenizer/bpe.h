/*
 * bpe.h: corpusd's byte-level BPE tokenizer, the public API shared by
 * shards/ and synth/.
 *
 * One tokenizer (`bpe`) is loaded from either
 *  - a Hugging Face tokenizer.json whose model is byte-level BPE (vocab and
 *    merges in the "a b" string form or the ["a","b"] pair form; normalizers
 *    NFC/NFD/NFKC/NFKD/Sequence; pre_tokenizers Sequence/Split/ByteLevel/
 *    Digits; added_tokens; TemplateProcessing post-processor), or
 *  - a tiktoken rank file ("base64-token rank" per line) with a named split
 *    pattern and special tokens ("cl100k_base", "o200k_base").
 *
 * Invariants:
 *  - Encoding gives exactly the ids of the reference implementation (HF
 *    `tokenizers` for tokenizer.json, OpenAI `tiktoken` for rank files) on
 *    valid UTF-8. Invalid UTF-8 is first replaced by U+FFFD per maximal
 *    subpart (as Rust's from_utf8_lossy and WHATWG decoders do), which is
 *    what the references see when given the same bytes as a string.
 *  - Encoding time is O(n log n) in the input length whatever its shape (no
 *    quadratic merge loop on a 100 MB word).
 *  - A loaded `bpe` is immutable: every function taking `const bpe *` is
 *    thread-safe. Per-thread scratch (regex match data, the pre-token cache)
 *    lives in a `bpe_ctx`, which belongs to one thread at a time.
 *  - Load errors are values (cd_err), never aborts: malformed JSON, an
 *    unsupported model type, a merge naming a missing token, a bad regex.
 */
#ifndef CORPUSD_TOKENIZER_BPE_H
#define CORPUSD_TOKENIZER_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

typedef struct bpe bpe;
typedef struct bpe_ctx bpe_ctx;

/* Loads a tokenizer by file name: "*.tiktoken" files are rank files whose
 * pattern is named by the file's stem (cl100k_base.tiktoken, ...), anything
 * else is parsed as tokenizer.json. For tokenizer.json, a sibling
 * tokenizer_config.json (when present) supplies eos_token/bos_token. */
bpe *bpe_load(const char *path, cd_err *e);
/* tokenizer.json from memory; `name` is used in messages only. */
bpe *bpe_load_json(const char *data, size_t n, const char *name, cd_err *e);
/* A tiktoken rank file from memory with a named encoding ("cl100k_base",
 * "o200k_base"), which fixes the split pattern and the special tokens. */
bpe *bpe_load_tiktoken(const char *data, size_t n, const char *encoding, cd_err *e);
void bpe_free(bpe *t);

/* Number of ids (the largest id + 1, including added/special tokens). */
size_t bpe_vocab_size(const bpe *t);
/* Id of a token given by its text: a special/added token's content, or a
 * regular token's raw bytes. -1 when absent. */
int32_t bpe_token_to_id(const bpe *t, const char *tok, size_t n);
/* Raw bytes of an id (special tokens: their content). NULL when unknown. */
const char *bpe_id_to_token(const bpe *t, int32_t id, size_t *n);
/* 1 when id is a special/added token. */
int bpe_is_special(const bpe *t, int32_t id);
/* End-of-document / beginning-of-sequence ids, -1 when the tokenizer has
 * none. EOS comes from tokenizer_config.json's eos_token when present, else
 * the first of <|endoftext|>, <|end_of_text|>, </s>, <eos>, [EOS] found. */
int32_t bpe_eos_id(const bpe *t);
int32_t bpe_bos_id(const bpe *t);
/* Overrides EOS by token text; -1 when the token does not exist. */
int bpe_set_eos(bpe *t, const char *tok);
/* A stable hash of what determines the ids (vocab bytes in id order, merges
 * in rank order, patterns, normalizer, added tokens, post-processor), as 16
 * hex digits. Independent of JSON formatting or key order. */
const char *bpe_hash(const bpe *t);
/* "tokenizer.json" or "tiktoken:cl100k_base", for manifests. */
const char *bpe_kind(const bpe *t);

/* Encoding flags. */
enum {
    /* Recognise added/special tokens in the text (HF tokenizers always does;
     * tiktoken's encode() with allowed_special="all"). Without it the text is
     * encoded as ordinary text (tiktoken's encode_ordinary). */
    BPE_PARSE_SPECIAL = 1u << 0,
    /* Apply the post-processor: add BOS (and EOS) where the tokenizer's
     * template says so (HF add_special_tokens=True). */
    BPE_ADD_SPECIAL = 1u << 1,
};

/* Growable id array. */
typedef struct bpe_ids {
    int32_t *ids;
    size_t len, cap;
} bpe_ids;

void bpe_ids_push(bpe_ids *v, int32_t id);
void bpe_ids_free(bpe_ids *v);

/* Per-thread scratch; free with bpe_ctx_free. */
bpe_ctx *bpe_ctx_new(const bpe *t);
void bpe_ctx_free(bpe_ctx *c);

/* Appends the ids of text[0..n) to out. ctx may be NULL (a temporary one is
 * made: slower). Returns 0, or -1 with e set on an internal regex failure
 * (e.g. PCRE2 resource limits); input bytes are never an error. */
int bpe_encode(const bpe *t, bpe_ctx *ctx, const char *text, size_t n, unsigned flags, bpe_ids *out,
               cd_err *e);

/* Appends the bytes of ids to out (special tokens as their content). Unknown
 * ids are skipped and counted in *unknown (when non-NULL). */
void bpe_decode(const bpe *t, const int32_t *ids, size_t n, sbuf *out, size_t *unknown);

#endif

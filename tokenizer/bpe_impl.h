/*
 * bpe_impl.h: private structures of the tokenizer, shared by bpe_load.c
 * (building a `bpe` from tokenizer.json or a tiktoken file) and bpe_encode.c
 * (normalise, split, merge, decode). Not part of the public API.
 *
 * Invariants of a loaded `bpe`:
 *  - every regular token is stored as its raw bytes (the ByteLevel alphabet
 *    is undone at load), so encoding works on bytes and never maps chars;
 *  - byte_id[b] is the id of the one-byte token b for all 256 bytes;
 *  - the pair table maps (left id, right id) to (rank, merged id); tiktoken
 *    files get the same table, derived from the ranks, so one merge loop
 *    serves both;
 *  - nothing in it changes after load, so it is shared by threads.
 */
#ifndef CORPUSD_TOKENIZER_BPE_IMPL_H
#define CORPUSD_TOKENIZER_BPE_IMPL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>

#include "tokenizer/bpe.h"

typedef struct bpe_tok {
    uint32_t off, len;     /* bytes in bpe.pool */
    uint8_t present, special;
} bpe_tok;

typedef struct bpe_pair {
    uint64_t key;          /* left << 32 | right; UINT64_MAX = empty */
    uint32_t rank;
    int32_t merged;
} bpe_pair;

/* Split behaviours of Hugging Face's pre-tokenizers. */
typedef enum {
    BPE_SPLIT_ISOLATED, BPE_SPLIT_REMOVED, BPE_SPLIT_MERGED_PREV, BPE_SPLIT_MERGED_NEXT, BPE_SPLIT_CONTIGUOUS
} bpe_split_behavior;

typedef struct bpe_step {
    pcre2_code *re;        /* NULL: no split (ByteLevel with use_regex=false) */
    bpe_split_behavior behavior;
    int invert;
    int add_prefix_space;  /* ByteLevel: prepend ' ' to pieces not starting with one */
} bpe_step;

typedef struct bpe_added {
    char *content;
    uint32_t len;
    int32_t id;
    uint8_t special, lstrip, rstrip;
} bpe_added;

#define BPE_MAX_STEPS 8
#define BPE_MAX_POST 8

struct bpe {
    char kind[64];
    char hash[17];
    size_t nids;
    bpe_tok *toks;
    char *pool;
    size_t pool_len, pool_cap;
    int32_t byte_id[256];
    /* token bytes -> id (regular tokens), open addressing over ids. */
    int32_t *tokmap;
    size_t tokmap_mask;
    bpe_pair *pairs;
    size_t pairs_mask, npairs;
    int ignore_merges;     /* a pre-token that is itself a token is emitted whole */
    /* normaliser: utf8proc options, 0 = none */
    int norm_options;
    uint8_t *norm_inert;   /* BMP bitmap: code points that never change or combine */
    bpe_step steps[BPE_MAX_STEPS];
    size_t nsteps;
    char *patterns;        /* the source patterns, for the hash */
    bpe_added *added;
    size_t nadded;
    uint8_t added_first[256]; /* first bytes that can start an added token */
    int32_t post_pre[BPE_MAX_POST], post_suf[BPE_MAX_POST];
    size_t npost_pre, npost_suf;
    int32_t eos, bos;
    uint32_t max_capture;
};

/* Hash of token bytes, used by the token map and the pre-token cache. */
uint64_t bpe_hash_bytes(const void *p, size_t n);
/* Id of a regular token by its raw bytes, -1 when absent. */
int32_t bpe_lookup(const bpe *t, const char *s, size_t n);
/* Rewrites a pattern from Rust regex / Oniguruma syntax for PCRE2 so that
 * \s and \S mean Unicode White_Space as they do there. */
char *bpe_translate_pattern(const char *src, size_t n);
/* Compiles (and JITs) a pattern, with a message naming it on failure. */
pcre2_code *bpe_compile(const char *pattern, size_t n, int literal, cd_err *e);
/* Computes t->hash. */
void bpe_compute_hash(bpe *t);
/* Builds the NFC/NFKC inertness table for t->norm_options. */
void bpe_build_norm_table(bpe *t);

#endif

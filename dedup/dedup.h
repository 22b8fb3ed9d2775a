/*
 * dedup.h: exact and MinHash-LSH near-duplicate removal, the public API of
 * the dedup stage folder.
 *
 * Three layers, each usable alone:
 *
 *  1. Text normalization and signing (dedup_norm_*, dedup_signer_*): a
 *     document becomes a 128-bit exact hash (XXH3-128 of the normalized
 *     text) and, for MinHash, `bands` band hashes of `rows` 64-bit minimum
 *     hashes each. Shingles are word or character n-grams hashed with
 *     XXH3-64; permutations are multiply-add mod 2^64 (a odd), evaluated
 *     with AVX-512 or AVX2 when the CPU has them (chosen at run time) and a
 *     scalar loop otherwise; every path gives identical signatures.
 *
 *  2. The global run (dedup_run): sign every input, external-sort the band
 *     records within a memory budget, merge them against the persistent
 *     index of earlier snapshots, decide which documents to remove, and
 *     rewrite every input. Memory stays within `memory_limit` plus a
 *     constant however many documents there are; see docs/dedup.md.
 *
 *  3. Distribution (dedup_comm): the run talks to other processes through a
 *     small vtable. Single-process runs use a trivial one; lib/corpusd-mpi.so
 *     (dedup/mpi/) provides one over MPI, loaded with dlopen.
 *
 * The removal rule (all policies): documents are totally ordered by
 * (ingestion order of the snapshot, keep-policy key, id). A document is
 * removed iff it shares an exact hash or an LSH bucket with an earlier
 * document (with jaccard_check: one of the bucket's K earliest members,
 * earlier than it, that passes the check); it records the earliest such document as `duplicate_of` and the
 * root of its duplicate_of chain (a kept document) as `dedup_cluster`. The
 * decision about a document depends only on documents before it, which is
 * why ingesting snapshots one at a time equals one batch under the default
 * policy.
 *
 * Thread safety: a dedup_signer belongs to one thread; dedup_params is
 * read-only after dedup_params_from_cfg.
 */
#ifndef CORPUSD_DEDUP_DEDUP_H
#define CORPUSD_DEDUP_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "core/cfg.h"
#include "core/util.h"

/* --------------------------------------------------------------- parameters */

enum { DEDUP_SHINGLE_WORD = 0, DEDUP_SHINGLE_CHAR = 1 };
enum { DEDUP_KEEP_OLDEST = 0, DEDUP_KEEP_NEWEST, DEDUP_KEEP_LONGEST, DEDUP_KEEP_QUALITY, DEDUP_KEEP_COMPOSITE };
enum { DEDUP_CHECK_NONE = 0, DEDUP_CHECK_SIGNATURE = 1, DEDUP_CHECK_EXACT = 2 };
enum { DEDUP_KEY_TEXT = 0, DEDUP_KEY_URL = 1 };

#define DEDUP_MAX_PERMS 1024
#define DEDUP_MAX_KEEP_KEYS 8

/* One entry of a composite keep policy (`keep:` given as a list). Documents
 * are ordered by the entries in turn, then by id; the first is kept. */
enum { DEDUP_KK_META = 0, DEDUP_KK_LENGTH = 1 };
typedef struct dedup_keep_key {
    int what;             /* DEDUP_KK_META (metadata.<name>) or DEDUP_KK_LENGTH (text bytes) */
    char name[64];        /* metadata key */
    int numeric;          /* compare as numbers (else as strings, byte order) */
    int desc;             /* highest first */
    double missing;       /* numeric value of a missing/non-numeric field */
    int has_prefer;       /* boolean key: field == prefer first, everything else after */
    char prefer[64];
} dedup_keep_key;

typedef struct dedup_norm {
    int lowercase, punctuation, whitespace, diacritics, digits;
} dedup_norm;

typedef struct dedup_params {
    int minhash;          /* near-duplicate detection on */
    int exact;            /* exact-hash detection on */
    int exact_key;        /* DEDUP_KEY_TEXT or DEDUP_KEY_URL (metadata.url) */
    int shingle;          /* DEDUP_SHINGLE_* */
    int ngram;
    int bands, rows;
    uint64_t seed;
    int keep;             /* DEDUP_KEEP_* */
    dedup_norm norm;      /* for MinHash shingles */
    dedup_norm exact_norm;/* for the exact hash */
    char preset[32];
    /* keep == DEDUP_KEEP_COMPOSITE: the ordered keys */
    dedup_keep_key keep_keys[DEDUP_MAX_KEEP_KEYS];
    int nkeep_keys;
    /* Verification of LSH candidates (exact-hash pairs are never checked). */
    int jaccard_check;        /* DEDUP_CHECK_* */
    double jaccard_threshold; /* a candidate is a duplicate iff similarity >= this */
    int jaccard_candidates;   /* K: per bucket, a new member is checked against the K earliest members */
} dedup_params;

/* The parameters a config's `dedup:` map (or the `dedup` stage) accepts. */
extern const param_spec DEDUP_PARAMS[];
int dedup_params_from_cfg(const cfg_params *p, dedup_params *out, cd_err *e);
/* Loads a YAML file whose top-level `dedup:` map holds DEDUP_PARAMS. */
int dedup_params_load(const char *path, dedup_params *out, cd_err *e);
/* A stable text form of everything that changes signatures (for the index). */
void dedup_params_signature(const dedup_params *p, sbuf *out);
/* 1 - (1 - s^r)^b */
double dedup_lsh_probability(double s, int bands, int rows);

/* ------------------------------------------------------------ normalization */

/* Appends the normalized form of text to out: per the flags, lowercased
 * (Unicode case folding beyond ASCII), punctuation turned into spaces,
 * diacritics removed (NFD, marks dropped), every run of digits made "0",
 * whitespace runs collapsed to one space and trimmed. Invalid UTF-8 bytes
 * pass through unchanged. Linear in the input. */
void dedup_normalize(const dedup_norm *n, const char *text, size_t len, sbuf *out);
/* URL key: scheme and "www." dropped, host lowercased, fragment dropped. */
void dedup_normalize_url(const char *url, size_t len, sbuf *out);

/* ----------------------------------------------------------------- signing */

typedef struct dedup_hash128 {
    uint64_t hi, lo;
} dedup_hash128;

typedef struct dedup_signer dedup_signer;

dedup_signer *dedup_signer_new(const dedup_params *p);
void dedup_signer_free(dedup_signer *s);
/* MinHash signature of (already normalized) text into sig[bands*rows].
 * Returns the number of shingles; 0 means the text had no token, and sig
 * is then all UINT64_MAX. */
size_t dedup_signer_sign(dedup_signer *s, const char *norm, size_t len, uint64_t *sig);
/* While out is set (not NULL), every shingle hash computed by
 * dedup_signer_sign is appended to it (uint64_t each, in text order, with
 * repeats); for the exact Jaccard check. */
void dedup_signer_collect(dedup_signer *s, sbuf *out);
/* Sorts and deduplicates n hashes in place; returns the new count. */
size_t dedup_hash_set(uint64_t *h, size_t n);
/* |A n B| / |A u B| of two sorted duplicate-free sets (1 when both are empty). */
double dedup_set_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb);
/* Fraction of equal positions of two signatures of n rows. */
double dedup_signature_similarity(const uint64_t *a, const uint64_t *b, size_t n);
/* Band hashes of a signature: XXH3-128 of each band's rows, seeded by the
 * band number. */
void dedup_band_hashes(const dedup_params *p, const uint64_t *sig, dedup_hash128 *out);
dedup_hash128 dedup_exact_hash(const char *norm, size_t len);
/* Which permutation kernel runs: "avx512", "avx2" or "scalar". CORPUSD_SIMD
 * (scalar|avx2|avx512) narrows the choice, for tests. */
const char *dedup_simd_name(void);

/* ------------------------------------------------------------ communication */

/* One process of a distributed run. exchange() is collective: every rank
 * calls it; send[d] holds the bytes for rank d (send_len[d] of them) and
 * the callback gets what each rank sent here. Callers keep each call's
 * payload bounded (one "round"); dedup_run loops rounds until every rank is
 * done, which allreduce_or tells. */
typedef struct dedup_comm {
    int rank, size;
    void *ctx;
    int (*exchange)(void *ctx, const char *const *send, const size_t *send_len,
                    int (*recv)(void *arg, int from, const char *data, size_t len), void *arg);
    int (*allreduce_or)(void *ctx, int v);           /* 1 if any rank passed 1 */
    uint64_t (*allreduce_sum)(void *ctx, uint64_t v);
    void (*barrier)(void *ctx);
} dedup_comm;

/* A command's main function, run once per rank with the comm (NULL = one process). */
typedef int (*dedup_comm_main_fn)(int argc, char **argv, const dedup_comm *comm);

/* Runs fn(argc, argv, comm). Launched as several ranks (mpirun, srun: the
 * environment says so), it loads lib/corpusd-mpi.so (next to the binary in
 * ../lib/, or $CORPUSD_MPI_PLUGIN), which initialises MPI and calls fn on
 * every rank with an MPI comm; it returns the worst exit code over all
 * ranks. Without the plugin a multi-rank launch is refused (EXIT_USAGE)
 * rather than doing the work N times. One process: fn(argc, argv, NULL).
 * `who` names the command in messages. */
int dedup_mpi_launch(const char *who, int argc, char **argv, dedup_comm_main_fn fn);
/* Ranks in the launch environment (1 when not under mpirun/srun). */
int dedup_mpi_world_size(void);

/* ---------------------------------------------------------------- the run */

typedef struct dedup_run_opts {
    dedup_params params;
    char **inputs;
    size_t ninputs;
    const char *out_dir;         /* kept documents: OUT_DIR/<stem>.jsonl.zst */
    const char *rejects;         /* removed documents (one file), or NULL */
    const char *index_dir;       /* persistent index, or NULL (a temporary one) */
    const char *snapshot;        /* snapshot name for the index (default: a counter) */
    int64_t memory_limit;        /* bytes */
    int threads;
    const dedup_comm *comm;      /* NULL = single process */
} dedup_run_opts;

typedef struct dedup_run_stats {
    uint64_t docs, removed, removed_exact, removed_minhash, empty, bytes;
    uint64_t failed_inputs, bad_records, candidate_pairs;
    double sign_seconds, sort_seconds, merge_seconds, write_seconds;
    uint64_t checked_pairs, rejected_pairs;   /* jaccard_check: candidates verified / failing */
} dedup_run_stats;

int dedup_run(const dedup_run_opts *o, dedup_run_stats *st, cd_err *e);

/* The subcommand's main, exported so the MPI plugin can call back into it. */
int dedup_command_main(int argc, char **argv, const dedup_comm *comm);

#endif

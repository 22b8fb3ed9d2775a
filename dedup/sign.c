/*
 * sign.c: dedup parameters, MinHash signatures and band hashes.
 *
 * Shingles: word n-grams are the byte spans of n consecutive
 * space-separated tokens of the normalized text (so their hash is the hash
 * of " ".join(ngram), as in datatrove); character n-grams are n-byte
 * windows. A text shorter than one n-gram is one shingle. Each shingle is
 * hashed with XXH3-64 (seeded by the config seed).
 *
 * Permutations: perm_i(h) = a_i * h + b_i mod 2^64 with a_i odd, drawn from
 * a SplitMix64 stream of the seed, so signatures are reproducible anywhere.
 * The min over shingles of each permutation is the signature. Shingle
 * hashes are folded in blocks of SHINGLE_BLOCK, so memory per signer is
 * bounded whatever the document size.
 *
 * Kernels: AVX-512 (vpmullq, vpminuq), AVX2 (64-bit multiply from three
 * 32-bit ones, unsigned min by sign-flip compare) and scalar. They compute
 * the same function bit for bit; the test suite checks that.
 */
#include "dedup/dedup.h"
#include "dedup/dedup_int.h"

#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* ------------------------------------------------------------- parameters */

const param_spec DEDUP_PARAMS[] = {
    {"preset", PARAM_STRING, "fineweb",
     "fineweb: word 5-grams, 14 bands x 8 rows (datatrove/FineWeb, threshold ~0.72); "
     "nemotron: char 24-grams, 20 x 13 (NeMo Curator/Nemotron-CC, threshold ~0.79); "
     "code: word 5-grams, 32 x 8 (StarCoder-like, 256 permutations, threshold ~0.65, meant with "
     "jaccard_check: exact at 0.7; case and digits kept); exact: exact hashes only. Other keys override the preset"},
    {"minhash", PARAM_ANY, NULL, "near-duplicate (MinHash-LSH) detection (preset default)"},
    {"exact", PARAM_ANY, NULL, "exact duplicates by XXH3-128 of the normalized key (preset default)"},
    {"exact_key", PARAM_STRING, "text", "text, or url (metadata.url, normalized): URL dedup"},
    {"shingle", PARAM_ANY, NULL, "word or char n-grams (preset default)"},
    {"ngram", PARAM_ANY, NULL, "shingle size (preset default: 5 words / 24 chars)"},
    {"bands", PARAM_ANY, NULL, "LSH bands (preset default)"},
    {"rows", PARAM_ANY, NULL, "rows per band (preset default)"},
    {"hash_bits", PARAM_INT, "64", "hash width; 64 (datatrove FineWeb uses 64-bit hashes)"},
    {"seed", PARAM_INT, "1", "seed of the shingle hash and the permutations"},
    {"keep", PARAM_ANY, NULL,
     "which document of a duplicate set to keep: oldest (default; earliest metadata.snapshot, then smallest id), "
     "newest, longest, quality (highest metadata.quality), or a list of keys applied in turn (then smallest id): "
     "shortcuts license (metadata.license_decision == allow first), stars_desc, date_desc, oldest, newest, "
     "longest, quality, or maps {key: metadata.NAME | length, order: asc|desc, type: string|number, "
     "missing: NUMBER, prefer: VALUE}; see docs/dedup.md"},
    {"jaccard_check", PARAM_STRING, "none",
     "verify LSH candidates: none (accept every bucket collision), signature (fraction of equal MinHash rows), "
     "exact (true Jaccard of the shingle sets); exact-hash pairs are never checked"},
    {"jaccard_threshold", PARAM_DOUBLE, "0.7", "similarity a candidate needs with jaccard_check (StarCoder: 0.7)"},
    {"jaccard_candidates", PARAM_INT, "8",
     "K: with jaccard_check, a new member of a bucket is checked against the bucket's K earliest members"},
    {"lowercase", PARAM_BOOL, "true", "normalization: case folding (datatrove simplify_text)"},
    {"punctuation", PARAM_BOOL, "true", "normalization: punctuation becomes spaces (datatrove)"},
    {"whitespace", PARAM_BOOL, "true", "normalization: collapse whitespace (datatrove)"},
    {"diacritics", PARAM_BOOL, "true", "normalization: strip diacritics via NFD (datatrove)"},
    {"digits", PARAM_BOOL, "true", "normalization: every digit run becomes 0 (datatrove)"},
    {"exact_normalize", PARAM_BOOL, "true",
     "normalize text before the exact hash with the same flags; false hashes the raw text"},
    {0},
};

/* Preset-dependent keys are PARAM_ANY (no fixed default): read them here. */
static int pick(const cfg_params *p, const char *name, int dflt, int *out, cd_err *e)
{
    const cfg_node *n = param_node(p, name);
    *out = dflt;
    if (!n) return 0;
    int64_t v;
    if (cfg_to_int(n, &v, e)) return -1;
    *out = (int)v;
    return 0;
}

static int pick_bool(const cfg_params *p, const char *name, int dflt, int *out, cd_err *e)
{
    const cfg_node *n = param_node(p, name);
    *out = dflt;
    return n ? cfg_to_bool(n, out, e) : 0;
}

/* One entry of a keep list: a shortcut name or a map. */
static int parse_keep_entry(const cfg_node *n, dedup_keep_key *k, cd_err *e)
{
    memset(k, 0, sizeof *k);
    k->what = DEDUP_KK_META;
    if (n->kind == CFG_SCALAR) {
        const char *v = n->value;
        if (!strcmp(v, "license")) {
            snprintf(k->name, sizeof k->name, "license_decision");
            k->has_prefer = 1;
            snprintf(k->prefer, sizeof k->prefer, "allow");
        } else if (!strcmp(v, "stars_desc") || !strcmp(v, "stars")) {
            snprintf(k->name, sizeof k->name, "stars");
            k->numeric = k->desc = 1;
        } else if (!strcmp(v, "date_desc") || !strcmp(v, "date")) {
            snprintf(k->name, sizeof k->name, "date");
            k->desc = 1;
        } else if (!strcmp(v, "oldest") || !strcmp(v, "newest")) {
            snprintf(k->name, sizeof k->name, "snapshot");
            k->desc = !strcmp(v, "newest");
        } else if (!strcmp(v, "longest")) {
            k->what = DEDUP_KK_LENGTH;
            k->numeric = k->desc = 1;
        } else if (!strcmp(v, "quality")) {
            snprintf(k->name, sizeof k->name, "quality");
            k->numeric = k->desc = 1;
            k->missing = -INFINITY;
        } else {
            return cfg_error(e, n, "dedup: unknown keep key '%s' (license, stars_desc, date_desc, oldest, newest, "
                                   "longest, quality, or a map {key: metadata.NAME, order: desc, ...})", v);
        }
        return 0;
    }
    if (n->kind != CFG_MAP) return cfg_error(e, n, "dedup: a keep entry is a name or a map");
    const cfg_node *key = cfg_map_get(n, "key"), *ord = cfg_map_get(n, "order"), *ty = cfg_map_get(n, "type");
    const cfg_node *mi = cfg_map_get(n, "missing"), *pr = cfg_map_get(n, "prefer");
    for (size_t i = 0; i < n->len; i++) {
        const char *kn = n->keys[i];
        if (strcmp(kn, "key") && strcmp(kn, "order") && strcmp(kn, "type") && strcmp(kn, "missing") &&
            strcmp(kn, "prefer"))
            return cfg_error(e, n, "dedup: unknown field '%s' in a keep entry (key, order, type, missing, prefer)", kn);
    }
    if (!key || key->kind != CFG_SCALAR) return cfg_error(e, n, "dedup: a keep entry needs key: metadata.NAME or length");
    if (!strcmp(key->value, "length")) {
        k->what = DEDUP_KK_LENGTH;
        k->numeric = 1;
    } else if (!strncmp(key->value, "metadata.", 9) && key->value[9] && strlen(key->value + 9) < sizeof k->name) {
        snprintf(k->name, sizeof k->name, "%s", key->value + 9);
    } else {
        return cfg_error(e, key, "dedup: keep key must be metadata.NAME (NAME under 64 bytes) or length");
    }
    if (ord) {
        if (ord->kind == CFG_SCALAR && !strcmp(ord->value, "desc")) k->desc = 1;
        else if (!(ord->kind == CFG_SCALAR && !strcmp(ord->value, "asc")))
            return cfg_error(e, ord, "dedup: order must be asc or desc");
    }
    if (ty) {
        if (ty->kind == CFG_SCALAR && !strcmp(ty->value, "number")) k->numeric = 1;
        else if (!(ty->kind == CFG_SCALAR && !strcmp(ty->value, "string")))
            return cfg_error(e, ty, "dedup: type must be string or number");
    }
    if (mi) {
        if (cfg_to_double(mi, &k->missing, e)) return -1;
        k->numeric = 1;
    }
    if (pr) {
        if (pr->kind != CFG_SCALAR || strlen(pr->value) >= sizeof k->prefer)
            return cfg_error(e, pr, "dedup: prefer must be a short string");
        k->has_prefer = 1;
        snprintf(k->prefer, sizeof k->prefer, "%s", pr->value);
    }
    return 0;
}

static int parse_keep(const cfg_node *n, dedup_params *o, cd_err *e)
{
    o->keep = DEDUP_KEEP_OLDEST;
    if (!n) return 0;
    if (n->kind == CFG_SCALAR) {
        const char *keep = n->value;
        if (!strcmp(keep, "oldest")) o->keep = DEDUP_KEEP_OLDEST;
        else if (!strcmp(keep, "newest")) o->keep = DEDUP_KEEP_NEWEST;
        else if (!strcmp(keep, "longest")) o->keep = DEDUP_KEEP_LONGEST;
        else if (!strcmp(keep, "quality")) o->keep = DEDUP_KEEP_QUALITY;
        else return cd_fail(e, CD_ECONFIG, "dedup: keep must be oldest, newest, longest, quality or a list, not '%s'", keep);
        return 0;
    }
    if (n->kind != CFG_SEQ || n->len == 0) return cfg_error(e, n, "dedup: keep must be a policy name or a non-empty list");
    if (n->len > DEDUP_MAX_KEEP_KEYS) return cfg_error(e, n, "dedup: at most %d keep keys", DEDUP_MAX_KEEP_KEYS);
    o->keep = DEDUP_KEEP_COMPOSITE;
    o->nkeep_keys = (int)n->len;
    for (size_t i = 0; i < n->len; i++)
        if (parse_keep_entry(n->items[i], &o->keep_keys[i], e)) return -1;
    return 0;
}

int dedup_params_from_cfg(const cfg_params *p, dedup_params *o, cd_err *e)
{
    memset(o, 0, sizeof *o);
    const char *preset = param_str(p, "preset");
    int shingle, ngram, bands, rows, minhash = 1, exact = 1;
    if (!strcmp(preset, "fineweb")) {
        /* datatrove MinhashConfig for FineWeb: 5-grams, 14 buckets x 8 hashes. */
        shingle = DEDUP_SHINGLE_WORD, ngram = 5, bands = 14, rows = 8;
    } else if (!strcmp(preset, "nemotron")) {
        /* NeMo Curator fuzzy dedup as used for Nemotron-CC: char 24-grams, 20 bands x 13. */
        shingle = DEDUP_SHINGLE_CHAR, ngram = 24, bands = 20, rows = 13;
    } else if (!strcmp(preset, "code")) {
        /* StarCoder/BigCode near-dedup: word 5-grams, 256 permutations, Jaccard 0.7;
         * 32 x 8 (more sensitive than datasketch's 25 x 10) with a Jaccard check. */
        shingle = DEDUP_SHINGLE_WORD, ngram = 5, bands = 32, rows = 8;
    } else if (!strcmp(preset, "exact")) {
        shingle = DEDUP_SHINGLE_WORD, ngram = 5, bands = 14, rows = 8, minhash = 0;
    } else {
        return cd_fail(e, CD_ECONFIG, "dedup: unknown preset '%s' (fineweb, nemotron, code, exact)", preset);
    }
    snprintf(o->preset, sizeof o->preset, "%s", preset);
    const cfg_node *sh = param_node(p, "shingle");
    if (sh) {
        const char *s = sh->kind == CFG_SCALAR ? sh->value : "";
        if (!strcmp(s, "word")) shingle = DEDUP_SHINGLE_WORD;
        else if (!strcmp(s, "char")) shingle = DEDUP_SHINGLE_CHAR;
        else return cd_fail(e, CD_ECONFIG, "dedup: shingle must be word or char, not '%s'", s);
    }
    o->shingle = shingle;
    if (pick(p, "ngram", ngram, &o->ngram, e) || pick(p, "bands", bands, &o->bands, e) ||
        pick(p, "rows", rows, &o->rows, e) || pick_bool(p, "minhash", minhash, &o->minhash, e) ||
        pick_bool(p, "exact", exact, &o->exact, e))
        return -1;
    if (o->ngram < 1 || o->ngram > 4096) return cd_fail(e, CD_ECONFIG, "dedup: ngram must be 1..4096");
    if (o->bands < 1 || o->rows < 1 || o->bands * o->rows > DEDUP_MAX_PERMS)
        return cd_fail(e, CD_ECONFIG, "dedup: bands x rows must be between 1 and %d", DEDUP_MAX_PERMS);
    if (param_int(p, "hash_bits") != 64) return cd_fail(e, CD_ECONFIG, "dedup: only hash_bits: 64 is supported");
    if (!o->minhash && !o->exact) return cd_fail(e, CD_ECONFIG, "dedup: neither minhash nor exact is on");
    const char *key = param_str(p, "exact_key");
    if (!strcmp(key, "text")) o->exact_key = DEDUP_KEY_TEXT;
    else if (!strcmp(key, "url")) o->exact_key = DEDUP_KEY_URL;
    else return cd_fail(e, CD_ECONFIG, "dedup: exact_key must be text or url, not '%s'", key);
    o->seed = (uint64_t)param_int(p, "seed");
    if (parse_keep(param_node(p, "keep"), o, e)) return -1;
    const char *chk = param_str(p, "jaccard_check");
    if (!strcmp(chk, "none")) o->jaccard_check = DEDUP_CHECK_NONE;
    else if (!strcmp(chk, "signature")) o->jaccard_check = DEDUP_CHECK_SIGNATURE;
    else if (!strcmp(chk, "exact")) o->jaccard_check = DEDUP_CHECK_EXACT;
    else return cd_fail(e, CD_ECONFIG, "dedup: jaccard_check must be none, signature or exact, not '%s'", chk);
    o->jaccard_threshold = param_double(p, "jaccard_threshold");
    if (!(o->jaccard_threshold >= 0.0 && o->jaccard_threshold <= 1.0))
        return cd_fail(e, CD_ECONFIG, "dedup: jaccard_threshold must be between 0 and 1");
    int64_t k = param_int(p, "jaccard_candidates");
    if (k < 1 || k > 1024) return cd_fail(e, CD_ECONFIG, "dedup: jaccard_candidates must be 1..1024");
    o->jaccard_candidates = (int)k;
    if (o->jaccard_check && !o->minhash)
        return cd_fail(e, CD_ECONFIG, "dedup: jaccard_check needs minhash (exact pairs are never checked)");
    o->norm.lowercase = param_bool(p, "lowercase");
    o->norm.punctuation = param_bool(p, "punctuation");
    o->norm.whitespace = param_bool(p, "whitespace");
    o->norm.diacritics = param_bool(p, "diacritics");
    o->norm.digits = param_bool(p, "digits");
    if (!strcmp(preset, "code")) {
        /* Code: identifiers keep their case and digits (BigCode splits on
         * [^A-Za-z_0-9] and lowercases nothing); punctuation still splits tokens. */
        if (!param_given(p, "lowercase")) o->norm.lowercase = 0;
        if (!param_given(p, "digits")) o->norm.digits = 0;
        if (!param_given(p, "diacritics")) o->norm.diacritics = 0;
    }
    if (param_bool(p, "exact_normalize")) o->exact_norm = o->norm;
    else memset(&o->exact_norm, 0, sizeof o->exact_norm);
    return 0;
}

int dedup_params_load(const char *path, dedup_params *out, cd_err *e)
{
    cfg_node *root = cfg_load(path, e);
    if (!root) return -1;
    const cfg_node *m = root->kind == CFG_MAP ? cfg_map_get(root, "dedup") : NULL;
    if (!m) {
        int rc = cfg_error(e, root, "expected a top-level `dedup:` map");
        cfg_free(root);
        return rc;
    }
    cfg_params *p = cfg_params_bind(DEDUP_PARAMS, m, "dedup", e);
    int rc = p ? dedup_params_from_cfg(p, out, e) : -1;
    cfg_params_free(p);
    cfg_free(root);
    return rc;
}

void dedup_params_signature(const dedup_params *p, sbuf *out)
{
    sbuf_printf(out, "v1 minhash=%d exact=%d key=%d shingle=%d ngram=%d bands=%d rows=%d seed=%llu "
                     "norm=%d%d%d%d%d exact_norm=%d%d%d%d%d",
                p->minhash, p->exact, p->exact_key, p->shingle, p->ngram, p->bands, p->rows,
                (unsigned long long)p->seed, p->norm.lowercase, p->norm.punctuation, p->norm.whitespace,
                p->norm.diacritics, p->norm.digits, p->exact_norm.lowercase, p->exact_norm.punctuation,
                p->exact_norm.whitespace, p->exact_norm.diacritics, p->exact_norm.digits);
    /* The check changes what the index stores (verification records), not
     * the signatures: recorded only when on, so older indexes still match. */
    if (p->jaccard_check) sbuf_printf(out, " verify=%s", p->jaccard_check == DEDUP_CHECK_EXACT ? "exact" : "signature");
}

double dedup_lsh_probability(double s, int bands, int rows)
{
    return 1.0 - pow(1.0 - pow(s, rows), bands);
}

/* ---------------------------------------------------------------- kernels */

#define SHINGLE_BLOCK 1024

typedef void (*fold_fn)(const uint64_t *a, const uint64_t *b, size_t nperm, const uint64_t *h, size_t nh,
                        uint64_t *sig);

static void fold_scalar(const uint64_t *a, const uint64_t *b, size_t nperm, const uint64_t *h, size_t nh,
                        uint64_t *sig)
{
    for (size_t j = 0; j < nperm; j++) {
        uint64_t m = sig[j], aj = a[j], bj = b[j];
        for (size_t i = 0; i < nh; i++) {
            uint64_t v = aj * h[i] + bj;
            m = v < m ? v : m;
        }
        sig[j] = m;
    }
}

/* nperm is padded to a multiple of 8 by the signer. */
__attribute__((target("avx512f,avx512dq"))) static void fold_avx512(const uint64_t *a, const uint64_t *b,
                                                                    size_t nperm, const uint64_t *h, size_t nh,
                                                                    uint64_t *sig)
{
    size_t j = 0;
    for (; j + 32 <= nperm; j += 32) {
        __m512i a0 = _mm512_loadu_si512(a + j), a1 = _mm512_loadu_si512(a + j + 8);
        __m512i a2 = _mm512_loadu_si512(a + j + 16), a3 = _mm512_loadu_si512(a + j + 24);
        __m512i b0 = _mm512_loadu_si512(b + j), b1 = _mm512_loadu_si512(b + j + 8);
        __m512i b2 = _mm512_loadu_si512(b + j + 16), b3 = _mm512_loadu_si512(b + j + 24);
        __m512i m0 = _mm512_loadu_si512(sig + j), m1 = _mm512_loadu_si512(sig + j + 8);
        __m512i m2 = _mm512_loadu_si512(sig + j + 16), m3 = _mm512_loadu_si512(sig + j + 24);
        for (size_t i = 0; i < nh; i++) {
            __m512i x = _mm512_set1_epi64((long long)h[i]);
            m0 = _mm512_min_epu64(m0, _mm512_add_epi64(_mm512_mullo_epi64(a0, x), b0));
            m1 = _mm512_min_epu64(m1, _mm512_add_epi64(_mm512_mullo_epi64(a1, x), b1));
            m2 = _mm512_min_epu64(m2, _mm512_add_epi64(_mm512_mullo_epi64(a2, x), b2));
            m3 = _mm512_min_epu64(m3, _mm512_add_epi64(_mm512_mullo_epi64(a3, x), b3));
        }
        _mm512_storeu_si512(sig + j, m0);
        _mm512_storeu_si512(sig + j + 8, m1);
        _mm512_storeu_si512(sig + j + 16, m2);
        _mm512_storeu_si512(sig + j + 24, m3);
    }
    for (; j < nperm; j += 8) {
        __m512i a0 = _mm512_loadu_si512(a + j), b0 = _mm512_loadu_si512(b + j);
        __m512i m0 = _mm512_loadu_si512(sig + j);
        for (size_t i = 0; i < nh; i++) {
            __m512i x = _mm512_set1_epi64((long long)h[i]);
            m0 = _mm512_min_epu64(m0, _mm512_add_epi64(_mm512_mullo_epi64(a0, x), b0));
        }
        _mm512_storeu_si512(sig + j, m0);
    }
}

__attribute__((target("avx2"))) static inline __m256i mul64_avx2(__m256i a, __m256i x, __m256i ahi, __m256i xhi)
{
    __m256i lo = _mm256_mul_epu32(a, x);
    __m256i c1 = _mm256_mul_epu32(ahi, x);
    __m256i c2 = _mm256_mul_epu32(a, xhi);
    return _mm256_add_epi64(lo, _mm256_slli_epi64(_mm256_add_epi64(c1, c2), 32));
}

__attribute__((target("avx2"))) static inline __m256i minu64_avx2(__m256i m, __m256i v, __m256i flip)
{
    __m256i gt = _mm256_cmpgt_epi64(_mm256_xor_si256(m, flip), _mm256_xor_si256(v, flip));
    return _mm256_blendv_epi8(m, v, gt);
}

__attribute__((target("avx2"))) static void fold_avx2(const uint64_t *a, const uint64_t *b, size_t nperm,
                                                      const uint64_t *h, size_t nh, uint64_t *sig)
{
    const __m256i flip = _mm256_set1_epi64x((long long)0x8000000000000000ULL);
    size_t j = 0;
    for (; j + 8 <= nperm; j += 8) {
        __m256i a0 = _mm256_loadu_si256((const __m256i *)(a + j));
        __m256i a1 = _mm256_loadu_si256((const __m256i *)(a + j + 4));
        __m256i ah0 = _mm256_srli_epi64(a0, 32), ah1 = _mm256_srli_epi64(a1, 32);
        __m256i b0 = _mm256_loadu_si256((const __m256i *)(b + j));
        __m256i b1 = _mm256_loadu_si256((const __m256i *)(b + j + 4));
        __m256i m0 = _mm256_loadu_si256((const __m256i *)(sig + j));
        __m256i m1 = _mm256_loadu_si256((const __m256i *)(sig + j + 4));
        for (size_t i = 0; i < nh; i++) {
            __m256i x = _mm256_set1_epi64x((long long)h[i]);
            __m256i xh = _mm256_srli_epi64(x, 32);
            m0 = minu64_avx2(m0, _mm256_add_epi64(mul64_avx2(a0, x, ah0, xh), b0), flip);
            m1 = minu64_avx2(m1, _mm256_add_epi64(mul64_avx2(a1, x, ah1, xh), b1), flip);
        }
        _mm256_storeu_si256((__m256i *)(sig + j), m0);
        _mm256_storeu_si256((__m256i *)(sig + j + 4), m1);
    }
    if (j < nperm) fold_scalar(a + j, b + j, nperm - j, h, nh, sig + j);
}

static fold_fn g_fold;
static const char *g_fold_name;
static pthread_once_t g_fold_once = PTHREAD_ONCE_INIT;

static void choose_fold(void)
{
    const char *want = getenv("CORPUSD_SIMD");
    __builtin_cpu_init();
    int has512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
    int has2 = __builtin_cpu_supports("avx2");
    if (want && !strcmp(want, "scalar")) has512 = has2 = 0;
    if (want && !strcmp(want, "avx2")) has512 = 0;
    if (has512) g_fold = fold_avx512, g_fold_name = "avx512";
    else if (has2) g_fold = fold_avx2, g_fold_name = "avx2";
    else g_fold = fold_scalar, g_fold_name = "scalar";
}

int dd_fold_kernel(const char *kernel, const uint64_t *a, const uint64_t *b, size_t nperm, const uint64_t *h,
                   size_t nh, uint64_t *sig)
{
    __builtin_cpu_init();
    if (!strcmp(kernel, "scalar")) fold_scalar(a, b, nperm, h, nh, sig);
    else if (!strcmp(kernel, "avx2") && __builtin_cpu_supports("avx2")) fold_avx2(a, b, nperm, h, nh, sig);
    else if (!strcmp(kernel, "avx512") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"))
        fold_avx512(a, b, nperm, h, nh, sig);
    else return -1;
    return 0;
}

const char *dedup_simd_name(void)
{
    pthread_once(&g_fold_once, choose_fold);
    return g_fold_name;
}

/* ----------------------------------------------------------------- signer */

struct dedup_signer {
    dedup_params p;
    size_t nperm, npad;     /* bands*rows, padded to a multiple of 8 */
    uint64_t *a, *b, *sig;  /* npad each */
    uint64_t block[SHINGLE_BLOCK];
    size_t nblock;
    sbuf *collect;          /* shingle hashes go here too, when set */
};

void dedup_signer_collect(dedup_signer *s, sbuf *out) { s->collect = out; }

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

size_t dedup_hash_set(uint64_t *h, size_t n)
{
    if (n < 2) return n;
    qsort(h, n, sizeof *h, cmp_u64);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (h[i] != h[k - 1]) h[k++] = h[i];
    return k;
}

double dedup_set_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    if (!na && !nb) return 1.0;
    size_t i = 0, j = 0, inter = 0;
    while (i < na && j < nb) {
        if (a[i] == b[j]) inter++, i++, j++;
        else if (a[i] < b[j]) i++;
        else j++;
    }
    return (double)inter / (double)(na + nb - inter);
}

double dedup_signature_similarity(const uint64_t *a, const uint64_t *b, size_t n)
{
    if (!n) return 1.0;
    size_t eq = 0;
    for (size_t i = 0; i < n; i++) eq += a[i] == b[i];
    return (double)eq / (double)n;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

dedup_signer *dedup_signer_new(const dedup_params *p)
{
    pthread_once(&g_fold_once, choose_fold);
    dedup_signer *s = xcalloc(1, sizeof *s);
    s->p = *p;
    s->nperm = (size_t)p->bands * (size_t)p->rows;
    s->npad = (s->nperm + 7) & ~(size_t)7;
    s->a = xcalloc(s->npad, sizeof *s->a);
    s->b = xcalloc(s->npad, sizeof *s->b);
    s->sig = xcalloc(s->npad, sizeof *s->sig);
    uint64_t st = p->seed ^ 0x6d696e68617368ULL;
    for (size_t i = 0; i < s->nperm; i++) {
        s->a[i] = splitmix64(&st) | 1;
        s->b[i] = splitmix64(&st);
    }
    return s;
}

void dedup_signer_free(dedup_signer *s)
{
    if (!s) return;
    free(s->a);
    free(s->b);
    free(s->sig);
    free(s);
}

static void flush_block(dedup_signer *s)
{
    if (!s->nblock) return;
    g_fold(s->a, s->b, s->npad, s->block, s->nblock, s->sig);
    s->nblock = 0;
}

static inline void add_shingle(dedup_signer *s, const char *p, size_t n)
{
    uint64_t h = XXH3_64bits_withSeed(p, n, s->p.seed);
    s->block[s->nblock++] = h;
    if (s->collect) sbuf_append(s->collect, &h, sizeof h);
    if (s->nblock == SHINGLE_BLOCK) flush_block(s);
}

#define IS_SPACE(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')

size_t dedup_signer_sign(dedup_signer *s, const char *text, size_t len, uint64_t *sig)
{
    for (size_t j = 0; j < s->npad; j++) s->sig[j] = UINT64_MAX;
    s->nblock = 0;
    size_t count = 0;
    size_t n = (size_t)s->p.ngram;
    if (s->p.shingle == DEDUP_SHINGLE_CHAR) {
        if (len == 0) {
        } else if (len <= n) {
            add_shingle(s, text, len);
            count = 1;
        } else {
            for (size_t i = 0; i + n <= len; i++) add_shingle(s, text + i, n);
            count = len - n + 1;
        }
    } else {
        /* Ring of the start offsets of the last n tokens. */
        size_t *starts = xmalloc(n * sizeof *starts);
        size_t ntok = 0, i = 0, last_end = 0;
        while (i < len) {
            while (i < len && IS_SPACE(text[i])) i++;
            if (i >= len) break;
            size_t st = i;
            const char *sp = memchr(text + i, ' ', len - i);
            size_t stop = sp ? (size_t)(sp - text) : len;
            if (s->p.norm.whitespace) i = stop;   /* normalized: single spaces only */
            else
                while (i < stop && !IS_SPACE(text[i])) i++;
            starts[ntok % n] = st;
            ntok++;
            last_end = i;
            if (ntok >= n) {
                size_t first = starts[(ntok - n) % n];
                add_shingle(s, text + first, i - first);
                count++;
            }
        }
        if (ntok > 0 && ntok < n) {
            size_t first = starts[0];
            add_shingle(s, text + first, last_end - first);
            count = 1;
        }
        free(starts);
    }
    flush_block(s);
    memcpy(sig, s->sig, s->nperm * sizeof *sig);
    return count;
}

void dedup_band_hashes(const dedup_params *p, const uint64_t *sig, dedup_hash128 *out)
{
    for (int b = 0; b < p->bands; b++) {
        XXH128_hash_t h = XXH3_128bits_withSeed(sig + (size_t)b * (size_t)p->rows, (size_t)p->rows * sizeof *sig,
                                                (uint64_t)b);
        out[b].hi = h.high64;
        out[b].lo = h.low64;
    }
}

dedup_hash128 dedup_exact_hash(const char *norm, size_t len)
{
    XXH128_hash_t h = XXH3_128bits(norm, len);
    return (dedup_hash128){h.high64, h.low64};
}

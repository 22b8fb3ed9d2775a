/*
 * bpe_encode.c: text -> ids and ids -> bytes.
 *
 * Encoding follows Hugging Face tokenizers' order of work:
 *   1. invalid UTF-8 is replaced by U+FFFD (maximal subparts), as the
 *      references see the text once it is a string;
 *   2. added/special tokens are cut out of the raw text (leftmost, longest);
 *   3. each remaining segment is normalised (NFC etc., utf8proc; runs of
 *      code points that NFC cannot change are copied without a call);
 *   4. the pre-tokenizer steps split it, streaming: each step hands its
 *      pieces straight to the next, so nothing is materialised per text;
 *   5. each piece is merged: whole-piece vocab hit (ignore_merges/tiktoken),
 *      per-context cache, then lowest-rank-leftmost pair merging - an O(n^2)
 *      array loop for short pieces and a heap over a linked list, O(n log n),
 *      for long ones (a 100 MB word costs seconds, not weeks).
 * Pair merging picks the lowest rank, leftmost on ties, which is what both
 * HF's BPE (heap ordered by rank then position) and tiktoken do.
 */
#include "tokenizer/bpe_impl.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define SMALL_PIECE 48          /* up to this many bytes: array merge loop */
#define CACHE_SLOTS 16384       /* pre-token cache entries (power of 2) */
#define CACHE_MAX_KEY 64        /* longest cached pre-token, bytes */

typedef struct cache_slot {
    uint64_t h;
    uint32_t koff, ioff;        /* into key_pool, id_pool */
    uint16_t klen, nids;        /* nids == 0: empty slot */
} cache_slot;

struct bpe_ctx {
    const bpe *t;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit;
    sbuf clean, norm;
    sbuf prefixed[BPE_MAX_STEPS];
    /* merge scratch */
    int32_t *ids;
    uint32_t *ranks;
    int32_t *prev, *next;
    uint64_t *heap;
    size_t cap;
    /* cache */
    cache_slot *slots;
    char *key_pool;
    int32_t *id_pool;
    size_t key_len, id_len, cache_used;
    /* during one encode */
    bpe_ids *out;
    cd_err *err;
    int failed;
};

void bpe_ids_push(bpe_ids *v, int32_t id)
{
    if (v->len == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 256;
        v->ids = xrealloc(v->ids, v->cap * sizeof *v->ids);
    }
    v->ids[v->len++] = id;
}

void bpe_ids_free(bpe_ids *v)
{
    free(v->ids);
    v->ids = NULL;
    v->len = v->cap = 0;
}

#define KEY_POOL_MAX (CACHE_SLOTS * 16)
#define ID_POOL_MAX (CACHE_SLOTS * 8)

bpe_ctx *bpe_ctx_new(const bpe *t)
{
    bpe_ctx *c = xcalloc(1, sizeof *c);
    c->t = t;
    c->md = pcre2_match_data_create(t->max_capture + 1, NULL);
    c->mctx = pcre2_match_context_create(NULL);
    c->jit = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, NULL);
    if (!c->md || !c->mctx || !c->jit) cd_die("bpe: out of memory creating regex scratch");
    pcre2_jit_stack_assign(c->mctx, NULL, c->jit);
    c->slots = xcalloc(CACHE_SLOTS, sizeof *c->slots);
    c->key_pool = xmalloc(KEY_POOL_MAX);
    c->id_pool = xmalloc(ID_POOL_MAX * sizeof *c->id_pool);
    return c;
}

void bpe_ctx_free(bpe_ctx *c)
{
    if (!c) return;
    pcre2_match_data_free(c->md);
    pcre2_match_context_free(c->mctx);
    pcre2_jit_stack_free(c->jit);
    sbuf_free(&c->clean);
    sbuf_free(&c->norm);
    for (int i = 0; i < BPE_MAX_STEPS; i++) sbuf_free(&c->prefixed[i]);
    free(c->ids);
    free(c->ranks);
    free(c->prev);
    free(c->next);
    free(c->heap);
    free(c->slots);
    free(c->key_pool);
    free(c->id_pool);
    free(c);
}

/* ------------------------------------------------------------------ merging */

static inline const bpe_pair *pair_find(const bpe *t, int32_t a, int32_t b)
{
    uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & t->pairs_mask;
    for (;;) {
        const bpe_pair *p = &t->pairs[h];
        if (p->key == key) return p;
        if (p->key == UINT64_MAX) return NULL;
        h = (h + 1) & t->pairs_mask;
    }
}

static inline uint32_t pair_rank(const bpe *t, int32_t a, int32_t b)
{
    const bpe_pair *p = pair_find(t, a, b);
    return p ? p->rank : UINT32_MAX;
}

static void ensure_scratch(bpe_ctx *c, size_t n)
{
    if (n <= c->cap) return;
    size_t nc = c->cap ? c->cap : 256;
    while (nc < n) nc *= 2;
    c->ids = xrealloc(c->ids, nc * sizeof *c->ids);
    c->ranks = xrealloc(c->ranks, nc * sizeof *c->ranks);
    c->prev = xrealloc(c->prev, nc * sizeof *c->prev);
    c->next = xrealloc(c->next, nc * sizeof *c->next);
    c->heap = xrealloc(c->heap, nc * 2 * sizeof *c->heap);
    c->cap = nc;
}

/* Short pieces: arrays, repeated leftmost-minimum scan. Leaves the result in
 * c->ids[0..return). */
static size_t merge_small(bpe_ctx *c, const uint8_t *s, size_t n)
{
    const bpe *t = c->t;
    int32_t *ids = c->ids;
    uint32_t *rk = c->ranks;
    for (size_t i = 0; i < n; i++) ids[i] = t->byte_id[s[i]];
    for (size_t i = 0; i + 1 < n; i++) rk[i] = pair_rank(t, ids[i], ids[i + 1]);
    size_t len = n;
    while (len > 1) {
        uint32_t best = UINT32_MAX;
        size_t bi = 0;
        for (size_t i = 0; i + 1 < len; i++)
            if (rk[i] < best) {
                best = rk[i];
                bi = i;
            }
        if (best == UINT32_MAX) break;
        ids[bi] = pair_find(t, ids[bi], ids[bi + 1])->merged;
        memmove(ids + bi + 1, ids + bi + 2, (len - bi - 2) * sizeof *ids);
        memmove(rk + bi + 1, rk + bi + 2, (len > bi + 2 ? len - bi - 2 : 0) * sizeof *rk);
        len--;
        if (bi > 0) rk[bi - 1] = pair_rank(t, ids[bi - 1], ids[bi]);
        if (bi + 1 < len) rk[bi] = pair_rank(t, ids[bi], ids[bi + 1]);
    }
    return len;
}

static void heap_push(uint64_t *h, size_t *n, uint64_t v)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p] <= v) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = v;
}

static uint64_t heap_pop(uint64_t *h, size_t *n)
{
    uint64_t top = h[0], v = h[--*n];
    size_t i = 0, m = *n;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, s = i;
        uint64_t sv = v;
        if (l < m && h[l] < sv) s = l, sv = h[l];
        if (r < m && h[r] < sv) s = r;
        if (s == i) break;
        h[i] = h[s];
        i = s;
    }
    if (m) h[i] = v;
    return top;
}

/* Long pieces: a heap of (rank, position) over a linked list, O(n log n).
 * Writes the result to c->ids[0..return). */
static size_t merge_large(bpe_ctx *c, const uint8_t *s, size_t n)
{
    const bpe *t = c->t;
    int32_t *ids = c->ids, *prv = c->prev, *nxt = c->next;
    uint64_t *h = c->heap;
    size_t hn = 0;
    for (size_t i = 0; i < n; i++) {
        ids[i] = t->byte_id[s[i]];
        prv[i] = (int32_t)i - 1;
        nxt[i] = i + 1 < n ? (int32_t)i + 1 : -1;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        uint32_t r = pair_rank(t, ids[i], ids[i + 1]);
        if (r != UINT32_MAX) heap_push(h, &hn, (uint64_t)r << 32 | i);
    }
    while (hn) {
        uint64_t top = heap_pop(h, &hn);
        uint32_t r = (uint32_t)(top >> 32), pos = (uint32_t)top;
        if (ids[pos] < 0 || nxt[pos] < 0) continue;
        int32_t right = nxt[pos];
        const bpe_pair *p = pair_find(t, ids[pos], ids[right]);
        if (!p || p->rank != r) continue; /* stale entry */
        ids[pos] = p->merged;
        ids[right] = -1;
        nxt[pos] = nxt[right];
        if (nxt[pos] >= 0) prv[nxt[pos]] = (int32_t)pos;
        if (prv[pos] >= 0) {
            uint32_t lr = pair_rank(t, ids[prv[pos]], ids[pos]);
            if (lr != UINT32_MAX) heap_push(h, &hn, (uint64_t)lr << 32 | (uint32_t)prv[pos]);
        }
        if (nxt[pos] >= 0) {
            uint32_t rr = pair_rank(t, ids[pos], ids[nxt[pos]]);
            if (rr != UINT32_MAX) heap_push(h, &hn, (uint64_t)rr << 32 | pos);
        }
    }
    size_t k = 0;
    for (int32_t i = 0; i >= 0; i = nxt[i]) ids[k++] = ids[i];
    return k;
}

static void cache_clear(bpe_ctx *c)
{
    memset(c->slots, 0, CACHE_SLOTS * sizeof *c->slots);
    c->key_len = c->id_len = c->cache_used = 0;
}

static void encode_piece(bpe_ctx *c, const char *p, size_t n)
{
    const bpe *t = c->t;
    bpe_ids *out = c->out;
    if (n == 0) return;
    if (n == 1) {
        bpe_ids_push(out, t->byte_id[(uint8_t)p[0]]);
        return;
    }
    if (t->ignore_merges) {
        int32_t id = bpe_lookup(t, p, n);
        if (id >= 0) {
            bpe_ids_push(out, id);
            return;
        }
    }
    cache_slot *slot = NULL;
    uint64_t hv = 0;
    if (n <= CACHE_MAX_KEY) {
        hv = bpe_hash_bytes(p, n);
        size_t i = (size_t)hv & (CACHE_SLOTS - 1);
        for (int probe = 0; probe < 8; probe++, i = (i + 1) & (CACHE_SLOTS - 1)) {
            cache_slot *s = &c->slots[i];
            if (!s->nids) {
                slot = s;
                break;
            }
            if (s->h == hv && s->klen == n && !memcmp(c->key_pool + s->koff, p, n)) {
                for (uint32_t k = 0; k < s->nids; k++) bpe_ids_push(out, c->id_pool[s->ioff + k]);
                return;
            }
        }
    }
    ensure_scratch(c, n);
    size_t k = n <= SMALL_PIECE ? merge_small(c, (const uint8_t *)p, n) : merge_large(c, (const uint8_t *)p, n);
    for (size_t i = 0; i < k; i++) bpe_ids_push(out, c->ids[i]);
    if (n <= CACHE_MAX_KEY) {
        if (!slot || c->key_len + n > KEY_POOL_MAX || c->id_len + k > ID_POOL_MAX || c->cache_used * 2 > CACHE_SLOTS) {
            cache_clear(c);
            slot = &c->slots[(size_t)hv & (CACHE_SLOTS - 1)];
        }
        memcpy(c->key_pool + c->key_len, p, n);
        memcpy(c->id_pool + c->id_len, c->ids, k * sizeof *c->ids);
        slot->h = hv;
        slot->koff = (uint32_t)c->key_len;
        slot->ioff = (uint32_t)c->id_len;
        slot->klen = (uint16_t)n;
        slot->nids = (uint16_t)k;
        c->key_len += n;
        c->id_len += k;
        c->cache_used++;
    }
}

/* ------------------------------------------------------------ pre-tokenizing */

static void split_piece(bpe_ctx *c, size_t step, const char *s, size_t n);

typedef struct seg_state {
    const char *pend;       /* pending piece (NULL: none) */
    size_t pend_len;
    int pend_match;
    int prev_match;
} seg_state;

static void emit(bpe_ctx *c, size_t step, const char *s, size_t n)
{
    if (n) split_piece(c, step + 1, s, n);
}

/* Feeds one segment (a match or the gap before it) through a behaviour. */
static void seg_feed(bpe_ctx *c, size_t step, bpe_split_behavior b, seg_state *st, const char *s, size_t n, int m)
{
    switch (b) {
    case BPE_SPLIT_ISOLATED:
        emit(c, step, s, n);
        break;
    case BPE_SPLIT_REMOVED:
        if (!m) emit(c, step, s, n);
        break;
    case BPE_SPLIT_MERGED_PREV:
        if (m && !st->prev_match && st->pend) {
            st->pend_len = (size_t)(s + n - st->pend);
        } else {
            if (st->pend) emit(c, step, st->pend, st->pend_len);
            st->pend = s;
            st->pend_len = n;
        }
        break;
    case BPE_SPLIT_CONTIGUOUS:
        if (m && st->prev_match && st->pend) {
            st->pend_len = (size_t)(s + n - st->pend);
        } else {
            if (st->pend) emit(c, step, st->pend, st->pend_len);
            st->pend = s;
            st->pend_len = n;
        }
        break;
    case BPE_SPLIT_MERGED_NEXT:
        if (!m) {
            if (st->pend) {
                emit(c, step, st->pend, (size_t)(s + n - st->pend));
                st->pend = NULL;
            } else {
                emit(c, step, s, n);
            }
        } else {
            if (st->pend) emit(c, step, st->pend, st->pend_len);
            st->pend = s;
            st->pend_len = n;
        }
        break;
    }
    st->prev_match = m;
}

static size_t utf8_char_len(unsigned char b)
{
    return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

static void split_piece(bpe_ctx *c, size_t step, const char *s, size_t n)
{
    const bpe *t = c->t;
    if (c->failed) return;
    if (step == t->nsteps) {
        encode_piece(c, s, n);
        return;
    }
    const bpe_step *st = &t->steps[step];
    if (st->add_prefix_space && n && s[0] != ' ') {
        sbuf *b = &c->prefixed[step];
        sbuf_reset(b);
        sbuf_putc(b, ' ');
        sbuf_append(b, s, n);
        s = b->data;
        n = b->len;
    }
    if (!st->re) {
        split_piece(c, step + 1, s, n);
        return;
    }
    seg_state ss = {NULL, 0, 0, 0};
    size_t pos = 0, prev_end = 0;
    while (pos <= n) {
        int rc = pcre2_match(st->re, (PCRE2_SPTR)s, n, pos, PCRE2_NO_UTF_CHECK, c->md, c->mctx);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            cd_fail(c->err, CD_EINTERNAL, "pre-tokenizer regex failed at byte %zu of a %zu-byte piece: %s", pos, n,
                    (const char *)msg);
            c->failed = 1;
            return;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
        size_t ms = ov[0], me = ov[1];
        if (ms > prev_end) seg_feed(c, step, st->behavior, &ss, s + prev_end, ms - prev_end, st->invert);
        seg_feed(c, step, st->behavior, &ss, s + ms, me - ms, !st->invert);
        prev_end = me;
        if (me == ms) {
            if (me >= n) break;
            pos = me + utf8_char_len((unsigned char)s[me]);
        } else {
            pos = me;
        }
        if (pos > n) break;
    }
    if (prev_end < n) seg_feed(c, step, st->behavior, &ss, s + prev_end, n - prev_end, st->invert);
    if (ss.pend) emit(c, step, ss.pend, ss.pend_len);
}

/* ------------------------------------------------------------- normalising */

static inline int norm_inert(const bpe *t, uint32_t cp)
{
    return cp < 0x10000 && (t->norm_inert[cp >> 3] >> (cp & 7) & 1);
}

/* Decodes one code point of valid UTF-8. */
static inline uint32_t utf8_next(const unsigned char *s, size_t *k)
{
    unsigned char b = s[0];
    if (b < 0x80) {
        *k = 1;
        return b;
    }
    if (b < 0xE0) {
        *k = 2;
        return (uint32_t)(b & 0x1F) << 6 | (s[1] & 0x3F);
    }
    if (b < 0xF0) {
        *k = 3;
        return (uint32_t)(b & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    }
    *k = 4;
    return (uint32_t)(b & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
}

static void normalize_run(const bpe *t, const char *s, size_t n, sbuf *out)
{
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t k = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &dst,
                                      (utf8proc_option_t)t->norm_options);
    if (k < 0) sbuf_append(out, s, n); /* cannot happen on valid UTF-8 */
    else sbuf_append(out, dst, (size_t)k);
    free(dst);
}

/* Returns the normalised text (s itself when nothing changes). */
static const char *normalize(bpe_ctx *c, const char *s, size_t n, size_t *outn)
{
    const bpe *t = c->t;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    /* fast scan: is everything inert? */
    while (i < n) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t k;
        uint32_t cp = utf8_next(u + i, &k);
        if (!norm_inert(t, cp)) break;
        i += k;
    }
    if (i == n) {
        *outn = n;
        return s;
    }
    sbuf *o = &c->norm;
    sbuf_reset(o);
    size_t copied = 0, last_char = 0; /* start of the last char before i */
    /* find the start of the char before i */
    if (i > 0) {
        last_char = i - 1;
        while (last_char > 0 && (u[last_char] & 0xC0) == 0x80) last_char--;
    }
    while (i < n) {
        /* i is at a non-inert char; the run starts at the char before it */
        size_t run = i > 0 ? last_char : 0;
        if (run < copied) run = copied;
        sbuf_append(o, s + copied, run - copied);
        size_t j = i;
        while (j < n) {
            size_t k;
            uint32_t cp = u[j] < 0x80 ? u[j] : utf8_next(u + j, &k);
            if (u[j] < 0x80) k = 1;
            if (norm_inert(t, cp)) break;
            j += k;
        }
        normalize_run(t, s + run, j - run, o);
        copied = j;
        /* scan on for the next non-inert char */
        i = j;
        while (i < n) {
            size_t k;
            uint32_t cp = u[i] < 0x80 ? u[i] : utf8_next(u + i, &k);
            if (u[i] < 0x80) k = 1;
            if (!norm_inert(t, cp)) break;
            last_char = i;
            i += k;
        }
    }
    sbuf_append(o, s + copied, n - copied);
    *outn = o->len;
    return o->data ? o->data : "";
}

static void encode_segment(bpe_ctx *c, const char *s, size_t n)
{
    if (!n) return;
    if (c->t->norm_options) s = normalize(c, s, n, &n);
    split_piece(c, 0, s, n);
}

/* ----------------------------------------------------------- invalid UTF-8 */

/* Replaces ill-formed sequences by U+FFFD, one per maximal subpart (Unicode
 * 3.9 "best practice", as Rust's from_utf8_lossy and WHATWG). Returns s
 * itself when it is valid. */
static const char *sanitize(bpe_ctx *c, const char *s, size_t n, size_t *outn)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    sbuf *o = NULL;
    size_t copied = 0;
    while (i < n) {
        /* fast ASCII skip, 8 bytes at a time */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= n) break;
        unsigned char b = u[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF;
        if (b >= 0xC2 && b <= 0xDF) need = 1;
        else if (b >= 0xE0 && b <= 0xEF) {
            need = 2;
            if (b == 0xE0) lo = 0xA0;
            if (b == 0xED) hi = 0x9F;
        } else if (b >= 0xF0 && b <= 0xF4) {
            need = 3;
            if (b == 0xF0) lo = 0x90;
            if (b == 0xF4) hi = 0x8F;
        } else {
            need = 0;
        }
        size_t k = 1;
        int ok = need > 0;
        if (ok) {
            for (size_t j = 0; j < need; j++) {
                if (i + k >= n) {
                    ok = 0;
                    break;
                }
                unsigned char x = u[i + k];
                unsigned char l = j == 0 ? lo : 0x80, h = j == 0 ? hi : 0xBF;
                if (x < l || x > h) {
                    ok = 0;
                    break;
                }
                k++;
            }
        }
        if (ok) {
            i += k;
            continue;
        }
        if (!o) {
            o = &c->clean;
            sbuf_reset(o);
        }
        sbuf_append(o, s + copied, i - copied);
        sbuf_append(o, "\xEF\xBF\xBD", 3);
        i += k;
        copied = i;
    }
    if (!o) {
        *outn = n;
        return s;
    }
    sbuf_append(o, s + copied, n - copied);
    *outn = o->len;
    return o->data;
}

/* ------------------------------------------------------------------ encode */

static int is_ws(unsigned char b) { return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f'; }

/* Finds the next added token at or after `from`: its match [*ms, *me) after
 * lstrip/rstrip, and its id. 0 when none. */
static int find_added(const bpe *t, const char *s, size_t n, size_t from, size_t floor, size_t *ms, size_t *me,
                      int32_t *id)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = from; i < n; i++) {
        if (!t->added_first[u[i]]) continue;
        for (size_t k = 0; k < t->nadded; k++) {
            const bpe_added *a = &t->added[k];
            if (a->len > n - i || (unsigned char)a->content[0] != u[i] || memcmp(a->content, s + i, a->len)) continue;
            size_t st = i, en = i + a->len;
            if (a->lstrip)
                while (st > floor && is_ws(u[st - 1])) st--;
            if (a->rstrip)
                while (en < n && is_ws(u[en])) en++;
            *ms = st;
            *me = en;
            *id = a->id;
            return 1;
        }
    }
    return 0;
}

int bpe_encode(const bpe *t, bpe_ctx *ctx, const char *text, size_t n, unsigned flags, bpe_ids *out, cd_err *e)
{
    bpe_ctx *own = NULL;
    if (!ctx) ctx = own = bpe_ctx_new(t);
    ctx->out = out;
    ctx->err = e;
    ctx->failed = 0;
    if (flags & BPE_ADD_SPECIAL)
        for (size_t i = 0; i < t->npost_pre; i++) bpe_ids_push(out, t->post_pre[i]);
    const char *s = sanitize(ctx, text ? text : "", n, &n);
    if ((flags & BPE_PARSE_SPECIAL) && t->nadded) {
        size_t pos = 0, ms, me;
        int32_t id;
        while (!ctx->failed && find_added(t, s, n, pos, pos, &ms, &me, &id)) {
            encode_segment(ctx, s + pos, ms - pos);
            bpe_ids_push(out, id);
            pos = me;
        }
        if (!ctx->failed) encode_segment(ctx, s + pos, n - pos);
    } else {
        encode_segment(ctx, s, n);
    }
    if (flags & BPE_ADD_SPECIAL)
        for (size_t i = 0; i < t->npost_suf; i++) bpe_ids_push(out, t->post_suf[i]);
    int rc = ctx->failed ? -1 : 0;
    ctx->out = NULL;
    ctx->err = NULL;
    bpe_ctx_free(own);
    return rc;
}

void bpe_decode(const bpe *t, const int32_t *ids, size_t n, sbuf *out, size_t *unknown)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0 || (size_t)id >= t->nids || !t->toks[id].present) {
            bad++;
            continue;
        }
        sbuf_append(out, t->pool + t->toks[id].off, t->toks[id].len);
    }
    if (unknown) *unknown = bad;
}

/*
 * bpe_load.c: builds a `bpe` from a Hugging Face tokenizer.json (byte-level
 * BPE) or from a tiktoken rank file with a named encoding.
 *
 * tokenizer.json: the vocab strings are in GPT-2's ByteLevel alphabet (each
 * byte is shown as a printable code point); they are mapped back to raw bytes
 * here. Merges come as "a b" strings or ["a", "b"] pairs; rank = position.
 * A merge naming a token that is not in the vocab, an unknown model,
 * normalizer or pre-tokenizer type, or a pattern PCRE2 rejects is a load
 * error that names the file and the offending item.
 *
 * tiktoken: "base64 rank" lines. The pair table is derived: (a, b) merges to
 * t with rank(t) whenever a, b and a+b = t are all tokens, which reproduces
 * tiktoken's "merge the adjacent pair whose concatenation ranks lowest".
 */
#include "tokenizer/bpe_impl.h"

#include "core/arena.h"
#include "core/json.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <xxhash.h>

/* ------------------------------------------------------------ small pieces */

uint64_t bpe_hash_bytes(const void *p, size_t n) { return XXH3_64bits(p, n); }

static size_t pow2_at_least(size_t n)
{
    size_t c = 16;
    while (c < n) c <<= 1;
    return c;
}

static bpe *bpe_alloc(void)
{
    bpe *t = xcalloc(1, sizeof *t);
    t->eos = t->bos = -1;
    for (int i = 0; i < 256; i++) t->byte_id[i] = -1;
    return t;
}

void bpe_free(bpe *t)
{
    if (!t) return;
    free(t->toks);
    free(t->pool);
    free(t->tokmap);
    free(t->pairs);
    free(t->norm_inert);
    for (size_t i = 0; i < t->nsteps; i++) pcre2_code_free(t->steps[i].re);
    free(t->patterns);
    for (size_t i = 0; i < t->nadded; i++) free(t->added[i].content);
    free(t->added);
    free(t);
}

static void ensure_ids(bpe *t, size_t nids, size_t *cap)
{
    if (nids <= *cap) {
        if (nids > t->nids) t->nids = nids;
        return;
    }
    size_t nc = *cap ? *cap : 1024;
    while (nc < nids) nc *= 2;
    t->toks = xrealloc(t->toks, nc * sizeof *t->toks);
    memset(t->toks + *cap, 0, (nc - *cap) * sizeof *t->toks);
    *cap = nc;
    if (nids > t->nids) t->nids = nids;
}

/* Sets the bytes of id; 1 when the id was already set. */
static int set_token(bpe *t, size_t *cap, int32_t id, const char *s, size_t n, int special)
{
    ensure_ids(t, (size_t)id + 1, cap);
    bpe_tok *k = &t->toks[id];
    int was = k->present;
    if (t->pool_len + n + 1 > t->pool_cap) {
        size_t nc = t->pool_cap ? t->pool_cap * 2 : 1 << 20;
        while (nc < t->pool_len + n + 1) nc *= 2;
        t->pool = xrealloc(t->pool, nc);
        t->pool_cap = nc;
    }
    memcpy(t->pool + t->pool_len, s, n);
    k->off = (uint32_t)t->pool_len;
    k->len = (uint32_t)n;
    t->pool_len += n;
    t->pool[t->pool_len++] = 0;
    k->present = 1;
    k->special = (uint8_t)special;
    return was;
}

static void build_tokmap(bpe *t)
{
    size_t cap = pow2_at_least(t->nids * 2 + 1);
    free(t->tokmap);
    t->tokmap = xmalloc(cap * sizeof *t->tokmap);
    for (size_t i = 0; i < cap; i++) t->tokmap[i] = -1;
    t->tokmap_mask = cap - 1;
    for (size_t id = 0; id < t->nids; id++) {
        const bpe_tok *k = &t->toks[id];
        if (!k->present || k->special) continue;
        size_t h = (size_t)bpe_hash_bytes(t->pool + k->off, k->len) & t->tokmap_mask;
        for (;;) {
            int32_t o = t->tokmap[h];
            if (o < 0) {
                t->tokmap[h] = (int32_t)id;
                break;
            }
            const bpe_tok *ko = &t->toks[o];
            if (ko->len == k->len && !memcmp(t->pool + ko->off, t->pool + k->off, k->len)) break; /* first id wins */
            h = (h + 1) & t->tokmap_mask;
        }
        if (k->len == 1 && t->byte_id[(uint8_t)t->pool[k->off]] < 0) t->byte_id[(uint8_t)t->pool[k->off]] = (int32_t)id;
    }
}

int32_t bpe_lookup(const bpe *t, const char *s, size_t n)
{
    size_t h = (size_t)bpe_hash_bytes(s, n) & t->tokmap_mask;
    for (;;) {
        int32_t o = t->tokmap[h];
        if (o < 0) return -1;
        const bpe_tok *k = &t->toks[o];
        if (k->len == n && !memcmp(t->pool + k->off, s, n)) return o;
        h = (h + 1) & t->tokmap_mask;
    }
}

static inline uint64_t pair_slot(uint64_t key, size_t mask)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

static void pairs_init(bpe *t, size_t n)
{
    size_t cap = pow2_at_least(n * 2 + 1);
    t->pairs = xmalloc(cap * sizeof *t->pairs);
    for (size_t i = 0; i < cap; i++) t->pairs[i].key = UINT64_MAX;
    t->pairs_mask = cap - 1;
    t->npairs = 0;
}

/* Later duplicates overwrite earlier ones when `overwrite` (HF builds a map
 * from the merge list, so the last one wins); otherwise the first stays. */
static void pairs_put(bpe *t, int32_t a, int32_t b, uint32_t rank, int32_t merged, int overwrite)
{
    uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    size_t h = pair_slot(key, t->pairs_mask);
    while (t->pairs[h].key != UINT64_MAX && t->pairs[h].key != key) h = (h + 1) & t->pairs_mask;
    if (t->pairs[h].key == key && !overwrite) return;
    if (t->pairs[h].key != key) t->npairs++;
    t->pairs[h].key = key;
    t->pairs[h].rank = rank;
    t->pairs[h].merged = merged;
}

/* ----------------------------------------------------------------- regexes */

#define WS_CLASS_BODY "\\t\\n\\x0B\\f\\r\\x{85}\\p{Z}"

char *bpe_translate_pattern(const char *src, size_t n)
{
    sbuf out = SBUF_INIT;
    int in_class = 0;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '\\' && i + 1 < n) {
            char d = src[i + 1];
            if (d == 's') {
                sbuf_puts(&out, in_class ? WS_CLASS_BODY : "[" WS_CLASS_BODY "]");
            } else if (d == 'S' && !in_class) {
                sbuf_puts(&out, "[^" WS_CLASS_BODY "]");
            } else {
                sbuf_putc(&out, c);
                sbuf_putc(&out, d);
            }
            i++;
            continue;
        }
        if (!in_class && c == '[') {
            in_class = 1;
            sbuf_putc(&out, c);
            /* a ']' right after '[' or '[^' is a literal */
            if (i + 1 < n && src[i + 1] == '^') sbuf_putc(&out, src[++i]);
            if (i + 1 < n && src[i + 1] == ']') sbuf_putc(&out, src[++i]);
            continue;
        }
        if (in_class && c == '[' && i + 1 < n && src[i + 1] == ':') {
            /* POSIX class [:name:] inside a class */
            const char *end = strstr(src + i, ":]");
            if (end && (size_t)(end - src) < n) {
                sbuf_append(&out, src + i, (size_t)(end - src) + 2 - i);
                i = (size_t)(end - src) + 1;
                continue;
            }
        }
        if (in_class && c == ']') in_class = 0;
        sbuf_putc(&out, c);
    }
    size_t len;
    char *s = sbuf_detach(&out, &len);
    return s ? s : xstrdup("");
}

pcre2_code *bpe_compile(const char *pattern, size_t n, int literal, cd_err *e)
{
    int err;
    PCRE2_SIZE off;
    char *tr = literal ? NULL : bpe_translate_pattern(pattern, n);
    uint32_t opts = PCRE2_UTF | PCRE2_UCP | (literal ? PCRE2_LITERAL : 0);
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)(literal ? pattern : tr), literal ? n : strlen(tr), opts, &err,
                                   &off, NULL);
    free(tr);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        cd_fail(e, CD_EINPUT, "pattern /%.*s/ does not compile at offset %zu: %s", (int)(n > 200 ? 200 : n),
                pattern, (size_t)off, (const char *)msg);
        return NULL;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* failure only means no JIT */
    return re;
}

static int add_step(bpe *t, pcre2_code *re, bpe_split_behavior b, int invert, int prefix_space, cd_err *e)
{
    if (t->nsteps == BPE_MAX_STEPS) {
        pcre2_code_free(re);
        return cd_fail(e, CD_EINPUT, "more than %d pre-tokenizer steps", BPE_MAX_STEPS);
    }
    bpe_step *s = &t->steps[t->nsteps++];
    s->re = re;
    s->behavior = b;
    s->invert = invert;
    s->add_prefix_space = prefix_space;
    if (re) {
        uint32_t cc = 0;
        pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &cc);
        if (cc > t->max_capture) t->max_capture = cc;
    }
    return 0;
}

static void note_pattern(bpe *t, const char *what, const char *p, size_t n)
{
    sbuf b = SBUF_INIT;
    if (t->patterns) sbuf_puts(&b, t->patterns);
    sbuf_puts(&b, what);
    sbuf_putc(&b, '\x1f');
    sbuf_append(&b, p, n);
    sbuf_putc(&b, '\x1e');
    free(t->patterns);
    size_t len;
    t->patterns = sbuf_detach(&b, &len);
}

/* ----------------------------------------------------------- normaliser */

void bpe_build_norm_table(bpe *t)
{
    free(t->norm_inert);
    t->norm_inert = xcalloc(65536 / 8, 1);
    for (uint32_t cp = 0; cp < 65536; cp++) {
        int inert;
        if (cp < 0x300) {
            inert = 1;
        } else if ((cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x1100 && cp <= 0x11FF)) {
            inert = 0; /* surrogates; Hangul jamo compose algorithmically */
        } else {
            const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
            inert = p->combining_class == 0 && !(p->comb_index != UINT16_MAX && p->comb_index >= 0x8000);
            if (inert) {
                utf8proc_int32_t buf[8];
                int last = 0;
                utf8proc_ssize_t k = utf8proc_decompose_char((utf8proc_int32_t)cp, buf, 8,
                                                             (utf8proc_option_t)(t->norm_options & ~UTF8PROC_COMPOSE), &last);
                inert = k == 1 && buf[0] == (utf8proc_int32_t)cp;
            }
        }
        if (inert) t->norm_inert[cp >> 3] |= (uint8_t)(1u << (cp & 7));
    }
}

/* ------------------------------------------------------------- tokenizer.json */

/* GPT-2's bytes_to_unicode, inverted: code point -> byte, -1 if none. */
static void byte_level_inverse(int16_t inv[512])
{
    for (int i = 0; i < 512; i++) inv[i] = -1;
    int n = 0;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
        if (printable) inv[b] = (int16_t)b;
        else inv[256 + n++] = (int16_t)b;
    }
}

/* Maps a ByteLevel string back to bytes; -1 when a char is outside the alphabet. */
static int byte_level_decode(const int16_t inv[512], const char *s, size_t n, sbuf *out)
{
    sbuf_reset(out);
    size_t i = 0;
    while (i < n) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0 || cp < 0 || cp >= 512 || inv[cp] < 0) return -1;
        sbuf_putc(out, (char)inv[cp]);
        i += (size_t)k;
    }
    return 0;
}

static const char *jstr(const json_value *v, const char *key, size_t *n)
{
    const json_value *x = v ? json_object_get(v, key) : NULL;
    return json_str(x, n);
}

static int jbool(const json_value *v, const char *key, int dflt)
{
    const json_value *x = v ? json_object_get(v, key) : NULL;
    if (!x || x->type != JSON_BOOL) return dflt;
    return x->u.boolean;
}

static int type_is(const json_value *v, const char *type)
{
    size_t n;
    const char *s = jstr(v, "type", &n);
    return s && n == strlen(type) && !memcmp(s, type, n);
}

static int has_byte_level(const json_value *v)
{
    if (!v || v->type != JSON_OBJECT) return 0;
    if (type_is(v, "ByteLevel")) return 1;
    const char *lists[] = {"pretokenizers", "decoders", "processors"};
    for (int k = 0; k < 3; k++) {
        const json_value *l = json_object_get(v, lists[k]);
        if (l && l->type == JSON_ARRAY)
            for (size_t i = 0; i < l->u.array.len; i++)
                if (has_byte_level(l->u.array.items[i])) return 1;
    }
    return 0;
}

static int load_normalizer(bpe *t, const json_value *n, const char *name, cd_err *e)
{
    if (!n || n->type == JSON_NULL) return 0;
    if (n->type != JSON_OBJECT) return cd_fail(e, CD_EINPUT, "%s: normalizer is not an object", name);
    size_t tl;
    const char *type = jstr(n, "type", &tl);
    if (!type) return cd_fail(e, CD_EINPUT, "%s: normalizer without a type", name);
    if (type_is(n, "Sequence")) {
        const json_value *l = json_object_get(n, "normalizers");
        if (!l || l->type != JSON_ARRAY) return cd_fail(e, CD_EINPUT, "%s: Sequence normalizer without a list", name);
        for (size_t i = 0; i < l->u.array.len; i++)
            if (load_normalizer(t, l->u.array.items[i], name, e)) return -1;
        return 0;
    }
    int opts = 0;
    if (type_is(n, "NFC")) opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
    else if (type_is(n, "NFD")) opts = UTF8PROC_STABLE | UTF8PROC_DECOMPOSE;
    else if (type_is(n, "NFKC")) opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
    else if (type_is(n, "NFKD")) opts = UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
    else
        return cd_fail(e, CD_EINPUT, "%s: unsupported normalizer type '%.*s' (supported: NFC, NFD, NFKC, NFKD, Sequence)",
                       name, (int)tl, type);
    if (t->norm_options && t->norm_options != opts)
        return cd_fail(e, CD_EINPUT, "%s: more than one distinct Unicode normalization in sequence", name);
    t->norm_options = opts;
    note_pattern(t, "norm", type, tl);
    return 0;
}

static const char *GPT2_PATTERN =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

static int load_pretok(bpe *t, const json_value *p, const char *name, cd_err *e)
{
    if (!p || p->type == JSON_NULL) return 0;
    if (p->type != JSON_OBJECT) return cd_fail(e, CD_EINPUT, "%s: pre_tokenizer is not an object", name);
    size_t tl;
    const char *type = jstr(p, "type", &tl);
    if (!type) return cd_fail(e, CD_EINPUT, "%s: pre_tokenizer without a type", name);
    if (type_is(p, "Sequence")) {
        const json_value *l = json_object_get(p, "pretokenizers");
        if (!l || l->type != JSON_ARRAY) return cd_fail(e, CD_EINPUT, "%s: Sequence pre_tokenizer without a list", name);
        for (size_t i = 0; i < l->u.array.len; i++)
            if (load_pretok(t, l->u.array.items[i], name, e)) return -1;
        return 0;
    }
    if (type_is(p, "ByteLevel")) {
        int prefix = jbool(p, "add_prefix_space", 1), use_regex = jbool(p, "use_regex", 1);
        pcre2_code *re = NULL;
        if (use_regex && !(re = bpe_compile(GPT2_PATTERN, strlen(GPT2_PATTERN), 0, e))) return -1;
        note_pattern(t, prefix ? "bytelevel+prefix" : "bytelevel", use_regex ? GPT2_PATTERN : "", use_regex ? strlen(GPT2_PATTERN) : 0);
        return add_step(t, re, BPE_SPLIT_ISOLATED, 0, prefix, e);
    }
    if (type_is(p, "Digits")) {
        int individual = jbool(p, "individual_digits", 0);
        const char *pat = individual ? "\\p{N}" : "\\p{N}+";
        pcre2_code *re = bpe_compile(pat, strlen(pat), 0, e);
        if (!re) return -1;
        note_pattern(t, "digits", pat, strlen(pat));
        return add_step(t, re, BPE_SPLIT_ISOLATED, 0, 0, e);
    }
    if (type_is(p, "Split")) {
        const json_value *pat = json_object_get(p, "pattern");
        size_t pl;
        const char *ps = NULL;
        int literal = 0;
        if (pat && pat->type == JSON_OBJECT) {
            if ((ps = jstr(pat, "Regex", &pl))) literal = 0;
            else if ((ps = jstr(pat, "String", &pl))) literal = 1;
        }
        if (!ps) return cd_fail(e, CD_EINPUT, "%s: Split pre_tokenizer without a Regex or String pattern", name);
        size_t bl;
        const char *beh = jstr(p, "behavior", &bl);
        bpe_split_behavior b;
        if (!beh) return cd_fail(e, CD_EINPUT, "%s: Split pre_tokenizer without a behavior", name);
#define BEH(s) (bl == strlen(s) && !memcmp(beh, s, bl))
        if (BEH("Isolated")) b = BPE_SPLIT_ISOLATED;
        else if (BEH("Removed")) b = BPE_SPLIT_REMOVED;
        else if (BEH("MergedWithPrevious")) b = BPE_SPLIT_MERGED_PREV;
        else if (BEH("MergedWithNext")) b = BPE_SPLIT_MERGED_NEXT;
        else if (BEH("Contiguous")) b = BPE_SPLIT_CONTIGUOUS;
        else return cd_fail(e, CD_EINPUT, "%s: unknown Split behavior '%.*s'", name, (int)bl, beh);
#undef BEH
        pcre2_code *re = bpe_compile(ps, pl, literal, e);
        if (!re) {
            char msg[CD_ERR_MSG];
            memcpy(msg, e->msg, sizeof msg);
            return cd_fail(e, CD_EINPUT, "%s: %s", name, msg);
        }
        int inv = jbool(p, "invert", 0);
        char tag[64];
        snprintf(tag, sizeof tag, "split:%d:%d:%d", (int)b, inv, literal);
        note_pattern(t, tag, ps, pl);
        return add_step(t, re, b, inv, 0, e);
    }
    return cd_fail(e, CD_EINPUT,
                   "%s: unsupported pre_tokenizer type '%.*s' (supported: Sequence, Split, ByteLevel, Digits)", name,
                   (int)tl, type);
}

static int32_t added_id_by_name(const bpe *t, const char *s, size_t n)
{
    for (size_t i = 0; i < t->nadded; i++)
        if (t->added[i].len == n && !memcmp(t->added[i].content, s, n)) return t->added[i].id;
    return -1;
}

static int post_push(bpe *t, int pre, int32_t id, const char *name, cd_err *e)
{
    if (pre) {
        if (t->npost_pre == BPE_MAX_POST) return cd_fail(e, CD_EINPUT, "%s: post-processor template too long", name);
        t->post_pre[t->npost_pre++] = id;
    } else {
        if (t->npost_suf == BPE_MAX_POST) return cd_fail(e, CD_EINPUT, "%s: post-processor template too long", name);
        t->post_suf[t->npost_suf++] = id;
    }
    return 0;
}

static int load_post(bpe *t, const json_value *p, const char *name, cd_err *e)
{
    if (!p || p->type != JSON_OBJECT) return 0;
    if (type_is(p, "Sequence")) {
        const json_value *l = json_object_get(p, "processors");
        if (l && l->type == JSON_ARRAY)
            for (size_t i = 0; i < l->u.array.len; i++)
                if (load_post(t, l->u.array.items[i], name, e)) return -1;
        return 0;
    }
    if (type_is(p, "TemplateProcessing")) {
        t->npost_pre = t->npost_suf = 0;
        const json_value *single = json_object_get(p, "single");
        const json_value *specials = json_object_get(p, "special_tokens");
        if (!single || single->type != JSON_ARRAY) return cd_fail(e, CD_EINPUT, "%s: TemplateProcessing without 'single'", name);
        int seen_seq = 0;
        for (size_t i = 0; i < single->u.array.len; i++) {
            const json_value *it = single->u.array.items[i];
            if (json_object_get(it, "Sequence")) {
                seen_seq = 1;
                continue;
            }
            const json_value *st = json_object_get(it, "SpecialToken");
            size_t nl;
            const char *nm = jstr(st, "id", &nl);
            if (!nm) return cd_fail(e, CD_EINPUT, "%s: TemplateProcessing item %zu not understood", name, i);
            const json_value *spec = specials ? json_object_getn(specials, nm, nl) : NULL;
            const json_value *ids = spec ? json_object_get(spec, "ids") : NULL;
            if (ids && ids->type == JSON_ARRAY) {
                for (size_t k = 0; k < ids->u.array.len; k++)
                    if (post_push(t, !seen_seq, (int32_t)json_num(ids->u.array.items[k], -1), name, e)) return -1;
            } else {
                int32_t id = added_id_by_name(t, nm, nl);
                if (id < 0) id = bpe_lookup(t, nm, nl);
                if (id < 0) return cd_fail(e, CD_EINPUT, "%s: template token '%.*s' is not a token", name, (int)nl, nm);
                if (post_push(t, !seen_seq, id, name, e)) return -1;
            }
        }
        return 0;
    }
    if (type_is(p, "RobertaProcessing") || type_is(p, "BertProcessing")) {
        const json_value *cls = json_object_get(p, "cls"), *sep = json_object_get(p, "sep");
        if (!cls || cls->type != JSON_ARRAY || cls->u.array.len != 2 || !sep || sep->type != JSON_ARRAY ||
            sep->u.array.len != 2)
            return cd_fail(e, CD_EINPUT, "%s: %s without cls/sep pairs", name, type_is(p, "BertProcessing") ? "BertProcessing" : "RobertaProcessing");
        t->npost_pre = t->npost_suf = 0;
        if (post_push(t, 1, (int32_t)json_num(cls->u.array.items[1], -1), name, e)) return -1;
        return post_push(t, 0, (int32_t)json_num(sep->u.array.items[1], -1), name, e);
    }
    return 0; /* ByteLevel and others add no tokens */
}

static void sort_added(bpe *t)
{
    /* longest first, so the longest added token wins at a position */
    for (size_t i = 1; i < t->nadded; i++) {
        bpe_added x = t->added[i];
        size_t j = i;
        while (j > 0 && t->added[j - 1].len < x.len) {
            t->added[j] = t->added[j - 1];
            j--;
        }
        t->added[j] = x;
    }
    memset(t->added_first, 0, sizeof t->added_first);
    for (size_t i = 0; i < t->nadded; i++)
        if (t->added[i].len) t->added_first[(uint8_t)t->added[i].content[0]] = 1;
}

static void default_specials(bpe *t)
{
    static const char *const EOS[] = {"<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>", "[EOS]", "<|eos|>", NULL};
    static const char *const BOS[] = {"<|begin_of_text|>", "<s>", "<bos>", "[BOS]", "<|startoftext|>", NULL};
    if (t->eos < 0)
        for (int i = 0; EOS[i] && t->eos < 0; i++) t->eos = bpe_token_to_id(t, EOS[i], strlen(EOS[i]));
    if (t->bos < 0 && t->npost_pre) t->bos = t->post_pre[0];
    if (t->bos < 0)
        for (int i = 0; BOS[i] && t->bos < 0; i++) t->bos = bpe_token_to_id(t, BOS[i], strlen(BOS[i]));
}

bpe *bpe_load_json(const char *data, size_t n, const char *name, cd_err *e)
{
    arena a;
    arena_init(&a, 0);
    cd_err pe;
    json_value *root = json_parse(&a, data, n, 64, &pe);
    if (!root) {
        cd_fail(e, CD_EINPUT, "%s: malformed tokenizer.json: %s", name, pe.msg);
        arena_free(&a);
        return NULL;
    }
    bpe *t = bpe_alloc();
    sbuf tmp = SBUF_INIT, tmp2 = SBUF_INIT;
    size_t cap = 0;
    int16_t inv[512];
    byte_level_inverse(inv);
    snprintf(t->kind, sizeof t->kind, "tokenizer.json");
    const json_value *model = json_object_get(root, "model");
    if (root->type != JSON_OBJECT || !model || model->type != JSON_OBJECT) {
        cd_fail(e, CD_EINPUT, "%s: not a tokenizer.json (no 'model' object)", name);
        goto fail;
    }
    size_t tl;
    const char *mtype = jstr(model, "type", &tl);
    if (mtype && !(tl == 3 && !memcmp(mtype, "BPE", 3))) {
        cd_fail(e, CD_EINPUT, "%s: unsupported model type '%.*s' (only byte-level BPE)", name, (int)tl, mtype);
        goto fail;
    }
    const json_value *vocab = json_object_get(model, "vocab"), *merges = json_object_get(model, "merges");
    if (!vocab || vocab->type != JSON_OBJECT || !merges || merges->type != JSON_ARRAY) {
        cd_fail(e, CD_EINPUT, "%s: model without 'vocab' object and 'merges' list%s", name,
                mtype ? "" : " (and no type: is this a BPE model?)");
        goto fail;
    }
    if (!has_byte_level(json_object_get(root, "pre_tokenizer")) && !has_byte_level(json_object_get(root, "decoder"))) {
        cd_fail(e, CD_EINPUT, "%s: BPE model is not byte-level (no ByteLevel pre-tokenizer or decoder); unsupported", name);
        goto fail;
    }
    if (jbool(model, "byte_fallback", 0)) {
        cd_fail(e, CD_EINPUT, "%s: byte_fallback BPE is not byte-level; unsupported", name);
        goto fail;
    }
    t->ignore_merges = jbool(model, "ignore_merges", 0);
    for (size_t i = 0; i < vocab->u.object.len; i++) {
        const json_member *m = &vocab->u.object.items[i];
        const json_value *v = m->value;
        if (!v || v->type != JSON_NUMBER || v->u.number.value < 0 || v->u.number.value > 16777216 ||
            v->u.number.value != (double)(int64_t)v->u.number.value) {
            cd_fail(e, CD_EINPUT, "%s: vocab entry %zu has no valid id", name, i);
            goto fail;
        }
        if (byte_level_decode(inv, m->key, m->key_len, &tmp)) {
            cd_fail(e, CD_EINPUT, "%s: vocab token '%.*s' is not in the ByteLevel alphabet", name,
                    (int)(m->key_len > 60 ? 60 : m->key_len), m->key);
            goto fail;
        }
        set_token(t, &cap, (int32_t)v->u.number.value, tmp.data ? tmp.data : "", tmp.len, 0);
    }
    /* added tokens (their content is plain text, not ByteLevel) */
    const json_value *added = json_object_get(root, "added_tokens");
    if (added && added->type == JSON_ARRAY) {
        t->added = xcalloc(added->u.array.len + 1, sizeof *t->added);
        for (size_t i = 0; i < added->u.array.len; i++) {
            const json_value *at = added->u.array.items[i];
            size_t cl;
            const char *content = jstr(at, "content", &cl);
            const json_value *idv = at ? json_object_get(at, "id") : NULL;
            if (!content || !cl || !idv || idv->type != JSON_NUMBER || idv->u.number.value < 0 ||
                idv->u.number.value > 16777216) {
                cd_fail(e, CD_EINPUT, "%s: added_tokens[%zu] needs a non-empty content and an id", name, i);
                goto fail;
            }
            bpe_added *ad = &t->added[t->nadded++];
            ad->content = xstrndup(content, cl);
            ad->len = (uint32_t)cl;
            ad->id = (int32_t)idv->u.number.value;
            ad->special = (uint8_t)jbool(at, "special", 0);
            ad->lstrip = (uint8_t)jbool(at, "lstrip", 0);
            ad->rstrip = (uint8_t)jbool(at, "rstrip", 0);
            ensure_ids(t, (size_t)ad->id + 1, &cap);
            if (!t->toks[ad->id].present) set_token(t, &cap, ad->id, content, cl, 1);
            else t->toks[ad->id].special = 1;
        }
        sort_added(t);
    }
    if (t->nids == 0) {
        cd_fail(e, CD_EINPUT, "%s: empty vocab", name);
        goto fail;
    }
    build_tokmap(t);
    for (int b = 0; b < 256; b++)
        if (t->byte_id[b] < 0) {
            cd_fail(e, CD_EINPUT, "%s: vocab lacks the single-byte token for byte 0x%02x (not byte-level BPE?)", name, b);
            goto fail;
        }
    /* merges */
    pairs_init(t, merges->u.array.len);
    XXH3_state_t *hs = XXH3_createState();
    XXH3_64bits_reset(hs);
    for (size_t r = 0; r < merges->u.array.len; r++) {
        const json_value *m = merges->u.array.items[r];
        const char *as = NULL, *bs = NULL;
        size_t al = 0, bl = 0;
        if (m->type == JSON_STRING) {
            const char *s = m->u.string.ptr;
            const char *sp = memchr(s, ' ', m->u.string.len);
            if (sp) {
                as = s;
                al = (size_t)(sp - s);
                bs = sp + 1;
                bl = m->u.string.len - al - 1;
                if (memchr(bs, ' ', bl)) as = NULL;
            }
        } else if (m->type == JSON_ARRAY && m->u.array.len == 2) {
            as = json_str(m->u.array.items[0], &al);
            bs = json_str(m->u.array.items[1], &bl);
        }
        if (!as || !bs) {
            XXH3_freeState(hs);
            cd_fail(e, CD_EINPUT, "%s: merges[%zu] is neither \"a b\" nor [\"a\", \"b\"]", name, r);
            goto fail;
        }
        int32_t ids[3] = {-1, -1, -1};
        if (!byte_level_decode(inv, as, al, &tmp)) ids[0] = bpe_lookup(t, tmp.data ? tmp.data : "", tmp.len);
        sbuf_reset(&tmp2);
        sbuf_append(&tmp2, tmp.data, tmp.len);
        if (!byte_level_decode(inv, bs, bl, &tmp)) ids[1] = bpe_lookup(t, tmp.data ? tmp.data : "", tmp.len);
        sbuf_append(&tmp2, tmp.data, tmp.len);
        ids[2] = bpe_lookup(t, tmp2.data ? tmp2.data : "", tmp2.len);
        if (ids[0] < 0 || ids[1] < 0 || ids[2] < 0) {
            XXH3_freeState(hs);
            const char *which = ids[0] < 0 ? as : ids[1] < 0 ? bs : "(their concatenation)";
            size_t wl = ids[0] < 0 ? al : ids[1] < 0 ? bl : strlen(which);
            cd_fail(e, CD_EINPUT, "%s: merges[%zu] references a token missing from the vocab: '%.*s'", name, r,
                    (int)(wl > 60 ? 60 : wl), which);
            goto fail;
        }
        pairs_put(t, ids[0], ids[1], (uint32_t)r, ids[2], 1);
        XXH3_64bits_update(hs, ids, sizeof ids);
    }
    char mh[32];
    snprintf(mh, sizeof mh, "%016llx", (unsigned long long)XXH3_64bits_digest(hs));
    XXH3_freeState(hs);
    note_pattern(t, "merges", mh, strlen(mh));
    if (t->ignore_merges) note_pattern(t, "ignore_merges", "", 0);
    if (load_normalizer(t, json_object_get(root, "normalizer"), name, e)) goto fail;
    if (t->norm_options) bpe_build_norm_table(t);
    if (load_pretok(t, json_object_get(root, "pre_tokenizer"), name, e)) goto fail;
    if (load_post(t, json_object_get(root, "post_processor"), name, e)) goto fail;
    for (size_t i = 0; i < t->npost_pre + t->npost_suf; i++) {
        int32_t id = i < t->npost_pre ? t->post_pre[i] : t->post_suf[i - t->npost_pre];
        if (id < 0 || (size_t)id >= t->nids || !t->toks[id].present) {
            cd_fail(e, CD_EINPUT, "%s: post-processor adds id %d, which is not a token", name, (int)id);
            goto fail;
        }
    }
    default_specials(t);
    sbuf_free(&tmp);
    sbuf_free(&tmp2);
    arena_free(&a);
    bpe_compute_hash(t);
    return t;
fail:
    sbuf_free(&tmp);
    sbuf_free(&tmp2);
    arena_free(&a);
    bpe_free(t);
    return NULL;
}

/* ----------------------------------------------------------------- tiktoken */

typedef struct tiktoken_encoding {
    const char *name;
    const char *pattern;
    struct { const char *tok; int32_t id; } specials[8];
} tiktoken_encoding;

/* The split patterns and special tokens that define OpenAI's encodings. */
static const tiktoken_encoding TIKTOKEN_ENCODINGS[] = {
    {"cl100k_base",
     "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
     "\\s+(?!\\S)|\\s+",
     {{"<|endoftext|>", 100257},
      {"<|fim_prefix|>", 100258},
      {"<|fim_middle|>", 100259},
      {"<|fim_suffix|>", 100260},
      {"<|endofprompt|>", 100276}}},
    {"o200k_base",
     "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
     "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
     "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
     {{"<|endoftext|>", 199999}, {"<|endofprompt|>", 200018}}},
    {"r50k_base", "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
     {{"<|endoftext|>", 50256}}},
    {"p50k_base", "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
     {{"<|endoftext|>", 50256}}},
    {NULL, NULL, {{NULL, 0}}},
};

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

static int b64decode(const char *s, size_t n, sbuf *out)
{
    sbuf_reset(out);
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=') break;
        int v = b64val((unsigned char)s[i]);
        if (v < 0) return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            sbuf_putc(out, (char)(acc >> bits & 0xFF));
        }
    }
    return 0;
}

bpe *bpe_load_tiktoken(const char *data, size_t n, const char *encoding, cd_err *e)
{
    const tiktoken_encoding *enc = NULL;
    for (const tiktoken_encoding *x = TIKTOKEN_ENCODINGS; x->name; x++)
        if (!strcmp(x->name, encoding)) enc = x;
    if (!enc) {
        cd_fail(e, CD_EINPUT, "unknown tiktoken encoding '%s' (known: cl100k_base, o200k_base, p50k_base, r50k_base)", encoding);
        return NULL;
    }
    bpe *t = bpe_alloc();
    snprintf(t->kind, sizeof t->kind, "tiktoken:%s", enc->name);
    t->ignore_merges = 1; /* tiktoken emits a piece that is a token as is */
    size_t cap = 0, lineno = 0;
    sbuf tok = SBUF_INIT;
    const char *p = data, *end = data + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        lineno++;
        const char *q = le;
        while (q > p && (q[-1] == '\r' || q[-1] == ' ')) q--;
        if (q > p) {
            const char *sp = memchr(p, ' ', (size_t)(q - p));
            char *rend = NULL;
            long long rank = sp ? strtoll(sp + 1, &rend, 10) : -1;
            if (!sp || rank < 0 || rank > 16777216 || rend != q || b64decode(p, (size_t)(sp - p), &tok) || !tok.len) {
                cd_fail(e, CD_EINPUT, "tiktoken file line %zu: expected 'BASE64 RANK'", lineno);
                sbuf_free(&tok);
                bpe_free(t);
                return NULL;
            }
            set_token(t, &cap, (int32_t)rank, tok.data, tok.len, 0);
        }
        p = nl ? nl + 1 : end;
    }
    sbuf_free(&tok);
    t->added = xcalloc(8, sizeof *t->added);
    for (int i = 0; i < 8 && enc->specials[i].tok; i++) {
        bpe_added *ad = &t->added[t->nadded++];
        ad->content = xstrdup(enc->specials[i].tok);
        ad->len = (uint32_t)strlen(ad->content);
        ad->id = enc->specials[i].id;
        ad->special = 1;
        set_token(t, &cap, ad->id, ad->content, ad->len, 1);
    }
    sort_added(t);
    build_tokmap(t);
    for (int b = 0; b < 256; b++)
        if (t->byte_id[b] < 0) {
            cd_fail(e, CD_EINPUT, "tiktoken file lacks the token for byte 0x%02x", b);
            bpe_free(t);
            return NULL;
        }
    /* derive the pair table from the ranks */
    size_t est = 0;
    for (size_t id = 0; id < t->nids; id++)
        if (t->toks[id].present && !t->toks[id].special && t->toks[id].len > 1) est += t->toks[id].len - 1;
    pairs_init(t, est / 2 + 16);
    for (size_t id = 0; id < t->nids; id++) {
        const bpe_tok *k = &t->toks[id];
        if (!k->present || k->special || k->len < 2) continue;
        const char *s = t->pool + k->off;
        for (uint32_t cut = 1; cut < k->len; cut++) {
            int32_t a = bpe_lookup(t, s, cut), b = a >= 0 ? bpe_lookup(t, s + cut, k->len - cut) : -1;
            if (a >= 0 && b >= 0) pairs_put(t, a, b, (uint32_t)id, (int32_t)id, 0);
        }
        /* grow when the estimate was low */
        if (t->npairs * 2 > t->pairs_mask) {
            bpe_pair *old = t->pairs;
            size_t oldcap = t->pairs_mask + 1;
            pairs_init(t, oldcap);
            for (size_t i = 0; i < oldcap; i++)
                if (old[i].key != UINT64_MAX)
                    pairs_put(t, (int32_t)(old[i].key >> 32), (int32_t)(old[i].key & 0xFFFFFFFF), old[i].rank,
                              old[i].merged, 0);
            free(old);
        }
    }
    pcre2_code *re = bpe_compile(enc->pattern, strlen(enc->pattern), 0, e);
    if (!re || add_step(t, re, BPE_SPLIT_ISOLATED, 0, 0, e)) {
        bpe_free(t);
        return NULL;
    }
    note_pattern(t, enc->name, enc->pattern, strlen(enc->pattern));
    default_specials(t);
    bpe_compute_hash(t);
    return t;
}

/* ------------------------------------------------------------------ files */

static void apply_tokenizer_config(bpe *t, const char *json_path)
{
    const char *slash = strrchr(json_path, '/');
    char *path = slash ? xasprintf("%.*s/tokenizer_config.json", (int)(slash - json_path), json_path)
                       : xstrdup("tokenizer_config.json");
    size_t n;
    cd_err e;
    char *data = cd_read_file(path, &n, &e);
    free(path);
    if (!data) return;
    arena a;
    arena_init(&a, 0);
    json_value *root = json_parse(&a, data, n, 64, &e);
    const char *keys[2] = {"eos_token", "bos_token"};
    for (int k = 0; root && root->type == JSON_OBJECT && k < 2; k++) {
        const json_value *v = json_object_get(root, keys[k]);
        if (v && v->type == JSON_OBJECT) v = json_object_get(v, "content");
        size_t sl;
        const char *s = json_str(v, &sl);
        int32_t id = s ? bpe_token_to_id(t, s, sl) : -1;
        if (id >= 0) {
            if (k == 0) t->eos = id;
            else t->bos = id;
        }
    }
    arena_free(&a);
    free(data);
}

bpe *bpe_load(const char *path, cd_err *e)
{
    size_t n;
    char *data = cd_read_file(path, &n, e);
    if (!data) return NULL;
    bpe *t;
    if (cd_ends_with(path, ".tiktoken")) {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        char *stem = xstrndup(base, strlen(base) - strlen(".tiktoken"));
        t = bpe_load_tiktoken(data, n, stem, e);
        if (!t) {
            char msg[CD_ERR_MSG];
            memcpy(msg, e->msg, sizeof msg);
            cd_fail(e, CD_EINPUT, "%s: %s", path, msg);
        }
        free(stem);
    } else {
        t = bpe_load_json(data, n, path, e);
        if (t) {
            apply_tokenizer_config(t, path);
            bpe_compute_hash(t);
        }
    }
    free(data);
    return t;
}

/* ------------------------------------------------------------------ queries */

size_t bpe_vocab_size(const bpe *t) { return t->nids; }

int32_t bpe_token_to_id(const bpe *t, const char *tok, size_t n)
{
    int32_t id = added_id_by_name(t, tok, n);
    return id >= 0 ? id : bpe_lookup(t, tok, n);
}

const char *bpe_id_to_token(const bpe *t, int32_t id, size_t *n)
{
    if (id < 0 || (size_t)id >= t->nids || !t->toks[id].present) return NULL;
    if (n) *n = t->toks[id].len;
    return t->pool + t->toks[id].off;
}

int bpe_is_special(const bpe *t, int32_t id)
{
    return id >= 0 && (size_t)id < t->nids && t->toks[id].present && t->toks[id].special;
}

int32_t bpe_eos_id(const bpe *t) { return t->eos; }
int32_t bpe_bos_id(const bpe *t) { return t->bos; }

int bpe_set_eos(bpe *t, const char *tok)
{
    int32_t id = bpe_token_to_id(t, tok, strlen(tok));
    if (id < 0) return -1;
    t->eos = id;
    bpe_compute_hash(t);
    return 0;
}

const char *bpe_hash(const bpe *t) { return t->hash; }
const char *bpe_kind(const bpe *t) { return t->kind; }

void bpe_compute_hash(bpe *t)
{
    XXH3_state_t *s = XXH3_createState();
    XXH3_64bits_reset(s);
    XXH3_64bits_update(s, "corpusd-bpe-1", 13);
    for (size_t id = 0; id < t->nids; id++) {
        const bpe_tok *k = &t->toks[id];
        uint32_t hdr[3] = {(uint32_t)id, k->present ? k->len : UINT32_MAX, k->special};
        XXH3_64bits_update(s, hdr, sizeof hdr);
        if (k->present) XXH3_64bits_update(s, t->pool + k->off, k->len);
    }
    if (t->patterns) XXH3_64bits_update(s, t->patterns, strlen(t->patterns));
    for (size_t i = 0; i < t->nadded; i++) {
        const bpe_added *a = &t->added[i];
        int32_t hdr[5] = {a->id, (int32_t)a->len, a->special, a->lstrip, a->rstrip};
        XXH3_64bits_update(s, hdr, sizeof hdr);
        XXH3_64bits_update(s, a->content, a->len);
    }
    int32_t tail[2 + 2 * BPE_MAX_POST + 3] = {0};
    tail[0] = (int32_t)t->npost_pre;
    tail[1] = (int32_t)t->npost_suf;
    memcpy(tail + 2, t->post_pre, sizeof t->post_pre);
    memcpy(tail + 2 + BPE_MAX_POST, t->post_suf, sizeof t->post_suf);
    tail[2 + 2 * BPE_MAX_POST] = t->eos;
    tail[3 + 2 * BPE_MAX_POST] = t->bos;
    tail[4 + 2 * BPE_MAX_POST] = t->ignore_merges;
    XXH3_64bits_update(s, tail, sizeof tail);
    snprintf(t->hash, sizeof t->hash, "%016llx", (unsigned long long)XXH3_64bits_digest(s));
    XXH3_freeState(s);
}

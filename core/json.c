/*
 * json.c: JSON parser and writer; see json.h for the guarantees.
 *
 * The parser keeps an explicit stack of open containers, so its C stack use
 * is constant whatever the nesting; max_depth bounds the explicit stack.
 */
#include "core/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- UTF-8 */

size_t utf8_valid_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) {
        if (n < 2 || (s[1] & 0xC0) != 0x80) return 0;
        return 2;
    }
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;       /* overlong */
        if (c == 0xED && s[1] >= 0xA0) return 0;      /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;       /* overlong */
        if (c == 0xF4 && s[1] >= 0x90) return 0;      /* > U+10FFFF */
        return 4;
    }
    return 0;
}

uint32_t utf8_decode(const unsigned char *s, size_t n, size_t *len)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *len = 1;
        return c;
    }
    size_t l = utf8_valid_len(s, n);
    if (!l) {
        *len = 1;
        return 0xFFFD;
    }
    *len = l;
    if (l == 2) return ((c & 0x1F) << 6) | (s[1] & 0x3F);
    if (l == 3) return ((c & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    return ((c & 0x07) << 18) | ((s[1] & 0x3F) << 12) | ((s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

void utf8_put(sbuf *out, uint32_t cp)
{
    char b[4];
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;
    if (cp < 0x80) {
        sbuf_putc(out, (char)cp);
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        sbuf_append(out, b, 2);
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        sbuf_append(out, b, 3);
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        sbuf_append(out, b, 4);
    }
}

static const char REPLACEMENT[] = "\xEF\xBF\xBD";

int utf8_is_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t k = utf8_valid_len(p, (size_t)(end - p));
        if (!k) return 0;
        p += k;
    }
    return 1;
}

void utf8_sanitize(sbuf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    sbuf_reserve(out, n);
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p < 0x80) p++;
        if (p > run) sbuf_append(out, run, (size_t)(p - run));
        if (p >= end) break;
        size_t l = utf8_valid_len(p, (size_t)(end - p));
        if (l) {
            sbuf_append(out, p, l);
            p += l;
        } else {
            sbuf_append(out, REPLACEMENT, 3);
            p++;
        }
    }
}

/* ---------------------------------------------------------- constructors */

static json_value *new_value(arena *a, json_type t)
{
    json_value *v = arena_zalloc(a, sizeof *v);
    v->type = t;
    return v;
}

json_value *json_new_null(arena *a) { return new_value(a, JSON_NULL); }

json_value *json_new_bool(arena *a, int b)
{
    json_value *v = new_value(a, JSON_BOOL);
    v->u.boolean = !!b;
    return v;
}

json_value *json_new_number(arena *a, double d)
{
    json_value *v = new_value(a, JSON_NUMBER);
    v->u.number.value = d;
    return v;
}

json_value *json_new_int(arena *a, int64_t i)
{
    json_value *v = new_value(a, JSON_NUMBER);
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)i);
    v->u.number.value = (double)i;
    v->u.number.raw = arena_strndup(a, buf, (size_t)n);
    v->u.number.raw_len = (size_t)n;
    return v;
}

json_value *json_new_string(arena *a, const char *s, size_t n)
{
    json_value *v = new_value(a, JSON_STRING);
    v->u.string.ptr = arena_strndup(a, s, n);
    v->u.string.len = n;
    return v;
}

json_value *json_new_cstr(arena *a, const char *s) { return json_new_string(a, s, strlen(s)); }
json_value *json_new_array(arena *a) { return new_value(a, JSON_ARRAY); }
json_value *json_new_object(arena *a) { return new_value(a, JSON_OBJECT); }

void json_array_push(arena *a, json_value *arr, json_value *v)
{
    if (arr->u.array.len == arr->u.array.cap) {
        size_t cap = arr->u.array.cap ? arr->u.array.cap * 2 : 4;
        json_value **items = arena_alloc(a, cap * sizeof *items);
        if (arr->u.array.len) memcpy(items, arr->u.array.items, arr->u.array.len * sizeof *items);
        arr->u.array.items = items;
        arr->u.array.cap = cap;
    }
    arr->u.array.items[arr->u.array.len++] = v;
}

static void object_append(arena *a, json_value *obj, const char *key, size_t key_len, json_value *v)
{
    if (obj->u.object.len == obj->u.object.cap) {
        size_t cap = obj->u.object.cap ? obj->u.object.cap * 2 : 8;
        json_member *items = arena_alloc(a, cap * sizeof *items);
        if (obj->u.object.len) memcpy(items, obj->u.object.items, obj->u.object.len * sizeof *items);
        obj->u.object.items = items;
        obj->u.object.cap = cap;
    }
    json_member *m = &obj->u.object.items[obj->u.object.len++];
    m->key = key;
    m->key_len = key_len;
    m->value = v;
}

json_value *json_object_getn(const json_value *obj, const char *key, size_t key_len)
{
    if (!obj || obj->type != JSON_OBJECT) return NULL;
    for (size_t i = obj->u.object.len; i-- > 0;) {
        const json_member *m = &obj->u.object.items[i];
        if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0) return m->value;
    }
    return NULL;
}

json_value *json_object_get(const json_value *obj, const char *key)
{
    return json_object_getn(obj, key, strlen(key));
}

void json_object_set(arena *a, json_value *obj, const char *key, json_value *v)
{
    size_t kl = strlen(key);
    for (size_t i = obj->u.object.len; i-- > 0;) {
        json_member *m = &obj->u.object.items[i];
        if (m->key_len == kl && memcmp(m->key, key, kl) == 0) {
            m->value = v;
            return;
        }
    }
    object_append(a, obj, arena_strndup(a, key, kl), kl, v);
}

int json_object_remove(json_value *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT) return 0;
    size_t kl = strlen(key), w = 0;
    int removed = 0;
    for (size_t i = 0; i < obj->u.object.len; i++) {
        json_member *m = &obj->u.object.items[i];
        if (m->key_len == kl && memcmp(m->key, key, kl) == 0) {
            removed = 1;
            continue;
        }
        obj->u.object.items[w++] = *m;
    }
    obj->u.object.len = w;
    return removed;
}

json_value *json_get_path(const json_value *v, const char *path)
{
    const char *p = path;
    while (v && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        v = json_object_getn(v, p, n);
        p += n;
        if (*p == '.') p++;
    }
    return (json_value *)v;
}

json_value *json_clone(arena *a, const json_value *v)
{
    if (!v) return NULL;
    json_value *c = new_value(a, v->type);
    switch (v->type) {
    case JSON_NULL: break;
    case JSON_BOOL: c->u.boolean = v->u.boolean; break;
    case JSON_NUMBER:
        c->u.number.value = v->u.number.value;
        if (v->u.number.raw) {
            c->u.number.raw = arena_strndup(a, v->u.number.raw, v->u.number.raw_len);
            c->u.number.raw_len = v->u.number.raw_len;
        }
        break;
    case JSON_STRING:
        c->u.string.ptr = arena_strndup(a, v->u.string.ptr, v->u.string.len);
        c->u.string.len = v->u.string.len;
        break;
    case JSON_ARRAY:
        for (size_t i = 0; i < v->u.array.len; i++)
            json_array_push(a, c, json_clone(a, v->u.array.items[i]));
        break;
    case JSON_OBJECT:
        for (size_t i = 0; i < v->u.object.len; i++) {
            const json_member *m = &v->u.object.items[i];
            object_append(a, c, arena_strndup(a, m->key, m->key_len), m->key_len,
                          json_clone(a, m->value));
        }
        break;
    }
    return c;
}

const char *json_str(const json_value *v, size_t *len)
{
    if (!v || v->type != JSON_STRING) return NULL;
    if (len) *len = v->u.string.len;
    return v->u.string.ptr;
}

double json_num(const json_value *v, double dflt)
{
    if (!v) return dflt;
    if (v->type == JSON_NUMBER) return v->u.number.value;
    if (v->type == JSON_BOOL) return v->u.boolean;
    return dflt;
}

int json_equal(const json_value *a, const json_value *b)
{
    if (!a || !b) return a == b;
    if (a->type != b->type) return 0;
    switch (a->type) {
    case JSON_NULL: return 1;
    case JSON_BOOL: return a->u.boolean == b->u.boolean;
    case JSON_NUMBER: return a->u.number.value == b->u.number.value;
    case JSON_STRING:
        return a->u.string.len == b->u.string.len &&
               memcmp(a->u.string.ptr, b->u.string.ptr, a->u.string.len) == 0;
    case JSON_ARRAY:
        if (a->u.array.len != b->u.array.len) return 0;
        for (size_t i = 0; i < a->u.array.len; i++)
            if (!json_equal(a->u.array.items[i], b->u.array.items[i])) return 0;
        return 1;
    case JSON_OBJECT:
        if (a->u.object.len != b->u.object.len) return 0;
        /* Member by member, in order: duplicate keys compare too. */
        for (size_t i = 0; i < a->u.object.len; i++) {
            const json_member *m = &a->u.object.items[i], *n = &b->u.object.items[i];
            if (m->key_len != n->key_len || memcmp(m->key, n->key, m->key_len) != 0) return 0;
            if (!json_equal(m->value, n->value)) return 0;
        }
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- parser */

typedef struct parser {
    const unsigned char *s, *p, *end;
    arena *a;
    cd_err *e;
    sbuf tmp;
} parser;

static int perr(parser *ps, const char *what)
{
    return cd_fail(ps->e, CD_EINPUT, "JSON: %s at byte %zu", what, (size_t)(ps->p - ps->s));
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int hex4(const unsigned char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= c - '0';
        else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
        else return -1;
    }
    *out = v;
    return 0;
}

/* Parses a string at ps->p (which points at the opening quote). */
static int parse_string(parser *ps, const char **out, size_t *out_len)
{
    ps->p++;
    sbuf *t = &ps->tmp;
    sbuf_reset(t);
    for (;;) {
        const unsigned char *run = ps->p;
        while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && *ps->p < 0x80) ps->p++;
        if (ps->p > run) sbuf_append(t, run, (size_t)(ps->p - run));
        if (ps->p >= ps->end) return perr(ps, "unterminated string");
        unsigned char c = *ps->p;
        if (c == '"') {
            ps->p++;
            break;
        }
        if (c >= 0x80) {
            size_t l = utf8_valid_len(ps->p, (size_t)(ps->end - ps->p));
            if (l) {
                sbuf_append(t, ps->p, l);
                ps->p += l;
            } else {
                sbuf_append(t, REPLACEMENT, 3);
                ps->p++;
            }
            continue;
        }
        /* backslash escape */
        if (ps->end - ps->p < 2) return perr(ps, "unterminated escape");
        c = ps->p[1];
        ps->p += 2;
        switch (c) {
        case '"': sbuf_putc(t, '"'); break;
        case '\\': sbuf_putc(t, '\\'); break;
        case '/': sbuf_putc(t, '/'); break;
        case 'b': sbuf_putc(t, '\b'); break;
        case 'f': sbuf_putc(t, '\f'); break;
        case 'n': sbuf_putc(t, '\n'); break;
        case 'r': sbuf_putc(t, '\r'); break;
        case 't': sbuf_putc(t, '\t'); break;
        case 'u': {
            uint32_t cp;
            if (ps->end - ps->p < 4 || hex4(ps->p, &cp)) return perr(ps, "bad \\u escape");
            ps->p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u' &&
                    hex4(ps->p + 2, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
                    ps->p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else {
                    cp = 0xFFFD; /* lone high surrogate */
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD; /* lone low surrogate */
            }
            utf8_put(t, cp);
            break;
        }
        default:
            ps->p -= 1;
            return perr(ps, "invalid escape");
        }
    }
    *out = arena_strndup(ps->a, t->data ? t->data : "", t->len);
    *out_len = t->len;
    return 0;
}

static int parse_number(parser *ps, json_value **out)
{
    const unsigned char *start = ps->p, *p = ps->p, *end = ps->end;
    if (p < end && *p == '-') p++;
    if (p >= end) return perr(ps, "bad number");
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9') p++;
    } else {
        return perr(ps, "bad number");
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9') {
            ps->p = p;
            return perr(ps, "bad number fraction");
        }
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') {
            ps->p = p;
            return perr(ps, "bad number exponent");
        }
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    size_t n = (size_t)(p - start);
    json_value *v = new_value(ps->a, JSON_NUMBER);
    char *raw = arena_strndup(ps->a, (const char *)start, n);
    v->u.number.raw = raw;
    v->u.number.raw_len = n;
    v->u.number.value = strtod(raw, NULL);
    ps->p = p;
    *out = v;
    return 0;
}

static int match_lit(parser *ps, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0) return 0;
    ps->p += n;
    return 1;
}

typedef struct frame {
    json_value *container;
    const char *key;       /* pending key when container is an object */
    size_t key_len;
} frame;

json_value *json_parse(arena *a, const char *s, size_t n, int max_depth, cd_err *e)
{
    parser ps = {(const unsigned char *)s, (const unsigned char *)s, (const unsigned char *)s + n, a, e, SBUF_INIT};
    if (max_depth <= 0) max_depth = JSON_DEFAULT_MAX_DEPTH;
    frame *stack = xmalloc((size_t)max_depth * sizeof *stack);
    int depth = 0;
    json_value *root = NULL;

    for (;;) {
        skip_ws(&ps);
        /* In an object, read "key":  (or the closing brace). */
        if (depth > 0 && stack[depth - 1].container->type == JSON_OBJECT && !stack[depth - 1].key) {
            frame *f = &stack[depth - 1];
            if (ps.p < ps.end && *ps.p == '}' && f->container->u.object.len == 0) {
                ps.p++;
                goto value_done_pop;
            }
            if (ps.p >= ps.end || *ps.p != '"') {
                perr(&ps, "expected object key");
                goto fail;
            }
            if (parse_string(&ps, &f->key, &f->key_len)) goto fail;
            skip_ws(&ps);
            if (ps.p >= ps.end || *ps.p != ':') {
                perr(&ps, "expected ':'");
                goto fail;
            }
            ps.p++;
            skip_ws(&ps);
        }
        if (ps.p >= ps.end) {
            perr(&ps, "unexpected end of input");
            goto fail;
        }
        json_value *v = NULL;
        unsigned char c = *ps.p;
        if (c == '{' || c == '[') {
            if (depth >= max_depth) {
                perr(&ps, "nesting too deep");
                goto fail;
            }
            ps.p++;
            v = new_value(a, c == '{' ? JSON_OBJECT : JSON_ARRAY);
            /* Attach to parent now; fill in later. */
            if (depth > 0) {
                frame *f = &stack[depth - 1];
                if (f->container->type == JSON_ARRAY) json_array_push(a, f->container, v);
                else {
                    object_append(a, f->container, f->key, f->key_len, v);
                    f->key = NULL;
                }
            } else {
                root = v;
            }
            stack[depth].container = v;
            stack[depth].key = NULL;
            depth++;
            if (c == '[') {
                skip_ws(&ps);
                if (ps.p < ps.end && *ps.p == ']') {
                    ps.p++;
                    goto value_done_pop;
                }
            }
            continue;
        } else if (c == '"') {
            const char *str;
            size_t len;
            if (parse_string(&ps, &str, &len)) goto fail;
            v = new_value(a, JSON_STRING);
            v->u.string.ptr = str;
            v->u.string.len = len;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            if (parse_number(&ps, &v)) goto fail;
        } else if (match_lit(&ps, "true")) {
            v = json_new_bool(a, 1);
        } else if (match_lit(&ps, "false")) {
            v = json_new_bool(a, 0);
        } else if (match_lit(&ps, "null")) {
            v = json_new_null(a);
        } else {
            perr(&ps, "unexpected character");
            goto fail;
        }
        if (depth == 0) {
            root = v;
            goto done;
        }
        {
            frame *f = &stack[depth - 1];
            if (f->container->type == JSON_ARRAY) json_array_push(a, f->container, v);
            else {
                object_append(a, f->container, f->key, f->key_len, v);
                f->key = NULL;
            }
        }
        /* After a value inside a container: ',' or the closer. */
        for (;;) {
            skip_ws(&ps);
            frame *f = &stack[depth - 1];
            char closer = f->container->type == JSON_ARRAY ? ']' : '}';
            if (ps.p >= ps.end) {
                perr(&ps, "unexpected end of input");
                goto fail;
            }
            if (*ps.p == ',') {
                ps.p++;
                break;
            }
            if (*ps.p != closer) {
                perr(&ps, closer == ']' ? "expected ',' or ']'" : "expected ',' or '}'");
                goto fail;
            }
            ps.p++;
        value_done_pop:
            depth--;
            if (depth == 0) goto done;
        }
    }
done:
    skip_ws(&ps);
    if (ps.p != ps.end) {
        perr(&ps, "trailing characters");
        goto fail;
    }
    free(stack);
    sbuf_free(&ps.tmp);
    return root;
fail:
    free(stack);
    sbuf_free(&ps.tmp);
    return NULL;
}

/* ---------------------------------------------------------------- writer */

static const char HEX[] = "0123456789abcdef";

void json_write_string(sbuf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    sbuf_reserve(out, n + 2);
    sbuf_putc(out, '"');
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80) p++;
        if (p > run) sbuf_append(out, run, (size_t)(p - run));
        if (p >= end) break;
        unsigned char c = *p;
        if (c >= 0x80) {
            size_t l = utf8_valid_len(p, (size_t)(end - p));
            if (l) {
                sbuf_append(out, p, l);
                p += l;
            } else {
                sbuf_append(out, REPLACEMENT, 3);
                p++;
            }
            continue;
        }
        p++;
        switch (c) {
        case '"': sbuf_append(out, "\\\"", 2); break;
        case '\\': sbuf_append(out, "\\\\", 2); break;
        case '\n': sbuf_append(out, "\\n", 2); break;
        case '\r': sbuf_append(out, "\\r", 2); break;
        case '\t': sbuf_append(out, "\\t", 2); break;
        case '\b': sbuf_append(out, "\\b", 2); break;
        case '\f': sbuf_append(out, "\\f", 2); break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', HEX[c >> 4], HEX[c & 15]};
            sbuf_append(out, esc, 6);
        }
        }
    }
    sbuf_putc(out, '"');
}

void json_write_number(sbuf *out, double v)
{
    if (!isfinite(v)) {
        sbuf_append(out, "null", 4);
        return;
    }
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        sbuf_printf(out, "%lld", (long long)v);
        return;
    }
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    sbuf_puts(out, buf);
}

void json_write(sbuf *out, const json_value *v)
{
    if (!v) {
        sbuf_append(out, "null", 4);
        return;
    }
    switch (v->type) {
    case JSON_NULL: sbuf_append(out, "null", 4); break;
    case JSON_BOOL: sbuf_puts(out, v->u.boolean ? "true" : "false"); break;
    case JSON_NUMBER:
        if (v->u.number.raw) sbuf_append(out, v->u.number.raw, v->u.number.raw_len);
        else json_write_number(out, v->u.number.value);
        break;
    case JSON_STRING: json_write_string(out, v->u.string.ptr, v->u.string.len); break;
    case JSON_ARRAY:
        sbuf_putc(out, '[');
        for (size_t i = 0; i < v->u.array.len; i++) {
            if (i) sbuf_putc(out, ',');
            json_write(out, v->u.array.items[i]);
        }
        sbuf_putc(out, ']');
        break;
    case JSON_OBJECT:
        sbuf_putc(out, '{');
        for (size_t i = 0; i < v->u.object.len; i++) {
            const json_member *m = &v->u.object.items[i];
            if (i) sbuf_putc(out, ',');
            json_write_string(out, m->key, m->key_len);
            sbuf_putc(out, ':');
            json_write(out, m->value);
        }
        sbuf_putc(out, '}');
        break;
    }
}

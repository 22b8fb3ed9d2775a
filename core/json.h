/*
 * json.h: corpusd's JSON values, parser and writer.
 *
 * Values live in an arena (core/arena.h); nothing is freed one by one.
 * Strings are byte arrays with explicit lengths: a "\u0000" escape becomes a
 * NUL byte inside the string and is written back as "\u0000", so strings
 * round-trip exactly. Invalid UTF-8 (raw bytes or lone surrogate escapes) is
 * replaced with U+FFFD when parsing and when writing; it never crashes.
 * Numbers keep their source text, so 64-bit integers round-trip unchanged.
 * Objects keep insertion order; with duplicate keys the last one wins on
 * lookup, as in Python's json module.
 *
 * The parser is iterative over a bounded depth (json_parse's max_depth), so
 * hostile nesting cannot overflow the stack. All functions are reentrant.
 */
#ifndef CORPUSD_CORE_JSON_H
#define CORPUSD_CORE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/util.h"

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value json_value;
typedef struct json_member {
    const char *key;
    size_t key_len;
    json_value *value;
} json_member;

struct json_value {
    json_type type;
    union {
        int boolean;
        struct { double value; const char *raw; size_t raw_len; } number;
        struct { const char *ptr; size_t len; } string;
        struct { json_value **items; size_t len, cap; } array;
        struct { json_member *items; size_t len, cap; } object;
    } u;
};

#define JSON_DEFAULT_MAX_DEPTH 256

/* Parses exactly one JSON value (surrounding whitespace allowed). On error
 * returns NULL and e says what and at which byte offset. */
json_value *json_parse(arena *a, const char *s, size_t n, int max_depth, cd_err *e);

json_value *json_new_null(arena *a);
json_value *json_new_bool(arena *a, int b);
json_value *json_new_number(arena *a, double v);
json_value *json_new_int(arena *a, int64_t v);
json_value *json_new_string(arena *a, const char *s, size_t n);   /* copies */
json_value *json_new_cstr(arena *a, const char *s);
json_value *json_new_array(arena *a);
json_value *json_new_object(arena *a);

void json_array_push(arena *a, json_value *arr, json_value *v);
/* Replaces the value of an existing key (the last occurrence) or appends. */
void json_object_set(arena *a, json_value *obj, const char *key, json_value *v);
json_value *json_object_get(const json_value *obj, const char *key);
json_value *json_object_getn(const json_value *obj, const char *key, size_t key_len);
int json_object_remove(json_value *obj, const char *key);
/* Dotted path lookup: "a.b.c" walks nested objects. NULL when absent. */
json_value *json_get_path(const json_value *v, const char *path);
/* Deep copy into another arena. */
json_value *json_clone(arena *a, const json_value *v);

/* Accessors with defaults. */
const char *json_str(const json_value *v, size_t *len);   /* NULL unless string */
double json_num(const json_value *v, double dflt);
/* Deep equality; objects compare member by member in order. */
int json_equal(const json_value *a, const json_value *b);

/* Serialisation: compact, keys in insertion order, non-ASCII kept as UTF-8. */
void json_write(sbuf *out, const json_value *v);
/* Writes a quoted, escaped JSON string. Invalid UTF-8 becomes U+FFFD. */
void json_write_string(sbuf *out, const char *s, size_t n);
void json_write_number(sbuf *out, double v);

/* Appends the UTF-8 encoding of code point cp (U+FFFD if invalid). */
void utf8_put(sbuf *out, uint32_t cp);
/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
size_t utf8_valid_len(const unsigned char *s, size_t n);
/* The code point at s[0..n) (n >= 1) and its length in *len; an invalid
 * sequence reads as U+FFFD of length 1. */
uint32_t utf8_decode(const unsigned char *s, size_t n, size_t *len);
/* 1 when s[0..n) is valid UTF-8. */
int utf8_is_valid(const char *s, size_t n);
/* Copies s to out replacing invalid UTF-8 with U+FFFD. */
void utf8_sanitize(sbuf *out, const char *s, size_t n);

#endif

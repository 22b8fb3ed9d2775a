/*
 * doc.c: document record and its JSON Lines form. See doc.h.
 */
#include "core/doc.h"

#include <stdlib.h>
#include <string.h>

doc *doc_new(void)
{
    doc *d = xcalloc(1, sizeof *d);
    arena_init(&d->arena, 4096);
    d->id = "";
    d->text = "";
    d->source = "";
    d->metadata = json_new_object(&d->arena);
    d->extra = json_new_object(&d->arena);
    return d;
}

void doc_free(doc *d)
{
    if (!d) return;
    arena_free(&d->arena);
    free(d);
}

void doc_set_id(doc *d, const char *id, size_t n)
{
    d->id = arena_strndup(&d->arena, id, n);
    d->id_len = n;
}

void doc_set_text(doc *d, const char *text, size_t n)
{
    d->text = arena_strndup(&d->arena, text, n);
    d->text_len = n;
}

void doc_set_source(doc *d, const char *source) { d->source = arena_strdup(&d->arena, source); }

void doc_meta_set(doc *d, const char *key, json_value *v) { json_object_set(&d->arena, d->metadata, key, v); }

void doc_meta_set_str(doc *d, const char *key, const char *val)
{
    doc_meta_set(d, key, json_new_cstr(&d->arena, val));
}

void doc_meta_set_strn(doc *d, const char *key, const char *val, size_t n)
{
    doc_meta_set(d, key, json_new_string(&d->arena, val, n));
}

void doc_meta_set_num(doc *d, const char *key, double v) { doc_meta_set(d, key, json_new_number(&d->arena, v)); }
void doc_meta_set_int(doc *d, const char *key, int64_t v) { doc_meta_set(d, key, json_new_int(&d->arena, v)); }
void doc_meta_set_bool(doc *d, const char *key, int v) { doc_meta_set(d, key, json_new_bool(&d->arena, v)); }
json_value *doc_meta_get(const doc *d, const char *key) { return json_get_path(d->metadata, key); }

void doc_drop(doc *d, const char *reason)
{
    if (!d->drop_reason) d->drop_reason = reason;
}

static int key_is(const json_member *m, const char *k)
{
    size_t n = strlen(k);
    return m->key_len == n && memcmp(m->key, k, n) == 0;
}

doc *doc_from_json(const char *line, size_t n, cd_err *e)
{
    doc *d = doc_new();
    json_value *v = json_parse(&d->arena, line, n, JSON_DEFAULT_MAX_DEPTH, e);
    if (!v) goto fail;
    if (v->type != JSON_OBJECT) {
        cd_fail(e, CD_EINPUT, "record is not a JSON object");
        goto fail;
    }
    int have_text = 0;
    for (size_t i = 0; i < v->u.object.len; i++) {
        json_member *m = &v->u.object.items[i];
        json_value *val = m->value;
        if (key_is(m, "text")) {
            if (val->type != JSON_STRING) {
                cd_fail(e, CD_EINPUT, "field 'text' is not a string");
                goto fail;
            }
            d->text = val->u.string.ptr;
            d->text_len = val->u.string.len;
            have_text = 1;
        } else if (key_is(m, "id")) {
            if (val->type == JSON_STRING) {
                d->id = val->u.string.ptr;
                d->id_len = val->u.string.len;
            } else if (val->type == JSON_NUMBER) {
                sbuf t = SBUF_INIT;
                json_write(&t, val);
                doc_set_id(d, t.data, t.len);
                sbuf_free(&t);
            } else {
                cd_fail(e, CD_EINPUT, "field 'id' is not a string");
                goto fail;
            }
        } else if (key_is(m, "source") && val->type == JSON_STRING) {
            d->source = val->u.string.ptr;
        } else if (key_is(m, "metadata")) {
            if (val->type == JSON_OBJECT) d->metadata = val;
            else if (val->type != JSON_NULL) {
                cd_fail(e, CD_EINPUT, "field 'metadata' is not an object");
                goto fail;
            }
        } else {
            char *k = arena_strndup(&d->arena, m->key, m->key_len);
            json_object_set(&d->arena, d->extra, k, val);
        }
    }
    if (!have_text) {
        cd_fail(e, CD_EINPUT, "record has no 'text' field");
        goto fail;
    }
    return d;
fail:
    doc_free(d);
    return NULL;
}

void doc_to_json(const doc *d, sbuf *out, int with_drop_reason)
{
    sbuf_reserve(out, d->text_len + d->id_len + 64);
    sbuf_append(out, "{\"id\":", 6);
    json_write_string(out, d->id, d->id_len);
    sbuf_append(out, ",\"text\":", 8);
    json_write_string(out, d->text, d->text_len);
    if (d->source && *d->source) {
        sbuf_append(out, ",\"source\":", 10);
        json_write_string(out, d->source, strlen(d->source));
    }
    for (size_t i = 0; i < d->extra->u.object.len; i++) {
        const json_member *m = &d->extra->u.object.items[i];
        sbuf_putc(out, ',');
        json_write_string(out, m->key, m->key_len);
        sbuf_putc(out, ':');
        json_write(out, m->value);
    }
    sbuf_append(out, ",\"metadata\":", 12);
    if (with_drop_reason && d->drop_reason) {
        /* Write metadata with drop_reason appended, without mutating d. */
        sbuf_putc(out, '{');
        size_t k = 0;
        for (size_t i = 0; i < d->metadata->u.object.len; i++) {
            const json_member *m = &d->metadata->u.object.items[i];
            if (key_is(m, "drop_reason")) continue;
            if (k++) sbuf_putc(out, ',');
            json_write_string(out, m->key, m->key_len);
            sbuf_putc(out, ':');
            json_write(out, m->value);
        }
        if (k) sbuf_putc(out, ',');
        sbuf_append(out, "\"drop_reason\":", 14);
        json_write_string(out, d->drop_reason, strlen(d->drop_reason));
        sbuf_putc(out, '}');
    } else {
        json_write(out, d->metadata);
    }
    sbuf_append(out, "}\n", 2);
}

void doc_batch_push(doc_batch *b, doc *d)
{
    if (b->len == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->docs = xrealloc(b->docs, b->cap * sizeof *b->docs);
    }
    b->docs[b->len++] = d;
}

void doc_batch_clear(doc_batch *b)
{
    for (size_t i = 0; i < b->len; i++) doc_free(b->docs[i]);
    b->len = 0;
}

void doc_batch_free(doc_batch *b)
{
    doc_batch_clear(b);
    free(b->docs);
    b->docs = NULL;
    b->cap = 0;
}

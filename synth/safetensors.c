/*
 * safetensors.c: the safetensors reader (mmap + validated JSON header) and
 * writer. See safetensors.h for the invariants a parsed file keeps.
 */
#include "synth/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/json.h"

size_t st_dtype_size(st_dtype d)
{
    switch (d) {
    case ST_F32: return 4;
    case ST_F16:
    case ST_BF16: return 2;
    default: return 0;
    }
}

const char *st_dtype_str(st_dtype d)
{
    switch (d) {
    case ST_F32: return "F32";
    case ST_F16: return "F16";
    case ST_BF16: return "BF16";
    default: return "OTHER";
    }
}

/* Element sizes of dtypes we do not compute with but must still validate. */
static size_t other_dtype_size(const char *s, size_t n)
{
    static const struct { const char *name; size_t size; } tab[] = {
        {"F64", 8}, {"I64", 8}, {"U64", 8}, {"I32", 4}, {"U32", 4}, {"I16", 2},
        {"U16", 2}, {"I8", 1},  {"U8", 1},  {"BOOL", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strlen(tab[i].name) == n && !memcmp(tab[i].name, s, n)) return tab[i].size;
    return 0;
}

static int cmp_begin(const void *a, const void *b)
{
    const st_tensor *x = *(st_tensor *const *)a, *y = *(st_tensor *const *)b;
    const char *bx = x->data, *by = y->data;
    return bx < by ? -1 : bx > by ? 1 : 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp((*(st_tensor *const *)a)->name, (*(st_tensor *const *)b)->name);
}

static void free_tensors(st_file *f)
{
    for (size_t i = 0; i < f->n; i++) free(f->t[i].name);
    free(f->t);
    f->t = NULL;
    f->n = 0;
}

int st_parse(st_file *f, const void *buf, size_t size, const char *name, cd_err *e)
{
    const unsigned char *p = buf;
    if (!name) name = "(memory)";
    memset(f, 0, sizeof *f);
    if (size < 8) return cd_fail(e, CD_ETRUNC, "%s: truncated safetensors file (%zu bytes, need 8 for the header length)", name, size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | p[i];
    if (hlen > size - 8)
        return cd_fail(e, CD_ETRUNC, "%s: header length %llu at offset 0 is longer than the file (%zu bytes)", name,
                       (unsigned long long)hlen, size);
    if (hlen > ST_MAX_HEADER)
        return cd_fail(e, CD_EINPUT, "%s: header of %llu bytes exceeds the %u-byte limit", name, (unsigned long long)hlen,
                       ST_MAX_HEADER);
    const char *data = (const char *)p + 8 + hlen;
    size_t dsize = size - 8 - (size_t)hlen;
    arena a;
    arena_init(&a, 0);
    cd_err je;
    /* Depth 4 is all the format needs ({name: {shape: [..]}}); deeper is hostile. */
    json_value *h = json_parse(&a, (const char *)p + 8, (size_t)hlen, 4, &je);
    if (!h) {
        cd_fail(e, CD_EINPUT, "%s: bad JSON header: %s (header starts at offset 8)", name, je.msg);
        arena_free(&a);
        return -1;
    }
    if (h->type != JSON_OBJECT) {
        cd_fail(e, CD_EINPUT, "%s: header at offset 8 is not a JSON object", name);
        arena_free(&a);
        return -1;
    }
    f->t = xcalloc(h->u.object.len ? h->u.object.len : 1, sizeof *f->t);
    for (size_t i = 0; i < h->u.object.len; i++) {
        json_member *m = &h->u.object.items[i];
        if (m->key_len == 12 && !memcmp(m->key, "__metadata__", 12)) continue;
        st_tensor *t = &f->t[f->n];
        char *tn = xstrndup(m->key, m->key_len);
        json_value *v = m->value;
        json_value *dt = v->type == JSON_OBJECT ? json_object_get(v, "dtype") : NULL;
        json_value *sh = v->type == JSON_OBJECT ? json_object_get(v, "shape") : NULL;
        json_value *off = v->type == JSON_OBJECT ? json_object_get(v, "data_offsets") : NULL;
        if (!dt || dt->type != JSON_STRING || !sh || sh->type != JSON_ARRAY || !off || off->type != JSON_ARRAY ||
            off->u.array.len != 2) {
            cd_fail(e, CD_EINPUT, "%s: tensor '%s': entry needs dtype, shape and data_offsets[2]", name, tn);
            goto fail_name;
        }
        size_t dl = dt->u.string.len;
        const char *ds = dt->u.string.ptr;
        size_t esize;
        if (dl == 3 && !memcmp(ds, "F32", 3)) t->dtype = ST_F32;
        else if (dl == 3 && !memcmp(ds, "F16", 3)) t->dtype = ST_F16;
        else if (dl == 4 && !memcmp(ds, "BF16", 4)) t->dtype = ST_BF16;
        else t->dtype = ST_OTHER;
        esize = t->dtype == ST_OTHER ? other_dtype_size(ds, dl) : st_dtype_size(t->dtype);
        if (!esize) {
            cd_fail(e, CD_EINPUT, "%s: tensor '%s': unknown dtype '%.*s'", name, tn, (int)(dl > 16 ? 16 : dl), ds);
            goto fail_name;
        }
        snprintf(t->dtype_name, sizeof t->dtype_name, "%.*s", (int)(dl < 11 ? dl : 11), ds);
        if (sh->u.array.len > ST_MAX_DIMS) {
            cd_fail(e, CD_EINPUT, "%s: tensor '%s': %zu dimensions (at most %d)", name, tn, sh->u.array.len, ST_MAX_DIMS);
            goto fail_name;
        }
        t->ndim = (int)sh->u.array.len;
        unsigned __int128 numel = 1;
        for (int d = 0; d < t->ndim; d++) {
            json_value *x = sh->u.array.items[d];
            double dv = x->type == JSON_NUMBER ? x->u.number.value : -1;
            if (dv < 0 || dv > 9.0e15 || dv != (double)(int64_t)dv) {
                cd_fail(e, CD_EINPUT, "%s: tensor '%s': bad shape dimension %d", name, tn, d);
                goto fail_name;
            }
            t->shape[d] = (int64_t)dv;
            numel *= (uint64_t)t->shape[d];
            if (numel > ((unsigned __int128)1 << 62)) {
                cd_fail(e, CD_EINPUT, "%s: tensor '%s': shape overflows", name, tn);
                goto fail_name;
            }
        }
        double b0 = json_num(off->u.array.items[0], -1), b1 = json_num(off->u.array.items[1], -1);
        if (off->u.array.items[0]->type != JSON_NUMBER || off->u.array.items[1]->type != JSON_NUMBER || b0 < 0 ||
            b1 < b0 || b0 != (double)(uint64_t)b0 || b1 != (double)(uint64_t)b1) {
            cd_fail(e, CD_EINPUT, "%s: tensor '%s': bad data_offsets", name, tn);
            goto fail_name;
        }
        if (b1 > (double)dsize) {
            cd_fail(e, CD_ETRUNC, "%s: tensor '%s': data [%.0f, %.0f) ends past the end of the file (data section is %zu bytes from offset %llu)",
                    name, tn, b0, b1, dsize, (unsigned long long)(8 + hlen));
            goto fail_name;
        }
        size_t begin = (size_t)b0, end = (size_t)b1;
        if ((unsigned __int128)(end - begin) != numel * esize) {
            cd_fail(e, CD_EINPUT, "%s: tensor '%s': %zu data bytes but shape and dtype need %llu", name, tn, end - begin,
                    (unsigned long long)(numel * esize));
            goto fail_name;
        }
        t->name = tn;
        t->data = data + begin;
        t->nbytes = end - begin;
        f->n++;
        continue;
    fail_name:
        free(tn);
        arena_free(&a);
        free_tensors(f);
        return -1;
    }
    arena_free(&a);
    /* Overlap check: sort by start, each must begin at or after the previous end. */
    if (f->n > 1) {
        st_tensor **ord = xmalloc(f->n * sizeof *ord);
        for (size_t i = 0; i < f->n; i++) ord[i] = &f->t[i];
        qsort(ord, f->n, sizeof *ord, cmp_begin);
        for (size_t i = 1; i < f->n; i++) {
            const char *prev_end = (const char *)ord[i - 1]->data + ord[i - 1]->nbytes;
            if ((const char *)ord[i]->data < prev_end && ord[i]->nbytes && ord[i - 1]->nbytes) {
                cd_fail(e, CD_EINPUT, "%s: tensors '%s' and '%s' overlap at data offset %zu", name, ord[i - 1]->name,
                        ord[i]->name, (size_t)((const char *)ord[i]->data - data));
                free(ord);
                free_tensors(f);
                return -1;
            }
        }
        for (size_t i = 0; i < f->n; i++) ord[i] = &f->t[i];
        qsort(ord, f->n, sizeof *ord, cmp_name);
        for (size_t i = 1; i < f->n; i++) {
            if (!strcmp(ord[i]->name, ord[i - 1]->name)) {
                cd_fail(e, CD_EINPUT, "%s: tensor '%s' appears twice in the header", name, ord[i]->name);
                free(ord);
                free_tensors(f);
                return -1;
            }
        }
        free(ord);
    }
    return 0;
}

int st_open(st_file *f, const char *path, cd_err *e)
{
    memset(f, 0, sizeof *f);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cd_fail(e, CD_EIO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return cd_fail(e, CD_EIO, "%s: %s", path, strerror(errno));
    }
    size_t size = (size_t)sb.st_size;
    void *map = NULL;
    if (size > 0) {
        map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            close(fd);
            return cd_fail(e, CD_EIO, "%s: mmap: %s", path, strerror(errno));
        }
    }
    close(fd);
    static const char empty[1];
    if (st_parse(f, map ? map : empty, size, path, e)) {
        if (map) munmap(map, size);
        return -1;
    }
    f->map = map;
    f->map_size = size;
    f->path = xstrdup(path);
    return 0;
}

void st_close(st_file *f)
{
    free_tensors(f);
    if (f->map) munmap(f->map, f->map_size);
    free(f->path);
    memset(f, 0, sizeof *f);
}

const st_tensor *st_find(const st_file *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->t[i].name, name)) return &f->t[i];
    return NULL;
}

/* ------------------------------------------------------------------ writer */

void st_writer_add(st_writer *w, const char *name, st_dtype dt, int ndim, const int64_t *shape, const void *data)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 64;
        w->t = xrealloc(w->t, w->cap * sizeof *w->t);
    }
    st_tensor *t = &w->t[w->n++];
    memset(t, 0, sizeof *t);
    t->name = xstrdup(name);
    t->dtype = dt;
    t->ndim = ndim;
    size_t numel = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        numel *= (size_t)shape[i];
    }
    t->data = data;
    t->nbytes = numel * st_dtype_size(dt);
}

int st_writer_write(st_writer *w, const char *path, cd_err *e)
{
    sbuf hdr = SBUF_INIT;
    sbuf_puts(&hdr, "{\"__metadata__\":{\"format\":\"pt\"}");
    size_t off = 0;
    for (size_t i = 0; i < w->n; i++) {
        st_tensor *t = &w->t[i];
        sbuf_putc(&hdr, ',');
        json_write_string(&hdr, t->name, strlen(t->name));
        sbuf_printf(&hdr, ":{\"dtype\":\"%s\",\"shape\":[", t->dtype == ST_OTHER ? t->dtype_name : st_dtype_str(t->dtype));
        for (int d = 0; d < t->ndim; d++) sbuf_printf(&hdr, "%s%lld", d ? "," : "", (long long)t->shape[d]);
        sbuf_printf(&hdr, "],\"data_offsets\":[%zu,%zu]}", off, off + t->nbytes);
        off += t->nbytes;
    }
    sbuf_putc(&hdr, '}');
    while ((8 + hdr.len) % 8) sbuf_putc(&hdr, ' ');
    sbuf out = SBUF_INIT;
    sbuf_reserve(&out, 8 + hdr.len + off);
    unsigned char lenb[8];
    for (int i = 0; i < 8; i++) lenb[i] = (unsigned char)((uint64_t)hdr.len >> (8 * i));
    sbuf_append(&out, lenb, 8);
    sbuf_append(&out, hdr.data, hdr.len);
    for (size_t i = 0; i < w->n; i++) sbuf_append(&out, w->t[i].data, w->t[i].nbytes);
    int rc = cd_write_file_atomic(path, out.data, out.len, e);
    sbuf_free(&hdr);
    sbuf_free(&out);
    return rc;
}

void st_writer_free(st_writer *w)
{
    for (size_t i = 0; i < w->n; i++) free(w->t[i].name);
    free(w->t);
    memset(w, 0, sizeof *w);
}

/* ------------------------------------------------------------- conversions */

float st_bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

uint16_t st_f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);  /* NaN stays NaN */
    u += 0x7fffu + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

float st_f16_to_f32(uint16_t h)
{
    uint32_t s = (uint32_t)(h & 0x8000) << 16, ex = (h >> 10) & 0x1f, m = h & 0x3ff, u;
    if (ex == 0) {
        if (!m) u = s;
        else {
            ex = 127 - 15 + 1;
            while (!(m & 0x400)) { m <<= 1; ex--; }
            u = s | ex << 23 | (m & 0x3ff) << 13;
        }
    } else if (ex == 31) u = s | 0x7f800000u | m << 13;
    else u = s | (ex + 127 - 15) << 23 | m << 13;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

void st_to_f32(st_dtype dt, const void *src, size_t n, float *dst)
{
    const unsigned char *s = src;
    switch (dt) {
    case ST_F32: memcpy(dst, src, n * 4); break;
    case ST_BF16:
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, s + 2 * i, 2);
            dst[i] = st_bf16_to_f32(h);
        }
        break;
    case ST_F16:
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, s + 2 * i, 2);
            dst[i] = st_f16_to_f32(h);
        }
        break;
    default: memset(dst, 0, n * 4); break;
    }
}

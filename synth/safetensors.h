/*
 * safetensors.h: reading and writing the safetensors format (Hugging Face):
 * an 8-byte little-endian header length, a JSON header mapping tensor names
 * to {dtype, shape, data_offsets}, then the raw tensor bytes.
 *
 * Reading maps the file read-only. Invariants after a successful open/parse:
 * every tensor's [begin, end) lies inside the data section, its length equals
 * numel * element size (no overflow), and no two tensors overlap. Hostile
 * files (truncated, header longer than the file, overlapping ranges, huge or
 * deeply nested JSON headers) are rejected with an error naming the file, the
 * tensor and the byte offset; nothing aborts.
 *
 * Thread-safety: an opened st_file is immutable and may be read from any
 * thread; opening and closing are not synchronised.
 */
#ifndef CORPUSD_SYNTH_SAFETENSORS_H
#define CORPUSD_SYNTH_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

typedef enum { ST_F32 = 0, ST_F16, ST_BF16, ST_OTHER } st_dtype;

#define ST_MAX_DIMS 8
/* Headers above this are refused (the reference implementation's limit). */
#define ST_MAX_HEADER (100u << 20)

typedef struct st_tensor {
    char *name;
    st_dtype dtype;
    char dtype_name[12];
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const void *data;  /* points into the mapping (or the parsed buffer) */
    size_t nbytes;
} st_tensor;

typedef struct st_file {
    char *path;
    void *map;         /* mmap of the whole file, NULL when parsed from memory */
    size_t map_size;
    st_tensor *t;
    size_t n;
} st_file;

size_t st_dtype_size(st_dtype d);
const char *st_dtype_str(st_dtype d);

/* Parses a safetensors image held in memory (buf must outlive f). */
int st_parse(st_file *f, const void *buf, size_t size, const char *name, cd_err *e);
/* Maps and parses path. */
int st_open(st_file *f, const char *path, cd_err *e);
void st_close(st_file *f);
const st_tensor *st_find(const st_file *f, const char *name);

/* Writer: collects tensors (copying nothing; the data must stay alive until
 * st_writer_write) and writes them atomically with 8-byte aligned offsets. */
typedef struct st_writer {
    st_tensor *t;
    size_t n, cap;
} st_writer;

void st_writer_add(st_writer *w, const char *name, st_dtype dt, int ndim, const int64_t *shape, const void *data);
int st_writer_write(st_writer *w, const char *path, cd_err *e);
void st_writer_free(st_writer *w);

/* Conversions used by the loaders and the writer. */
float st_bf16_to_f32(uint16_t h);
uint16_t st_f32_to_bf16(float f);   /* round to nearest even */
float st_f16_to_f32(uint16_t h);
/* Converts n elements of src (dtype dt) into dst as float32. */
void st_to_f32(st_dtype dt, const void *src, size_t n, float *dst);

#endif

/*
 * arena.h: a bump allocator. Everything a document owns (id, text, metadata
 * tree) lives in its arena and is freed at once with arena_free(). An arena
 * is owned by one thread at a time; it is not thread-safe.
 */
#ifndef CORPUSD_CORE_ARENA_H
#define CORPUSD_CORE_ARENA_H

#include <stddef.h>

typedef struct arena_block arena_block;
typedef struct arena {
    arena_block *head;
    size_t block_size;
    size_t total;     /* bytes handed out, for accounting */
} arena;

void arena_init(arena *a, size_t block_size);
void *arena_alloc(arena *a, size_t n);            /* 16-byte aligned */
void *arena_zalloc(arena *a, size_t n);
char *arena_strndup(arena *a, const char *s, size_t n);  /* NUL-terminated copy */
char *arena_strdup(arena *a, const char *s);
/* Frees every block but keeps the first for reuse. */
void arena_reset(arena *a);
void arena_free(arena *a);

#endif

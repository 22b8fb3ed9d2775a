/*
 * xmlarena.c: the arena libxml2 allocates from during one page (see
 * xmlarena.h for the contract and its invariants).
 *
 * Layout: one region reserved with mmap (MAP_NORESERVE: only touched pages
 * cost memory). Every block has a 16-byte header holding its usable size
 * and its size class; blocks are carved from the region with a bump
 * pointer. Sizes up to 512 bytes have 16-byte classes, larger ones
 * power-of-two classes; a freed block goes on its class's free list and is
 * reused by the next allocation of that class. xa_end() forgets every block
 * at once (bump pointer and lists reset); pages above XA_KEEP are returned
 * to the kernel so an unusual page does not pin memory.
 */
#include "extract/xmlarena.h"

#include <libxml/xmlmemory.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define XA_RESERVE ((size_t)2 << 30)  /* address space per arena */
#define XA_KEEP ((size_t)64 << 20)    /* resident bytes kept between pages */
#define XA_HDR 16
#define XA_NCLASS 64

struct xa_arena {
    char *base;
    size_t size, used;
    size_t fallbacks;
    void *freel[XA_NCLASS];
};

static __thread xa_arena *t_cur;   /* the open window's arena */
static __thread xa_arena *t_last;  /* the last arena closed on this thread */

static inline int owns(const xa_arena *a, const void *p)
{
    return a && (const char *)p >= a->base && (const char *)p < a->base + a->size;
}

/* Usable size of the class holding n bytes, and its index; 0 when too big. */
static inline size_t size_class(size_t n, unsigned *k)
{
    if (n <= 512) {
        size_t c = (n + 15) >> 4;
        if (!c) c = 1;
        *k = (unsigned)c;
        return c << 4;
    }
    unsigned b = 64u - (unsigned)__builtin_clzll((unsigned long long)(n - 1));
    if (b > 40) return 0;
    *k = 33u + (b - 10u);
    return (size_t)1 << b;
}

static void *arena_alloc_block(xa_arena *a, size_t n)
{
    unsigned k;
    size_t cap = size_class(n, &k);
    if (!cap) return NULL;
    void *f = a->freel[k];
    if (f) {
        a->freel[k] = *(void **)f;
        return f;
    }
    if (cap + XA_HDR > a->size - a->used) return NULL;
    char *h = a->base + a->used;
    a->used += cap + XA_HDR;
    ((size_t *)h)[0] = cap;
    ((size_t *)h)[1] = k;
    return h + XA_HDR;
}

static inline size_t block_cap(const void *p) { return ((const size_t *)((const char *)p - XA_HDR))[0]; }

static void arena_release(xa_arena *a, void *p)
{
    size_t k = ((size_t *)((char *)p - XA_HDR))[1];
    *(void **)p = a->freel[k];
    a->freel[k] = p;
}

static void *h_malloc(size_t n)
{
    xa_arena *a = t_cur;
    if (!a) return malloc(n);
    void *p = arena_alloc_block(a, n);
    if (p) return p;
    a->fallbacks++;
    return malloc(n);
}

static void h_free(void *p)
{
    if (!p) return;
    if (owns(t_cur, p)) {
        arena_release(t_cur, p);
        return;
    }
    if (owns(t_last, p)) return;   /* dropped with its window */
    free(p);
}

static void *h_realloc(void *p, size_t n)
{
    if (!p) return h_malloc(n);
    if (owns(t_cur, p)) {
        size_t cap = block_cap(p);
        if (n <= cap) return p;
        void *q = h_malloc(n);
        if (!q) return NULL;
        memcpy(q, p, cap);
        arena_release(t_cur, p);
        return q;
    }
    if (owns(t_last, p)) {
        /* not expected (nothing outlives a window); keep the bytes anyway */
        size_t cap = block_cap(p);
        void *q = malloc(n);
        if (q) memcpy(q, p, cap < n ? cap : n);
        return q;
    }
    return realloc(p, n);
}

static char *h_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = h_malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

void xa_install(void) { xmlMemSetup(h_free, h_malloc, h_realloc, h_strdup); }

xa_arena *xa_new(void)
{
    void *m = mmap(NULL, XA_RESERVE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return NULL;
    xa_arena *a = calloc(1, sizeof *a);
    if (!a) {
        munmap(m, XA_RESERVE);
        return NULL;
    }
    a->base = m;
    a->size = XA_RESERVE;
#ifdef MADV_HUGEPAGE
    /* 2 MiB pages: first-touch faults were most of the parse time of a
     * large page on a virtual machine; a hint, failure is harmless */
    madvise(m, XA_RESERVE, MADV_HUGEPAGE);
#endif
    return a;
}

void xa_free(xa_arena *a)
{
    if (!a) return;
    if (t_cur == a) t_cur = NULL;
    if (t_last == a) t_last = NULL;
    munmap(a->base, a->size);
    free(a);
}

void xa_begin(xa_arena *a)
{
    a->used = 0;
    a->fallbacks = 0;
    memset(a->freel, 0, sizeof a->freel);
    t_cur = a;
}

size_t xa_fallbacks(const xa_arena *a) { return a->fallbacks; }

size_t xa_end(xa_arena *a)
{
    if (t_cur == a) t_cur = NULL;
    t_last = a;
    if (a->used > XA_KEEP) madvise(a->base + XA_KEEP, a->used - XA_KEEP, MADV_DONTNEED);
    size_t fb = a->fallbacks;
    a->used = 0;
    a->fallbacks = 0;
    memset(a->freel, 0, sizeof a->freel);
    return fb;
}

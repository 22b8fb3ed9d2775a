/*
 * xmlarena.h: a per-context arena that libxml2 allocates from while one
 * page is extracted (private to extract/).
 *
 * libxml2 builds its tree with one malloc per node, attribute and string,
 * and xmlFreeDoc() walks it again to free them: on real pages that was a
 * third of extract's time (malloc, free, consolidation, first-touch page
 * faults). extract_global_init() routes libxml2's allocator (xmlMemSetup)
 * through this module. While an arena is active on a thread (xa_begin ..
 * xa_end), that thread's libxml2 allocations come from the arena: a bump
 * pointer over one reserved region, with size-class free lists so that
 * memory libxml2 frees during the parse is reused (memory stays bounded by
 * what is live, as with malloc). At xa_end the whole page's memory is
 * dropped at once, without walking the tree, and the pages stay mapped for
 * the next document (no first-touch faults).
 *
 * Invariants:
 *  - outside a window, and on threads without an arena, the hooks are plain
 *    malloc/realloc/free/strdup;
 *  - a pointer inside this thread's current or last arena is never passed
 *    to free(); anything else is;
 *  - when the region is full, allocations fall back to malloc and
 *    xa_end() reports it, so that the caller frees the tree the normal way
 *    (xmlFreeDoc) before the arena is reset;
 *  - nothing allocated in a window may outlive it: the caller resets
 *    libxml2's per-thread last error (xmlResetLastError) before xa_end();
 *  - resident memory kept between documents is capped (XA_KEEP).
 */
#ifndef CORPUSD_EXTRACT_XMLARENA_H
#define CORPUSD_EXTRACT_XMLARENA_H

#include <stddef.h>

typedef struct xa_arena xa_arena;

/* Installs the libxml2 allocator hooks; call once, before xmlInitParser. */
void xa_install(void);
/* A new arena, or NULL when the address space cannot be reserved (then
 * libxml2 simply uses malloc). */
xa_arena *xa_new(void);
void xa_free(xa_arena *a);
/* Starts a window: this thread's libxml2 allocations come from a. */
void xa_begin(xa_arena *a);
/* Ends the window and drops everything allocated in it. Returns the
 * number of allocations that fell back to malloc during the window (the
 * caller must have freed its tree with xmlFreeDoc when this is non-zero:
 * see xa_fallbacks()). */
size_t xa_end(xa_arena *a);
/* Allocations of the current window that fell back to malloc. */
size_t xa_fallbacks(const xa_arena *a);

#endif

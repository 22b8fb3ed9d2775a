/*
 * lazylib.c: the tables behind core/lazy_*.h. libcurl, libgit2, libarchive
 * and libmicrohttpd (with their ~40 dependencies) cost about 20 ms of
 * start-up when linked, for every subcommand; loaded with dlopen on first
 * use, only the commands that fetch, read repositories or serve HTTP pay.
 * The sonames come from the build (the -dev package's libX.so link), with
 * Debian 12's as the fallback.
 */
#define CD_LAZY_IMPL
#include "core/util.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

/* Fills api, a struct of n function pointers declared in the order of
 * names (LAZY_LIB checks that it has no padding), from soname; exits with a
 * message naming the Debian package when the library or a symbol is missing. */
static void load_lib(const char *soname, const char *pkg, void *api, const char *const *names, size_t n)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) cd_die("cannot load %s: %s (apt-get install %s)", soname, dlerror(), pkg);
    for (size_t i = 0; i < n; i++) {
        void *p = dlsym(h, names[i]);
        if (!p) cd_die("%s has no %s (too old?)", soname, names[i]);
        memcpy((char *)api + i * sizeof p, &p, sizeof p);
    }
}

_Static_assert(sizeof(void (*)(void)) == sizeof(void *), "function pointers are data-pointer sized");

#define CD_NAME(f) #f,
/* The table of library k (cd_k_api, CD_K_FUNCS) and its accessor cd_k(). */
#define LAZY_LIB(k, K, soname, pkg)                                                                      \
    static cd_##k##_api g_##k;                                                                          \
    static pthread_once_t g_##k##_once = PTHREAD_ONCE_INIT;                                             \
    static const char *const g_##k##_names[] = {CD_##K##_FUNCS(CD_NAME)};                               \
    _Static_assert(sizeof g_##k == sizeof g_##k##_names / sizeof *g_##k##_names * sizeof(void *),       \
                   "cd_" #k "_api is an unpadded array of pointers");                                   \
    static void load_##k(void)                                                                          \
    {                                                                                                   \
        load_lib(soname, pkg, &g_##k, g_##k##_names, sizeof g_##k##_names / sizeof *g_##k##_names);     \
    }                                                                                                   \
    const cd_##k##_api *cd_##k(void)                                                                    \
    {                                                                                                   \
        pthread_once(&g_##k##_once, load_##k);                                                          \
        return &g_##k;                                                                                  \
    }

#include "core/lazy_curl.h"
#ifndef CD_CURL_SONAME
#define CD_CURL_SONAME "libcurl.so.4"
#endif
LAZY_LIB(curl, CURL, CD_CURL_SONAME, "libcurl4")

#include "core/lazy_archive.h"
#ifndef CD_ARCHIVE_SONAME
#define CD_ARCHIVE_SONAME "libarchive.so.13"
#endif
LAZY_LIB(archive, ARCHIVE, CD_ARCHIVE_SONAME, "libarchive13")

#ifdef HAVE_LIBGIT2
#include "core/lazy_git2.h"
#ifndef CD_GIT2_SONAME
#define CD_GIT2_SONAME "libgit2.so.1.5"
#endif
LAZY_LIB(git2, GIT2, CD_GIT2_SONAME, "libgit2-1.5")
#endif

#ifdef HAVE_MICROHTTPD
#include "core/lazy_mhd.h"
#ifndef CD_MHD_SONAME
#define CD_MHD_SONAME "libmicrohttpd.so.12"
#endif
LAZY_LIB(mhd, MHD, CD_MHD_SONAME, "libmicrohttpd12")
#endif

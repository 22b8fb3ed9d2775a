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

#include "core/lazy_curl.h"
#ifndef CD_CURL_SONAME
#define CD_CURL_SONAME "libcurl.so.4"
#endif
static cd_curl_api g_curl;
static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;

static void load_curl(void)
{
    void *h = dlopen(CD_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) cd_die("cannot load %s: %s (apt-get install libcurl4)", CD_CURL_SONAME, dlerror());
#define CD_X(f) \
    if (!(*(void **)&g_curl.f = dlsym(h, #f))) cd_die("%s has no %s (too old?)", CD_CURL_SONAME, #f);
    CD_CURL_FUNCS(CD_X)
#undef CD_X
}

const cd_curl_api *cd_curl(void)
{
    pthread_once(&g_curl_once, load_curl);
    return &g_curl;
}

#ifdef HAVE_LIBGIT2
#include "core/lazy_git2.h"
#ifndef CD_GIT2_SONAME
#define CD_GIT2_SONAME "libgit2.so.1.5"
#endif
static cd_git2_api g_git2;
static pthread_once_t g_git2_once = PTHREAD_ONCE_INIT;

static void load_git2(void)
{
    void *h = dlopen(CD_GIT2_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) cd_die("cannot load %s: %s (apt-get install libgit2-1.5)", CD_GIT2_SONAME, dlerror());
#define CD_X(f) \
    if (!(*(void **)&g_git2.f = dlsym(h, #f))) cd_die("%s has no %s (too old?)", CD_GIT2_SONAME, #f);
    CD_GIT2_FUNCS(CD_X)
#undef CD_X
}

const cd_git2_api *cd_git2(void)
{
    pthread_once(&g_git2_once, load_git2);
    return &g_git2;
}
#endif

#include "core/lazy_archive.h"
#ifndef CD_ARCHIVE_SONAME
#define CD_ARCHIVE_SONAME "libarchive.so.13"
#endif
static cd_archive_api g_archive;
static pthread_once_t g_archive_once = PTHREAD_ONCE_INIT;

static void load_archive(void)
{
    void *h = dlopen(CD_ARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) cd_die("cannot load %s: %s (apt-get install libarchive13)", CD_ARCHIVE_SONAME, dlerror());
#define CD_X(f) \
    if (!(*(void **)&g_archive.f = dlsym(h, #f))) cd_die("%s has no %s (too old?)", CD_ARCHIVE_SONAME, #f);
    CD_ARCHIVE_FUNCS(CD_X)
#undef CD_X
}

const cd_archive_api *cd_archive(void)
{
    pthread_once(&g_archive_once, load_archive);
    return &g_archive;
}

#ifdef HAVE_MICROHTTPD
#include "core/lazy_mhd.h"
#ifndef CD_MHD_SONAME
#define CD_MHD_SONAME "libmicrohttpd.so.12"
#endif
static cd_mhd_api g_mhd;
static pthread_once_t g_mhd_once = PTHREAD_ONCE_INIT;

static void load_mhd(void)
{
    void *h = dlopen(CD_MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) cd_die("cannot load %s: %s (apt-get install libmicrohttpd12)", CD_MHD_SONAME, dlerror());
#define CD_X(f) \
    if (!(*(void **)&g_mhd.f = dlsym(h, #f))) cd_die("%s has no %s (too old?)", CD_MHD_SONAME, #f);
    CD_MHD_FUNCS(CD_X)
#undef CD_X
}

const cd_mhd_api *cd_mhd(void)
{
    pthread_once(&g_mhd_once, load_mhd);
    return &g_mhd;
}
#endif

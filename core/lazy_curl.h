/*
 * lazy_curl.h: libcurl, loaded with dlopen on first use (see core/lazylib.c).
 * Include this instead of the library's own header: each function used
 * below is a macro for a pointer in a table that cd_curl() fills on its first
 * call (thread-safe), so subcommands that never use libcurl do not pay for
 * loading it and its dependencies at start-up. A function not listed here
 * is a link error (the library is not linked), never a silent direct call.
 */
#ifndef CORPUSD_CORE_LAZY_CURL_H
#define CORPUSD_CORE_LAZY_CURL_H

/* curl's gcc type checks of curl_easy_setopt/getinfo arguments are macros
 * that call the functions directly, so they are off here. Nothing is lost
 * with Debian 12's gcc 12: they never fire there (a CURLOPT_URL given a
 * double compiles without a warning at -O2 with plain <curl/curl.h>, since
 * __builtin_constant_p of their local option variable is not folded). */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#define CD_CURL_FUNCS(X) \
    X(curl_easy_cleanup) \
    X(curl_easy_getinfo) \
    X(curl_easy_init) \
    X(curl_easy_pause) \
    X(curl_easy_perform) \
    X(curl_easy_reset) \
    X(curl_easy_setopt) \
    X(curl_easy_strerror) \
    X(curl_global_init) \
    X(curl_multi_add_handle) \
    X(curl_multi_cleanup) \
    X(curl_multi_info_read) \
    X(curl_multi_init) \
    X(curl_multi_perform) \
    X(curl_multi_poll) \
    X(curl_multi_remove_handle) \
    X(curl_slist_append) \
    X(curl_slist_free_all)

typedef struct cd_curl_api {
#define CD_X(f) __typeof__(f) *f;
    CD_CURL_FUNCS(CD_X)
#undef CD_X
} cd_curl_api;

/* The table; loads libcurl on the first call and exits with a message
 * naming the Debian package when it cannot. */
const cd_curl_api *cd_curl(void);

#ifndef CD_LAZY_IMPL
#undef curl_easy_cleanup
#define curl_easy_cleanup        (cd_curl()->curl_easy_cleanup)
#undef curl_easy_getinfo
#define curl_easy_getinfo        (cd_curl()->curl_easy_getinfo)
#undef curl_easy_init
#define curl_easy_init           (cd_curl()->curl_easy_init)
#undef curl_easy_pause
#define curl_easy_pause          (cd_curl()->curl_easy_pause)
#undef curl_easy_perform
#define curl_easy_perform        (cd_curl()->curl_easy_perform)
#undef curl_easy_reset
#define curl_easy_reset          (cd_curl()->curl_easy_reset)
#undef curl_easy_setopt
#define curl_easy_setopt         (cd_curl()->curl_easy_setopt)
#undef curl_easy_strerror
#define curl_easy_strerror       (cd_curl()->curl_easy_strerror)
#undef curl_global_init
#define curl_global_init         (cd_curl()->curl_global_init)
#undef curl_multi_add_handle
#define curl_multi_add_handle    (cd_curl()->curl_multi_add_handle)
#undef curl_multi_cleanup
#define curl_multi_cleanup       (cd_curl()->curl_multi_cleanup)
#undef curl_multi_info_read
#define curl_multi_info_read     (cd_curl()->curl_multi_info_read)
#undef curl_multi_init
#define curl_multi_init          (cd_curl()->curl_multi_init)
#undef curl_multi_perform
#define curl_multi_perform       (cd_curl()->curl_multi_perform)
#undef curl_multi_poll
#define curl_multi_poll          (cd_curl()->curl_multi_poll)
#undef curl_multi_remove_handle
#define curl_multi_remove_handle (cd_curl()->curl_multi_remove_handle)
#undef curl_slist_append
#define curl_slist_append        (cd_curl()->curl_slist_append)
#undef curl_slist_free_all
#define curl_slist_free_all      (cd_curl()->curl_slist_free_all)
#endif

#endif

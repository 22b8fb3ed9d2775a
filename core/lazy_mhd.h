/*
 * lazy_mhd.h: libmicrohttpd, loaded with dlopen on first use (see core/lazylib.c).
 * Include this instead of the library's own header: each function used
 * below is a macro for a pointer in a table that cd_mhd() fills on its first
 * call (thread-safe), so subcommands that never use libmicrohttpd do not pay for
 * loading it and its dependencies at start-up. A function not listed here
 * is a link error (the library is not linked), never a silent direct call.
 */
#ifndef CORPUSD_CORE_LAZY_MHD_H
#define CORPUSD_CORE_LAZY_MHD_H

#include <microhttpd.h>

#define CD_MHD_FUNCS(X) \
    X(MHD_add_response_header) \
    X(MHD_create_response_from_buffer) \
    X(MHD_destroy_response) \
    X(MHD_queue_response) \
    X(MHD_start_daemon) \
    X(MHD_stop_daemon)

typedef struct cd_mhd_api {
#define CD_X(f) __typeof__(f) *f;
    CD_MHD_FUNCS(CD_X)
#undef CD_X
} cd_mhd_api;

/* The table; loads libmicrohttpd on the first call and exits with a message
 * naming the Debian package when it cannot. */
const cd_mhd_api *cd_mhd(void);

#ifndef CD_LAZY_IMPL
#undef MHD_add_response_header
#define MHD_add_response_header         (cd_mhd()->MHD_add_response_header)
#undef MHD_create_response_from_buffer
#define MHD_create_response_from_buffer (cd_mhd()->MHD_create_response_from_buffer)
#undef MHD_destroy_response
#define MHD_destroy_response            (cd_mhd()->MHD_destroy_response)
#undef MHD_queue_response
#define MHD_queue_response              (cd_mhd()->MHD_queue_response)
#undef MHD_start_daemon
#define MHD_start_daemon                (cd_mhd()->MHD_start_daemon)
#undef MHD_stop_daemon
#define MHD_stop_daemon                 (cd_mhd()->MHD_stop_daemon)
#endif

#endif

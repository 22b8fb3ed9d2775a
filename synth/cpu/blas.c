/*
 * blas.c: see blas.h. The CBLAS enum values are fixed by the CBLAS
 * standard (CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112).
 */
#include "synth/cpu/blas.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/util.h"

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static cd_blas_fns g_fns;
static const cd_blas_fns *g_ok;
static atomic_int g_threads;

static void load(void)
{
    if (getenv("CORPUSD_NO_BLAS")) return;
    static const char *const names[] = {"libopenblas.so.0", "libopenblas.so", NULL};
    void *h = NULL;
    for (int i = 0; names[i] && !h; i++) h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) return;
    *(void **)&g_fns.sgemm = dlsym(h, "cblas_sgemm");
    *(void **)&g_fns.sgemv = dlsym(h, "cblas_sgemv");
    *(void **)&g_fns.set_num_threads = dlsym(h, "openblas_set_num_threads");
    if (!g_fns.sgemm || !g_fns.sgemv) return;
    if (g_fns.set_num_threads) {
        int n = atomic_load(&g_threads);
        g_fns.set_num_threads(n > 0 ? n : cd_ncpus());
    }
    g_ok = &g_fns;
}

const cd_blas_fns *cd_blas(void)
{
    pthread_once(&g_once, load);
    return g_ok;
}

void cd_blas_set_threads(int n)
{
    atomic_store(&g_threads, n);
    if (g_ok && g_fns.set_num_threads) g_fns.set_num_threads(n > 0 ? n : cd_ncpus());
}

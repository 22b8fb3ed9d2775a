/*
 * mpi_launch.c: dedup_mpi_launch() (dedup/dedup.h). Finds out from the
 * environment whether this process is one of several MPI ranks, and if so
 * hands the command over to lib/corpusd-mpi.so (dedup/mpi/dedup_mpi.c),
 * loaded with dlopen so that the binary itself never links MPI. Used by
 * `corpusd dedup` and `corpusd run`.
 */
#include "cli/cli.h"
#include "core/log.h"
#include "core/stage.h"
#include "core/util.h"
#include "dedup/dedup.h"

#include <dlfcn.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int dedup_mpi_world_size(void)
{
    const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS", NULL};
    for (int i = 0; vars[i]; i++) {
        const char *v = getenv(vars[i]);
        if (v && atoi(v) > 1) return atoi(v);
    }
    return 1;
}

static void *load_mpi_plugin(const char *who)
{
    const char *env = getenv("CORPUSD_MPI_PLUGIN");
    if (env) return dlopen(env, RTLD_NOW | RTLD_GLOBAL);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return NULL;
    exe[n] = 0;
    char *dir = dirname(exe);
    const char *rel[] = {"../lib/corpusd-mpi.so", "../../lib/corpusd-mpi.so", "lib/corpusd-mpi.so", NULL};
    for (int i = 0; rel[i]; i++) {
        char *p = xasprintf("%s/%s", dir, rel[i]);
        void *h = access(p, R_OK) == 0 ? dlopen(p, RTLD_NOW | RTLD_GLOBAL) : NULL;
        if (!h && access(p, R_OK) == 0) log_error("%s: cannot load %s: %s", who, p, dlerror());
        free(p);
        if (h) return h;
    }
    return NULL;
}

int dedup_mpi_launch(const char *who, int argc, char **argv, dedup_comm_main_fn fn)
{
    int world = dedup_mpi_world_size();
    if (world <= 1) return fn(argc, argv, NULL);
    void *h = load_mpi_plugin(who);
    int (*entry)(int, char **, dedup_comm_main_fn) = NULL;
    if (h) *(void **)&entry = dlsym(h, "corpusd_mpi_main");
    if (!entry) {
        fprintf(stderr,
                "corpusd %s: launched as %d ranks but lib/corpusd-mpi.so is not available "
                "(build it with `make` where mpicc exists: apt-get install libopenmpi-dev)\n",
                who, world);
        return EXIT_USAGE;
    }
    return entry(argc, argv, fn);
}

/*
 * cuda_load.c: finds lib/corpusd-cuda.so next to the binary (or at
 * $CORPUSD_CUDA_LIB), loads it with dlopen and asks it for its kernel table.
 * The plugin answers NULL with a reason when no GPU is usable, and corpusd
 * then runs on the CPU and says why. The handle stays open for the life of
 * the process (the table points into it).
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synth/backend.h"

typedef const synth_backend *(*cuda_get_fn)(char *why, size_t why_len);

const synth_backend *synth_cuda_load(char *why, size_t why_len)
{
    static void *handle;
    char path[PATH_MAX];
    const char *env = getenv("CORPUSD_CUDA_LIB");
    if (env && *env) snprintf(path, sizeof path, "%s", env);
    else {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0) {
            snprintf(why, why_len, "cannot locate the corpusd binary");
            return NULL;
        }
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        /* bin/corpusd -> lib/; build/san/corpusd -> ../../lib/ */
        snprintf(path, sizeof path, "%s/../lib/corpusd-cuda.so", exe);
        if (access(path, R_OK) != 0) snprintf(path, sizeof path, "%s/../../lib/corpusd-cuda.so", exe);
    }
    if (access(path, R_OK) != 0) {
        snprintf(why, why_len, "lib/corpusd-cuda.so not built");
        return NULL;
    }
    /* No NVIDIA driver device node: do not even load the CUDA runtime. */
    if (access("/dev/nvidiactl", F_OK) != 0 && access("/dev/nvidia0", F_OK) != 0) {
        snprintf(why, why_len, "no NVIDIA GPU on this machine (/dev/nvidia0 absent)");
        return NULL;
    }
    if (!handle) handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(why, why_len, "cannot load %s: %s", path, dlerror());
        return NULL;
    }
    cuda_get_fn get = (cuda_get_fn)dlsym(handle, "synth_cuda_backend_get");
    if (!get) {
        snprintf(why, why_len, "%s lacks synth_cuda_backend_get", path);
        return NULL;
    }
    return get(why, why_len);
}

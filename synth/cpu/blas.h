/*
 * blas.h: OpenBLAS, loaded on first use with dlopen.
 *
 * Linking libopenblas into corpusd made every subcommand pay for it: the
 * library starts one spinning thread per core when it loads, which cost
 * `corpusd warc cat` a third of its CPU time. Only the synth CPU kernels
 * need BLAS, so they ask for it here; the library loads the first time,
 * with the thread count synth_set_threads() chose.
 *
 * cd_blas() returns NULL when no OpenBLAS is installed (or CORPUSD_NO_BLAS
 * is set); callers then use their own kernels.
 */
#ifndef CORPUSD_SYNTH_CPU_BLAS_H
#define CORPUSD_SYNTH_CPU_BLAS_H

enum { CD_BLAS_ROW_MAJOR = 101, CD_BLAS_NO_TRANS = 111, CD_BLAS_TRANS = 112 };

typedef struct cd_blas_fns {
    void (*sgemm)(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                  const float *b, int ldb, float beta, float *c, int ldc);
    void (*sgemv)(int order, int ta, int m, int n, float alpha, const float *a, int lda, const float *x, int incx,
                  float beta, float *y, int incy);
    void (*set_num_threads)(int n);
} cd_blas_fns;

const cd_blas_fns *cd_blas(void);
/* Thread count for the library: applied now if loaded, else when it loads. */
void cd_blas_set_threads(int n);

#endif

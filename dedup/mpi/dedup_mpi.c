/*
 * dedup_mpi.c: the MPI side of `corpusd dedup`, built into
 * lib/corpusd-mpi.so with mpicc and loaded by the main binary with dlopen
 * when it finds itself launched as several ranks (mpirun, srun).
 *
 * It only provides transport: MPI_Init, a dedup_comm whose exchange() is one
 * MPI_Alltoall of byte counts plus one MPI_Alltoallv of the payload (the
 * caller bounds each round's size), then the command's main function handed
 * over by dedup_mpi_launch() (dedup/mpi_launch.c: `corpusd dedup`, `corpusd
 * run`), and MPI_Finalize. All dedup logic stays in dedup/run.c, identical
 * for one process and many.
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/dedup.h"

static int mpi_exchange(void *ctx, const char *const *send, const size_t *send_len,
                        int (*recv)(void *arg, int from, const char *data, size_t len), void *arg)
{
    (void)ctx;
    int size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int *scount = calloc((size_t)size, sizeof *scount), *rcount = calloc((size_t)size, sizeof *rcount);
    int *sdisp = calloc((size_t)size, sizeof *sdisp), *rdisp = calloc((size_t)size, sizeof *rdisp);
    size_t stotal = 0, rtotal = 0;
    for (int d = 0; d < size; d++) {
        if (send_len[d] > (size_t)INT32_MAX / 2) {
            fprintf(stderr, "corpusd-mpi: round too large\n");
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
        scount[d] = (int)send_len[d];
        sdisp[d] = (int)stotal;
        stotal += send_len[d];
    }
    MPI_Alltoall(scount, 1, MPI_INT, rcount, 1, MPI_INT, MPI_COMM_WORLD);
    for (int d = 0; d < size; d++) {
        rdisp[d] = (int)rtotal;
        rtotal += (size_t)rcount[d];
    }
    char *sbuf = malloc(stotal ? stotal : 1), *rbuf = malloc(rtotal ? rtotal : 1);
    for (int d = 0; d < size; d++)
        if (send_len[d]) memcpy(sbuf + sdisp[d], send[d], send_len[d]);
    MPI_Alltoallv(sbuf, scount, sdisp, MPI_BYTE, rbuf, rcount, rdisp, MPI_BYTE, MPI_COMM_WORLD);
    int rc = 0;
    /* Deliver in rank order, so what a rank receives does not depend on timing. */
    for (int d = 0; d < size && rc == 0; d++)
        if (rcount[d]) rc = recv(arg, d, rbuf + rdisp[d], (size_t)rcount[d]);
    free(sbuf);
    free(rbuf);
    free(scount);
    free(rcount);
    free(sdisp);
    free(rdisp);
    return rc;
}

static int mpi_or(void *ctx, int v)
{
    (void)ctx;
    int out = 0;
    MPI_Allreduce(&v, &out, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
    return out;
}

static uint64_t mpi_sum(void *ctx, uint64_t v)
{
    (void)ctx;
    uint64_t out = 0;
    MPI_Allreduce(&v, &out, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    return out;
}

static void mpi_barrier(void *ctx)
{
    (void)ctx;
    MPI_Barrier(MPI_COMM_WORLD);
}

int corpusd_mpi_main(int argc, char **argv, dedup_comm_main_fn fn);

int corpusd_mpi_main(int argc, char **argv, dedup_comm_main_fn fn)
{
    int provided;
    MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    dedup_comm c;
    memset(&c, 0, sizeof c);
    MPI_Comm_rank(MPI_COMM_WORLD, &c.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c.size);
    c.exchange = mpi_exchange;
    c.allreduce_or = mpi_or;
    c.allreduce_sum = mpi_sum;
    c.barrier = mpi_barrier;
    int rc = fn(argc, argv, &c);
    /* The exit code is the worst over all ranks. */
    int worst = rc;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return worst;
}

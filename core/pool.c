/*
 * pool.c: see pool.h. Workers take the next task index from an atomic
 * counter; no queue is needed because the task list is known up front.
 */
#include "core/pool.h"
#include "core/util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

static atomic_int g_stop;

typedef struct pool_job {
    pool_task_fn fn;
    void *arg;
    size_t ntasks;
    atomic_size_t next;
} pool_job;

typedef struct worker_arg {
    pool_job *job;
    int id;
} worker_arg;

static void *worker_main(void *p)
{
    worker_arg *wa = p;
    for (;;) {
        if (atomic_load(&g_stop)) break;
        size_t t = atomic_fetch_add(&wa->job->next, 1);
        if (t >= wa->job->ntasks) break;
        wa->job->fn(wa->job->arg, t, wa->id);
    }
    return NULL;
}

void pool_run(int nthreads, size_t ntasks, pool_task_fn fn, void *arg)
{
    if (nthreads < 1) nthreads = 1;
    if ((size_t)nthreads > ntasks) nthreads = ntasks ? (int)ntasks : 1;
    pool_job job = {fn, arg, ntasks, 0};
    if (nthreads == 1) {
        worker_arg wa = {&job, 0};
        worker_main(&wa);
        return;
    }
    pthread_t *th = xmalloc((size_t)nthreads * sizeof *th);
    worker_arg *wa = xmalloc((size_t)nthreads * sizeof *wa);
    for (int i = 0; i < nthreads; i++) {
        wa[i].job = &job;
        wa[i].id = i;
        if (pthread_create(&th[i], NULL, worker_main, &wa[i]) != 0) cd_die("pthread_create failed");
    }
    for (int i = 0; i < nthreads; i++) pthread_join(th[i], NULL);
    free(th);
    free(wa);
}

void pool_stop(void) { atomic_store(&g_stop, 1); }
void pool_clear_stop(void) { atomic_store(&g_stop, 0); }
int pool_stopping(void) { return atomic_load(&g_stop); }

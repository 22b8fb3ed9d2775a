/*
 * pool.h: a fixed pool of worker threads.
 *
 * pool_run() runs fn(arg, task, worker) for every task index in [0, ntasks)
 * on nthreads threads and returns when all are done. Tasks are handed out in
 * index order; they finish in any order, so callers that need ordered output
 * key their results by task index (the pipeline writes one output set per
 * input, which is why its output does not depend on the thread count).
 *
 * pool_stop() asks a running pool_run() to hand out no further tasks (used on
 * SIGINT/SIGTERM); tasks already started finish.
 */
#ifndef CORPUSD_CORE_POOL_H
#define CORPUSD_CORE_POOL_H

#include <stddef.h>

typedef void (*pool_task_fn)(void *arg, size_t task, int worker);

void pool_run(int nthreads, size_t ntasks, pool_task_fn fn, void *arg);
void pool_stop(void);
void pool_clear_stop(void);
int pool_stopping(void);

#endif

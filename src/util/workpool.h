/* workpool.h — a few threads that run one job at a time over numbered items, while
 * the caller goes on with other work (src/util/workpool.c).
 *
 * The contacts import parses the phone numbers of the next batch of rows on the pool
 * while it applies the current batch: start() hands the job over and returns at once,
 * wait() returns when every item is done. fn must be safe to call from several threads
 * at once on distinct items.
 *
 * Ownership: the pool is the caller's (new/free); ctx is borrowed until wait returns. A
 * pool that could start no thread runs the whole job in the caller, inside wait. */
#ifndef TAMIS_WORKPOOL_H
#define TAMIS_WORKPOOL_H

#include <stddef.h>

typedef struct tamis_workpool tamis_workpool;
typedef void (*tamis_work_fn)(void *ctx, size_t item);

/* threads: workers to start (0: none; the job then runs in wait). */
tamis_workpool *tamis_workpool_new(unsigned threads);
/* Waits for a started job, stops the workers and frees the pool (NULL is fine). */
void tamis_workpool_free(tamis_workpool *p);
/* Starts fn(ctx, i) for every i in [0, n). The previous job must have been waited for. */
void tamis_workpool_start(tamis_workpool *p, tamis_work_fn fn, void *ctx, size_t n);
/* Returns when every item of the started job is done (at once if none was started). */
void tamis_workpool_wait(tamis_workpool *p);
/* Online CPUs, at least 1 and at most max. */
unsigned tamis_cpu_count(unsigned max);

#endif

/* workpool.c — see workpool.h.
 *
 * Workers sleep on `work` until a job generation they have not seen starts, then claim
 * items in small runs under the mutex (items are coarse — a phone parse is tens of
 * microseconds — so the lock is cheap next to them); the worker finishing the last item
 * signals `done`. */
#include "util/workpool.h"

#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#include "tamis/alloc.h"

#define CLAIM 8 /* items claimed at once */

struct tamis_workpool {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    pthread_t *threads;
    unsigned n_threads;
    bool stop;
    unsigned long generation; /* of the current job */
    bool running;             /* a job was started and not yet waited for */
    tamis_work_fn fn;
    void *ctx;
    size_t n, next, finished;
};

/* Under the mutex: claims up to CLAIM items of the current job, runs them unlocked. */
static void run_some(tamis_workpool *p)
{
    size_t lo = p->next, hi = lo + CLAIM < p->n ? lo + CLAIM : p->n;
    tamis_work_fn fn = p->fn;
    void *ctx = p->ctx;

    p->next = hi;
    pthread_mutex_unlock(&p->mu);
    for (size_t i = lo; i < hi; i++)
        fn(ctx, i);
    pthread_mutex_lock(&p->mu);
    p->finished += hi - lo;
    if (p->finished == p->n)
        pthread_cond_broadcast(&p->done);
}

static void *worker_main(void *arg)
{
    tamis_workpool *p = arg;
    unsigned long seen = 0;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && (p->generation == seen || p->next >= p->n))
            pthread_cond_wait(&p->work, &p->mu);
        if (p->stop)
            break;
        seen = p->generation;
        while (p->next < p->n)
            run_some(p);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

unsigned tamis_cpu_count(unsigned max)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return (unsigned long)n > max ? max : (unsigned)n;
}

tamis_workpool *tamis_workpool_new(unsigned threads)
{
    tamis_workpool *p = tamis_calloc(1, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    p->threads = tamis_calloc(threads ? threads : 1, sizeof *p->threads);
    for (unsigned i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0)
            break; /* fewer workers; with none, wait() does the work */
        p->n_threads++;
    }
    return p;
}

void tamis_workpool_free(tamis_workpool *p)
{
    if (!p)
        return;
    tamis_workpool_wait(p);
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    tamis_free(p->threads);
    tamis_free(p);
}

void tamis_workpool_start(tamis_workpool *p, tamis_work_fn fn, void *ctx, size_t n)
{
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->next = p->finished = 0;
    p->generation++;
    p->running = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
}

void tamis_workpool_wait(tamis_workpool *p)
{
    pthread_mutex_lock(&p->mu);
    if (p->running) {
        /* the caller helps: it would only sleep otherwise */
        while (p->next < p->n)
            run_some(p);
        while (p->finished < p->n)
            pthread_cond_wait(&p->done, &p->mu);
        p->running = false;
    }
    pthread_mutex_unlock(&p->mu);
}

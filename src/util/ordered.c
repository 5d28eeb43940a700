/* ordered.c — ordered chunks from worker threads (see ordered.h).
 *
 * Chunk c lives in slot c % window. A worker may claim chunk c only once chunk
 * c - window has been consumed (its slot is free); the consumer waits for chunk c's
 * slot to be marked done. Everything shared is under one mutex with two conditions:
 * `ready` (a chunk is done, or the run failed) and `space` (a slot was freed, or the
 * run stops). */
#include "util/ordered.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "tamis/alloc.h"

#define CHUNKS_PER_WORKER 3

typedef struct run {
    const tamis_ordered_ops *ops;
    void *ctx;
    size_t n_chunks, window;
    pthread_mutex_t mu;
    pthread_cond_t ready, space;
    size_t next_claim, consumed;
    uint8_t *slots;
    bool *done;
    bool stop;
    int rc; /* first worker failure */
    tamis_error err;
} run;

static void *slot_at(run *r, size_t chunk)
{
    return r->slots + (chunk % r->window) * r->ops->slot_size;
}

/* Under the mutex: the first failure stops the run. */
static void fail_locked(run *r, int rc, const tamis_error *err)
{
    if (!r->rc) {
        r->rc = rc;
        r->err = *err;
    }
    r->stop = true;
    pthread_cond_broadcast(&r->ready);
    pthread_cond_broadcast(&r->space);
}

static void *worker_main(void *arg)
{
    run *r = arg;
    void *worker = NULL;
    tamis_error err = {0};
    int rc = r->ops->worker_open(r->ctx, &worker, &err);

    while (rc == 0) {
        size_t c;
        pthread_mutex_lock(&r->mu);
        while (!r->stop && r->next_claim < r->n_chunks && r->next_claim >= r->consumed + r->window)
            pthread_cond_wait(&r->space, &r->mu);
        if (r->stop || r->next_claim >= r->n_chunks) {
            pthread_mutex_unlock(&r->mu);
            break;
        }
        c = r->next_claim++;
        pthread_mutex_unlock(&r->mu);

        rc = r->ops->produce(r->ctx, worker, c, slot_at(r, c), &err);

        if (rc == 0) {
            pthread_mutex_lock(&r->mu);
            r->done[c % r->window] = true;
            pthread_cond_broadcast(&r->ready);
            pthread_mutex_unlock(&r->mu);
        }
    }
    if (rc) {
        pthread_mutex_lock(&r->mu);
        fail_locked(r, rc, &err);
        pthread_mutex_unlock(&r->mu);
    }
    r->ops->worker_close(r->ctx, worker);
    return NULL;
}

/* In the calling thread: consumes chunks in order until all are or something failed. */
static int consume_all(run *r, tamis_error *err)
{
    int rc = TAMIS_OK;
    for (size_t c = 0; c < r->n_chunks && rc == 0; c++) {
        size_t slot = c % r->window;
        pthread_mutex_lock(&r->mu);
        while (!r->done[slot] && !r->stop)
            pthread_cond_wait(&r->ready, &r->mu);
        if (!r->done[slot]) { /* a worker failed */
            pthread_mutex_unlock(&r->mu);
            break;
        }
        pthread_mutex_unlock(&r->mu);

        rc = r->ops->consume(r->ctx, c, slot_at(r, c), err);

        pthread_mutex_lock(&r->mu);
        r->done[slot] = false;
        r->consumed++;
        pthread_cond_broadcast(&r->space);
        pthread_mutex_unlock(&r->mu);
    }
    return rc;
}

int tamis_ordered_run(const tamis_ordered_ops *ops, void *ctx, size_t n_chunks, unsigned threads, tamis_error *err)
{
    run r = {0};
    pthread_t *ts;
    unsigned started = 0;
    int rc;

    if (n_chunks == 0)
        return TAMIS_OK;
    if (threads == 0)
        threads = 1;
    if (threads > n_chunks)
        threads = (unsigned)n_chunks;
    r.ops = ops;
    r.ctx = ctx;
    r.n_chunks = n_chunks;
    r.window = (size_t)threads * CHUNKS_PER_WORKER;
    r.slots = tamis_calloc(r.window, ops->slot_size);
    r.done = tamis_calloc(r.window, sizeof *r.done);
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.ready, NULL);
    pthread_cond_init(&r.space, NULL);
    ts = tamis_calloc(threads, sizeof *ts);
    for (; started < threads; started++)
        if (pthread_create(&ts[started], NULL, worker_main, &r) != 0)
            break; /* fewer workers do the same work */

    if (started == 0) {
        rc = tamis_error_set(err, TAMIS_EINTERNAL, "cannot start a thread");
    } else {
        rc = consume_all(&r, err);
        pthread_mutex_lock(&r.mu);
        r.stop = true;
        pthread_cond_broadcast(&r.space);
        pthread_mutex_unlock(&r.mu);
        for (unsigned i = 0; i < started; i++)
            pthread_join(ts[i], NULL);
        if (rc == 0 && r.rc) {
            rc = r.rc;
            *err = r.err;
        }
    }
    if (ops->slot_free)
        for (size_t i = 0; i < r.window; i++)
            ops->slot_free(ctx, r.slots + i * ops->slot_size);
    tamis_free(ts);
    tamis_free(r.slots);
    tamis_free(r.done);
    pthread_mutex_destroy(&r.mu);
    pthread_cond_destroy(&r.ready);
    pthread_cond_destroy(&r.space);
    return rc;
}

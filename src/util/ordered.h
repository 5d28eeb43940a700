/* ordered.h — numbered chunks of work produced by worker threads and consumed, in
 * chunk order, by the calling thread (src/util/ordered.c).
 *
 * The score run judges users in worker threads and stores their records in uid order
 * in its own write transaction; export renders rows in workers and writes them to one
 * stream in order. Both are this shape: workers claim chunks 0, 1, 2, ... and fill one
 * output slot each; the caller consumes slot after slot. At most a few chunks per
 * worker are in flight, so memory stays bounded whatever the number of chunks. The
 * first failure (a worker's or the consumer's) stops the run and is returned.
 *
 * Ownership: slots are allocated zeroed by the run and handed to slot_free at the end
 * (a slot is reused for several chunks: produce must overwrite or reset it); worker
 * state belongs to worker_open / worker_close, both called in the worker's thread. */
#ifndef TAMIS_ORDERED_H
#define TAMIS_ORDERED_H

#include <stddef.h>

#include "tamis/error.h"

typedef struct tamis_ordered_ops {
    size_t slot_size;
    /* In each worker thread before its first chunk: its state in *worker. */
    int (*worker_open)(void *ctx, void **worker, tamis_error *err);
    /* In each worker thread at its end (also after a failed open). */
    void (*worker_close)(void *ctx, void *worker);
    /* In a worker thread: the output of chunk into slot. */
    int (*produce)(void *ctx, void *worker, size_t chunk, void *slot, tamis_error *err);
    /* In the calling thread, for chunk 0, 1, 2, ... in order. */
    int (*consume)(void *ctx, size_t chunk, void *slot, tamis_error *err);
    /* Frees what a slot holds (not the slot itself); may be NULL. */
    void (*slot_free)(void *ctx, void *slot);
} tamis_ordered_ops;

/* Runs n_chunks chunks on threads workers (at least 1; no more than n_chunks are
 * started). TAMIS_EINTERNAL if no thread could start. */
int tamis_ordered_run(const tamis_ordered_ops *ops, void *ctx, size_t n_chunks, unsigned threads,
                      tamis_error *err) TAMIS_WUR;

#endif

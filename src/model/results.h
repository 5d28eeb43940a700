/* results.h — reading stored score records back with their user's key, contact and
 * zone (src/model/results.c), for the CLI's export, tiers and show, and the HTTP API. */
#ifndef TAMIS_MODEL_RESULTS_H
#define TAMIS_MODEL_RESULTS_H

#include <stdint.h>
#include <stdio.h>

#include "tamis/columns.h"
#include "tamis/contact_record.h"
#include "tamis/model_config.h"
#include "tamis/store.h"
#include "tamis/zone_hours.h"

typedef struct tamis_results_reader {
    tamis_store *store;
    tamis_txn *txn;
    tamis_zone_cache *zones;        /* for zone names */
    tamis_platform_names names;
    tamis_result result;
    tamis_features features;
    tamis_contact contact;
    tamis_export_row row;
    uint32_t uid;                   /* the user the fields above belong to */
    /* A caller's state kept with the reader (a render function's buffers in each
     * worker): freed by worker_data_free, if set, when the reader is. */
    void *worker_data;
    void (*worker_data_free)(void *data);
} tamis_results_reader;

/* Called per user with reader->row filled; non-zero stops (and is returned). */
typedef int (*tamis_result_visit_fn)(void *ctx, tamis_results_reader *rd);

void tamis_results_reader_init(tamis_results_reader *rd, tamis_store *store, tamis_txn *txn,
                               const tamis_model_config *cfg);
void tamis_results_reader_free(tamis_results_reader *rd);
/* Points a reader at another transaction of the same store (a long-lived reader kept
 * across requests: its zone cache survives), refreshing the platform names. */
void tamis_results_reader_bind(tamis_results_reader *rd, tamis_txn *txn);
/* Every stored result in uid order. */
int tamis_results_foreach(tamis_results_reader *rd, tamis_result_visit_fn fn, void *ctx, tamis_error *err);
/* The stored results of uids in [lo, hi), in uid order. */
int tamis_results_foreach_range(tamis_results_reader *rd, uint32_t lo, uint32_t hi, tamis_result_visit_fn fn,
                                void *ctx, tamis_error *err);
/* One user's result: TAMIS_ENOTFOUND when it has no score yet. */
int tamis_results_get(tamis_results_reader *rd, uint32_t uid, tamis_error *err);

/* uid's user key into out (cap bytes), or "" when its contact record is gone. */
void tamis_results_user_key(tamis_txn *txn, uint32_t uid, char *out, size_t cap);

/* Writes one user's text to out; *rows counts what it wrote. Called from worker
 * threads at once: it must only read ctx. Non-zero fails the run. */
typedef int (*tamis_result_render_fn)(const void *ctx, tamis_results_reader *rd, FILE *out,
                                      uint64_t *rows);
/* Every stored result in uid order rendered by fn on `threads` workers (each with its
 * own read transaction), the text written to out in uid order; *rows totals the
 * rows fn counted. Export's fast path: rendering is most of its time. */
int tamis_results_render(tamis_store *store, const tamis_model_config *cfg, unsigned threads,
                         tamis_result_render_fn fn, const void *ctx, FILE *out, uint64_t *rows,
                         tamis_error *err);

#endif

/* score_run.h — `tamis score`: compute and store every user's result as of T
 * (src/model/score_run.c).
 *
 * Incremental: only users whose contact or activity changed since the last run (the
 * store's change marks), plus the users sharing a device with them, are rescored —
 * unless Tc (T rounded up to the hour), the configuration, or --full differ from the
 * last run, in which case every user is. One write transaction: either every result
 * of the run is stored, or none. Users are read and judged by worker threads, each in
 * its own read transaction; the calling thread writes the records. */
#ifndef TAMIS_SCORE_RUN_H
#define TAMIS_SCORE_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tamis/error.h"
#include "tamis/model_config.h"
#include "tamis/progress.h"
#include "tamis/score.h"
#include "tamis/store.h"

typedef struct tamis_score_options {
    int64_t as_of_ms;          /* T */
    bool full;                 /* rescore everyone */
    tamis_progress *progress;  /* may be NULL; counts users */
    unsigned threads;          /* threads judging users; 0: one per CPU (at most 8) */
    FILE *trace;               /* step timings (TAMIS_TRACE); NULL: none */
} tamis_score_options;

typedef struct tamis_score_summary {
    bool full;                 /* every user was scored */
    const char *why;           /* why: "first run", "as-of changed", "config changed", "--full", "changes" */
    uint64_t users_scored;
    uint64_t users_total;      /* users with a score record after the run */
    uint64_t tiers[TAMIS_TIER__COUNT]; /* of the users scored in this run */
} tamis_score_summary;

int tamis_score_run(tamis_store *store, const tamis_model_config *cfg, const tamis_score_options *opts,
                    tamis_score_summary *sum, tamis_error *err) TAMIS_WUR;

/* The moment the stored results are as of (Tc: the last run's T rounded up to the
 * hour); false when nothing was scored yet. */
bool tamis_score_as_of(tamis_txn *t, int64_t *tc_ms);
/* Names of the store's platforms by id (borrowed from the store). */
void tamis_score_platform_names(const tamis_store *store, tamis_platform_names *names);

#endif

/* snapshot.h — taking daily snapshots of every user's judgement (src/model/snapshot.c);
 * how they are stored and read back is include/tamis/snapshot_store.h.
 *
 * A snapshot holds, per user, tier, trend, score, the seven sub-scores, country and the
 * platforms the user was on, as of a moment T; it is filed under the UTC date of T (one
 * per date: a later snapshot of the same date replaces it). It is computed from the
 * stored state as of T, exactly as `tamis score --as-of T` judges, so a snapshot of a
 * past date equals the one that date would have produced — except where the state
 * keeps only the newest items (docs/STATE.md: the newest 64 activity timestamps, 16
 * failures per platform) and for contact fields changed since. */
#ifndef TAMIS_SNAPSHOT_H
#define TAMIS_SNAPSHOT_H

#include <stdint.h>

#include "tamis/error.h"
#include "tamis/model_config.h"
#include "tamis/progress.h"
#include "tamis/snapshot_store.h"
#include "tamis/store.h"

#define TAMIS_SNAPSHOT_KEEP_DAYS 400 /* default retention, in days before the newest */

typedef struct tamis_snapshot_options {
    int64_t as_of_ms;
    unsigned threads;                /* 0: one per CPU */
    uint32_t keep_days;              /* drop snapshots older than newest - keep_days; 0 keeps all */
    tamis_progress *progress;        /* may be NULL; counts users */
} tamis_snapshot_options;

/* Judges every user as of T and stores the snapshot of T's UTC date (one write
 * transaction), then applies retention. */
int tamis_snapshot_take(tamis_store *store, const tamis_model_config *cfg,
                        const tamis_snapshot_options *opts, tamis_snapshot_info *info,
                        tamis_error *err) TAMIS_WUR;

#endif

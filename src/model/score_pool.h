/* score_pool.h — private to src/model/score_run.c: the threads of a score run
 * (src/model/score_pool.c).
 *
 * The run's write transaction stays in the calling thread. Reading and judging users
 * is spread over worker threads, each in its own LMDB read transaction, begun after the
 * write transaction: the writer holds LMDB's write lock and has written nothing the
 * workers read, so they see exactly the data the run judges.
 *
 *   score_devices_collect: every worker scans a slice of the uid space for device
 *     facets; the tables are absorbed into one and finished.
 *   score_pool_run: users are cut into chunks (a uid range, or a slice of a uid list);
 *     workers claim chunks in order and judge them into per-chunk record buffers; the
 *     calling thread hands each finished chunk, in chunk order, to a writer callback.
 *     At most a few chunks per worker are in flight, so memory stays bounded. */
#ifndef TAMIS_SCORE_POOL_H
#define TAMIS_SCORE_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/features.h"
#include "tamis/judge.h"
#include "tamis/model_config.h"
#include "tamis/progress.h"
#include "tamis/score.h"
#include "tamis/store.h"

/* What every worker reads; all borrowed, read-only while workers run. */
typedef struct score_shared {
    tamis_store *store;
    const tamis_model_config *cfg;
    const tamis_platform_names *names;   /* bound to cfg */
    int unknown_platform;                /* id of platform "unknown", or -1 */
    int64_t as_of_ms;
    int64_t tc;                          /* T rounded up to the hour */
    uint32_t zone_first_hour, zone_end_hour;
    const tamis_device_facts *devices;   /* finished; set before score_pool_run */
    unsigned threads;                    /* workers, >= 1 */
    bool no_records;                     /* summaries only: skip encoding records */
    tamis_measure_fn measure;            /* may be NULL: judge.h */
    const void *measure_ctx;
    bool skip_unborn;                    /* leave out placeholder users (created by
                                            events, not contacts) first seen at or after
                                            Tc: they did not exist as of T */
} score_shared;

/* Fills sh to judge users of store as of as_of_ms: platform names (into *names, which
 * must outlive sh) bound to cfg, the "unknown" platform, the zone tables' span (the
 * whole retention window) and the thread count (0: one per CPU, at most 8). */
void score_shared_init(score_shared *sh, tamis_platform_names *names, tamis_store *store,
                       const tamis_model_config *cfg, int64_t as_of_ms, unsigned threads);

/* The judged users of one chunk, in ascending uid order: the record of users[i] is
 * bytes[users[i-1].end .. users[i].end) (from 0 for i = 0). */
typedef struct score_chunk_user {
    uint32_t uid;
    uint32_t end;
    /* the summary daily snapshots keep */
    uint8_t tier, trend, score;
    uint8_t sub[TAMIS_SUB__COUNT];
    char country[3];
    uint8_t n_platforms;
    uint8_t platforms[TAMIS_FEATURE_PLATFORMS];
    uint32_t measure;                    /* the measure hook's value, or 0 */
    int32_t days_since_seen, days_since_purchase; /* TAMIS_NULL_I32 when null */
    uint8_t n_usable_platforms;
} score_chunk_user;

typedef struct score_chunk {
    score_chunk_user *users;
    size_t n, cap;
    uint8_t *bytes;
    size_t len, cap_bytes;
    uint64_t tiers[TAMIS_TIER__COUNT];
} score_chunk;

/* Called in chunk order in the thread that called score_pool_run. */
typedef int (*score_write_fn)(void *ctx, const score_chunk *chunk, tamis_error *err);

/* Fills devices (new, empty) with the device facets first seen before Tc of every
 * user with uid < uid_end, and finishes it. */
int score_devices_collect(const score_shared *sh, uint32_t uid_end, tamis_device_facts *devices,
                          tamis_error *err) TAMIS_WUR;

/* Judges every user with uid < uid_end (uids NULL), or the n_uids ascending uids given
 * (users without a contact record are skipped), handing the records to write. progress
 * (may be NULL) counts users written. */
int score_pool_run(const score_shared *sh, uint32_t uid_end, const uint32_t *uids, size_t n_uids,
                   score_write_fn write, void *write_ctx, tamis_progress *progress,
                   tamis_error *err) TAMIS_WUR;

#endif

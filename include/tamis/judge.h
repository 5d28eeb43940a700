/* judge.h — every user judged as of T without storing anything (src/model/judge.c):
 * what cooling alerts and the backtest read. The same workers and definitions as
 * `tamis score` (src/model/score_pool.c); results reach the callback in uid order, in
 * the calling thread, with the encoded score record (include/tamis/record.h) and an
 * optional number a measure hook computed from the user's state in a worker thread. */
#ifndef TAMIS_JUDGE_H
#define TAMIS_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/model_config.h"
#include "tamis/progress.h"
#include "tamis/store.h"
#include "tamis/user_state.h"

typedef struct tamis_judged {
    uint32_t uid;
    uint8_t tier, trend, score;
    uint32_t measure;            /* the measure hook's value; 0 without a hook */
    int32_t days_since_seen, days_since_purchase; /* TAMIS_NULL_I32 when null */
    uint8_t n_usable_platforms;
    const void *record;          /* encoded score record, valid during the call; NULL
                                    (len 0) when the options asked for no records */
    size_t record_len;
} tamis_judged;

/* Called in uid order; non-zero stops the run (and is returned). */
typedef int (*tamis_judged_fn)(void *ctx, const tamis_judged *j, tamis_error *err);
/* Called in worker threads, at once for different users: must only read ctx. tc_ms is
 * T rounded up to the hour (features see the state before it). */
typedef uint32_t (*tamis_measure_fn)(const void *ctx, const tamis_user_state *st, int64_t tc_ms);

typedef struct tamis_judge_options {
    int64_t as_of_ms;
    unsigned threads;            /* 0: one per CPU, at most 8 */
    bool skip_unborn;            /* leave out placeholder users first seen at or after Tc */
    bool no_records;             /* the callback reads no record: none is encoded */
    tamis_measure_fn measure;    /* may be NULL */
    const void *measure_ctx;
    tamis_progress *progress;    /* may be NULL; counts users */
} tamis_judge_options;

int tamis_judge_all(tamis_store *store, const tamis_model_config *cfg, const tamis_judge_options *opts,
                    tamis_judged_fn fn, void *ctx, tamis_error *err) TAMIS_WUR;

#endif

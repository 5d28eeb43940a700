/* rfm.h — recency, frequency and monetary value of every purchaser, their quintile
 * scores 1-5 and the named RFM segment (definitions and the segment table in
 * docs/AUDIENCES.md).
 *
 * Two halves: src/model/rfm.c reads the raw measures of each user from the stored
 * hour log (purchase events in a window of whole UTC hours ending at Tc, the same
 * state the features read), on worker threads; src/segment/rfm.c ranks the purchasers
 * into quintiles and maps (R, FM) to a segment. `tamis rfm`, `tamis cross rfm`,
 * `tamis export --rfm` and the segment language read the resulting table.
 *
 * Ownership: a tamis_rfm_table owns its rows; free it with tamis_rfm_table_free. Names
 * returned by the name functions are static strings. */
#ifndef TAMIS_RFM_H
#define TAMIS_RFM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/progress.h"
#include "tamis/store.h"
#include "tamis/user_state.h"

#define TAMIS_RFM_DEFAULT_WINDOW_DAYS 365
#define TAMIS_RFM_MAX_WINDOW_DAYS 3650 /* a cap on the option; retention bounds it first */
#define TAMIS_RFM_SCORES 5             /* quintiles */

/* The segments, in the order reports list them. */
#define TAMIS_RFM_SEGMENTS(X)                                                                                  \
    X(CHAMPIONS, "champions", "Champions")                                                                     \
    X(LOYAL, "loyal", "Loyal")                                                                                 \
    X(POTENTIAL_LOYALIST, "potential_loyalist", "Potential loyalist")                                          \
    X(NEW, "new", "New")                                                                                       \
    X(PROMISING, "promising", "Promising")                                                                     \
    X(NEED_ATTENTION, "need_attention", "Need attention")                                                      \
    X(ABOUT_TO_SLEEP, "about_to_sleep", "About to sleep")                                                      \
    X(AT_RISK, "at_risk", "At risk")                                                                           \
    X(CANT_LOSE, "cant_lose", "Can't lose")                                                                    \
    X(HIBERNATING, "hibernating", "Hibernating")                                                               \
    X(LOST, "lost", "Lost")

typedef enum tamis_rfm_segment {
#define TAMIS_RFM_SEG_ENUM(id, name, title) TAMIS_RFM_##id,
    TAMIS_RFM_SEGMENTS(TAMIS_RFM_SEG_ENUM)
#undef TAMIS_RFM_SEG_ENUM
    TAMIS_RFM__COUNT
} tamis_rfm_segment;

#define TAMIS_RFM_NONE 0xFF /* segment of a non-purchaser */

/* The raw measures of one user as of T (src/model/rfm.c). */
typedef struct tamis_rfm_raw {
    uint32_t recency_hours;  /* whole hours from the end of the newest purchase hour to Tc (0: the last hour) */
    uint32_t frequency;      /* purchase events in the window */
    int64_t monetary_micros; /* sum of their values, in millionths */
} tamis_rfm_raw;

/* One purchaser. */
typedef struct tamis_rfm_user {
    uint32_t uid;
    tamis_rfm_raw raw;
    uint8_t r, f, m;   /* quintile scores 1-5 (5 best: most recent, most, highest) */
    uint8_t fm;        /* (f + m + 1) / 2: the combined score the segment table reads */
    uint8_t segment;   /* tamis_rfm_segment */
} tamis_rfm_user;

/* Per dimension and score: purchasers and the range of raw values they span. */
typedef struct tamis_rfm_band {
    uint64_t users;
    int64_t lo, hi; /* raw value: recency in hours, frequency, monetary in millionths */
} tamis_rfm_band;

typedef struct tamis_rfm_table {
    int64_t as_of_ms;
    int64_t window_end_ms;     /* Tc: T rounded up to a whole hour */
    uint32_t window_days;
    uint64_t users;            /* contacts in the store */
    uint64_t purchasers;       /* == n */
    tamis_rfm_user *rows;      /* purchasers, ascending uid */
    size_t n, cap;
    tamis_rfm_band bands[3][TAMIS_RFM_SCORES]; /* [0 r, 1 f, 2 m][score - 1] */
    uint64_t segments[TAMIS_RFM__COUNT];       /* purchasers per segment */
    int64_t data_from_ms;      /* oldest event the store ever applied (meta ts_min), 0 if none */
} tamis_rfm_table;

/* ---- the raw measures (src/model/rfm.c) ------------------------------------------ */

/* The measures of a decoded state: purchases in the window [Tc - window_days, Tc) of
 * whole UTC hours, Tc = T rounded up to the hour. Returns false (and leaves *out
 * zeroed) when the user made no purchase in the window. Pure; thread-safe. */
bool tamis_rfm_measure(const tamis_user_state *st, int64_t as_of_ms, uint32_t window_days, tamis_rfm_raw *out);

/* Reads every user's activity state on `threads` workers (0: one per CPU, at most 8)
 * and appends the purchasers to out->rows in uid order (scores not yet assigned);
 * fills as_of_ms, window_end_ms, window_days, users and data_from_ms. TAMIS_EUSAGE
 * when the window reaches further back than the store keeps purchases (window_days
 * above the retention, or the window starting before the newest event minus the
 * retention: the message says how far back is complete). progress may be NULL. */
int tamis_rfm_collect(tamis_store *store, int64_t as_of_ms, uint32_t window_days, unsigned threads,
                      tamis_progress *progress, tamis_rfm_table *out, tamis_error *err) TAMIS_WUR;

/* ---- scores and segments (src/segment/rfm.c) ------------------------------------- */

/* Collects (above), then scores: the whole RFM table as of T. out is initialised by
 * the call; free it with tamis_rfm_table_free, also on failure. */
int tamis_rfm_compute(tamis_store *store, int64_t as_of_ms, uint32_t window_days, unsigned threads,
                      tamis_progress *progress, tamis_rfm_table *out, tamis_error *err) TAMIS_WUR;

/* Assigns r, f, m, fm and segment to rows[0..n) and fills bands and segments. A
 * score is 1 + floor(5 * below / n), below = purchasers with a strictly worse value:
 * equal values always share a score (docs/AUDIENCES.md). Allocates scratch. */
void tamis_rfm_score(tamis_rfm_table *t);

/* The segment of an (R, FM) pair, both 1-5 (docs/AUDIENCES.md has the grid). */
tamis_rfm_segment tamis_rfm_segment_of(unsigned r, unsigned fm);
/* Machine name ("potential_loyalist") and display title ("Potential loyalist") of a
 * segment; "none" / "-" for TAMIS_RFM_NONE and out-of-range ids. */
const char *tamis_rfm_segment_name(unsigned segment);
const char *tamis_rfm_segment_title(unsigned segment);
/* A segment id by machine name (exact, len bytes); -1 when unknown. */
int tamis_rfm_segment_find(const char *name, size_t len);

/* The purchaser row of uid, or NULL for a non-purchaser (binary search). Borrowed
 * from t. */
const tamis_rfm_user *tamis_rfm_find(const tamis_rfm_table *t, uint32_t uid);

void tamis_rfm_table_init(tamis_rfm_table *t);
void tamis_rfm_table_free(tamis_rfm_table *t);

#endif

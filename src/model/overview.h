/* overview.h — the figures of the dashboard of `tamis serve` in one pass over the
 * stored results (src/model/overview.c, JSON in overview_json.c): users per tier and
 * trend, the tiers of every stored snapshot, activity by local hour of the week, users
 * and active shares per country x best channel, and histograms of the score and of
 * every sub-score. GET /v1/overview answers it; docs/DASHBOARD.md defines each figure.
 *
 * The pass reads every score record with its contact (country) and activity state
 * (hour log) on worker threads, each in its own read transaction of one committed
 * state of the store, and adds the chunks' counts up in uid order.
 *
 * Ownership: a tamis_overview owns its arrays; free it with tamis_overview_free. */
#ifndef TAMIS_MODEL_OVERVIEW_H
#define TAMIS_MODEL_OVERVIEW_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/score.h"
#include "tamis/snapshot_store.h"
#include "tamis/store.h"

#define TAMIS_OVERVIEW_BINS 10          /* histogram bins of 0-100: [0,10) ... [90,100] */
#define TAMIS_OVERVIEW_WEEK_HOURS 168   /* Monday 00:00 first, local time */
#define TAMIS_OVERVIEW_WEEK_DAYS 28     /* the heatmap's window: the last 4 local weeks */
#define TAMIS_OVERVIEW_COUNTRIES 677    /* 26 x 26 two-letter codes, then "unknown" */
#define TAMIS_OVERVIEW_CHANNELS 257     /* 256 platform ids, then "none" */
#define TAMIS_OVERVIEW_HISTORY_MAX 366  /* snapshot days reported, the newest ones */
#define TAMIS_OVERVIEW_CELLS_MAX 400    /* country x channel cells reported, largest first */
#define TAMIS_OVERVIEW_ATTEMPTS 3       /* passes tried when a writer commits mid-pass */

typedef struct tamis_overview {
    uint64_t snapshot;                  /* tamis_txn_snapshot of the state read */
    uint64_t users;                     /* contacts in the store */
    uint64_t scored;                    /* users with a stored score */
    int64_t as_of_min_ms, as_of_max_ms; /* range of the scores' as-of times; 0 if none */
    uint64_t tiers[TAMIS_TIER__COUNT];
    uint64_t trends[TAMIS_TREND__COUNT];
    uint64_t score_hist[TAMIS_OVERVIEW_BINS];
    /* per sub-score: the bins, then users for whom it is not observable */
    uint64_t sub_hist[TAMIS_SUB__COUNT][TAMIS_OVERVIEW_BINS + 1];
    /* activity events (kinds that count as activity) per local hour of the week */
    uint64_t week_events[TAMIS_OVERVIEW_WEEK_HOURS];
    uint64_t week_users_seen;           /* scored users with an event in the window */
    /* [country * TAMIS_OVERVIEW_CHANNELS + channel]: users, and the active ones */
    uint64_t *cell_users, *cell_active;
    tamis_platform_names names;         /* channel ids to names (borrowed from the store) */
    tamis_snapshot_info *history;       /* ascending days, at most TAMIS_OVERVIEW_HISTORY_MAX */
    size_t n_history;
} tamis_overview;

/* Whether a tier counts as "active" in the country x channel table: daily_active,
 * high_interaction and occasional (seen recently, reachable, not risky). */
int tamis_overview_tier_active(int tier);

/* The bin of a 0-100 value. */
size_t tamis_overview_bin(unsigned value);

/* The cell index of a country code ("" or malformed: unknown) and a channel id
 * (TAMIS_OVERVIEW_CHANNELS - 1: none). */
size_t tamis_overview_cell(const char *country, unsigned channel);

/* The local hour of the week (0 = Monday 00:00-00:59) of UTC hour utc_hour (hours since
 * the epoch) in a zone offset_minutes ahead of UTC, and its local day (days since
 * 1970-01-01) in *local_day. */
unsigned tamis_overview_week_hour(uint32_t utc_hour, int offset_minutes, int64_t *local_day);

/* Computes the overview on `threads` workers (at least 1). TAMIS_EBUSY when writers
 * committed during every attempt. Free *out with tamis_overview_free, also on failure. */
int tamis_overview_compute(tamis_store *store, unsigned threads, tamis_overview *out, tamis_error *err) TAMIS_WUR;
void tamis_overview_free(tamis_overview *ov);

/* The overview as JSON (new reference); docs/openapi.yaml "Overview" gives its shape. */
json_t *tamis_overview_json(const tamis_overview *ov);

#endif

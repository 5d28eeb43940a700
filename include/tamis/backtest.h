/* backtest.h — does the score predict what users do next? (src/model/backtest.c;
 * definitions in docs/MODEL.md "Backtest").
 *
 * Every user is judged as of T from the history before T only; the outcome (a reply, a
 * click, a purchase, or any activity) is read from the same state's events in
 * [Tc, Tc + horizon). The report gives, for the score and for single-signal baselines,
 * the AUC and the outcome share per decile, and per tier; it is what `tamis backtest`
 * prints as a table or chart-ready JSON. */
#ifndef TAMIS_BACKTEST_H
#define TAMIS_BACKTEST_H

#include <stdint.h>

#include "tamis/error.h"
#include "tamis/model_config.h"
#include "tamis/progress.h"
#include "tamis/store.h"

typedef enum tamis_outcome {
    TAMIS_OUTCOME_REPLY = 0,
    TAMIS_OUTCOME_CLICK,
    TAMIS_OUTCOME_PURCHASE,
    TAMIS_OUTCOME_ACTIVE,
    TAMIS_OUTCOME__COUNT
} tamis_outcome;

/* The predictors compared: the score, then the baselines. */
typedef enum tamis_predictor {
    TAMIS_PRED_SCORE = 0,     /* the tamis score */
    TAMIS_PRED_SEEN_7D,       /* seen in the last 7 days (1/0) */
    TAMIS_PRED_ON_CHANNEL,    /* present on a usable channel (1/0) */
    TAMIS_PRED_PURCHASE,      /* last purchase recency (more recent = higher; none lowest) */
    TAMIS_PRED__COUNT
} tamis_predictor;

#define TAMIS_BACKTEST_DECILES 10

typedef struct tamis_bt_group {
    uint64_t users, positives;
    int min_signal, max_signal; /* deciles: the predictor's values in the group */
} tamis_bt_group;

typedef struct tamis_bt_predictor {
    double auc;                 /* tie-aware (Mann-Whitney); NAN without both classes */
    tamis_bt_group deciles[TAMIS_BACKTEST_DECILES]; /* highest signal first */
    double lift_top_decile;     /* share in decile 1 / base rate; NAN when undefined */
} tamis_bt_predictor;

typedef struct tamis_backtest_options {
    int64_t as_of_ms;
    uint32_t horizon_days;
    tamis_outcome outcome;
    unsigned threads;           /* 0: one per CPU */
    tamis_progress *progress;   /* may be NULL */
} tamis_backtest_options;

typedef struct tamis_backtest_report {
    uint64_t users, positives;
    tamis_bt_group tiers[TAMIS_TIER__COUNT];
    tamis_bt_group active_tiers; /* daily_active and high_interaction together */
    double lift_active_tiers;
    tamis_bt_predictor predictors[TAMIS_PRED__COUNT];
} tamis_backtest_report;

const char *tamis_outcome_name(int outcome);          /* "reply", ... or "?" */
int tamis_outcome_from_name(const char *name);        /* -1 if unknown */
const char *tamis_predictor_name(int predictor);      /* "score", "seen_7d", ... */
const char *tamis_predictor_label(int predictor);     /* "seen in the last 7 days", ... */

int tamis_backtest_run(tamis_store *store, const tamis_model_config *cfg, const tamis_backtest_options *opts,
                       tamis_backtest_report *report, tamis_error *err) TAMIS_WUR;

#endif

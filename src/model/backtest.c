/* backtest.c — judge every user as of T, read what each did in [Tc, Tc + horizon),
 * and measure how well the score and single-signal baselines predicted it (see
 * include/tamis/backtest.h, docs/MODEL.md "Backtest").
 *
 * Every predictor is mapped to a small integer signal (0 .. SIGNALS-1, higher = more
 * likely), so ranking is a counting sort (stable in uid order: ties go to the lower
 * uid) and the tie-aware AUC is a sum over signal values:
 *   AUC = sum_v pos[v] * (neg[below v] + neg[v] / 2) / (P * N). */
#include "tamis/backtest.h"

#include <math.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/features.h"
#include "tamis/judge.h"
#include "tamis/kinds.h"
#include "tamis/score.h"

#define SIGNALS 2048
#define HOUR_MS 3600000LL

static const char *const outcome_names[TAMIS_OUTCOME__COUNT] = {"reply", "click", "purchase", "active"};
static const char *const predictor_names[TAMIS_PRED__COUNT] = {"score", "seen_7d", "on_channel", "purchase_recency"};
static const char *const predictor_labels[TAMIS_PRED__COUNT] = {"tamis score", "seen in the last 7 days",
                                                                "present on a channel", "last purchase recency"};

const char *tamis_outcome_name(int o)
{
    return o >= 0 && o < TAMIS_OUTCOME__COUNT ? outcome_names[o] : "?";
}

int tamis_outcome_from_name(const char *name)
{
    for (int o = 0; o < TAMIS_OUTCOME__COUNT; o++)
        if (strcmp(name, outcome_names[o]) == 0)
            return o;
    return -1;
}

const char *tamis_predictor_name(int p)
{
    return p >= 0 && p < TAMIS_PRED__COUNT ? predictor_names[p] : "?";
}

const char *tamis_predictor_label(int p)
{
    return p >= 0 && p < TAMIS_PRED__COUNT ? predictor_labels[p] : "?";
}

/* ------------------------------------------------------------------ outcome */

typedef struct outcome_def {
    tamis_outcome outcome;
    int64_t horizon_ms;
} outcome_def;

/* In a worker: 1 when the user did the outcome in [Tc, Tc + horizon). */
static uint32_t measure(const void *ctx, const tamis_user_state *st, int64_t tc_ms)
{
    const outcome_def *d = ctx;
    uint32_t first = (uint32_t)(tc_ms / HOUR_MS), end = (uint32_t)((tc_ms + d->horizon_ms) / HOUR_MS);
    for (size_t i = 0; i < st->n_hours; i++) {
        const tamis_hour_count *h = &st->hours[i];
        uint32_t hour = tamis_hc_hour(h);
        uint8_t kind = tamis_hc_kind(h);
        if (hour < first)
            continue;
        if (hour >= end)
            break;
        switch (d->outcome) {
        case TAMIS_OUTCOME_REPLY: if (kind == TAMIS_KIND_REPLY) return 1; break;
        case TAMIS_OUTCOME_CLICK: if (kind == TAMIS_KIND_CLICK) return 1; break;
        case TAMIS_OUTCOME_PURCHASE: if (kind == TAMIS_KIND_PURCHASE) return 1; break;
        default:
            if (kind < TAMIS_KIND__COUNT && tamis_kind_table[kind].activity)
                return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ collection */

typedef struct row {
    uint16_t signal[TAMIS_PRED__COUNT];
    uint8_t tier;
    uint8_t positive;
} row;

typedef struct collect_ctx {
    row *rows;
    size_t n, cap;
} collect_ctx;

static int collect(void *vctx, const tamis_judged *j, tamis_error *err)
{
    collect_ctx *x = vctx;
    row *w;
    (void)err;
    x->rows = tamis_grow_large(x->rows, sizeof *x->rows, &x->cap, x->n + 1);
    w = &x->rows[x->n++];
    w->tier = j->tier;
    w->positive = j->measure != 0;
    w->signal[TAMIS_PRED_SCORE] = j->score;
    w->signal[TAMIS_PRED_SEEN_7D] = j->days_since_seen != TAMIS_NULL_I32 && j->days_since_seen <= 6;
    w->signal[TAMIS_PRED_ON_CHANNEL] = j->n_usable_platforms > 0;
    w->signal[TAMIS_PRED_PURCHASE] =
        j->days_since_purchase == TAMIS_NULL_I32
            ? 0
            : (uint16_t)(SIGNALS - 1 - (j->days_since_purchase < 0 ? 0
                                        : j->days_since_purchase > SIGNALS - 2 ? SIGNALS - 2
                                                                               : j->days_since_purchase));
    return 0;
}

/* ------------------------------------------------------------------ metrics */

static double lift(const tamis_bt_group *g, double base)
{
    return g->users && base > 0 ? ((double)g->positives / (double)g->users) / base : NAN;
}

/* The tie-aware AUC of predictor p. */
static double auc_of(const collect_ctx *x, int p, uint64_t positives)
{
    uint64_t *pos = tamis_calloc(SIGNALS, sizeof *pos), *neg = tamis_calloc(SIGNALS, sizeof *neg);
    uint64_t negatives = x->n - positives, below = 0;
    double sum = 0;

    for (size_t i = 0; i < x->n; i++)
        (x->rows[i].positive ? pos : neg)[x->rows[i].signal[p]]++;
    for (int v = 0; v < SIGNALS; v++) {
        sum += (double)pos[v] * ((double)below + (double)neg[v] / 2.0);
        below += neg[v];
    }
    tamis_free(pos);
    tamis_free(neg);
    return positives && negatives ? sum / ((double)positives * (double)negatives) : NAN;
}

/* Deciles of predictor p: users ranked by signal (highest first, ties to the lower
 * uid, by a stable counting sort of the rows in uid order); decile d holds ranks
 * [n*d/10, n*(d+1)/10). */
static void deciles_of(const collect_ctx *x, int p, tamis_bt_predictor *out)
{
    uint32_t *start = tamis_calloc(SIGNALS + 1, sizeof *start), *order;

    memset(out->deciles, 0, sizeof out->deciles);
    for (int d = 0; d < TAMIS_BACKTEST_DECILES; d++)
        out->deciles[d].min_signal = out->deciles[d].max_signal = -1;
    for (size_t i = 0; i < x->n; i++)
        start[SIGNALS - x->rows[i].signal[p]]++; /* slot SIGNALS-1-v, counted one up */
    for (int v = 0; v < SIGNALS; v++)
        start[v + 1] += start[v];
    order = tamis_malloc((x->n ? x->n : 1) * sizeof *order);
    for (size_t i = 0; i < x->n; i++)
        order[start[SIGNALS - 1 - x->rows[i].signal[p]]++] = (uint32_t)i;
    for (size_t r = 0; r < x->n; r++) {
        const row *w = &x->rows[order[r]];
        tamis_bt_group *g = &out->deciles[(uint64_t)r * TAMIS_BACKTEST_DECILES / x->n];
        g->users++;
        g->positives += w->positive;
        if (g->max_signal < 0)
            g->max_signal = w->signal[p];
        g->min_signal = w->signal[p];
    }
    tamis_free(order);
    tamis_free(start);
}

int tamis_backtest_run(tamis_store *store, const tamis_model_config *cfg, const tamis_backtest_options *opts,
                       tamis_backtest_report *report, tamis_error *err)
{
    outcome_def def = {opts->outcome, (int64_t)opts->horizon_days * 24 * HOUR_MS};
    tamis_judge_options jo = {0};
    collect_ctx x = {0};
    double base;
    int rc;

    memset(report, 0, sizeof *report);
    jo.as_of_ms = opts->as_of_ms;
    jo.threads = opts->threads;
    jo.skip_unborn = true;
    jo.no_records = true; /* the summary carries what the predictors read */
    jo.measure = measure;
    jo.measure_ctx = &def;
    jo.progress = opts->progress;
    if ((rc = tamis_judge_all(store, cfg, &jo, collect, &x, err)) != 0) {
        tamis_free(x.rows);
        return rc;
    }
    report->users = x.n;
    for (size_t i = 0; i < x.n; i++) {
        const row *w = &x.rows[i];
        report->positives += w->positive;
        report->tiers[w->tier].users++;
        report->tiers[w->tier].positives += w->positive;
        if (w->tier == TAMIS_TIER_DAILY_ACTIVE || w->tier == TAMIS_TIER_HIGH_INTERACTION) {
            report->active_tiers.users++;
            report->active_tiers.positives += w->positive;
        }
    }
    base = x.n ? (double)report->positives / (double)x.n : 0;
    report->lift_active_tiers = lift(&report->active_tiers, base);
    for (int p = 0; p < TAMIS_PRED__COUNT; p++) {
        report->predictors[p].auc = auc_of(&x, p, report->positives);
        deciles_of(&x, p, &report->predictors[p]);
        report->predictors[p].lift_top_decile = lift(&report->predictors[p].deciles[0], base);
    }
    tamis_free(x.rows);
    return TAMIS_OK;
}

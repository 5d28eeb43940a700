/* cooling.h — cooling alerts: active users going cold, ranked for action
 * (src/model/cooling.c; definitions in docs/MODEL.md "Cooling alerts"). */
#ifndef TAMIS_COOLING_H
#define TAMIS_COOLING_H

#include <stdbool.h>
#include <stdint.h>

#include "tamis/features.h"
#include "tamis/score.h"

typedef struct tamis_cooling_rank {
    double loss_per_week; /* active days a week being lost: 7 x (earlier rate - recent rate) */
    double value;         /* how much the user was worth keeping */
    double priority;      /* loss_per_week x value: the ranking key, highest first */
} tamis_cooling_rank;

/* Still in an active tier (daily_active, high_interaction, occasional) with trend cooling. */
bool tamis_cooling_candidate(int tier, int trend);
/* And the drop is unlikely to be chance: at the rate of the 23 days before, seeing this
 * few active days in the last 7 has probability below TAMIS_COOLING_ALPHA. */
#define TAMIS_COOLING_ALPHA 0.05
bool tamis_cooling_significant(const tamis_features *f);
/* P(X <= k) for X ~ Binomial(n, p). */
double tamis_binomial_cdf(unsigned k, unsigned n, double p);
void tamis_cooling_rank_of(const tamis_features *f, const tamis_result *r, tamis_cooling_rank *out);

#endif

/* cooling.c — which users are cooling alerts and how they rank (see
 * include/tamis/cooling.h and docs/MODEL.md "Cooling alerts"). */
#include "tamis/cooling.h"

#include <math.h>

bool tamis_cooling_candidate(int tier, int trend)
{
    return trend == TAMIS_TREND_COOLING && (tier == TAMIS_TIER_DAILY_ACTIVE || tier == TAMIS_TIER_HIGH_INTERACTION ||
                                            tier == TAMIS_TIER_OCCASIONAL);
}

void tamis_cooling_rank_of(const tamis_features *f, const tamis_result *r, tamis_cooling_rank *out)
{
    double before = (f->active_days_30 - f->active_days_7) / 23.0, recent = f->active_days_7 / 7.0;
    out->loss_per_week = 7.0 * (before - recent);
    if (out->loss_per_week < 0)
        out->loss_per_week = 0;
    out->value = 1.0 + r->score / 100.0 + (f->purchases_90 > 0 ? 1.0 : 0.0) +
                 (r->tier == TAMIS_TIER_DAILY_ACTIVE || r->tier == TAMIS_TIER_HIGH_INTERACTION ? 0.5 : 0.0);
    out->priority = out->loss_per_week * out->value;
}

double tamis_binomial_cdf(unsigned k, unsigned n, double p)
{
    double sum = 0, term;
    if (p <= 0)
        return 1.0;
    if (p >= 1)
        return k >= n ? 1.0 : 0.0;
    term = pow(1 - p, n); /* P(X = 0) */
    for (unsigned i = 0; i <= k && i <= n; i++) {
        sum += term;
        term *= (double)(n - i) / (double)(i + 1) * p / (1 - p);
    }
    return sum > 1 ? 1.0 : sum;
}

bool tamis_cooling_significant(const tamis_features *f)
{
    double before = (f->active_days_30 - f->active_days_7) / 23.0;
    return tamis_binomial_cdf(f->active_days_7, 7, before) < TAMIS_COOLING_ALPHA;
}

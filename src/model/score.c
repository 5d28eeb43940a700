/* score.c — sub-scores, the total score, tier and trend of one user (see
 * include/tamis/score.h; every formula is written out in docs/MODEL.md).
 *
 * Each sub-score is a monotone map of features to 0..100. The total is the weighted
 * mean of the observable sub-scores among continuity, depth, profile, interaction,
 * rhythm and reachability, times the risk penalty, capped for users without a usable
 * channel. Tiers are tested in order, first match wins. */
#include "tamis/score.h"

#include <math.h>
#include <string.h>

static double clamp01(double v)
{
    return v != v ? 0.0 : v < 0 ? 0.0 : v > 1 ? 1.0 : v;
}

static double min_d(double a, double b)
{
    return a < b ? a : b;
}

static uint8_t pct(double v)
{
    return (uint8_t)lround(100.0 * clamp01(v));
}

void tamis_platform_names_bind(tamis_platform_names *names, const tamis_model_config *cfg)
{
    for (int i = 0; i < 256; i++)
        names->rules[i] = names->name[i] ? tamis_model_config_platform(cfg, names->name[i]) : NULL;
    names->rules_cfg = cfg;
}

/* Rules of a present platform, or NULL (observes everything, no overrides). */
static const tamis_platform_rules *rules_of(const tamis_model_config *cfg, const tamis_platform_names *names,
                                            uint8_t platform)
{
    const char *name = names ? names->name[platform] : NULL;
    if (names && names->rules_cfg == cfg)
        return names->rules[platform];
    return name ? tamis_model_config_platform(cfg, name) : NULL;
}

/* Whether any present platform observes dimension d (true when there is none). */
static bool observed(const tamis_features *f, const tamis_model_config *cfg, const tamis_platform_names *names, int d)
{
    if (f->n_platforms == 0)
        return true;
    for (uint8_t i = 0; i < f->n_platforms; i++) {
        const tamis_platform_rules *pr = rules_of(cfg, names, f->platforms[i].platform);
        if (!pr || (pr->observes & (1u << d)))
            return true;
    }
    return false;
}

/* Effective weight of d: the base, replaced by the mean of the present platforms'
 * overrides where any set it, then by the country's override if set. */
static double weight_of(const tamis_features *f, const tamis_country_rules *cr, const tamis_model_config *cfg,
                        const tamis_platform_names *names, int d)
{
    double w = cfg->weights.w[d], sum = 0;
    int n = 0;

    for (uint8_t i = 0; i < f->n_platforms; i++) {
        const tamis_platform_rules *pr = rules_of(cfg, names, f->platforms[i].platform);
        if (pr && pr->weights.set[d]) {
            sum += pr->weights.w[d];
            n++;
        }
    }
    if (n)
        w = sum / n;
    if (cr && cr->weights.set[d])
        w = cr->weights.w[d];
    return w;
}

static bool has_profile_attr(const tamis_contact *c)
{
    static const char *const names[] = {"avatar", "nickname", "status"};
    if (!c)
        return false;
    for (size_t i = 0; i < c->n_attrs; i++)
        for (size_t k = 0; k < 3; k++)
            if (strcmp(c->attrs[i].key, names[k]) == 0)
                return true;
    return false;
}

static uint8_t risk_subscore(const tamis_features *f, const tamis_model_config *cfg)
{
    double r = 0;
    if (f->device_accounts >= cfg->device_accounts)
        r += 30.0 * (f->device_accounts - cfg->device_accounts + 1);
    r += 20.0 * (f->device_burst < 3 ? f->device_burst : 3);
    if (f->machine_regular)
        r += 50;
    if (f->blocked_any)
        r += 30;
    return (uint8_t)(r > 100 ? 100 : r);
}

static bool usable_channel(const tamis_features *f)
{
    return f->n_usable_platforms > 0 || (f->n_channel_platforms == 0 && f->phone_usable);
}

void tamis_score_subscores(const tamis_features *f, const tamis_contact *c, const tamis_model_config *cfg,
                           const tamis_platform_names *names, tamis_result *r)
{
    uint32_t outbound = f->kind_30[TAMIS_KIND_OUTBOUND_SENT];
    uint32_t reply = f->kind_30[TAMIS_KIND_REPLY], click = f->kind_30[TAMIS_KIND_CLICK];
    uint32_t read = f->kind_30[TAMIS_KIND_READ], fails = f->kind_30[TAMIS_KIND_FAILED];
    uint32_t u = cfg->unreachable_failures ? cfg->unreachable_failures : 1;
    double num = 0, den = 0, total;
    const tamis_country_rules *cr = c && c->country[0] ? tamis_model_config_country(cfg, c->country) : NULL;

    memset(r->sub, TAMIS_SUB_NULL, sizeof r->sub);
    if (observed(f, cfg, names, TAMIS_SUB_CONTINUITY))
        r->sub[TAMIS_SUB_CONTINUITY] =
            pct(0.45 * f->active_days_7 / 7.0 + 0.35 * f->active_days_30 / 30.0 + 0.20 * min_d(f->streak, 14) / 14.0);
    if (observed(f, cfg, names, TAMIS_SUB_DEPTH))
        r->sub[TAMIS_SUB_DEPTH] = pct(0.6 * min_d(f->deep_actions_30, 20) / 20.0 + 0.4 * clamp01(f->depth_ratio));
    if (observed(f, cfg, names, TAMIS_SUB_PROFILE) || has_profile_attr(c)) {
        double recency =
            f->days_since_profile_update == TAMIS_NULL_I32 ? 0.0 : 1.0 - min_d(f->days_since_profile_update, 90) / 90.0;
        r->sub[TAMIS_SUB_PROFILE] =
            pct(0.4 * f->has_avatar + 0.2 * f->has_nickname + 0.2 * f->has_status + 0.2 * recency);
    }
    if (observed(f, cfg, names, TAMIS_SUB_INTERACTION) && (outbound || reply || click || read)) {
        if (outbound)
            r->sub[TAMIS_SUB_INTERACTION] =
                pct(0.5 * clamp01(f->reply_rate_30) + 0.3 * clamp01(f->click_rate_30) + 0.2 * clamp01(f->read_rate_30));
        else
            r->sub[TAMIS_SUB_INTERACTION] = pct((reply + click + 0.5 * read) / 4.0);
    }
    if (observed(f, cfg, names, TAMIS_SUB_RHYTHM))
        r->sub[TAMIS_SUB_RHYTHM] =
            pct(0.5 * min_d(f->active_days_30, 15) / 15.0 + 0.5 * min_d(clamp01(f->regularity) / 0.5, 1.0));
    if (!usable_channel(f))
        r->sub[TAMIS_SUB_REACHABILITY] = 0;
    else if (observed(f, cfg, names, TAMIS_SUB_REACHABILITY) && (outbound || fails || f->max_consecutive_failures))
        r->sub[TAMIS_SUB_REACHABILITY] =
            pct((f->delivery_rate_30 != f->delivery_rate_30 ? 1.0 : clamp01(f->delivery_rate_30)) *
                (1.0 - min_d(f->max_consecutive_failures, u) / (double)u));
    r->sub[TAMIS_SUB_RISK] = risk_subscore(f, cfg);

    for (int d = 0; d < TAMIS_SUB_RISK; d++) {
        double w;
        if (r->sub[d] == TAMIS_SUB_NULL)
            continue;
        w = weight_of(f, cr, cfg, names, d);
        num += w * r->sub[d];
        den += w;
    }
    total = den > 0 ? num / den : 0.0;
    total *= 1.0 - cfg->risk_penalty * r->sub[TAMIS_SUB_RISK] / 100.0;
    if (!usable_channel(f) && total > cfg->unreachable_cap)
        total = cfg->unreachable_cap;
    r->score = (uint8_t)lround(total < 0 ? 0 : total > 100 ? 100 : total);

    /* tier: first match wins */
    if (!usable_channel(f))
        r->tier = TAMIS_TIER_UNREACHABLE;
    else if (r->sub[TAMIS_SUB_RISK] >= cfg->risky_min_risk)
        r->tier = TAMIS_TIER_RISKY;
    else if (f->active_days_7 >= cfg->daily_active_days_7)
        r->tier = TAMIS_TIER_DAILY_ACTIVE;
    else if ((outbound >= cfg->high_interaction_min_outbound &&
              (clamp01(f->reply_rate_30) >= cfg->high_interaction_rate ||
               clamp01(f->click_rate_30) >= cfg->high_interaction_rate)) ||
             f->deep_actions_30 >= cfg->high_interaction_deep_30)
        r->tier = TAMIS_TIER_HIGH_INTERACTION;
    else if (f->active_days_30 > 0)
        r->tier = TAMIS_TIER_OCCASIONAL;
    else if (f->active_days_90 > 0)
        r->tier = TAMIS_TIER_SILENT;
    else
        r->tier = TAMIS_TIER_DORMANT;

    /* trend: active-day rate of the last 7 days against the 23 before */
    {
        double diff = f->active_days_7 / 7.0 - (f->active_days_30 - f->active_days_7) / 23.0;
        r->trend = diff >= cfg->trend_delta    ? TAMIS_TREND_WARMING
                   : diff <= -cfg->trend_delta ? TAMIS_TREND_COOLING
                                               : TAMIS_TREND_STABLE;
    }
    r->cadence_days = (uint16_t)cfg->cadence_days[r->tier];
}

void tamis_score_compute(const tamis_features *f, const tamis_contact *contact, const tamis_model_config *cfg,
                         const tamis_platform_names *names, tamis_result *out)
{
    memset(out, 0, sizeof *out);
    tamis_score_subscores(f, contact, cfg, names, out);
    tamis_score_channel(f, contact, cfg, names, out);
    tamis_score_reasons(f, contact, cfg, out);
}

/* reasons.c — the 3-5 strongest reasons behind a user's result, and their plain words
 * (see include/tamis/score.h, docs/MODEL.md "Reasons").
 *
 * Every fact that can explain a result is a candidate with a strength in 0..1 (how far
 * it is from unremarkable). The reason that decided the tier comes first (strength 2),
 * then the others by strength; ties keep the order of the code list. Three candidates
 * always exist (activity over 7 days, activity over 30 days or last seen, and the send
 * hour), so every user gets at least three. */
#include "tamis/score.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_CANDIDATES 32
#define TIER_STRENGTH 2.0

typedef struct candidate {
    tamis_reason r;
    double strength;
} candidate;

typedef struct cand_list {
    candidate c[MAX_CANDIDATES];
    size_t n;
} cand_list;

static void add(cand_list *l, uint8_t code, uint8_t platform, int32_t a, int32_t b, double strength)
{
    if (l->n == MAX_CANDIDATES)
        return;
    l->c[l->n++] = (candidate){{code, platform, a, b}, strength};
}

/* Raises the strength of the first candidate with this code (the tier's cause). */
static void promote(cand_list *l, uint8_t code)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->c[i].r.code == code) {
            l->c[i].strength = TIER_STRENGTH;
            return;
        }
}

static const tamis_platform_features *worst_failures(const tamis_features *f)
{
    const tamis_platform_features *w = NULL;
    for (uint8_t i = 0; i < f->n_platforms; i++)
        if (f->platforms[i].consecutive_failures &&
            (!w || f->platforms[i].consecutive_failures > w->consecutive_failures))
            w = &f->platforms[i];
    return w;
}

static void candidates(const tamis_features *f, const tamis_contact *c, const tamis_model_config *cfg,
                       const tamis_result *r, cand_list *l)
{
    uint32_t sent = f->kind_30[TAMIS_KIND_OUTBOUND_SENT], delivered = f->kind_30[TAMIS_KIND_DELIVERED];
    const tamis_platform_features *wf = worst_failures(f);
    int prev = f->active_days_30 - f->active_days_7;

    add(l, TAMIS_R_ACTIVE_7, TAMIS_PLATFORM_ANY, f->active_days_7, 0, fabs(f->active_days_7 / 7.0 - 0.4));
    if (f->active_days_30 > 0)
        add(l, TAMIS_R_ACTIVE_30, TAMIS_PLATFORM_ANY, f->active_days_30, 0, 0.3 * fabs(f->active_days_30 / 30.0 - 0.3));
    if (f->days_since_seen == TAMIS_NULL_I32)
        add(l, TAMIS_R_NEVER_SEEN, TAMIS_PLATFORM_ANY, 0, 0, 0.9);
    else if (f->days_since_seen >= 7)
        add(l, TAMIS_R_LAST_SEEN, TAMIS_PLATFORM_ANY, f->days_since_seen, 0, f->days_since_seen >= 90 ? 0.9 : 0.5);
    if (f->streak >= 3)
        add(l, TAMIS_R_STREAK, TAMIS_PLATFORM_ANY, f->streak, 0, f->streak >= 14 ? 0.8 : 0.4);
    if (sent > 0)
        add(l, TAMIS_R_REPLIED, TAMIS_PLATFORM_ANY, (int32_t)f->kind_30[TAMIS_KIND_REPLY], (int32_t)sent,
            0.3 + 0.5 * fabs((f->reply_rate_30 > 1 ? 1 : f->reply_rate_30) - 0.2));
    if (delivered > 0 && f->kind_30[TAMIS_KIND_CLICK] > 0)
        add(l, TAMIS_R_CLICKED, TAMIS_PLATFORM_ANY, (int32_t)f->kind_30[TAMIS_KIND_CLICK], (int32_t)delivered, 0.45);
    if (delivered > 0)
        add(l, TAMIS_R_READ, TAMIS_PLATFORM_ANY, (int32_t)f->kind_30[TAMIS_KIND_READ], (int32_t)delivered, 0.2);
    if (f->deep_actions_30 > 0)
        add(l, TAMIS_R_DEEP, TAMIS_PLATFORM_ANY, (int32_t)f->deep_actions_30, 0, f->deep_actions_30 >= 20 ? 0.7 : 0.35);
    add(l, TAMIS_R_PEAK_HOUR, TAMIS_PLATFORM_ANY, r->best_hour, r->hour_source,
        r->hour_source == TAMIS_HOUR_PEAK ? 0.3 + 0.4 * (f->regularity == f->regularity ? f->regularity : 0) : 0.05);
    if (wf)
        add(l, TAMIS_R_FAILURES, wf->platform, (int32_t)wf->consecutive_failures, 0,
            wf->consecutive_failures >= cfg->unreachable_failures ? 0.95 : 0.6);
    for (uint8_t i = 0; i < f->n_platforms; i++) {
        if (f->platforms[i].blocked)
            add(l, TAMIS_R_BLOCKED, f->platforms[i].platform, 0, 0, 0.85);
        else if (f->platforms[i].opted_out)
            add(l, TAMIS_R_OPTED_OUT, f->platforms[i].platform, 0, 0, 0.85);
    }
    if (f->n_channel_platforms == 0 && !f->phone_usable)
        add(l, c && c->phone_e164 ? TAMIS_R_BAD_PHONE : TAMIS_R_NO_CHANNEL, TAMIS_PLATFORM_ANY, 0, 0, 0.95);
    else if (r->tier == TAMIS_TIER_UNREACHABLE)
        add(l, TAMIS_R_NO_CHANNEL, TAMIS_PLATFORM_ANY, 0, 0, 0.9);
    if (f->device_accounts >= cfg->device_accounts)
        add(l, TAMIS_R_SHARED_DEVICE, TAMIS_PLATFORM_ANY, (int32_t)f->device_accounts, 0, 0.8);
    if (f->device_burst > 0)
        add(l, TAMIS_R_DEVICE_BURST, TAMIS_PLATFORM_ANY, (int32_t)f->device_burst, (int32_t)cfg->burst_minutes, 0.7);
    if (f->machine_regular)
        add(l, TAMIS_R_MACHINE_TIMING, TAMIS_PLATFORM_ANY, 0, 0, 0.85);
    if (f->has_avatar || f->has_nickname || f->has_status)
        add(l, TAMIS_R_PROFILE, TAMIS_PLATFORM_ANY, f->has_avatar | f->has_nickname << 1 | f->has_status << 2, 0, 0.15);
    if (f->days_since_profile_update != TAMIS_NULL_I32 && f->days_since_profile_update < 30)
        add(l, TAMIS_R_PROFILE_UPDATED, TAMIS_PLATFORM_ANY, f->days_since_profile_update, 0, 0.25);
    if (r->trend == TAMIS_TREND_COOLING)
        add(l, TAMIS_R_COOLING, TAMIS_PLATFORM_ANY, f->active_days_7, prev, 0.75);
    else if (r->trend == TAMIS_TREND_WARMING)
        add(l, TAMIS_R_WARMING, TAMIS_PLATFORM_ANY, f->active_days_7, prev, 0.6);
    if (f->purchases_90 > 0)
        add(l, TAMIS_R_PURCHASES, TAMIS_PLATFORM_ANY, (int32_t)f->purchases_90,
            (int32_t)lround(f->purchase_value_90 > 2e9    ? 2e9
                            : f->purchase_value_90 < -2e9 ? -2e9
                                                          : f->purchase_value_90),
            0.5);
    if (r->channel_source == TAMIS_CHANNEL_EVIDENCE) {
        for (uint8_t i = 0; i < f->n_platforms; i++)
            if (f->platforms[i].outbound_sent_30 > 0 && f->platforms[i].usable)
                add(l, TAMIS_R_CHANNEL_EVIDENCE, f->platforms[i].platform, (int32_t)f->platforms[i].delivered_30,
                    (int32_t)f->platforms[i].outbound_sent_30, 0.1);
    } else if (r->channel_source == TAMIS_CHANNEL_COUNTRY) {
        add(l, TAMIS_R_CHANNEL_COUNTRY, TAMIS_PLATFORM_ANY, 0, 0, 0.3);
    }
}

/* The reason that decided the tier. */
static uint8_t tier_cause(const tamis_features *f, const tamis_model_config *cfg, const tamis_result *r,
                          const cand_list *l)
{
    switch (r->tier) {
    case TAMIS_TIER_UNREACHABLE:
        for (size_t i = 0; i < l->n; i++) {
            uint8_t code = l->c[i].r.code;
            if (code == TAMIS_R_BAD_PHONE || code == TAMIS_R_NO_CHANNEL || code == TAMIS_R_BLOCKED ||
                code == TAMIS_R_OPTED_OUT || code == TAMIS_R_FAILURES)
                return code;
        }
        return TAMIS_R_NO_CHANNEL;
    case TAMIS_TIER_RISKY:
        return f->machine_regular                           ? TAMIS_R_MACHINE_TIMING
               : f->device_accounts >= cfg->device_accounts ? TAMIS_R_SHARED_DEVICE
               : f->device_burst                            ? TAMIS_R_DEVICE_BURST
                                                            : TAMIS_R_BLOCKED;
    case TAMIS_TIER_DAILY_ACTIVE: return TAMIS_R_ACTIVE_7;
    case TAMIS_TIER_HIGH_INTERACTION:
        return f->deep_actions_30 >= cfg->high_interaction_deep_30
                   ? TAMIS_R_DEEP
                   : (f->reply_rate_30 >= cfg->high_interaction_rate ? TAMIS_R_REPLIED : TAMIS_R_CLICKED);
    case TAMIS_TIER_OCCASIONAL: return TAMIS_R_ACTIVE_30;
    default: return f->days_since_seen == TAMIS_NULL_I32 ? TAMIS_R_NEVER_SEEN : TAMIS_R_LAST_SEEN;
    }
}

void tamis_score_reasons(const tamis_features *f, const tamis_contact *c, const tamis_model_config *cfg,
                         tamis_result *r)
{
    cand_list l;
    l.n = 0;
    candidates(f, c, cfg, r, &l);
    promote(&l, tier_cause(f, cfg, r, &l));
    /* stable selection sort: the strongest first, code order on ties */
    r->n_reasons = 0;
    while (r->n_reasons < TAMIS_MAX_REASONS && l.n > 0) {
        size_t best = 0;
        for (size_t i = 1; i < l.n; i++)
            if (l.c[i].strength > l.c[best].strength)
                best = i;
        if (r->n_reasons >= TAMIS_MIN_REASONS && l.c[best].strength < 0.3)
            break;
        r->reasons[r->n_reasons++] = l.c[best].r;
        memmove(&l.c[best], &l.c[best + 1], (l.n - best - 1) * sizeof l.c[0]);
        l.n--;
    }
}

static const char *pname(const tamis_platform_names *names, uint8_t id)
{
    const char *n = names && id != TAMIS_PLATFORM_ANY ? names->name[id] : NULL;
    return n ? n : "?";
}

static const char *plural(int32_t n)
{
    return n == 1 ? "" : "s";
}

size_t tamis_reason_text(const tamis_reason *x, const tamis_result *r, const tamis_platform_names *names, char *out,
                         size_t cap)
{
    static const char *const profile_parts[] = {"",
                                                "avatar",
                                                "nickname",
                                                "avatar and nickname",
                                                "status",
                                                "avatar and status",
                                                "nickname and status",
                                                "avatar, nickname and status"};
    int n = 0;
    switch ((tamis_reason_code)x->code) {
    case TAMIS_R_ACTIVE_7: n = snprintf(out, cap, "active %d of the last 7 days", x->a); break;
    case TAMIS_R_ACTIVE_30: n = snprintf(out, cap, "active %d of the last 30 days", x->a); break;
    case TAMIS_R_STREAK: n = snprintf(out, cap, "active %d days in a row", x->a); break;
    case TAMIS_R_LAST_SEEN: n = snprintf(out, cap, "last active %d days ago", x->a); break;
    case TAMIS_R_NEVER_SEEN: n = snprintf(out, cap, "never seen active"); break;
    case TAMIS_R_REPLIED:
        n = snprintf(out, cap, "replied to %d of %d message%s in 30 days", x->a, x->b, plural(x->b));
        break;
    case TAMIS_R_CLICKED:
        n = snprintf(out, cap, "clicked %d of %d delivered message%s in 30 days", x->a, x->b, plural(x->b));
        break;
    case TAMIS_R_READ:
        n = snprintf(out, cap, "read %d of %d delivered message%s in 30 days", x->a, x->b, plural(x->b));
        break;
    case TAMIS_R_DEEP:
        n = snprintf(out, cap, "%d deep action%s (messages, replies, joins) in 30 days", x->a, plural(x->a));
        break;
    case TAMIS_R_PEAK_HOUR:
        n = x->b == TAMIS_HOUR_PEAK ? snprintf(out, cap, "most active around %02d:00 local", x->a)
            : x->b == TAMIS_HOUR_COUNTRY
                ? snprintf(out, cap, "send around %02d:00 local (usual hour in the country)", x->a)
                : snprintf(out, cap, "send around %02d:00 local (default hour)", x->a);
        break;
    case TAMIS_R_FAILURES:
        n = snprintf(out, cap, "%d failed deliver%s in a row on %s", x->a, x->a == 1 ? "y" : "ies",
                     pname(names, x->platform));
        break;
    case TAMIS_R_OPTED_OUT: n = snprintf(out, cap, "opted out on %s", pname(names, x->platform)); break;
    case TAMIS_R_BLOCKED: n = snprintf(out, cap, "blocked us on %s", pname(names, x->platform)); break;
    case TAMIS_R_NO_CHANNEL: n = snprintf(out, cap, "no usable channel"); break;
    case TAMIS_R_BAD_PHONE:
        n = snprintf(out, cap, "phone is not a valid mobile number and no other channel is known");
        break;
    case TAMIS_R_SHARED_DEVICE:
        n = snprintf(out, cap, "shares a device with %d other account%s", x->a - 1, plural(x->a - 1));
        break;
    case TAMIS_R_DEVICE_BURST:
        n = snprintf(out, cap, "%d other account%s first seen on the same device within %d minutes", x->a, plural(x->a),
                     x->b);
        break;
    case TAMIS_R_MACHINE_TIMING: n = snprintf(out, cap, "active at machine-regular intervals"); break;
    case TAMIS_R_PROFILE: n = snprintf(out, cap, "profile has %s", profile_parts[x->a & 7]); break;
    case TAMIS_R_PROFILE_UPDATED: n = snprintf(out, cap, "updated profile %d day%s ago", x->a, plural(x->a)); break;
    case TAMIS_R_COOLING:
        n = snprintf(out, cap, "cooling: active %d of the last 7 days, %d of the 23 before", x->a, x->b);
        break;
    case TAMIS_R_WARMING:
        n = snprintf(out, cap, "warming: active %d of the last 7 days, %d of the 23 before", x->a, x->b);
        break;
    case TAMIS_R_PURCHASES:
        n = snprintf(out, cap, "%d purchase%s worth %d in 90 days", x->a, plural(x->a), x->b);
        break;
    case TAMIS_R_CHANNEL_EVIDENCE:
        n = snprintf(out, cap, "%d of %d message%s delivered on %s in 30 days", x->a, x->b, plural(x->b),
                     pname(names, x->platform));
        break;
    case TAMIS_R_CHANNEL_COUNTRY:
        n = snprintf(out, cap, "no platform known yet: %s is the usual channel in the country",
                     r && r->best_channel[0] ? r->best_channel : "?");
        break;
    default: n = snprintf(out, cap, "reason %d", x->code); break;
    }
    if (n < 0)
        n = 0;
    return (size_t)n < cap ? (size_t)n : cap ? cap - 1 : 0;
}

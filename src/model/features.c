/* features.c — the measured features of one user as of T (see include/tamis/features.h
 * and the definitions in docs/MODEL.md).
 *
 * One pass over the hour log (sorted by UTC hour) places each entry in its local day
 * and hour through the zone table and adds it to the windows it falls in; facets,
 * failures and recent timestamps supply what the hour log cannot (exact last times,
 * consent, failure streaks, devices, timing). Everything is "as of T": hour entries at
 * or after Tc, facets first seen at or after Tc and failures at or after Tc are
 * ignored. Called once per user per score run, so it allocates nothing. */
#include "tamis/features.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "tamis/phone.h"
#include "tamis/zone_hours.h"

#define HOUR_MS 3600000LL
#define MINUTE_MS 60000LL
#define DAY_MINUTES 1440
#define MAX_ZONE_MINUTES (14 * 60)
#define NO_HOUR UINT32_MAX
#define NO_SLOT 0xFF

int64_t tamis_features_window_end(int64_t as_of_ms)
{
    int64_t r = as_of_ms % HOUR_MS;
    return r == 0 ? as_of_ms : as_of_ms - r + HOUR_MS;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q;
    if (a >= 0 && b > 0) /* the usual case, as one unsigned multiply-shift */
        return (int64_t)((uint64_t)a / (uint64_t)b);
    q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

void tamis_features_hour_span(int64_t as_of_ms, uint32_t *first_hour, uint32_t *end_hour)
{
    int64_t end = tamis_features_window_end(as_of_ms) / HOUR_MS;
    int64_t first = end - (int64_t)(TAMIS_FEATURE_WINDOW_DAYS + 2) * 24 - 2 * 14;
    *first_hour = first < 0 ? 0 : (uint32_t)first;
    *end_hour = (uint32_t)(end + 14);
}

/* Local minutes since the epoch at the start of UTC hour h. */
static int64_t local_minutes(const tamis_zone_hours *z, uint32_t hour)
{
    return (int64_t)hour * 60 + tamis_zone_offset_at_hour(z, hour);
}

static int32_t local_day_of_hour(const tamis_zone_hours *z, uint32_t hour)
{
    return (int32_t)floor_div(local_minutes(z, hour), DAY_MINUTES);
}

static int32_t local_day_of_ms(const tamis_zone_hours *z, int64_t ms)
{
    uint32_t hour = (uint32_t)floor_div(ms, HOUR_MS);
    return (int32_t)floor_div(floor_div(ms, MINUTE_MS) + tamis_zone_offset_at_hour(z, hour), DAY_MINUTES);
}

static double ratio(uint32_t num, uint32_t den)
{
    return den ? (double)num / (double)den : NAN;
}

/* What one pass over the hour log learns per platform slot. */
typedef struct slot_scan {
    uint32_t newest_hour[TAMIS_KIND__COUNT]; /* newest hour < Tc with that kind */
    uint32_t newest_activity_hour;
} slot_scan;

typedef struct scan_ctx {
    const tamis_feature_input *in;
    const tamis_model_config *cfg;
    tamis_features *f;
    int64_t tc;
    uint8_t slot_of[256]; /* platform id -> slot in f->platforms, NO_SLOT */
    slot_scan slots[TAMIS_FEATURE_PLATFORMS];
    uint32_t newest_hour[TAMIS_KIND__COUNT]; /* over all platforms */
    uint32_t newest_activity_hour;
    uint64_t active[2]; /* bit (D - day): active that day; days 0..63, then 64..89 */
    /* per slot, its KIND facets: st->facets[kind_lo[s] .. kind_hi[s]) (sorted by kind) */
    uint32_t kind_lo[TAMIS_FEATURE_PLATFORMS], kind_hi[TAMIS_FEATURE_PLATFORMS];
} scan_ctx;

static void add_platform(scan_ctx *x, uint8_t platform)
{
    tamis_features *f = x->f;
    size_t i;
    if (platform == TAMIS_PLATFORM_ANY || x->slot_of[platform] != NO_SLOT)
        return;
    if (f->n_platforms == TAMIS_FEATURE_PLATFORMS) {
        /* keep the lowest ids: stable whatever order platforms are met in */
        if (platform > f->platforms[TAMIS_FEATURE_PLATFORMS - 1].platform)
            return;
        x->slot_of[f->platforms[--f->n_platforms].platform] = NO_SLOT;
    }
    for (i = f->n_platforms; i > 0 && f->platforms[i - 1].platform > platform; i--)
        f->platforms[i] = f->platforms[i - 1];
    memset(&f->platforms[i], 0, sizeof f->platforms[i]);
    f->platforms[i].platform = platform;
    f->n_platforms++;
    for (size_t k = 0; k < f->n_platforms; k++)
        x->slot_of[f->platforms[k].platform] = (uint8_t)k;
}

/* Platforms the user is present on as of T: identities, and facets first seen < Tc. */
static void collect_platforms(scan_ctx *x)
{
    const tamis_user_state *st = x->in->state;
    const tamis_contact *c = x->in->contact;
    memset(x->slot_of, NO_SLOT, sizeof x->slot_of);
    /* an imported identity makes the user present; a learned one carries no date, so
     * the platform's events (facets first seen before Tc) decide, like any platform */
    if (c)
        for (size_t i = 0; i < c->n_ids; i++)
            if (!c->ids[i].learned)
                add_platform(x, c->ids[i].platform);
    for (size_t i = 0; i < st->n_facets && st->facets[i].type == TAMIS_FACET_KIND; i++)
        if (st->facets[i].first_ms < x->tc)
            add_platform(x, st->facets[i].platform);
    if (c)
        for (size_t i = 0; i < c->n_ids; i++)
            if (x->slot_of[c->ids[i].platform] != NO_SLOT)
                x->f->platforms[x->slot_of[c->ids[i].platform]].has_identity = true;
    /* KIND facets are first, sorted by (platform, kind): one run per platform */
    for (size_t i = 0; i < st->n_facets && st->facets[i].type == TAMIS_FACET_KIND; i++) {
        uint8_t slot = x->slot_of[st->facets[i].platform];
        if (slot == NO_SLOT)
            continue;
        if (x->kind_hi[slot] == 0)
            x->kind_lo[slot] = (uint32_t)i;
        x->kind_hi[slot] = (uint32_t)i + 1;
    }
    for (size_t s = 0; s < TAMIS_FEATURE_PLATFORMS; s++) {
        for (size_t k = 0; k < TAMIS_KIND__COUNT; k++)
            x->slots[s].newest_hour[k] = NO_HOUR;
        x->slots[s].newest_activity_hour = NO_HOUR;
    }
    for (size_t k = 0; k < TAMIS_KIND__COUNT; k++)
        x->newest_hour[k] = NO_HOUR;
    x->newest_activity_hour = NO_HOUR;
}

static void note_newest(uint32_t *slot, uint32_t hour)
{
    if (*slot == NO_HOUR || hour > *slot)
        *slot = hour;
}

/* The single pass over the hour log. */
static void scan_hours(scan_ctx *x)
{
    const tamis_user_state *st = x->in->state;
    const tamis_zone_hours *z = x->in->zone;
    tamis_features *f = x->f;
    uint32_t end_hour = (uint32_t)(x->tc / HOUR_MS);
    int32_t first_day = f->day - (TAMIS_FEATURE_WINDOW_DAYS - 1);

    for (size_t i = 0; i < st->n_hours; i++) {
        const tamis_hour_count *h = &st->hours[i];
        uint32_t hour = tamis_hc_hour(h);
        uint8_t kind = tamis_hc_kind(h), platform = tamis_hc_platform(h);
        uint8_t slot = x->slot_of[platform];
        bool activity;
        int64_t lm;
        int32_t day, age;

        if (hour >= end_hour)
            break;
        if (kind >= TAMIS_KIND__COUNT)
            continue;
        activity = tamis_kind_table[kind].activity;
        note_newest(&x->newest_hour[kind], hour);
        if (activity)
            note_newest(&x->newest_activity_hour, hour);
        if (slot != NO_SLOT) {
            note_newest(&x->slots[slot].newest_hour[kind], hour);
            if (activity)
                note_newest(&x->slots[slot].newest_activity_hour, hour);
        }
        lm = local_minutes(z, hour);
        day = (int32_t)floor_div(lm, DAY_MINUTES);
        if (day < first_day || day > f->day)
            continue;
        age = f->day - day;
        if (activity)
            x->active[age >> 6] |= 1ull << (age & 63);
        if (kind == TAMIS_KIND_PROFILE_UPDATE)
            f->profile_updates_90 += h->count;
        if (kind == TAMIS_KIND_PURCHASE) {
            f->purchases_90 += h->count;
            f->purchase_value_90_micros += h->value_micros;
        }
        if (age >= 30)
            continue;
        f->kind_30[kind] += h->count;
        if (activity) {
            f->activity_30 += h->count;
            f->hour_hist_30[floor_div(lm, 60) % 24] += h->count;
            if (tamis_kind_table[kind].deep)
                f->deep_actions_30 += h->count;
        }
        if (slot != NO_SLOT) {
            tamis_platform_features *p = &f->platforms[slot];
            if (activity)
                p->activity_30 += h->count;
            switch (kind) {
            case TAMIS_KIND_OUTBOUND_SENT: p->outbound_sent_30 += h->count; break;
            case TAMIS_KIND_DELIVERED: p->delivered_30 += h->count; break;
            case TAMIS_KIND_READ: p->read_30 += h->count; break;
            case TAMIS_KIND_REPLY: p->reply_30 += h->count; break;
            case TAMIS_KIND_CLICK: p->click_30 += h->count; break;
            default: break;
            }
        }
    }
}

/* Length of the run of set bits of v starting at bit 0. */
static unsigned ones_from_bottom(uint64_t v)
{
    return v == UINT64_MAX ? 64u : (unsigned)__builtin_ctzll(~v);
}

static void continuity(scan_ctx *x)
{
    tamis_features *f = x->f;
    uint64_t lo = x->active[0], hi = x->active[1] & ((1ull << (TAMIS_FEATURE_WINDOW_DAYS - 64)) - 1);
    uint64_t v30 = lo & ((1ull << 30) - 1);
    unsigned start = lo & 1 ? 0 : 1, streak;

    f->active_days_90 = (uint16_t)(__builtin_popcountll(lo) + __builtin_popcountll(hi));
    f->active_days_30 = (uint16_t)__builtin_popcountll(v30);
    f->active_days_7 = (uint16_t)__builtin_popcountll(lo & 0x7f);
    /* consecutive active days from D (or D-1 when D has none) back */
    streak = ones_from_bottom(lo >> start);
    if (streak == 64 - start)
        streak += ones_from_bottom(hi);
    f->streak = (uint16_t)streak;
    /* the longest run within the last 30 days: each step shortens every run by one */
    for (f->longest_streak_30 = 0; v30; v30 &= v30 >> 1)
        f->longest_streak_30++;
}

/* Newest time before Tc of (platform, kind): the facet's exact last time if it is
 * before Tc, else the start of the newest hour-log hour (hour precision), else -1. */
static int64_t newest_before(const scan_ctx *x, uint8_t slot, uint8_t kind)
{
    const tamis_facet *fc = NULL;
    uint32_t hour = x->slots[slot].newest_hour[kind];
    for (uint32_t i = x->kind_lo[slot]; i < x->kind_hi[slot] && !fc; i++)
        if (x->in->state->facets[i].kind == kind)
            fc = &x->in->state->facets[i];
    if (fc && fc->last_ms < x->tc)
        return fc->last_ms;
    if (hour != NO_HOUR)
        return (int64_t)hour * HOUR_MS;
    return -1;
}

static void last_seen(scan_ctx *x)
{
    const tamis_user_state *st = x->in->state;
    tamis_features *f = x->f;
    int64_t best = -1;
    bool all_before = true;

    for (size_t i = 0; i < st->n_facets && st->facets[i].type == TAMIS_FACET_KIND; i++) {
        const tamis_facet *fc = &st->facets[i];
        if (fc->kind >= TAMIS_KIND__COUNT || !tamis_kind_table[fc->kind].activity || fc->first_ms >= x->tc)
            continue;
        if (fc->last_ms >= x->tc)
            all_before = false;
        else if (fc->last_ms > best)
            best = fc->last_ms;
    }
    if (!all_before) {
        /* the newest kept timestamps are complete above any of them */
        best = -1;
        for (size_t i = st->n_recent; i > 0; i--)
            if (st->recent[i - 1] < x->tc) {
                best = st->recent[i - 1];
                break;
            }
        if (best < 0 && x->newest_activity_hour != NO_HOUR)
            best = (int64_t)x->newest_activity_hour * HOUR_MS;
    }
    f->last_seen_ms = best >= 0 ? best : TAMIS_NULL_I64;
    if (x->newest_activity_hour != NO_HOUR)
        f->days_since_seen = f->day - local_day_of_hour(x->in->zone, x->newest_activity_hour);
    else if (best >= 0)
        f->days_since_seen = f->day - local_day_of_ms(x->in->zone, best);
}

static bool field_present(const scan_ctx *x, const char *name)
{
    const tamis_contact *c = x->in->contact;
    const tamis_user_state *st = x->in->state;
    size_t len = strlen(name);
    if (c)
        for (size_t i = 0; i < c->n_attrs; i++)
            if (strcmp(c->attrs[i].key, name) == 0 && c->attrs[i].value && c->attrs[i].value[0])
                return true;
    for (size_t i = 0; i < st->n_facets; i++) {
        const tamis_facet *fc = &st->facets[i];
        if (fc->type == TAMIS_FACET_FIELD && fc->kind == TAMIS_KIND_PROFILE_UPDATE && fc->key_len == len &&
            fc->first_ms < x->tc &&
            memcmp(tamis_facet_key(fc), name, len) == 0)
            return true;
    }
    return false;
}

static void profile_and_purchases(scan_ctx *x)
{
    tamis_features *f = x->f;
    const tamis_zone_hours *z = x->in->zone;
    uint32_t h;

    f->has_avatar = field_present(x, "avatar");
    f->has_nickname = field_present(x, "nickname");
    f->has_status = field_present(x, "status");
    h = x->newest_hour[TAMIS_KIND_PROFILE_UPDATE];
    if (h != NO_HOUR)
        f->days_since_profile_update = f->day - local_day_of_hour(z, h);
    h = x->newest_hour[TAMIS_KIND_PURCHASE];
    if (h != NO_HOUR)
        f->days_since_purchase = f->day - local_day_of_hour(z, h);
}

static void rhythm(tamis_features *f)
{
    uint32_t total = 0, day = 0, best = 0;
    double entropy = 0;

    f->peak_hour = -1;
    f->day_share = f->regularity = NAN;

    for (int i = 0; i < 24; i++) {
        total += f->hour_hist_30[i];
        if (i >= 6 && i < 18)
            day += f->hour_hist_30[i];
        if (f->hour_hist_30[i] > best) {
            best = f->hour_hist_30[i];
            f->peak_hour = (int8_t)i;
        }
    }
    if (total == 0)
        return;
    for (int i = 0; i < 24; i++)
        if (f->hour_hist_30[i]) {
            double p = (double)f->hour_hist_30[i] / total;
            entropy -= p * log(p);
        }
    f->day_share = (double)day / total;
    f->regularity = 1.0 - entropy / log(24.0);
}

static void consent_and_failures(scan_ctx *x)
{
    static const uint8_t ok_kinds[] = {TAMIS_KIND_DELIVERED, TAMIS_KIND_READ, TAMIS_KIND_REPLY, TAMIS_KIND_CLICK};
    const tamis_user_state *st = x->in->state;
    tamis_features *f = x->f;

    for (uint8_t s = 0; s < f->n_platforms; s++) {
        tamis_platform_features *p = &f->platforms[s];
        int64_t t_in = newest_before(x, s, TAMIS_KIND_OPT_IN);
        int64_t t_out = newest_before(x, s, TAMIS_KIND_OPT_OUT);
        int64_t t_block = newest_before(x, s, TAMIS_KIND_BLOCK);
        int64_t last_ok = -1;
        uint32_t hour = x->slots[s].newest_activity_hour;

        /* latest wins; ties: block, then opt_out */
        if (t_block >= 0 && t_block >= t_out && t_block >= t_in)
            p->blocked = true;
        else if (t_out >= 0 && t_out >= t_in)
            p->opted_out = true;
        else if (t_in >= 0)
            p->opted_in = true;
        for (size_t k = 0; k < sizeof ok_kinds; k++) {
            int64_t t = newest_before(x, s, ok_kinds[k]);
            if (t > last_ok)
                last_ok = t;
        }
        for (size_t i = 0; i < st->n_failures; i++) {
            const tamis_failure *fl = &st->failures[i];
            if (fl->platform != p->platform || fl->ts_ms >= x->tc || fl->ts_ms <= last_ok ||
                tamis_model_config_soft_reason(x->cfg, fl->reason))
                continue;
            if (p->consecutive_failures++ == 0)
                snprintf(p->last_failure_reason, sizeof p->last_failure_reason, "%s", fl->reason);
        }
        p->days_since_seen = hour != NO_HOUR ? f->day - local_day_of_hour(x->in->zone, hour) : TAMIS_NULL_I32;
        bool channel = p->platform != x->in->unknown_platform;
        f->n_channel_platforms += channel;
        p->usable = channel && !p->opted_out && !p->blocked && p->consecutive_failures < x->cfg->unreachable_failures;
        if (p->consecutive_failures > f->max_consecutive_failures)
            f->max_consecutive_failures = p->consecutive_failures;
        f->n_usable_platforms += p->usable;
        f->blocked_any |= p->blocked;
        f->opted_out_any |= p->opted_out;
    }
}

static void risk(scan_ctx *x)
{
    const tamis_user_state *st = x->in->state;
    const tamis_model_config *cfg = x->cfg;
    tamis_features *f = x->f;
    int64_t window = (int64_t)cfg->burst_minutes * MINUTE_MS;
    double sum = 0, sq = 0, mean;
    size_t n = 0;

    f->device_accounts = 0;
    for (size_t i = 0; i < st->n_facets; i++) {
        const tamis_facet *fc = &st->facets[i];
        uint32_t accounts = 1, burst = 0;
        if (fc->type != TAMIS_FACET_DEVICE || fc->first_ms >= x->tc)
            continue;
        tamis_device_facts_query(x->in->devices, tamis_facet_key(fc), fc->key_len, x->in->uid, fc->first_ms, window,
                                 &accounts, &burst);
        if (accounts > f->device_accounts)
            f->device_accounts = accounts;
        if (burst > f->device_burst)
            f->device_burst = burst;
    }
    for (size_t i = 1; i < st->n_recent && st->recent[i] < x->tc; i++) {
        double gap = (double)(st->recent[i] - st->recent[i - 1]);
        sum += gap;
        sq += gap * gap;
        n++;
    }
    if (n >= cfg->regular_min_gaps) {
        mean = sum / (double)n;
        f->timing_cv = mean > 0 ? sqrt(fmax(0.0, sq / (double)n - mean * mean)) / mean : 0.0;
        f->machine_regular = f->timing_cv < cfg->regular_max_cv;
    }
}

void tamis_features_compute(const tamis_feature_input *in, const tamis_model_config *cfg, tamis_features *f)
{
    scan_ctx x;
    const tamis_contact *c = in->contact;
    int64_t t1 = in->as_of_ms - 1000;
    uint32_t t1_hour = (uint32_t)floor_div(t1, HOUR_MS);

    /* platforms[] entries are cleared as they are added: only clear what precedes them */
    memset(f, 0, offsetof(tamis_features, platforms));
    f->n_platforms = 0;
    /* slots, newest hours and slot_of are set by collect_platforms */
    memset(&x, 0, offsetof(scan_ctx, slot_of));
    memset(x.active, 0, sizeof x.active);
    memset(x.kind_lo, 0, sizeof x.kind_lo);
    memset(x.kind_hi, 0, sizeof x.kind_hi);
    x.in = in;
    x.cfg = cfg;
    x.f = f;
    x.tc = tamis_features_window_end(in->as_of_ms);
    f->as_of_ms = in->as_of_ms;
    f->window_end_ms = x.tc;
    f->zone_source = in->zone_source;
    f->tz_offset_minutes = (int16_t)tamis_zone_offset_at_hour(in->zone, t1_hour);
    f->day = (int32_t)floor_div(floor_div(t1, MINUTE_MS) + f->tz_offset_minutes, DAY_MINUTES);
    f->last_seen_ms = TAMIS_NULL_I64;
    f->days_since_seen = f->days_since_profile_update = f->days_since_purchase = TAMIS_NULL_I32;
    f->timing_cv = NAN;

    collect_platforms(&x);
    scan_hours(&x);
    continuity(&x);
    last_seen(&x);
    profile_and_purchases(&x);
    consent_and_failures(&x);
    risk(&x);
    f->phone_usable = c && c->phone_e164 && c->phone_valid &&
                      (c->phone_type == TAMIS_PHONE_MOBILE || c->phone_type == TAMIS_PHONE_FIXED_LINE_OR_MOBILE);
    tamis_features_derive(f);
}

void tamis_features_derive(tamis_features *f)
{
    f->purchase_value_90 = (double)f->purchase_value_90_micros / 1e6;
    f->depth_ratio = ratio(f->deep_actions_30, f->activity_30);
    f->reply_rate_30 = ratio(f->kind_30[TAMIS_KIND_REPLY], f->kind_30[TAMIS_KIND_OUTBOUND_SENT]);
    f->delivery_rate_30 = ratio(f->kind_30[TAMIS_KIND_DELIVERED], f->kind_30[TAMIS_KIND_OUTBOUND_SENT]);
    f->read_rate_30 = ratio(f->kind_30[TAMIS_KIND_READ], f->kind_30[TAMIS_KIND_DELIVERED]);
    f->click_rate_30 = ratio(f->kind_30[TAMIS_KIND_CLICK], f->kind_30[TAMIS_KIND_DELIVERED]);
    for (uint8_t s = 0; s < f->n_platforms; s++) {
        tamis_platform_features *p = &f->platforms[s];
        p->reply_rate_30 = ratio(p->reply_30, p->outbound_sent_30);
        p->delivery_rate_30 = ratio(p->delivered_30, p->outbound_sent_30);
        p->read_rate_30 = ratio(p->read_30, p->delivered_30);
        p->click_rate_30 = ratio(p->click_30, p->delivered_30);
    }
    rhythm(f);
}

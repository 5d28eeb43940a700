/* test_model.c — unit tests of the activity model: features as of T in local days
 * (src/model/features.c, zone_hours.c), sub-scores, tiers, trend, channel, hour and
 * reasons (score.c, channel.c, reasons.c), and the stored record (record.c). States
 * are built event by event with tamis_user_state_apply, as ingest does. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/cooling.h"
#include "tamis/features.h"
#include "tamis/kinds.h"
#include "tamis/phone.h"
#include "tamis/record.h"
#include "tamis/score.h"
#include "tamis/user_state.h"
#include "tamis/zone_hours.h"

#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
#define T_ASOF 1761955200000LL /* 2025-11-01T00:00:00Z */
#define P_WA 0
#define P_TG 1

typedef struct fixture {
    tamis_model_config *cfg;
    tamis_zone_cache *zones;
    tamis_user_state st;
    tamis_contact c;
    tamis_platform_names names;
    tamis_features f;
    tamis_result r;
} fixture;

static void fx_init(fixture *x)
{
    uint32_t first, end;
    memset(x, 0, sizeof *x);
    x->cfg = tamis_model_config_new();
    tamis_features_hour_span(T_ASOF, &first, &end);
    x->zones = tamis_zone_cache_new(first, end, x->cfg);
    tamis_user_state_init(&x->st);
    tamis_contact_init(&x->c);
    x->c.key = tamis_strdup("u1");
    x->names.name[P_WA] = "whatsapp";
    x->names.name[P_TG] = "telegram";
}

static void fx_free(fixture *x)
{
    tamis_user_state_free(&x->st);
    tamis_contact_free(&x->c);
    tamis_zone_cache_free(x->zones);
    tamis_model_config_free(x->cfg);
}

static void ev(fixture *x, int64_t ts, uint8_t platform, uint8_t kind, const char *reason)
{
    tamis_state_event e;
    memset(&e, 0, sizeof e);
    e.ts_ms = ts;
    e.platform = platform;
    e.kind = kind;
    if (reason) {
        e.reason = reason;
        e.reason_len = (uint32_t)strlen(reason);
    }
    assert_int_equal(tamis_user_state_apply(&x->st, &e, 400), TAMIS_APPLIED);
}

static void device_ev(fixture *x, int64_t ts, const char *device)
{
    tamis_state_event e;
    memset(&e, 0, sizeof e);
    e.ts_ms = ts;
    e.platform = P_WA;
    e.kind = TAMIS_KIND_ONLINE;
    e.device = device;
    e.device_len = (uint32_t)strlen(device);
    assert_int_equal(tamis_user_state_apply(&x->st, &e, 400), TAMIS_APPLIED);
}

static void compute(fixture *x, const tamis_device_facts *devices)
{
    tamis_feature_input in;
    tamis_zone_source src;
    memset(&in, 0, sizeof in);
    in.state = &x->st;
    in.contact = &x->c;
    in.uid = 1;
    in.zone = tamis_zone_cache_for_contact(x->zones, &x->c, &src);
    in.zone_source = (uint8_t)src;
    in.devices = devices;
    in.unknown_platform = -1;
    in.as_of_ms = T_ASOF;
    tamis_features_compute(&in, x->cfg, &x->f);
    tamis_score_compute(&x->f, &x->c, x->cfg, &x->names, &x->r);
}

/* Active on 6 of the last 7 UTC days (not today-1), twice a day at 09:00 and 21:00. */
static void test_continuity_and_rhythm_utc(void **state)
{
    fixture x;
    (void)state;
    fx_init(&x);
    for (int d = 1; d <= 7; d++) {
        if (d == 3)
            continue;
        ev(&x, T_ASOF - d * DAY_MS + 9 * HOUR_MS, P_WA, TAMIS_KIND_ONLINE, NULL);
        ev(&x, T_ASOF - d * DAY_MS + 21 * HOUR_MS, P_WA, TAMIS_KIND_MESSAGE_SENT, NULL);
    }
    ev(&x, T_ASOF - 40 * DAY_MS, P_WA, TAMIS_KIND_ONLINE, NULL);      /* only in 90 days */
    ev(&x, T_ASOF + 2 * HOUR_MS, P_WA, TAMIS_KIND_ONLINE, NULL);      /* after T: ignored */
    compute(&x, NULL);
    assert_int_equal(x.f.zone_source, TAMIS_ZONE_UTC);
    assert_int_equal(x.f.active_days_7, 6);
    assert_int_equal(x.f.active_days_30, 6);
    assert_int_equal(x.f.active_days_90, 7);
    assert_int_equal(x.f.streak, 2);            /* D and D-1 active, D-2 not */
    assert_int_equal(x.f.longest_streak_30, 4); /* D-3 .. D-6 */
    assert_int_equal(x.f.days_since_seen, 0);
    assert_int_equal(x.f.last_seen_ms, T_ASOF - DAY_MS + 21 * HOUR_MS);
    assert_int_equal(x.f.activity_30, 12);
    assert_int_equal(x.f.deep_actions_30, 6);
    assert_true(fabs(x.f.depth_ratio - 0.5) < 1e-12);
    assert_int_equal(x.f.hour_hist_30[9], 6);
    assert_int_equal(x.f.hour_hist_30[21], 6);
    assert_int_equal(x.f.peak_hour, 9); /* earliest on ties */
    assert_true(fabs(x.f.day_share - 0.5) < 1e-12);
    assert_true(fabs(x.f.regularity - (1.0 - log(2.0) / log(24.0))) < 1e-12);
    assert_true(isnan(x.f.reply_rate_30));
    assert_int_equal(x.r.tier, TAMIS_TIER_DAILY_ACTIVE);
    assert_int_equal(x.r.cadence_days, 1);
    assert_int_equal(x.r.best_hour, 9);
    assert_int_equal(x.r.hour_source, TAMIS_HOUR_PEAK);
    assert_string_equal(x.r.best_channel, "whatsapp");
    assert_true(x.r.n_reasons >= TAMIS_MIN_REASONS && x.r.n_reasons <= TAMIS_MAX_REASONS);
    assert_int_equal(x.r.reasons[0].code, TAMIS_R_ACTIVE_7); /* the tier's cause first */
    {
        char text[128];
        tamis_reason_text(&x.r.reasons[0], &x.r, &x.names, text, sizeof text);
        assert_string_equal(text, "active 6 of the last 7 days");
    }
    fx_free(&x);
}

/* The same instants in a zone 7 hours ahead: 21:00 UTC is 04:00 the next local day. */
static void test_local_days(void **state)
{
    fixture x;
    (void)state;
    fx_init(&x);
    x.c.tz = tamis_strdup("Asia/Ho_Chi_Minh");
    ev(&x, T_ASOF - 1 * DAY_MS + 18 * HOUR_MS, P_WA, TAMIS_KIND_ONLINE, NULL); /* D 01:00 */
    ev(&x, T_ASOF - 2 * DAY_MS + 21 * HOUR_MS, P_WA, TAMIS_KIND_ONLINE, NULL); /* D-1 04:00 */
    ev(&x, T_ASOF - 2 * DAY_MS + 9 * HOUR_MS, P_WA, TAMIS_KIND_ONLINE, NULL);  /* D-2 16:00 */
    compute(&x, NULL);
    assert_int_equal(x.f.zone_source, TAMIS_ZONE_CONTACT);
    assert_int_equal(x.f.tz_offset_minutes, 420);
    assert_int_equal(x.f.active_days_7, 3); /* in UTC these are 2 days */
    assert_int_equal(x.f.streak, 3);
    assert_int_equal(x.f.days_since_seen, 0);
    assert_int_equal(x.f.hour_hist_30[1], 1);
    assert_int_equal(x.f.hour_hist_30[4], 1);
    assert_int_equal(x.f.hour_hist_30[16], 1);
    tamis_free(x.c.tz);
    x.c.tz = NULL;
    compute(&x, NULL);
    assert_int_equal(x.f.active_days_7, 2);
    fx_free(&x);
}

/* Replies and receipts; failures in a row with a soft one skipped; unreachable at 3. */
static void test_rates_failures_tiers(void **state)
{
    fixture x;
    (void)state;
    fx_init(&x);
    x.c.ids = tamis_calloc(1, sizeof *x.c.ids);
    x.c.ids[0].platform = P_WA;
    x.c.ids[0].id = tamis_strdup("8490");
    x.c.n_ids = 1;
    for (int i = 0; i < 4; i++) {
        ev(&x, T_ASOF - (20 - i) * DAY_MS, P_WA, TAMIS_KIND_OUTBOUND_SENT, NULL);
        ev(&x, T_ASOF - (20 - i) * DAY_MS + 60000, P_WA, TAMIS_KIND_DELIVERED, NULL);
    }
    ev(&x, T_ASOF - 19 * DAY_MS, P_WA, TAMIS_KIND_READ, NULL);
    ev(&x, T_ASOF - 18 * DAY_MS, P_WA, TAMIS_KIND_REPLY, NULL);
    ev(&x, T_ASOF - 17 * DAY_MS + 2 * HOUR_MS, P_WA, TAMIS_KIND_REPLY, NULL);
    compute(&x, NULL);
    assert_true(fabs(x.f.reply_rate_30 - 0.5) < 1e-12);
    assert_true(fabs(x.f.delivery_rate_30 - 1.0) < 1e-12);
    assert_true(fabs(x.f.read_rate_30 - 0.25) < 1e-12);
    assert_true(fabs(x.f.click_rate_30 - 0.0) < 1e-12);
    assert_int_equal(x.f.n_platforms, 1);
    assert_true(x.f.platforms[0].has_identity);
    assert_int_equal(x.r.tier, TAMIS_TIER_HIGH_INTERACTION);
    assert_int_not_equal(x.r.sub[TAMIS_SUB_INTERACTION], TAMIS_SUB_NULL);

    /* three hard failures after the last receipt, one soft one between them */
    ev(&x, T_ASOF - 10 * DAY_MS, P_WA, TAMIS_KIND_FAILED, "invalid_number");
    ev(&x, T_ASOF - 9 * DAY_MS, P_WA, TAMIS_KIND_FAILED, "rate_limited");
    ev(&x, T_ASOF - 8 * DAY_MS, P_WA, TAMIS_KIND_FAILED, "invalid_number");
    compute(&x, NULL);
    assert_int_equal(x.f.platforms[0].consecutive_failures, 2);
    assert_true(x.f.platforms[0].usable);
    ev(&x, T_ASOF - 7 * DAY_MS, P_WA, TAMIS_KIND_FAILED, "not_on_platform");
    compute(&x, NULL);
    assert_int_equal(x.f.platforms[0].consecutive_failures, 3);
    assert_string_equal(x.f.platforms[0].last_failure_reason, "not_on_platform");
    assert_false(x.f.platforms[0].usable);
    assert_int_equal(x.r.tier, TAMIS_TIER_UNREACHABLE);
    assert_int_equal(x.r.cadence_days, 0);
    assert_true(x.r.score <= x.cfg->unreachable_cap);
    assert_int_equal(x.r.sub[TAMIS_SUB_REACHABILITY], 0);
    {
        char text[128];
        bool found = false;
        for (int i = 0; i < x.r.n_reasons; i++) {
            tamis_reason_text(&x.r.reasons[i], &x.r, &x.names, text, sizeof text);
            found |= strcmp(text, "3 failed deliveries in a row on whatsapp") == 0;
        }
        assert_true(found);
    }
    /* a later delivery reopens the channel */
    ev(&x, T_ASOF - 6 * DAY_MS, P_WA, TAMIS_KIND_DELIVERED, NULL);
    compute(&x, NULL);
    assert_int_equal(x.f.platforms[0].consecutive_failures, 0);
    assert_int_not_equal(x.r.tier, TAMIS_TIER_UNREACHABLE);
    fx_free(&x);
}

/* Opt-out everywhere: unreachable; a user with only an invalid phone: unreachable; a
 * valid mobile and no platform: the country's first channel. */
static void test_consent_and_phone_channel(void **state)
{
    fixture x;
    (void)state;
    fx_init(&x);
    ev(&x, T_ASOF - 5 * DAY_MS, P_TG, TAMIS_KIND_ONLINE, NULL);
    ev(&x, T_ASOF - 4 * DAY_MS, P_TG, TAMIS_KIND_OPT_OUT, NULL);
    compute(&x, NULL);
    assert_true(x.f.platforms[0].opted_out);
    assert_int_equal(x.r.tier, TAMIS_TIER_UNREACHABLE);
    ev(&x, T_ASOF - 3 * DAY_MS, P_TG, TAMIS_KIND_OPT_IN, NULL);
    compute(&x, NULL);
    assert_true(x.f.platforms[0].opted_in);
    assert_int_equal(x.r.tier, TAMIS_TIER_OCCASIONAL);
    fx_free(&x);

    fx_init(&x);
    x.c.phone_e164 = tamis_strdup("+8412");
    x.c.phone_valid = false;
    compute(&x, NULL);
    assert_int_equal(x.r.tier, TAMIS_TIER_UNREACHABLE);
    assert_int_equal(x.r.reasons[0].code, TAMIS_R_BAD_PHONE);
    tamis_free(x.c.phone_e164);
    x.c.phone_e164 = tamis_strdup("+84912345678");
    x.c.phone_valid = true;
    x.c.phone_type = TAMIS_PHONE_MOBILE;
    memcpy(x.c.country, "VN", 3);
    compute(&x, NULL);
    assert_int_equal(x.r.tier, TAMIS_TIER_DORMANT);
    assert_string_equal(x.r.best_channel, "zalo");
    assert_int_equal(x.r.channel_source, TAMIS_CHANNEL_COUNTRY);
    assert_int_equal(x.f.zone_source, TAMIS_ZONE_COUNTRY);
    assert_int_equal(x.r.hour_source, TAMIS_HOUR_COUNTRY);
    fx_free(&x);
}

/* Device farms and machine timing make a user risky; trend follows the 7/23 rule. */
static void test_risk_and_trend(void **state)
{
    fixture x;
    tamis_device_facts *dev = tamis_device_facts_new();
    (void)state;
    fx_init(&x);
    device_ev(&x, T_ASOF - 2 * DAY_MS, "dev-farm");
    for (int i = 1; i < 12; i++) /* exactly every 5 minutes */
        ev(&x, T_ASOF - 2 * DAY_MS + i * 300000LL, P_WA, TAMIS_KIND_ONLINE, NULL);
    tamis_device_facts_add(dev, "dev-farm", 8, 1, T_ASOF - 2 * DAY_MS);
    tamis_device_facts_add(dev, "dev-farm", 8, 2, T_ASOF - 2 * DAY_MS + 60000);
    tamis_device_facts_add(dev, "dev-farm", 8, 3, T_ASOF - 2 * DAY_MS + 120000);
    tamis_device_facts_add(dev, "dev-farm", 8, 4, T_ASOF - 1 * DAY_MS);
    tamis_device_facts_finish(dev);
    compute(&x, dev);
    assert_int_equal(x.f.device_accounts, 4);
    assert_int_equal(x.f.device_burst, 2);
    assert_true(x.f.machine_regular);
    assert_true(x.f.timing_cv < 0.1);
    assert_int_equal(x.r.tier, TAMIS_TIER_RISKY);
    assert_int_equal(x.r.cadence_days, 0);
    assert_int_equal(x.r.trend, TAMIS_TREND_STABLE); /* 1/7 - 0/23 = 0.14 < 0.15 */
    tamis_device_facts_free(dev);
    fx_free(&x);

    fx_init(&x);
    for (int d = 8; d < 30; d++) /* active every day but the last 7 */
        ev(&x, T_ASOF - d * DAY_MS + 12 * HOUR_MS + d * 7919, P_TG, TAMIS_KIND_ONLINE, NULL);
    compute(&x, NULL);
    assert_int_equal(x.r.trend, TAMIS_TREND_COOLING);
    assert_int_equal(x.r.tier, TAMIS_TIER_OCCASIONAL);
    fx_free(&x);

    fx_init(&x);
    for (int d = 1; d <= 7; d++) /* every one of the last 7 days, 2 of the 23 before */
        ev(&x, T_ASOF - d * DAY_MS + 3 * HOUR_MS, P_TG, TAMIS_KIND_ONLINE, NULL);
    ev(&x, T_ASOF - 12 * DAY_MS, P_TG, TAMIS_KIND_ONLINE, NULL);
    ev(&x, T_ASOF - 20 * DAY_MS, P_TG, TAMIS_KIND_ONLINE, NULL);
    compute(&x, NULL);
    assert_int_equal(x.r.trend, TAMIS_TREND_WARMING);
    assert_int_equal(x.r.tier, TAMIS_TIER_DAILY_ACTIVE);
    fx_free(&x);
}

/* The stored record gives back the same result and features. */
/* The weighted mean of the observable sub-scores with the given weights, risk penalty
 * applied (docs/MODEL.md "Score"), rounded as the scorer rounds. */
static int expected_score(const tamis_result *r, const tamis_model_config *cfg, const double w[TAMIS_SUB__COUNT])
{
    double num = 0, den = 0, total;
    for (int d = 0; d < TAMIS_SUB_RISK; d++) {
        if (r->sub[d] == TAMIS_SUB_NULL)
            continue;
        num += w[d] * r->sub[d];
        den += w[d];
    }
    total = (den > 0 ? num / den : 0) * (1.0 - cfg->risk_penalty * r->sub[TAMIS_SUB_RISK] / 100.0);
    return (int)lround(total);
}

/* Per-platform weights are averaged over the user's platforms that set them; a
 * country's weight replaces them; bound and unbound platform names agree. */
static void test_weight_overrides(void **state)
{
    static const char ini[] = "[platform.whatsapp]\n"
                              "observes = all\n"
                              "weight.continuity = 90\n"
                              "weight.interaction =\n"
                              "[platform.telegram]\n"
                              "weight.continuity = 10\n"
                              "weight.depth = 70\n"
                              "[country.VN]\n"
                              "weight.depth = 2\n";
    fixture x;
    tamis_error err = {0};
    double w[TAMIS_SUB__COUNT];
    tamis_result unbound;
    int base;
    (void)state;
    fx_init(&x);
    for (int d = 1; d <= 20; d++)
        ev(&x, T_ASOF - d * DAY_MS + 10 * HOUR_MS, P_WA, TAMIS_KIND_ONLINE, NULL);
    for (int d = 1; d <= 3; d++)
        ev(&x, T_ASOF - d * DAY_MS + 11 * HOUR_MS, P_TG, TAMIS_KIND_MESSAGE_SENT, NULL);
    ev(&x, T_ASOF - 2 * DAY_MS + 12 * HOUR_MS, P_TG, TAMIS_KIND_REPLY, NULL);

    compute(&x, NULL); /* shipped defaults */
    assert_int_not_equal(x.r.sub[TAMIS_SUB_INTERACTION], TAMIS_SUB_NULL);
    base = x.r.score;
    for (int d = 0; d < TAMIS_SUB__COUNT; d++)
        w[d] = x.cfg->weights.w[d];
    w[TAMIS_SUB_INTERACTION] = 25; /* shipped: whatsapp weight.interaction = 25 */
    assert_int_equal(x.r.sub[TAMIS_SUB_PROFILE] == TAMIS_SUB_NULL, false); /* telegram observes it */
    assert_int_equal(base, expected_score(&x.r, x.cfg, w));

    assert_int_equal(tamis_model_config_load_string(x.cfg, ini, "test.ini", &err), TAMIS_OK);
    compute(&x, NULL);
    unbound = x.r;
    w[TAMIS_SUB_CONTINUITY] = (90.0 + 10.0) / 2; /* both platforms set it: their mean */
    w[TAMIS_SUB_DEPTH] = 70;                     /* only telegram sets it */
    w[TAMIS_SUB_INTERACTION] = x.cfg->weights.w[TAMIS_SUB_INTERACTION]; /* unset again */
    assert_int_equal(x.r.score, expected_score(&x.r, x.cfg, w));
    assert_int_not_equal(x.r.score, base);

    tamis_platform_names_bind(&x.names, x.cfg); /* the score run's path */
    compute(&x, NULL);
    assert_memory_equal(&x.r, &unbound, sizeof unbound);

    memcpy(x.c.country, "VN", 3); /* the country's weight wins over the platforms' */
    compute(&x, NULL);
    w[TAMIS_SUB_DEPTH] = 2;
    assert_int_equal(x.r.score, expected_score(&x.r, x.cfg, w));
    fx_free(&x);
}

/* The binomial tail behind cooling alerts, and the alert rule on two users. */
static void test_cooling_significance(void **state)
{
    tamis_features f;
    (void)state;
    assert_true(fabs(tamis_binomial_cdf(0, 7, 0.5) - 1.0 / 128) < 1e-12);
    assert_true(fabs(tamis_binomial_cdf(7, 7, 0.3) - 1.0) < 1e-12);
    assert_true(fabs(tamis_binomial_cdf(2, 7, 0.5) - 29.0 / 128) < 1e-12);
    assert_true(fabs(tamis_binomial_cdf(0, 7, 0.0) - 1.0) < 1e-12);
    memset(&f, 0, sizeof f);
    f.active_days_30 = 7, f.active_days_7 = 0; /* 7 of 23 days before, none since: p = 0.08 */
    assert_false(tamis_cooling_significant(&f));
    f.active_days_30 = 14, f.active_days_7 = 0; /* 14 of 23: p = 0.0015 */
    assert_true(tamis_cooling_significant(&f));
    f.active_days_30 = 18, f.active_days_7 = 4; /* 14 of 23 then 4 of 7: chance */
    assert_false(tamis_cooling_significant(&f));
    assert_true(tamis_cooling_candidate(TAMIS_TIER_OCCASIONAL, TAMIS_TREND_COOLING));
    assert_false(tamis_cooling_candidate(TAMIS_TIER_SILENT, TAMIS_TREND_COOLING));
    assert_false(tamis_cooling_candidate(TAMIS_TIER_DAILY_ACTIVE, TAMIS_TREND_STABLE));
}

static void test_record_roundtrip(void **state)
{
    fixture x;
    tamis_result r2;
    tamis_features f2;
    tamis_error err = {0};
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0;
    (void)state;
    fx_init(&x);
    ev(&x, T_ASOF - 2 * DAY_MS, P_WA, TAMIS_KIND_OUTBOUND_SENT, NULL);
    ev(&x, T_ASOF - 2 * DAY_MS + 1000, P_WA, TAMIS_KIND_FAILED, "blocked");
    ev(&x, T_ASOF - 1 * DAY_MS, P_TG, TAMIS_KIND_PURCHASE, NULL);
    compute(&x, NULL);
    tamis_record_encode(&x.r, &x.f, &buf, &cap, &len);
    assert_int_equal(tamis_record_decode(buf, len, &r2, &f2, &err), TAMIS_OK);
    assert_int_equal(r2.score, x.r.score);
    assert_int_equal(r2.tier, x.r.tier);
    assert_int_equal(r2.trend, x.r.trend);
    assert_memory_equal(r2.sub, x.r.sub, sizeof r2.sub);
    assert_string_equal(r2.best_channel, x.r.best_channel);
    assert_int_equal(r2.best_hour, x.r.best_hour);
    assert_int_equal(r2.cadence_days, x.r.cadence_days);
    assert_int_equal(r2.n_reasons, x.r.n_reasons);
    for (int i = 0; i < r2.n_reasons; i++) {
        assert_int_equal(r2.reasons[i].code, x.r.reasons[i].code);
        assert_int_equal(r2.reasons[i].platform, x.r.reasons[i].platform);
        assert_int_equal(r2.reasons[i].a, x.r.reasons[i].a);
        assert_int_equal(r2.reasons[i].b, x.r.reasons[i].b);
    }
    assert_int_equal(f2.active_days_30, x.f.active_days_30);
    assert_int_equal(f2.n_platforms, x.f.n_platforms);
    assert_string_equal(f2.platforms[0].last_failure_reason, "blocked");
    assert_int_equal(f2.days_since_purchase, 0); /* T - 1 day is in D */
    assert_true(isnan(f2.reply_rate_30) == isnan(x.f.reply_rate_30));
    /* every truncation is an error, never a crash */
    for (size_t n = 0; n < len; n++)
        assert_int_equal(tamis_record_decode(buf, n, &r2, &f2, &err), TAMIS_ECORRUPT);
    tamis_free(buf);
    fx_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_continuity_and_rhythm_utc),
        cmocka_unit_test(test_local_days),
        cmocka_unit_test(test_rates_failures_tiers),
        cmocka_unit_test(test_consent_and_phone_channel),
        cmocka_unit_test(test_risk_and_trend),
        cmocka_unit_test(test_weight_overrides),
        cmocka_unit_test(test_cooling_significance),
        cmocka_unit_test(test_record_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_overview.c — unit tests of the dashboard's figures (src/model/overview.c): the
 * bins, cells and local hours of the week, then a whole pass over a small store built
 * by hand (contacts, score records and hour logs written directly), whose every count
 * is known: tiers, histograms, the heatmap cell of each event, country x channel. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/overview.h"
#include "tamis/alloc.h"
#include "tamis/contact_record.h"
#include "tamis/event.h"
#include "tamis/record.h"
#include "tamis/store.h"

#define HOUR_MS 3600000LL

static int64_t ts(const char *iso)
{
    int64_t ms;
    tamis_error err;
    assert_int_equal(tamis_parse_ts(iso, strlen(iso), &ms, &err), TAMIS_OK);
    return ms;
}

static void test_definitions(void **unused)
{
    int64_t day;
    (void)unused;
    assert_int_equal(tamis_overview_bin(0), 0);
    assert_int_equal(tamis_overview_bin(9), 0);
    assert_int_equal(tamis_overview_bin(10), 1);
    assert_int_equal(tamis_overview_bin(99), 9);
    assert_int_equal(tamis_overview_bin(100), 9);
    assert_int_equal(tamis_overview_cell("VN", 3), ((size_t)('V' - 'A') * 26 + ('N' - 'A')) * TAMIS_OVERVIEW_CHANNELS + 3);
    assert_int_equal(tamis_overview_cell("", 999), TAMIS_OVERVIEW_COUNTRIES * TAMIS_OVERVIEW_CHANNELS - 1);
    assert_int_equal(tamis_overview_cell("vn", 0), (TAMIS_OVERVIEW_COUNTRIES - 1) * TAMIS_OVERVIEW_CHANNELS);
    /* 2026-11-02 is a Monday */
    assert_int_equal(tamis_overview_week_hour((uint32_t)(ts("2026-11-02T00:00:00Z") / HOUR_MS), 0, &day), 0);
    assert_int_equal(day, ts("2026-11-02T00:00:00Z") / 86400000);
    assert_int_equal(tamis_overview_week_hour((uint32_t)(ts("2026-11-01T17:00:00Z") / HOUR_MS), 7 * 60, &day), 0);
    assert_int_equal(tamis_overview_week_hour((uint32_t)(ts("2026-11-02T05:00:00Z") / HOUR_MS), -5 * 60, &day), 0);
    assert_int_equal(tamis_overview_week_hour((uint32_t)(ts("2026-11-01T23:00:00Z") / HOUR_MS), 0, &day), 167);
    /* +05:30: 18:30 UTC on Sunday is Monday 00:00 local */
    assert_int_equal(tamis_overview_week_hour((uint32_t)(ts("2026-11-01T18:00:00Z") / HOUR_MS), 330, &day), 167);
    assert_true(tamis_overview_tier_active(TAMIS_TIER_DAILY_ACTIVE));
    assert_true(tamis_overview_tier_active(TAMIS_TIER_OCCASIONAL));
    assert_false(tamis_overview_tier_active(TAMIS_TIER_SILENT));
    assert_false(tamis_overview_tier_active(TAMIS_TIER_RISKY));
}

/* ---- a store built by hand ----------------------------------------------------------- */

static uint32_t add_user(tamis_txn *t, const char *key, const char *country)
{
    tamis_contact c;
    uint8_t *buf = NULL;
    size_t cap = 0, len;
    uint32_t uid;
    tamis_error err;
    assert_int_equal(tamis_user_create(t, key, strlen(key), &uid, &err), TAMIS_OK);
    tamis_contact_init(&c);
    tamis_contact_set_str(&c.key, key, strlen(key));
    snprintf(c.country, sizeof c.country, "%s", country);
    tamis_contact_encode(&c, &buf, &cap, &len);
    assert_int_equal(tamis_user_record_put(t, uid, buf, len, &err), TAMIS_OK);
    tamis_contact_free(&c);
    tamis_free(buf);
    return uid;
}

static void add_score(tamis_txn *t, uint32_t uid, int tier, uint8_t score, uint8_t sub, const char *channel,
                      int64_t as_of_ms, int offset_minutes)
{
    tamis_result r;
    tamis_features f;
    uint8_t *buf = NULL;
    size_t cap = 0, len;
    tamis_error err;
    memset(&r, 0, sizeof r);
    memset(&f, 0, sizeof f);
    r.tier = (uint8_t)tier;
    r.trend = TAMIS_TREND_STABLE;
    r.score = score;
    for (int s = 0; s < TAMIS_SUB__COUNT; s++)
        r.sub[s] = sub;
    r.sub[TAMIS_SUB_RISK] = TAMIS_SUB_NULL;
    snprintf(r.best_channel, sizeof r.best_channel, "%s", channel);
    f.as_of_ms = as_of_ms;
    f.window_end_ms = tamis_features_window_end(as_of_ms);
    f.tz_offset_minutes = (int16_t)offset_minutes;
    f.day = (int32_t)((as_of_ms - 1000 + offset_minutes * 60000LL) / 86400000);
    f.last_seen_ms = TAMIS_NULL_I64;
    f.days_since_seen = TAMIS_NULL_I32;
    f.days_since_profile_update = f.days_since_purchase = TAMIS_NULL_I32;
    f.peak_hour = -1;
    tamis_record_encode(&r, &f, &buf, &cap, &len);
    assert_int_equal(tamis_score_record_put(t, uid, buf, len, false, &err), TAMIS_OK);
    tamis_free(buf);
}

static void add_events(tamis_txn *t, uint32_t uid, uint8_t platform, const int64_t *when, const uint8_t *kinds, size_t n)
{
    tamis_user_state st;
    uint8_t *buf = NULL;
    size_t cap = 0, len;
    tamis_error err;
    tamis_user_state_init(&st);
    for (size_t i = 0; i < n; i++) {
        tamis_state_event e;
        memset(&e, 0, sizeof e);
        e.ts_ms = when[i];
        e.platform = platform;
        e.kind = kinds[i];
        tamis_user_state_apply(&st, &e, 400);
    }
    tamis_user_state_encode(&st, 400, &buf, &cap, &len);
    assert_int_equal(tamis_activity_put(t, uid, buf, len, false, &err), TAMIS_OK);
    tamis_user_state_free(&st);
    tamis_free(buf);
}

static void test_compute(void **unused)
{
    char *d = tamis_strdup("/tmp/tamis_overview_XXXXXX"), cmd[512];
    int64_t as_of = ts("2026-11-02T00:00:00Z");
    int64_t when[] = {ts("2026-11-01T10:05:00Z"), ts("2026-11-01T10:40:00Z"), ts("2026-11-01T10:50:00Z"),
                      ts("2026-09-20T10:00:00Z"), ts("2026-10-27T03:00:00Z")};
    uint8_t kinds[] = {TAMIS_KIND_MESSAGE_SENT, TAMIS_KIND_ONLINE, TAMIS_KIND_OUTBOUND_SENT, TAMIS_KIND_ONLINE,
                       TAMIS_KIND_READ};
    tamis_overview ov;
    tamis_store *s;
    tamis_txn *t;
    tamis_error err;
    uint8_t zalo;
    uint32_t u1, u2;
    uint64_t week_total = 0;
    json_t *doc;
    (void)unused;

    assert_non_null(mkdtemp(d));
    assert_int_equal(tamis_store_open(d, NULL, &s, &err), TAMIS_OK);
    assert_int_equal(tamis_txn_begin(s, true, &t, &err), TAMIS_OK);
    assert_int_equal(tamis_platform_intern(t, "zalo", 4, &zalo, &err), TAMIS_OK);
    u1 = add_user(t, "alice", "VN");
    u2 = add_user(t, "bob", "");
    add_user(t, "carol", "TH"); /* never scored */
    add_score(t, u1, TAMIS_TIER_DAILY_ACTIVE, 95, 42, "zalo", as_of, 7 * 60);
    add_score(t, u2, TAMIS_TIER_SILENT, 5, 100, "", as_of, 0);
    add_events(t, u1, zalo, when, kinds, 5);
    assert_int_equal(tamis_txn_commit(t, &err), TAMIS_OK);

    assert_int_equal(tamis_overview_compute(s, 2, &ov, &err), TAMIS_OK);
    assert_int_equal(ov.users, 3);
    assert_int_equal(ov.scored, 2);
    assert_int_equal(ov.as_of_max_ms, as_of);
    assert_int_equal(ov.tiers[TAMIS_TIER_DAILY_ACTIVE], 1);
    assert_int_equal(ov.tiers[TAMIS_TIER_SILENT], 1);
    assert_int_equal(ov.trends[TAMIS_TREND_STABLE], 2);
    assert_int_equal(ov.score_hist[9], 1);
    assert_int_equal(ov.score_hist[0], 1);
    assert_int_equal(ov.sub_hist[TAMIS_SUB_CONTINUITY][4], 1);
    assert_int_equal(ov.sub_hist[TAMIS_SUB_CONTINUITY][9], 1);
    assert_int_equal(ov.sub_hist[TAMIS_SUB_RISK][TAMIS_OVERVIEW_BINS], 2); /* not observable */
    /* alice is at +07:00: 10:xx UTC on Sunday 1 Nov is 17:xx local Sunday; message_sent
     * and online count, outbound_sent does not; 20 Sep is outside the 4 weeks; the read
     * at 03:00 UTC on Tuesday 27 Oct is 10:00 local */
    assert_int_equal(ov.week_events[6 * 24 + 17], 2);
    assert_int_equal(ov.week_events[1 * 24 + 10], 1);
    for (size_t h = 0; h < TAMIS_OVERVIEW_WEEK_HOURS; h++)
        week_total += ov.week_events[h];
    assert_int_equal(week_total, 3);
    assert_int_equal(ov.week_users_seen, 1);
    assert_int_equal(ov.cell_users[tamis_overview_cell("VN", zalo)], 1);
    assert_int_equal(ov.cell_active[tamis_overview_cell("VN", zalo)], 1);
    assert_int_equal(ov.cell_users[tamis_overview_cell("", TAMIS_OVERVIEW_CHANNELS - 1)], 1);
    assert_int_equal(ov.cell_active[tamis_overview_cell("", TAMIS_OVERVIEW_CHANNELS - 1)], 0);

    doc = tamis_overview_json(&ov);
    assert_int_equal(json_array_size(json_object_get(doc, "tiers")), TAMIS_TIER__COUNT);
    assert_int_equal(json_array_size(json_object_get(json_object_get(doc, "countries"), "cells")), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(doc, "countries"),
                                                                                         "cells"), 0), "country")),
                        "VN");
    assert_int_equal(json_array_size(json_object_get(doc, "history")), 0);
    json_decref(doc);
    tamis_overview_free(&ov);

    tamis_store_close(s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
    tamis_free(d);
}

static void test_empty_store(void **unused)
{
    char *d = tamis_strdup("/tmp/tamis_overview_XXXXXX"), cmd[512];
    tamis_overview ov;
    tamis_store *s;
    tamis_error err;
    json_t *doc;
    (void)unused;
    assert_non_null(mkdtemp(d));
    assert_int_equal(tamis_store_open(d, NULL, &s, &err), TAMIS_OK);
    assert_int_equal(tamis_overview_compute(s, 1, &ov, &err), TAMIS_OK);
    assert_int_equal(ov.scored, 0);
    doc = tamis_overview_json(&ov);
    assert_true(json_is_null(json_object_get(doc, "as_of")));
    json_decref(doc);
    tamis_overview_free(&ov);
    tamis_store_close(s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
    tamis_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_definitions),
        cmocka_unit_test(test_compute),
        cmocka_unit_test(test_empty_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

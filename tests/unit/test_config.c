/* test_config.c — unit tests of the model configuration (src/model/config*.c).
 *
 * Shipped defaults and lookups; INI overrides, merging of sections, clearing of lists
 * and overrides, continuation lines; one error of every kind with its "PATH:LINE:"
 * message; print -> load round trips (equal text, equal hash) and the hash moving with
 * any printed value, down to the last bit of a double. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tamis/alloc.h"
#include "tamis/model_config.h"
#include "tamis/tz.h"

/* ------------------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------------------- */

/* Defaults + text; fails the test if the text does not load. */
static tamis_model_config *load_ok(const char *text)
{
    tamis_model_config *c = tamis_model_config_new();
    tamis_error err = {0};
    int rc = tamis_model_config_load_string(c, text, "t.ini", &err);
    if (rc != TAMIS_OK)
        print_error("unexpected error: %s\n", err.msg);
    assert_int_equal(rc, TAMIS_OK);
    return c;
}

/* Defaults + text must fail with TAMIS_EINPUT and a message starting with want. */
static void expect_error(const char *text, const char *want)
{
    tamis_model_config *c = tamis_model_config_new();
    tamis_error err = {0};
    int rc = tamis_model_config_load_string(c, text, "t.ini", &err);
    if (rc != TAMIS_EINPUT || strncmp(err.msg, want, strlen(want)) != 0)
        print_error("text:\n%s\nrc %d, message \"%s\"\nwanted \"%s\"\n", text, rc, err.msg, want);
    assert_int_equal(rc, TAMIS_EINPUT);
    assert_true(strncmp(err.msg, want, strlen(want)) == 0);
    tamis_model_config_free(c);
}

/* The printed form of c, owned by the caller (tamis_free). */
static char *print_to_string(const tamis_model_config *c)
{
    char path[] = "/tmp/test_config_XXXXXX";
    int fd = mkstemp(path);
    FILE *f;
    long size;
    char *text;

    assert_true(fd >= 0);
    f = fdopen(fd, "w+");
    assert_non_null(f);
    tamis_model_config_print(c, f);
    assert_int_equal(fflush(f), 0);
    size = ftell(f);
    assert_true(size > 0);
    rewind(f);
    text = tamis_malloc((size_t)size + 1);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = '\0';
    fclose(f);
    unlink(path);
    return text;
}

/* print(c) loaded over the defaults prints the same text and hashes the same. */
static void expect_round_trip(const tamis_model_config *c)
{
    char *text = print_to_string(c), *again;
    tamis_model_config *back = load_ok(text);

    again = print_to_string(back);
    if (strcmp(text, again) != 0)
        print_error("first:\n%s\nsecond:\n%s\n", text, again);
    assert_string_equal(text, again);
    assert_true(tamis_model_config_hash(c) == tamis_model_config_hash(back));
    /* no line comes near inih's 200-byte line buffer */
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        assert_non_null(nl);
        assert_true(nl - line <= 120);
        line = nl + 1;
    }
    tamis_free(text);
    tamis_free(again);
    tamis_model_config_free(back);
}

static void expect_channels(const tamis_country_rules *r, const char *a, const char *b)
{
    assert_non_null(r);
    assert_int_equal(r->n_channels, b ? 2 : 1);
    assert_string_equal(r->channels[0], a);
    if (b)
        assert_string_equal(r->channels[1], b);
}

/* ------------------------------------------------------------------------------------
 * Names and defaults
 * ---------------------------------------------------------------------------------- */

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(tamis_subscore_name(TAMIS_SUB_CONTINUITY), "continuity");
    assert_string_equal(tamis_subscore_name(TAMIS_SUB_RISK), "risk");
    assert_string_equal(tamis_subscore_name(TAMIS_SUB__COUNT), "?");
    assert_string_equal(tamis_subscore_name(-1), "?");
    assert_string_equal(tamis_tier_name(TAMIS_TIER_DAILY_ACTIVE), "daily_active");
    assert_string_equal(tamis_tier_name(TAMIS_TIER_DORMANT), "dormant");
    assert_string_equal(tamis_tier_name(99), "?");
    assert_string_equal(tamis_trend_name(TAMIS_TREND_WARMING), "warming");
    assert_string_equal(tamis_trend_name(TAMIS_TREND_STABLE), "stable");
    assert_string_equal(tamis_trend_name(TAMIS_TREND_COOLING), "cooling");
    assert_string_equal(tamis_trend_name(3), "?");
    assert_int_equal(tamis_tier_from_name("high_interaction", 16), TAMIS_TIER_HIGH_INTERACTION);
    assert_int_equal(tamis_tier_from_name("silentX", 6), TAMIS_TIER_SILENT);
    assert_int_equal(tamis_tier_from_name("silent", 5), -1);
    assert_int_equal(tamis_tier_from_name("Silent", 6), -1);
    assert_int_equal(tamis_subscore_from_name("reachability", 12), TAMIS_SUB_REACHABILITY);
    assert_int_equal(tamis_subscore_from_name("", 0), -1);
    assert_int_equal(tamis_subscore_from_name(NULL, 0), -1);
    for (int s = 0; s < TAMIS_SUB__COUNT; s++)
        assert_int_equal(tamis_subscore_from_name(tamis_subscore_name(s), strlen(tamis_subscore_name(s))), s);
    for (int t = 0; t < TAMIS_TIER__COUNT; t++)
        assert_int_equal(tamis_tier_from_name(tamis_tier_name(t), strlen(tamis_tier_name(t))), t);
}

static void test_defaults(void **state)
{
    tamis_model_config *c = tamis_model_config_new();
    const double base[TAMIS_SUB__COUNT] = {30, 20, 10, 20, 10, 10, 0};
    const uint32_t cadence[TAMIS_TIER__COUNT] = {0, 0, 1, 1, 3, 7, 30};
    (void)state;

    for (int s = 0; s < TAMIS_SUB__COUNT; s++) {
        assert_true(c->weights.w[s] == base[s]);
        assert_true(c->weights.set[s]);
    }
    assert_true(c->risk_penalty == 0.5 && c->unreachable_cap == 10);
    assert_int_equal(c->unreachable_failures, 3);
    assert_int_equal(c->risky_min_risk, 60);
    assert_int_equal(c->daily_active_days_7, 5);
    assert_true(c->high_interaction_rate == 0.3);
    assert_int_equal(c->high_interaction_min_outbound, 2);
    assert_int_equal(c->high_interaction_deep_30, 30);
    assert_true(c->trend_delta == 0.15);
    assert_memory_equal(c->cadence_days, cadence, sizeof cadence);
    assert_int_equal(c->device_accounts, 3);
    assert_int_equal(c->burst_minutes, 10);
    assert_int_equal(c->regular_min_gaps, 10);
    assert_true(c->regular_max_cv == 0.1);
    assert_int_equal(c->default_send_hour, 19);
    assert_int_equal(c->n_default_channels, 3);
    assert_string_equal(c->default_channels[0], "whatsapp");
    assert_string_equal(c->default_channels[2], "messenger");

    assert_int_equal(c->n_soft_reasons, 5);
    assert_true(tamis_model_config_soft_reason(c, "rate_limited"));
    assert_true(tamis_model_config_soft_reason(c, "Service_Unavailable"));
    assert_true(tamis_model_config_soft_reason(c, "timeout"));
    assert_false(tamis_model_config_soft_reason(c, "blocked"));
    assert_false(tamis_model_config_soft_reason(c, "timeou"));
    assert_false(tamis_model_config_soft_reason(c, ""));
    assert_false(tamis_model_config_soft_reason(c, NULL));
    tamis_model_config_free(c);
}

static void test_default_lookups(void **state)
{
    tamis_model_config *c = tamis_model_config_new();
    const tamis_country_rules *r;
    const tamis_platform_rules *p;
    (void)state;

    r = tamis_model_config_country(c, "VN");
    expect_channels(r, "zalo", "messenger");
    assert_int_equal(r->send_hour, 20);
    assert_string_equal(r->tz, "Asia/Ho_Chi_Minh");
    r = tamis_model_config_country(c, "US");
    expect_channels(r, "whatsapp", "messenger");
    assert_int_equal(r->send_hour, 19);
    assert_string_equal(r->tz, "America/New_York");
    r = tamis_model_config_country(c, "JP");
    expect_channels(r, "line", NULL);
    assert_int_equal(r->send_hour, 21);
    assert_string_equal(r->tz, "Asia/Tokyo");
    expect_channels(tamis_model_config_country(c, "PL"), "messenger", "whatsapp");
    expect_channels(tamis_model_config_country(c, "KR"), "line", "kakaotalk");
    assert_string_equal(tamis_model_config_country(c, "UA")->tz, "Europe/Kyiv");
    for (int s = 0; s < TAMIS_SUB__COUNT; s++)
        assert_false(r->weights.set[s]);
    assert_null(tamis_model_config_country(c, "FR"));
    assert_null(tamis_model_config_country(c, "vn")); /* codes are upper case */
    assert_null(tamis_model_config_country(c, ""));
    assert_null(tamis_model_config_country(c, NULL));

    assert_int_equal(c->n_platforms, 3);
    p = tamis_model_config_platform(c, "whatsapp");
    assert_non_null(p);
    assert_false(p->observes & (1u << TAMIS_SUB_PROFILE));
    assert_true(p->observes & (1u << TAMIS_SUB_INTERACTION));
    assert_true(p->weights.set[TAMIS_SUB_INTERACTION] && p->weights.w[TAMIS_SUB_INTERACTION] == 25);
    assert_false(p->weights.set[TAMIS_SUB_DEPTH]);
    p = tamis_model_config_platform(c, "line");
    assert_int_equal(p->observes, (1u << TAMIS_SUB__COUNT) - 1);
    assert_true(p->weights.set[TAMIS_SUB_PROFILE] && p->weights.w[TAMIS_SUB_PROFILE] == 15);
    assert_int_equal(tamis_model_config_platform(c, "telegram")->observes, (1u << TAMIS_SUB__COUNT) - 1);
    assert_null(tamis_model_config_platform(c, "viber"));
    assert_null(tamis_model_config_platform(c, "WhatsApp"));

    /* sorted, and every default zone is one ICU knows, kept as written */
    for (size_t i = 1; i < c->n_countries; i++)
        assert_true(strcmp(c->countries[i - 1].code, c->countries[i].code) < 0);
    for (size_t i = 1; i < c->n_platforms; i++)
        assert_true(strcmp(c->platforms[i - 1].name, c->platforms[i].name) < 0);
    for (size_t i = 0; i < c->n_countries; i++) {
        char zone[TAMIS_TZ_NAME_MAX], code[3];
        tamis_error err = {0};
        const char *tz = c->countries[i].tz;
        assert_int_equal(tamis_tz_normalize(tz, strlen(tz), zone, &err), TAMIS_OK);
        assert_string_equal(zone, tz);
        assert_int_equal(tamis_country_normalize(c->countries[i].code, 2, code, &err), TAMIS_OK);
        assert_ptr_equal(tamis_model_config_country(c, code), &c->countries[i]);
    }
    assert_int_equal(c->n_countries, 27);
    tamis_model_config_free(c);
}

/* ------------------------------------------------------------------------------------
 * Loading
 * ---------------------------------------------------------------------------------- */

static void test_overrides_and_merge(void **state)
{
    tamis_model_config *c = load_ok("# comment\n"
                                    "; another\n"
                                    "[score]\n"
                                    "weight.depth = 25   ; inline comment\n"
                                    "risk_penalty: 0.25\n"
                                    "[tiers]\n"
                                    "daily_active_days_7 = 6\n"
                                    "[score]\n"
                                    "weight.depth = 26\n" /* a key given again replaces */
                                    "[cadence]\n"
                                    "silent = 14\n"
                                    "[country.vn]\n" /* any case; merges into the default */
                                    "send_hour = 21\n"
                                    "[country.FR]\n"
                                    "channels = WhatsApp , messenger\n"
                                    "tz = +01:00\n"
                                    "weight.profile = 5\n"
                                    "[platform.Viber]\n"
                                    "observes = depth, rhythm\n"
                                    "[platform.whatsapp]\n"
                                    "weight.depth = 40\n"
                                    "[country.VN]\n"
                                    "tz = Asia/Saigon\n");
    const tamis_country_rules *vn, *fr;
    const tamis_platform_rules *wa, *viber;
    (void)state;

    assert_true(c->weights.w[TAMIS_SUB_DEPTH] == 26);
    assert_true(c->weights.w[TAMIS_SUB_CONTINUITY] == 30);
    assert_true(c->risk_penalty == 0.25);
    assert_int_equal(c->daily_active_days_7, 6);
    assert_int_equal(c->cadence_days[TAMIS_TIER_SILENT], 14);
    assert_int_equal(c->cadence_days[TAMIS_TIER_DORMANT], 30);

    vn = tamis_model_config_country(c, "VN");
    expect_channels(vn, "zalo", "messenger"); /* kept from the defaults */
    assert_int_equal(vn->send_hour, 21);
    assert_string_equal(vn->tz, "Asia/Saigon"); /* second [country.VN] merged too */
    fr = tamis_model_config_country(c, "FR");
    expect_channels(fr, "whatsapp", "messenger");
    assert_string_equal(fr->tz, "+01:00");
    assert_int_equal(fr->send_hour, -1);
    assert_true(fr->weights.set[TAMIS_SUB_PROFILE] && fr->weights.w[TAMIS_SUB_PROFILE] == 5);
    assert_false(fr->weights.set[TAMIS_SUB_DEPTH]);
    assert_int_equal(c->n_countries, 28);
    for (size_t i = 1; i < c->n_countries; i++)
        assert_true(strcmp(c->countries[i - 1].code, c->countries[i].code) < 0);

    viber = tamis_model_config_platform(c, "viber");
    assert_non_null(viber);
    assert_int_equal(viber->observes, (1u << TAMIS_SUB_DEPTH) | (1u << TAMIS_SUB_RHYTHM));
    wa = tamis_model_config_platform(c, "whatsapp");
    assert_true(wa->weights.w[TAMIS_SUB_DEPTH] == 40);
    assert_true(wa->weights.w[TAMIS_SUB_INTERACTION] == 25); /* default override kept */
    assert_false(wa->observes & (1u << TAMIS_SUB_PROFILE));
    assert_int_equal(c->n_platforms, 4);
    assert_string_equal(c->platforms[2].name, "viber"); /* line, telegram, viber, whatsapp */
    tamis_model_config_free(c);
}

static void test_clearing(void **state)
{
    tamis_model_config *c = load_ok("[reachability]\n"
                                    "soft_reasons =\n"
                                    "[defaults]\n"
                                    "channels = \n"
                                    "[country.US]\n"
                                    "channels =\n"
                                    "send_hour =\n"
                                    "tz =\n"
                                    "[platform.whatsapp]\n"
                                    "weight.interaction =\n"
                                    "observes =\n"
                                    "[platform.line]\n"
                                    "observes = all\n");
    const tamis_country_rules *us = tamis_model_config_country(c, "US");
    const tamis_platform_rules *wa = tamis_model_config_platform(c, "whatsapp");
    (void)state;

    assert_int_equal(c->n_soft_reasons, 0);
    assert_false(tamis_model_config_soft_reason(c, "timeout"));
    assert_int_equal(c->n_default_channels, 0);
    assert_non_null(us);
    assert_int_equal(us->n_channels, 0);
    assert_int_equal(us->send_hour, -1);
    assert_string_equal(us->tz, "");
    assert_false(wa->weights.set[TAMIS_SUB_INTERACTION]);
    assert_int_equal(wa->observes, 0);
    assert_int_equal(tamis_model_config_platform(c, "line")->observes, (1u << TAMIS_SUB__COUNT) - 1);
    expect_round_trip(c); /* cleared values survive printing */
    tamis_model_config_free(c);
}

static void test_continuation_lines(void **state)
{
    tamis_model_config *c = load_ok("[reachability]\n"
                                    "soft_reasons = a, b\n"
                                    "    c, D\n"
                                    "\tE\n"
                                    "[platform.x]\n"
                                    "observes = depth\n"
                                    "  rhythm\n"
                                    "[reachability]\n"
                                    "soft_reasons = z\n"); /* given again: replaces */
    (void)state;
    assert_int_equal(tamis_model_config_platform(c, "x")->observes, (1u << TAMIS_SUB_DEPTH) | (1u << TAMIS_SUB_RHYTHM));
    assert_int_equal(c->n_soft_reasons, 1);
    assert_string_equal(c->soft_reasons[0], "z");
    tamis_model_config_free(c);

    c = load_ok("[reachability]\nsoft_reasons = a, b,\n    c, D ,\n\tE,\n");
    assert_int_equal(c->n_soft_reasons, 5);
    assert_string_equal(c->soft_reasons[3], "d");
    assert_string_equal(c->soft_reasons[4], "e");
    tamis_model_config_free(c);
}

static void test_errors(void **state)
{
    char nine[256];
    (void)state;
    expect_error("[scor]\n", "t.ini:1: unknown section [scor] (did you mean [score]?)");
    expect_error("\n[platfrom.x]\nobserves = all\n", "t.ini:2: unknown section [platfrom.x] (did you mean "
                                                     "[platform.x]?)");
    expect_error("[weights]\n", "t.ini:1: unknown section [weights] (known: score, tiers");
    expect_error("[score]\nwieght.depth = 1\n",
                 "t.ini:2: unknown key 'wieght.depth' in [score] (did you mean 'weight.depth'?)");
    expect_error("[score]\ndelta = 0.1\n", "t.ini:2: unknown key 'delta' in [score] (it belongs in [trend])");
    expect_error("[score]\nfoo = 1\n", "t.ini:2: unknown key 'foo' in [score]");
    expect_error("[country.VN]\nobserves = all\n",
                 "t.ini:2: unknown key 'observes' in [country.VN] (it belongs in [platform.NAME])");
    expect_error("weight.depth = 1\n", "t.ini:1: key 'weight.depth' comes before any [section]");
    expect_error("[score]\n\nrisk_penalty = 0,5\n",
                 "t.ini:3: risk_penalty in [score]: '0,5' is not a number (want 0..1)");
    expect_error("[score]\nrisk_penalty = nan\n", "t.ini:2: risk_penalty in [score]: 'nan' is not a number");
    expect_error("[score]\nrisk_penalty = 0x1\n", "t.ini:2: risk_penalty in [score]: '0x1' is not a number");
    expect_error("[score]\nrisk_penalty = .5\n", "t.ini:2: risk_penalty in [score]: '.5' is not a number");
    expect_error("[score]\nrisk_penalty = 1e999\n", "t.ini:2: risk_penalty in [score]: '1e999' is out of range");
    expect_error("[score]\nrisk_penalty =\n", "t.ini:2: risk_penalty in [score]: needs a value");
    expect_error("[score]\nweight.depth = 1000.5\n",
                 "t.ini:2: weight.depth in [score]: '1000.5' is out of range (want 0..1000)");
    expect_error("[score]\nweight.depth = -1\n", "t.ini:2: weight.depth in [score]: '-1' is out of range");
    expect_error("[tiers]\ndaily_active_days_7 = 8\n",
                 "t.ini:2: daily_active_days_7 in [tiers]: '8' is out of range (want a whole number 1..7)");
    expect_error("[tiers]\ndaily_active_days_7 = 5.0\n",
                 "t.ini:2: daily_active_days_7 in [tiers]: '5.0' is not a whole number");
    expect_error("[tiers]\nunreachable_failures = 0\n", "t.ini:2: unreachable_failures in [tiers]: '0' is out of "
                                                        "range");
    expect_error("[tiers]\nunreachable_failures = 99999999999999999999\n",
                 "t.ini:2: unreachable_failures in [tiers]: '99999999999999999999' is out of range");
    expect_error("[cadence]\ndormant = 3651\n", "t.ini:2: dormant in [cadence]: '3651' is out of range");
    expect_error("[defaults]\nsend_hour = 24\n", "t.ini:2: send_hour in [defaults]: '24' is out of range (want a "
                                                 "whole number 0..23)");
    expect_error("[defaults]\nsend_hour =\n", "t.ini:2: send_hour in [defaults]: needs a value");
    expect_error("[country.ZZ]\nsend_hour = 3\n", "t.ini:1: [country.ZZ]: country \"ZZ\": unknown ISO 3166-1 code");
    expect_error("[country.VNM]\n", "t.ini:1: [country.VNM]: country \"VNM\": not an ISO 3166-1 alpha-2 code");
    expect_error("[country.VN]\ntz = Asia/Nowhere\n",
                 "t.ini:2: tz in [country.VN]: time zone \"Asia/Nowhere\": unknown zone name");
    expect_error("[country.VN]\ntz = +15:00\n", "t.ini:2: tz in [country.VN]: time zone \"+15:00\": UTC offset");
    expect_error("[platform.what's]\n", "t.ini:1: [platform.what's]: platform name 'what's' is not [a-z0-9_.-]");
    expect_error("[country.VN]\nchannels = zalo, Zalo\n", "t.ini:2: channels in [country.VN]: 'zalo' is listed "
                                                          "twice");
    expect_error("[country.VN]\nchannels = zalo,,line\n", "t.ini:2: channels in [country.VN]: empty item");
    expect_error("[country.VN]\nchannels = ,zalo\n", "t.ini:2: channels in [country.VN]: empty item");
    expect_error("[country.VN]\nchannels = ,\n", "t.ini:2: channels in [country.VN]: empty item");
    expect_error("[country.VN]\nchannels = za lo\n", "t.ini:2: channels in [country.VN]: 'za lo' is not a name");
    snprintf(nine, sizeof nine, "[country.VN]\nchannels = a, b, c, d\n  e, f, g, h\n  i\n");
    expect_error(nine, "t.ini:4: channels in [country.VN]: more than 8 items (cap TAMIS_CFG_MAX_CHANNELS)");
    expect_error("[platform.x]\nobserves = all, depth\n", "t.ini:2: observes in [platform.x]: 'all' stands alone");
    expect_error("[platform.x]\nobserves = dpth\n", "t.ini:2: observes in [platform.x]: unknown dimension 'dpth'");
    expect_error("[platform.x]\nweight.depth = 1\n  2\n", "t.ini:3: weight.depth in [platform.x]: takes one value");
    expect_error("[score]\nweight.depth\n", "t.ini:2: expected 'key = value', a [section] or a comment, not "
                                            "'weight.depth'");
    expect_error("[score\n", "t.ini:1: section header '[score' lacks its ']'");
    expect_error("[score]\nweight.continuity = 0\nweight.depth = 0\nweight.profile = 0\nweight.interaction = 0\n"
                 "weight.rhythm = 0\nweight.reachability = 0\nweight.risk = 5\n",
                 "t.ini: every weight in [score] but weight.risk is 0");
}

static void test_limits(void **state)
{
    char *text = tamis_malloc(64 * 1024);
    size_t n = 0;
    tamis_model_config *c;
    (void)state;

    /* a line longer than inih's buffer is refused, not cut in two */
    n = (size_t)snprintf(text, 64 * 1024, "[reachability]\nsoft_reasons = a");
    for (int i = 0; i < 200; i++)
        text[n++] = 'a';
    memcpy(text + n, "\n", 2);
    expect_error(text, "t.ini:2: line longer than 198 bytes");

    /* 33 soft reasons: over the cap, on the line that brings the 33rd */
    n = (size_t)snprintf(text, 64 * 1024, "[reachability]\nsoft_reasons = r0");
    for (int i = 1; i < 33; i++)
        n += (size_t)snprintf(text + n, 64 * 1024 - n, "\n    r%d", i);
    expect_error(text, "t.ini:34: soft_reasons in [reachability]: more than 32 items (cap "
                       "TAMIS_CFG_MAX_SOFT_REASONS)");

    /* 64 platforms fit, a 65th does not (3 default + 61 new = 64) */
    n = 0;
    for (int i = 0; i < 62; i++)
        n += (size_t)snprintf(text + n, 64 * 1024 - n, "[platform.p%02d]\n", i);
    expect_error(text, "t.ini:62: [platform.p61]: more than 64 [platform.*] sections (cap "
                       "TAMIS_CFG_MAX_PLATFORMS)");
    text[n - strlen("[platform.p61]\n")] = '\0';
    c = load_ok(text);
    assert_int_equal(c->n_platforms, TAMIS_CFG_MAX_PLATFORMS);
    expect_round_trip(c);
    tamis_model_config_free(c);
    tamis_free(text);
}

static void test_files(void **state)
{
    char path[] = "/tmp/test_config_XXXXXX";
    int fd = mkstemp(path);
    tamis_model_config *c = tamis_model_config_new();
    tamis_error err = {0};
    char want[128];
    (void)state;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, "[trend]\ndelta = 0.2\n", 20), 20);
    assert_int_equal(tamis_model_config_load(c, path, &err), TAMIS_OK);
    assert_true(c->trend_delta == 0.2);
    assert_int_equal(write(fd, "[risk]\nburst_minutes = 5\0\n", 26), 26);
    assert_int_equal(tamis_model_config_load(c, path, &err), TAMIS_EINPUT);
    snprintf(want, sizeof want, "%s:4: NUL byte", path);
    assert_true(strncmp(err.msg, want, strlen(want)) == 0);
    close(fd);
    unlink(path);
    assert_int_equal(tamis_model_config_load(c, path, &err), TAMIS_EIO);
    assert_non_null(strstr(err.msg, "cannot open"));
    assert_int_equal(tamis_model_config_load(c, "/", &err), TAMIS_EIO);
    tamis_model_config_free(c);
}

/* ------------------------------------------------------------------------------------
 * Printing and hashing
 * ---------------------------------------------------------------------------------- */

static void test_print_defaults(void **state)
{
    tamis_model_config *c = tamis_model_config_new();
    char *text = print_to_string(c);
    const char *head = "# tamis model configuration — effective values; see docs/CONFIG.md\n";
    (void)state;

    assert_true(strncmp(text, head, strlen(head)) == 0);
    assert_non_null(strstr(text, "\n[score]\nweight.continuity = 30\nweight.depth = 20\n"));
    assert_non_null(strstr(text, "\nrisk_penalty = 0.5\n"));
    assert_non_null(strstr(text, "\n[trend]\ndelta = 0.15\n"));
    assert_non_null(strstr(text, "\n[cadence]\nunreachable = 0\nrisky = 0\ndaily_active = 1\n"));
    assert_non_null(strstr(text, "\nsoft_reasons = rate_limited, throttled, timeout, temporary_failure, "
                                 "service_unavailable\n"));
    assert_non_null(strstr(text, "\n[platform.whatsapp]\nobserves = continuity, depth, interaction, rhythm, "
                                 "reachability, risk\nweight.continuity =\n"));
    assert_non_null(strstr(text, "\n[country.VN]\nchannels = zalo, messenger\nsend_hour = 20\n"
                                 "tz = Asia/Ho_Chi_Minh\n"));
    assert_true(strstr(text, "[country.AE]") < strstr(text, "[country.BH]"));
    assert_true(strstr(text, "[platform.line]") < strstr(text, "[platform.whatsapp]"));
    expect_round_trip(c);
    tamis_free(text);
    tamis_model_config_free(c);
}

static void test_round_trip_and_hash(void **state)
{
    tamis_model_config *c = load_ok("[score]\n"
                                    "risk_penalty = 0.30000000000000004\n"
                                    "unreachable_cap = 1e-7\n"
                                    "weight.rhythm = 12.345678901234567\n"
                                    "[country.BR]\n"
                                    "channels = a0123456789012345678901234567890, b0123456789012345678901234567890"
                                    "\n  c0123456789012345678901234567890, d0123456789012345678901234567890\n"
                                    "  e0123456789012345678901234567890, f0123456789012345678901234567890\n"
                                    "  g0123456789012345678901234567890, h0123456789012345678901234567890\n"
                                    "weight.risk = 0\n"
                                    "[country.de]\n"
                                    "tz =\n"
                                    "[platform.sms]\n"
                                    "observes = reachability\n"
                                    "weight.reachability = 50\n");
    tamis_model_config *d;
    uint64_t h = tamis_model_config_hash(c), h_default;
    (void)state;

    assert_true(c->risk_penalty == 0.1 + 0.2);
    assert_int_equal(tamis_model_config_country(c, "BR")->n_channels, 8);
    expect_round_trip(c);
    assert_true(tamis_model_config_hash(c) == h); /* stable */

    /* the last bit of a double moves the hash */
    c->risk_penalty = nextafter(c->risk_penalty, 1.0);
    assert_true(tamis_model_config_hash(c) != h);
    expect_round_trip(c);

    d = tamis_model_config_new();
    h_default = tamis_model_config_hash(d);
    assert_true(h_default != h);
    d->cadence_days[TAMIS_TIER_DORMANT] = 31;
    assert_true(tamis_model_config_hash(d) != h_default);
    d->cadence_days[TAMIS_TIER_DORMANT] = 30;
    assert_true(tamis_model_config_hash(d) == h_default);
    assert_true(tamis_model_config_hash(d) == tamis_model_config_hash(d));
    tamis_model_config_free(d);

    /* a file that only restates the defaults hashes as the defaults */
    d = load_ok("[trend]\ndelta = 0.15\n[country.VN]\nsend_hour = 20\n");
    assert_true(tamis_model_config_hash(d) == h_default);
    tamis_model_config_free(d);
    d = load_ok("[country.VN]\nweight.depth = 1\n");
    assert_true(tamis_model_config_hash(d) != h_default);
    tamis_model_config_free(d);
    tamis_model_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_default_lookups),
        cmocka_unit_test(test_overrides_and_merge),
        cmocka_unit_test(test_clearing),
        cmocka_unit_test(test_continuation_lines),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_print_defaults),
        cmocka_unit_test(test_round_trip_and_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_tz.c — unit tests of zones and countries through ICU (src/identity/tz.c).
 *
 * Zone names and offsets in, normalised text and minutes out; DST transitions at exact
 * instants (hand-computed epochs); countries against ICU's list and their default
 * zones, including every country ICU knows. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <unicode/uloc.h>

#include "tamis/tz.h"

/* 2024-01-15T12:00:00Z and 2024-07-15T12:00:00Z */
#define JAN_2024_MS INT64_C(1705320000000)
#define JUL_2024_MS INT64_C(1721044800000)

static void expect_tz(const char *text, const char *want)
{
    char out[TAMIS_TZ_NAME_MAX];
    tamis_error err = {0};
    int rc = tamis_tz_normalize(text, strlen(text), out, &err);
    if (rc != TAMIS_OK)
        print_error("\"%s\": %s\n", text, err.msg);
    assert_int_equal(rc, TAMIS_OK);
    assert_string_equal(out, want);
}

static void expect_tz_error(const char *text, size_t len, const char *frag)
{
    char out[TAMIS_TZ_NAME_MAX];
    tamis_error err = {0};
    int rc = tamis_tz_normalize(text, len, out, &err);
    assert_int_equal(rc, TAMIS_EINPUT);
    if (!strstr(err.msg, frag))
        print_error("message \"%s\" lacks \"%s\"\n", err.msg, frag);
    assert_non_null(strstr(err.msg, frag));
    assert_string_equal(out, "");
}

static int offset_at(const char *tz, int64_t utc_ms)
{
    int minutes = 12345;
    tamis_error err = {0};
    int rc = tamis_tz_offset_minutes(tz, utc_ms, &minutes, &err);
    if (rc != TAMIS_OK)
        print_error("\"%s\": %s\n", tz, err.msg);
    assert_int_equal(rc, TAMIS_OK);
    return minutes;
}

static void test_zone_names_kept_as_given(void **state)
{
    (void)state;
    expect_tz("Asia/Ho_Chi_Minh", "Asia/Ho_Chi_Minh");
    expect_tz("Asia/Saigon", "Asia/Saigon"); /* not canonicalised either way */
    expect_tz("Asia/Kolkata", "Asia/Kolkata");
    expect_tz("America/New_York", "America/New_York");
    expect_tz("America/Argentina/ComodRivadavia", "America/Argentina/ComodRivadavia");
    expect_tz("Europe/London", "Europe/London");
    expect_tz("Etc/UTC", "Etc/UTC");
    expect_tz("Etc/GMT+7", "Etc/GMT+7"); /* POSIX sign: this is UTC-07:00 */
    expect_tz("  Asia/Tokyo\t", "Asia/Tokyo");
}

static void test_offsets_normalised(void **state)
{
    (void)state;
    expect_tz("+07:00", "+07:00");
    expect_tz("+0700", "+07:00");
    expect_tz("+07", "+07:00");
    expect_tz("-03:30", "-03:30");
    expect_tz("-0330", "-03:30");
    expect_tz("+05:45", "+05:45");
    expect_tz("+14:00", "+14:00");
    expect_tz("-14:00", "-14:00");
    expect_tz("-00:00", "+00:00");
    expect_tz("UTC", "+00:00");
    expect_tz("utc", "+00:00");
    expect_tz("GMT", "+00:00");
    expect_tz("Z", "+00:00");
    expect_tz("z", "+00:00");
    expect_tz("UTC+07:00", "+07:00");
    expect_tz("GMT-03", "-03:00");
    expect_tz(" +09:00 ", "+09:00");
}

static void test_bad_zones(void **state)
{
    (void)state;
    expect_tz_error("", 0, "time zone is empty");
    expect_tz_error("   ", 3, "time zone is empty");
    expect_tz_error("+15:00", 6, "time zone \"+15:00\": UTC offset outside -14:00..+14:00");
    expect_tz_error("+14:30", 6, "outside -14:00..+14:00");
    expect_tz_error("-1400x", 6, "bad UTC offset");
    expect_tz_error("+7", 2, "time zone \"+7\": bad UTC offset");
    expect_tz_error("+07:60", 6, "bad UTC offset");
    expect_tz_error("+07:0", 5, "bad UTC offset");
    expect_tz_error("+07-00", 6, "bad UTC offset");
    expect_tz_error("GMT+7", 5, "bad UTC offset");
    expect_tz_error("Asia/Nowhere", 12, "time zone \"Asia/Nowhere\": unknown zone name");
    expect_tz_error("asia/tokyo", 10, "unknown zone name");
    expect_tz_error("Etc/Unknown", 11, "unknown zone name");
    expect_tz_error("Asia/H\xe1\xbb\x93_Chi_Minh", 19, "unknown zone name");
    expect_tz_error("Asia/Tokyo\0", 11, "unknown zone name");
    /* longer than any zone name: rejected before ICU, still named in the message */
    expect_tz_error("America/Argentina/ComodRivadavia/America/Argentina/ComodRivadavia",
                    65, "unknown zone name");
}

static void test_offset_of_fixed_offsets(void **state)
{
    (void)state;
    assert_int_equal(offset_at("+07:00", JAN_2024_MS), 420);
    assert_int_equal(offset_at("-03:30", JUL_2024_MS), -210);
    assert_int_equal(offset_at("+00:00", 0), 0);
    assert_int_equal(offset_at("UTC", 0), 0);
}

static void test_offset_of_zones(void **state)
{
    (void)state;
    assert_int_equal(offset_at("Asia/Ho_Chi_Minh", JAN_2024_MS), 420);
    assert_int_equal(offset_at("Asia/Saigon", JUL_2024_MS), 420);
    assert_int_equal(offset_at("Asia/Kolkata", JAN_2024_MS), 330);
    assert_int_equal(offset_at("Asia/Kathmandu", JAN_2024_MS), 345);
    assert_int_equal(offset_at("America/New_York", JAN_2024_MS), -300);
    assert_int_equal(offset_at("America/New_York", JUL_2024_MS), -240);
    assert_int_equal(offset_at("Europe/London", JAN_2024_MS), 0);
    assert_int_equal(offset_at("Europe/London", JUL_2024_MS), 60);
    assert_int_equal(offset_at("Australia/Sydney", JAN_2024_MS), 660);
    assert_int_equal(offset_at("Australia/Sydney", JUL_2024_MS), 600);
    assert_int_equal(offset_at("Etc/GMT+7", JAN_2024_MS), -420);
    assert_int_equal(offset_at("America/Sao_Paulo", JAN_2024_MS), -180);
}

/* The switch happens at an exact millisecond. */
static void test_dst_transitions(void **state)
{
    const int64_t ny_spring = INT64_C(1710054000000);     /* 2024-03-10T07:00:00Z */
    const int64_t london_spring = INT64_C(1711846800000); /* 2024-03-31T01:00:00Z */
    const int64_t sydney_autumn = INT64_C(1712419200000); /* 2024-04-06T16:00:00Z */
    (void)state;
    assert_int_equal(offset_at("America/New_York", ny_spring - 1), -300);
    assert_int_equal(offset_at("America/New_York", ny_spring), -240);
    assert_int_equal(offset_at("Europe/London", london_spring - 1), 0);
    assert_int_equal(offset_at("Europe/London", london_spring), 60);
    assert_int_equal(offset_at("Australia/Sydney", sydney_autumn - 1), 660);
    assert_int_equal(offset_at("Australia/Sydney", sydney_autumn), 600);
}

static void test_offset_errors(void **state)
{
    int minutes = 1;
    tamis_error err = {0};
    (void)state;
    assert_int_equal(tamis_tz_offset_minutes("Nowhere/Zone", 0, &minutes, &err), TAMIS_EINPUT);
    assert_non_null(strstr(err.msg, "time zone \"Nowhere/Zone\": unknown zone name"));
    assert_int_equal(minutes, 0);
    assert_int_equal(tamis_tz_offset_minutes("Etc/Unknown", 0, &minutes, &err), TAMIS_EINPUT);
    assert_int_equal(tamis_tz_offset_minutes("+15:00", 0, &minutes, &err), TAMIS_EINPUT);
    assert_non_null(strstr(err.msg, "bad UTC offset"));
    assert_int_equal(tamis_tz_offset_minutes("", 0, &minutes, &err), TAMIS_EINPUT);
    assert_int_equal(tamis_tz_offset_minutes("Asia/Tokyo", INT64_MAX, &minutes, &err),
                     TAMIS_EINPUT);
    assert_non_null(strstr(err.msg, "outside ICU's range"));
    assert_int_equal(tamis_tz_offset_minutes("Asia/Tokyo", INT64_MIN, &minutes, &err),
                     TAMIS_EINPUT);
}

static void expect_country(const char *text, const char *want)
{
    char out[3];
    tamis_error err = {0};
    int rc = tamis_country_normalize(text, strlen(text), out, &err);
    if (rc != TAMIS_OK)
        print_error("\"%s\": %s\n", text, err.msg);
    assert_int_equal(rc, TAMIS_OK);
    assert_string_equal(out, want);
}

static void expect_country_error(const char *text, const char *frag)
{
    char out[3];
    tamis_error err = {0};
    assert_int_equal(tamis_country_normalize(text, strlen(text), out, &err), TAMIS_EINPUT);
    if (!strstr(err.msg, frag))
        print_error("message \"%s\" lacks \"%s\"\n", err.msg, frag);
    assert_non_null(strstr(err.msg, frag));
    assert_string_equal(out, "");
}

static void test_countries(void **state)
{
    (void)state;
    expect_country("VN", "VN");
    expect_country("vn", "VN");
    expect_country("Us", "US");
    expect_country(" gb ", "GB");
    expect_country("XK", "XK"); /* Kosovo: user-assigned, but in ICU's list */
    expect_country_error("ZZ", "country \"ZZ\": unknown ISO 3166-1 code");
    expect_country_error("uk", "country \"UK\": unknown ISO 3166-1 code");
    expect_country_error("VNM", "country \"VNM\": not an ISO 3166-1 alpha-2 code");
    expect_country_error("", "not an ISO 3166-1 alpha-2 code");
    expect_country_error("1A", "not an ISO 3166-1 alpha-2 code");
    expect_country_error("V", "not an ISO 3166-1 alpha-2 code");
}

static void expect_default_tz(const char *country, const char *want)
{
    char out[TAMIS_TZ_NAME_MAX];
    tamis_error err = {0};
    int rc = tamis_country_default_tz(country, out, &err);
    if (rc != TAMIS_OK)
        print_error("\"%s\": %s\n", country, err.msg);
    assert_int_equal(rc, TAMIS_OK);
    assert_string_equal(out, want);
}

static void test_country_default_tz(void **state)
{
    char out[TAMIS_TZ_NAME_MAX];
    const char empty[3] = "";
    tamis_error err = {0};
    (void)state;
    expect_default_tz("VN", "Asia/Ho_Chi_Minh");
    expect_default_tz("vn", "Asia/Ho_Chi_Minh");
    expect_default_tz("JP", "Asia/Tokyo");
    expect_default_tz("TH", "Asia/Bangkok");
    expect_default_tz("DE", "Europe/Berlin");
    expect_default_tz("ID", "Asia/Jakarta");
    /* alphabetically first IANA name, not the most populous zone (see IDENTITY.md) */
    expect_default_tz("US", "America/Adak");
    expect_default_tz("GB", "Europe/Belfast");
    expect_default_tz("IN", "Asia/Calcutta");
    expect_default_tz("AU", "Antarctica/Macquarie");
    expect_default_tz("RU", "Asia/Anadyr");

    assert_int_equal(tamis_country_default_tz("ZZ", out, &err), TAMIS_ENOTFOUND);
    assert_non_null(strstr(err.msg, "country \"ZZ\": no time zone known"));
    assert_string_equal(out, "");
    assert_int_equal(tamis_country_default_tz("BV", out, &err), TAMIS_ENOTFOUND);
    assert_int_equal(tamis_country_default_tz("V1", out, &err), TAMIS_EINPUT);
    assert_non_null(strstr(err.msg, "not an ISO 3166-1 alpha-2 code"));
    assert_int_equal(tamis_country_default_tz(empty, out, &err), TAMIS_EINPUT);
}

/* Every country ICU lists normalises to itself, and its default zone (if any) is a
 * zone tz_normalize accepts and has an offset for. */
static void test_every_country(void **state)
{
    size_t n = 0, without_zone = 0;
    (void)state;
    for (const char *const *c = uloc_getISOCountries(); *c; c++, n++) {
        char code[3], zone[TAMIS_TZ_NAME_MAX], again[TAMIS_TZ_NAME_MAX];
        tamis_error err = {0};
        int minutes, rc;
        assert_int_equal(tamis_country_normalize(*c, strlen(*c), code, &err), TAMIS_OK);
        assert_string_equal(code, *c);
        rc = tamis_country_default_tz(code, zone, &err);
        if (rc == TAMIS_ENOTFOUND) {
            without_zone++;
            continue;
        }
        assert_int_equal(rc, TAMIS_OK);
        assert_non_null(strchr(zone, '/'));
        assert_int_equal(tamis_tz_normalize(zone, strlen(zone), again, &err), TAMIS_OK);
        assert_string_equal(again, zone);
        assert_int_equal(tamis_tz_offset_minutes(zone, JAN_2024_MS, &minutes, &err), TAMIS_OK);
        assert_true(minutes >= -14 * 60 && minutes <= 14 * 60);
    }
    assert_true(n >= 249);
    /* ICU 72: BV DG EA HM IC XK have no zone of their own */
    assert_true(without_zone <= 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zone_names_kept_as_given),
        cmocka_unit_test(test_offsets_normalised),
        cmocka_unit_test(test_bad_zones),
        cmocka_unit_test(test_offset_of_fixed_offsets),
        cmocka_unit_test(test_offset_of_zones),
        cmocka_unit_test(test_dst_transitions),
        cmocka_unit_test(test_offset_errors),
        cmocka_unit_test(test_countries),
        cmocka_unit_test(test_country_default_tz),
        cmocka_unit_test(test_every_country),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

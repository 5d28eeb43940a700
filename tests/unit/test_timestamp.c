/* test_timestamp.c — unit tests of the field-value parsers of src/event/timestamp.c:
 * tamis_parse_ts (unix seconds and milliseconds, ISO-8601 with zones, ranges, leap
 * years, messages), tamis_parse_number (grammar, exactness, rejects) and
 * tamis_field_name. Dates are also checked against the C library's timegm() over a
 * deterministic sample, as an independent implementation of the calendar. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tamis/event.h"

static int64_t ts_ok(const char *s)
{
    int64_t ms = -12345;
    tamis_error err;
    tamis_error_clear(&err);
    int rc = tamis_parse_ts(s, strlen(s), &ms, &err);
    if (rc != TAMIS_OK)
        fail_msg("'%s' rejected: %s", s, err.msg);
    return ms;
}

/* Expects rejection with a message containing want (and the TAMIS_EINPUT code). */
static void ts_bad(const char *s, const char *want)
{
    int64_t ms = 0;
    tamis_error err;
    tamis_error_clear(&err);
    int rc = tamis_parse_ts(s, strlen(s), &ms, &err);
    if (rc != TAMIS_EINPUT)
        fail_msg("'%s' accepted (%lld ms) or wrong code %d", s, (long long)ms, rc);
    assert_int_equal(err.code, TAMIS_EINPUT);
    assert_non_null(strstr(err.msg, "bad ts '"));
    if (!strstr(err.msg, want))
        fail_msg("'%s': message '%s' lacks '%s'", s, err.msg, want);
}

static void test_unix_seconds(void **state)
{
    (void)state;
    assert_int_equal(ts_ok("1700000000"), INT64_C(1700000000000));
    assert_int_equal(ts_ok("0"), 0);
    assert_int_equal(ts_ok("1"), 1000);
    assert_int_equal(ts_ok("0001700000000"), INT64_C(1700000000000));
    assert_int_equal(ts_ok("99999999999"), INT64_C(99999999999000)); /* below 1e11: s */
}

static void test_unix_decimal(void **state)
{
    (void)state;
    assert_int_equal(ts_ok("1700000000.5"), INT64_C(1700000000500));
    assert_int_equal(ts_ok("1700000000.123456"), INT64_C(1700000000123)); /* truncated */
    assert_int_equal(ts_ok("1700000000.999999"), INT64_C(1700000000999));
    assert_int_equal(ts_ok("1.05"), 1050);
    assert_int_equal(ts_ok("1700000000.000"), INT64_C(1700000000000));
}

static void test_unix_millis(void **state)
{
    (void)state;
    assert_int_equal(ts_ok("100000000000"), INT64_C(100000000000)); /* 1e11: ms */
    assert_int_equal(ts_ok("1700000000123"), INT64_C(1700000000123));
    assert_int_equal(ts_ok("253402300799999"), INT64_C(253402300799999));
    ts_bad("1700000000123.5", "milliseconds must be an integer");
    ts_bad("253402300800000", "after year 9999");
    ts_bad("99999999999999999999999999999", "after year 9999");
}

static void test_unix_rejects(void **state)
{
    (void)state;
    ts_bad("", "empty");
    ts_bad("-1", "negative");
    ts_bad("-1700000000", "negative");
    ts_bad("+1700000000", "not a unix time");
    ts_bad("1e9", "not a unix time");
    ts_bad("1700000000.", "not a unix time");
    ts_bad("1700000000.x", "not a unix time");
    ts_bad(" 1700000000", "not a unix time");
    ts_bad("1700000000 ", "not a unix time");
    ts_bad("17000000OO", "not a unix time");
    ts_bad("abc", "not a unix time");
    ts_bad(".5", "not a unix time");
}

static void test_iso_forms(void **state)
{
    (void)state;
    const int64_t base = INT64_C(1767323045000); /* 2026-01-02T03:04:05Z */
    assert_int_equal(ts_ok("2026-01-02T03:04:05Z"), base);
    assert_int_equal(ts_ok("2026-01-02 03:04:05Z"), base);
    assert_int_equal(ts_ok("2026-01-02t03:04:05z"), base);
    assert_int_equal(ts_ok("2026-01-02T03:04Z"), base - 5000);
    assert_int_equal(ts_ok("2026-01-02T03:04:05.1Z"), base + 100);
    assert_int_equal(ts_ok("2026-01-02T03:04:05.12Z"), base + 120);
    assert_int_equal(ts_ok("2026-01-02T03:04:05.123Z"), base + 123);
    assert_int_equal(ts_ok("2026-01-02T03:04:05.123999999Z"), base + 123);
    assert_int_equal(ts_ok("2026-01-02T03:04:05+00:00"), base);
    assert_int_equal(ts_ok("2026-01-02T10:04:05+07:00"), base);
    assert_int_equal(ts_ok("2026-01-02T10:04:05+0700"), base);
    assert_int_equal(ts_ok("2026-01-02T10:04:05+07"), base);
    assert_int_equal(ts_ok("2026-01-01T21:34:05-05:30"), base);
    assert_int_equal(ts_ok("2026-01-01T21:34:05-0530"), base);
    assert_int_equal(ts_ok("2026-01-02T03:04:05.5-00"), base + 500);
    assert_int_equal(ts_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(ts_ok("1969-12-31T23:00:00-01:00"), 0);
    assert_int_equal(ts_ok("9999-12-31T23:59:59.999Z"), INT64_C(253402300799999));
}

static void test_iso_leap_years(void **state)
{
    (void)state;
    assert_int_equal(ts_ok("2024-02-29T00:00:00Z"), INT64_C(1709164800000));
    assert_int_equal(ts_ok("2000-02-29T12:00:00Z"), INT64_C(951825600000));
    ts_bad("2023-02-29T00:00:00Z", "day out of range");
    ts_bad("2100-02-29T00:00:00Z", "day out of range");
    ts_bad("2024-02-30T00:00:00Z", "day out of range");
    ts_bad("2026-04-31T00:00:00Z", "day out of range");
    assert_true(ts_ok("2026-12-31T00:00:00Z") > 0);
}

static void test_iso_ranges(void **state)
{
    (void)state;
    ts_bad("2026-00-01T00:00:00Z", "month out of range");
    ts_bad("2026-13-01T00:00:00Z", "month out of range");
    ts_bad("2026-01-00T00:00:00Z", "day out of range");
    ts_bad("2026-01-32T00:00:00Z", "day out of range");
    ts_bad("2026-01-01T24:00:00Z", "hour out of range");
    ts_bad("2026-01-01T00:60:00Z", "minute out of range");
    ts_bad("2026-01-01T00:00:60Z", "leap second 60 is not accepted");
    ts_bad("2026-01-01T00:00:61Z", "second out of range");
    ts_bad("2026-01-01T00:00:00+24:00", "offset out of range");
    ts_bad("2026-01-01T00:00:00+07:60", "offset out of range");
    ts_bad("1969-12-31T23:59:59Z", "before 1970-01-01");
    ts_bad("0000-01-01T00:00:00Z", "before 1970-01-01");
    ts_bad("9999-12-31T23:00:00-01:00", "after year 9999");
}

static void test_iso_syntax(void **state)
{
    (void)state;
    ts_bad("2026-01-02T03:04:05", "missing time zone");
    ts_bad("2026-01-02T03:04", "missing time zone");
    ts_bad("2026-01-02", "missing time");
    ts_bad("2026-01-02T", "not an ISO-8601 date");
    ts_bad("2026-1-02T03:04:05Z", "not an ISO-8601 date");
    ts_bad("20260102T030405Z", "not a unix time");
    ts_bad("2026-01-02X03:04:05Z", "expected 'T' or ' '");
    ts_bad("2026-01-02T3:04:05Z", "bad time");
    ts_bad("2026-01-02T03-04-05Z", "bad time");
    ts_bad("2026-01-02T03:04:5Z", "bad seconds");
    ts_bad("2026-01-02T03:04:05.Z", "bad fraction");
    ts_bad("2026-01-02T03:04:05ZZ", "unexpected bytes after the time zone");
    ts_bad("2026-01-02T03:04:05+7:00", "bad time zone");
    ts_bad("2026-01-02T03:04:05+07:0", "bad time zone");
    ts_bad("2026-01-02T03:04:05+07:00:00", "bad time zone");
    ts_bad("2026-01-02T03:04:05 UTC", "bad time zone");
    ts_bad("2026-01-02T03:04:05+0a:00", "bad time zone");
    ts_bad("2026-01-02T03:04:05,5Z", "bad time zone");
}

static void test_ts_message(void **state)
{
    (void)state;
    int64_t ms;
    tamis_error err;
    const char *s = "2026-13-01T00:00:00Z";
    assert_int_equal(tamis_parse_ts(s, strlen(s), &ms, &err), TAMIS_EINPUT);
    assert_string_equal(err.msg, "bad ts '2026-13-01T00:00:00Z': month out of range");
    /* Long values are cut to 40 bytes, control bytes shown as '?'. */
    const char *longv = "2026-01-01T00:00:00Z-and-a-lot-of-trailing-garbage-here";
    assert_int_equal(tamis_parse_ts(longv, strlen(longv), &ms, &err), TAMIS_EINPUT);
    assert_string_equal(err.msg, "bad ts '2026-01-01T00:00:00Z-and-a-lot-of-traili...': "
                                 "unexpected bytes after the time zone");
    assert_int_equal(tamis_parse_ts("12\n4", 4, &ms, &err), TAMIS_EINPUT);
    assert_non_null(strstr(err.msg, "'12?4'"));
    /* A NULL error is allowed. */
    assert_int_equal(tamis_parse_ts("x", 1, &ms, NULL), TAMIS_EINPUT);
    /* Only len bytes are read: the rest of the buffer is ignored. */
    assert_int_equal(tamis_parse_ts("1700000000999", 10, &ms, &err), TAMIS_OK);
    assert_int_equal(ms, INT64_C(1700000000000));
}

/* Every ~37th hour over 1970..9999 against timegm(), in UTC and with an offset. */
static void test_iso_against_timegm(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int y = 1970 + (int)(x % 8030), mo = 1 + (int)((x >> 16) % 12);
        int d = 1 + (int)((x >> 24) % 28), h = (int)((x >> 32) % 24);
        int mi = (int)((x >> 40) % 60), sec = (int)((x >> 48) % 60);
        int off_h = (int)((x >> 56) % 14);
        struct tm tm = {0};
        tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
        tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
        int64_t want = (int64_t)timegm(&tm) * 1000;
        char buf[64];
        snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, sec);
        assert_int_equal(ts_ok(buf), want);
        if (want >= INT64_C(14) * 3600000) {
            snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d-%02d:00", y, mo, d, h,
                     mi, sec, off_h);
            assert_int_equal(ts_ok(buf), want + (int64_t)off_h * 3600000);
        }
    }
}

/* tamis_format_utc against gmtime_r, and back through the parser, for random instants
 * before and after 1970. */
static void test_format_utc(void **state)
{
    char out[32], want[64];
    uint64_t x = 2463534242u;
    (void)state;
    assert_int_equal(tamis_format_utc(0, false, out), 20);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    tamis_format_utc(-1, false, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    tamis_format_utc(1761955200000, true, out);
    assert_string_equal(out, "2025-11-01T00:00:00.000Z");
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t ms = (int64_t)(x % 8000000000000000u) - 2000000000000000;
        time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms - (int64_t)secs * 1000));
        tamis_format_utc(ms, true, out);
        assert_string_equal(out, want);
        if (ms >= 0 && ms < INT64_C(253402300800000)) /* the parser reads years 1970..9999 */
            assert_int_equal(ts_ok(out), ms);
    }
}

/* ------------------------------------------------------------------------------------ */

static double num_ok(const char *s)
{
    double v = -999;
    tamis_error err;
    if (tamis_parse_number(s, strlen(s), &v, &err) != TAMIS_OK)
        fail_msg("'%s' rejected: %s", s, err.msg);
    return v;
}

static void num_bad(const char *s, const char *want)
{
    double v = 0;
    tamis_error err;
    tamis_error_clear(&err);
    if (tamis_parse_number(s, strlen(s), &v, &err) != TAMIS_EINPUT)
        fail_msg("'%s' accepted as %g", s, v);
    assert_int_equal(err.code, TAMIS_EINPUT);
    if (!strstr(err.msg, want))
        fail_msg("'%s': message '%s' lacks '%s'", s, err.msg, want);
}

static void test_number_ok(void **state)
{
    (void)state;
    assert_true(num_ok("0") == 0.0);
    assert_true(num_ok("-0") == 0.0 && signbit(num_ok("-0")));
    assert_true(num_ok("1") == 1.0);
    assert_true(num_ok("+1") == 1.0);
    assert_true(num_ok("007") == 7.0);
    assert_true(num_ok("1.5") == 1.5);
    assert_true(num_ok("-2.25") == -2.25);
    assert_true(num_ok("0.1") == 0.1);
    assert_true(num_ok("19.99") == 19.99);
    assert_true(num_ok("1e3") == 1000.0);
    assert_true(num_ok("1E-3") == 0.001);
    assert_true(num_ok("2.5e+2") == 250.0);
    assert_true(num_ok("3.141592653589793") == 3.141592653589793);
    assert_true(num_ok("12345678901234567890") == 12345678901234567890.0);
    assert_true(num_ok("0.000000000000000000000000001") == 1e-27);
    assert_true(num_ok("1e-400") == 0.0); /* underflow to zero is a finite number */
    assert_true(num_ok("1.7976931348623157e308") == 1.7976931348623157e308);
}

static void test_number_bad(void **state)
{
    (void)state;
    num_bad("", "empty");
    num_bad("abc", "not a number");
    num_bad("1.", "no digit after '.'");
    num_bad(".5", "not a number");
    num_bad("1e", "no digit in the exponent");
    num_bad("1e+", "no digit in the exponent");
    num_bad("-", "not a number");
    num_bad("nan", "not a number");
    num_bad("NaN", "not a number");
    num_bad("inf", "not a number");
    num_bad("-Infinity", "not a number");
    num_bad("1e999", "out of range");
    num_bad("-1e400", "out of range");
    num_bad("1 ", "not a number");
    num_bad(" 1", "not a number");
    num_bad("0x10", "not a number");
    num_bad("1,5", "not a number");
    num_bad("1..5", "not a number");
    num_bad("--1", "not a number");
    tamis_error err;
    double v;
    assert_int_equal(tamis_parse_number("abc", 3, &v, &err), TAMIS_EINPUT);
    assert_string_equal(err.msg, "bad number 'abc': not a number");
}

/* Random decimal strings must convert exactly as strtod does (correct rounding). */
static void test_number_against_strtod(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15u;
    char buf[64];
    for (int i = 0; i < 50000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int int_digits = 1 + (int)(x % 12), frac_digits = (int)((x >> 8) % 12);
        int e = (int)((x >> 16) % 61) - 30;
        size_t n = 0;
        uint64_t y = x;
        if (y & 1)
            buf[n++] = '-';
        for (int k = 0; k < int_digits; k++, y = y * 6364136223846793005u + 1)
            buf[n++] = (char)('0' + (y >> 60) % 10);
        if (frac_digits) {
            buf[n++] = '.';
            for (int k = 0; k < frac_digits; k++, y = y * 6364136223846793005u + 1)
                buf[n++] = (char)('0' + (y >> 60) % 10);
        }
        if ((x >> 30) & 1)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "e%d", e);
        buf[n] = '\0';
        double want = strtod(buf, NULL);
        double got = num_ok(buf);
        if (got != want)
            fail_msg("'%s': got %.17g want %.17g", buf, got, want);
    }
}

static void test_field_names(void **state)
{
    (void)state;
    static const char *const want[TAMIS_FIELD__COUNT] = {
        "ts",    "user",     "platform",      "platform_id", "kind",    "value", "group",
        "campaign", "campaign_type", "device", "country", "field", "reason", "id"};
    for (int f = 0; f < TAMIS_FIELD__COUNT; f++)
        assert_string_equal(tamis_field_name((tamis_field)f), want[f]);
    assert_string_equal(tamis_field_name(TAMIS_FIELD__COUNT), "?");
    assert_string_equal(tamis_field_name((tamis_field)-1), "?");
}

static void test_kind_lookup(void **state)
{
    (void)state;
    for (int k = 0; k < TAMIS_KIND__COUNT; k++) {
        const char *n = tamis_kind_table[k].name;
        assert_int_equal(tamis_kind_from_name(n, strlen(n)), k);
        assert_int_equal(tamis_kind_table[k].id, k);
        assert_string_equal(tamis_kind_name(k), n);
        /* A prefix or an extension of a name is not that name. */
        assert_int_equal(tamis_kind_from_name(n, strlen(n) - 1) == k, 0);
        char longer[64];
        snprintf(longer, sizeof longer, "%sx", n);
        assert_int_equal(tamis_kind_from_name(longer, strlen(longer)), -1);
    }
    assert_int_equal(tamis_kind_from_name("", 0), -1);
    assert_int_equal(tamis_kind_from_name("Online", 6), -1);
    assert_int_equal(tamis_kind_from_name("xyz", 3), -1);
    assert_string_equal(tamis_kind_name(-1), "?");
    assert_string_equal(tamis_kind_name(TAMIS_KIND__COUNT), "?");
}

/* docs/FORMATS.md lists every kind of the table and every field (as `name`). */
static void test_docs_list_every_kind_and_field(void **state)
{
    (void)state;
    const char *dir = getenv("TAMIS_SOURCE_DIR");
    if (!dir)
        skip();
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/FORMATS.md", dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char doc[1 << 16];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    char want[64];
    for (int k = 0; k < TAMIS_KIND__COUNT; k++) {
        snprintf(want, sizeof want, "| `%s` |", tamis_kind_table[k].name);
        if (!strstr(doc, want))
            fail_msg("docs/FORMATS.md does not list kind %s", tamis_kind_table[k].name);
    }
    for (int fld = 0; fld < TAMIS_FIELD__COUNT; fld++) {
        snprintf(want, sizeof want, "| `%s` |", tamis_field_name((tamis_field)fld));
        if (!strstr(doc, want))
            fail_msg("docs/FORMATS.md does not list field %s",
                     tamis_field_name((tamis_field)fld));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unix_seconds),     cmocka_unit_test(test_unix_decimal),
        cmocka_unit_test(test_unix_millis),      cmocka_unit_test(test_unix_rejects),
        cmocka_unit_test(test_iso_forms),        cmocka_unit_test(test_iso_leap_years),
        cmocka_unit_test(test_iso_ranges),       cmocka_unit_test(test_iso_syntax),
        cmocka_unit_test(test_ts_message),       cmocka_unit_test(test_iso_against_timegm),
        cmocka_unit_test(test_format_utc),
        cmocka_unit_test(test_number_ok),        cmocka_unit_test(test_number_bad),
        cmocka_unit_test(test_number_against_strtod), cmocka_unit_test(test_field_names),
        cmocka_unit_test(test_kind_lookup),      cmocka_unit_test(test_docs_list_every_kind_and_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

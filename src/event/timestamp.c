/* timestamp.c — field values of an event: timestamps, numbers, field names, and the
 * quoting of offending values in messages.
 *
 * Both event parsers (csv.c, ndjson.c) hand the raw text of ts and value to the
 * functions here, and the contacts importer uses tamis_parse_ts too. Everything is done
 * by hand on (pointer, length) ranges: no strptime, timegm or TZ, so a timestamp means
 * the same thing on every machine. Numbers are converted exactly by hand when possible;
 * the rest go to strtod on a NUL-terminated copy with the locale's decimal point
 * neutralised. The common case (integer unix seconds) is a single loop over digits. */
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/event_int.h"
#include "tamis/event.h"
#include "tamis/limits.h"

/* ------------------------------------------------------------------------------------
 * Field names
 * ---------------------------------------------------------------------------------- */

/* Indexed by tamis_field; the length is kept next to the name so lookups compare a
 * byte before touching the name. */
static const struct {
    const char *name;
    uint8_t len;
} field_names[TAMIS_FIELD__COUNT] = {
#define FIELD_NAME(id, s) [TAMIS_FIELD_##id] = {s, sizeof(s) - 1}
    FIELD_NAME(TS, "ts"),
    FIELD_NAME(USER, "user"),
    FIELD_NAME(PLATFORM, "platform"),
    FIELD_NAME(PLATFORM_ID, "platform_id"),
    FIELD_NAME(KIND, "kind"),
    FIELD_NAME(VALUE, "value"),
    FIELD_NAME(GROUP, "group"),
    FIELD_NAME(CAMPAIGN, "campaign"),
    FIELD_NAME(CAMPAIGN_TYPE, "campaign_type"),
    FIELD_NAME(DEVICE, "device"),
    FIELD_NAME(COUNTRY, "country"),
    FIELD_NAME(FIELD, "field"),
    FIELD_NAME(REASON, "reason"),
    FIELD_NAME(ID, "id"),
#undef FIELD_NAME
};

const char *tamis_field_name(tamis_field f)
{
    if ((unsigned)f >= TAMIS_FIELD__COUNT)
        return "?";
    return field_names[f].name;
}

static unsigned char ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* CSV header columns: compares the length and the first byte before anything else.
 * (NDJSON keys, matched exactly and far more often, use the parser's hash table.) */
int tamis_ev_field_lookup_fold(const char *s, size_t len)
{
    if (len == 0)
        return -1;
    unsigned char c0 = ascii_lower((unsigned char)s[0]);
    for (int f = 0; f < TAMIS_FIELD__COUNT; f++) {
        const char *n = field_names[f].name;
        if (field_names[f].len != len || (unsigned char)n[0] != c0)
            continue;
        size_t i = 1;
        while (i < len && (unsigned char)n[i] == ascii_lower((unsigned char)s[i]))
            i++;
        if (i == len)
            return f;
    }
    return -1;
}

/* ------------------------------------------------------------------------------------
 * Quoting offending values in messages
 * ---------------------------------------------------------------------------------- */

char *tamis_ev_quote(char *dst, const char *s, size_t len)
{
    size_t n = len;
    bool cut = false;
    if (n > TAMIS_EV_QUOTE_BYTES) {
        n = TAMIS_EV_QUOTE_BYTES;
        /* Back up over UTF-8 continuation bytes so the cut keeps whole characters. */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        cut = true;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    if (cut) {
        memcpy(dst + n, "...", 3);
        n += 3;
    }
    dst[n] = '\0';
    return dst;
}

/* ------------------------------------------------------------------------------------
 * Timestamps
 * ---------------------------------------------------------------------------------- */

/* 9999-12-31T23:59:59.999Z: the last instant accepted. */
#define TS_MAX_MS INT64_C(253402300799999)
/* Unix numbers at or above this are milliseconds, below are seconds. */
#define TS_MS_THRESHOLD INT64_C(100000000000)

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly n digits at s (the caller has checked the length). */
static bool digits_n(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void tamis_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

size_t tamis_format_utc(int64_t ts_ms, bool with_ms, char out[32])
{
    int64_t secs = ts_ms >= 0 ? ts_ms / 1000 : (ts_ms - 999) / 1000;
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400, sod = secs - days * 86400, y;
    int ms = (int)(ts_ms - secs * 1000);
    unsigned m, d;
    int n;

    tamis_civil_from_days(days, &y, &m, &d);
    if (with_ms || ms)
        n = snprintf(out, 32, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, m, d, (int)(sod / 3600),
                     (int)(sod / 60 % 60), (int)(sod % 60), ms);
    else
        n = snprintf(out, 32, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d, (int)(sod / 3600),
                     (int)(sod / 60 % 60), (int)(sod % 60));
    return n < 0 ? 0 : (size_t)n < 32 ? (size_t)n : 31;
}

void tamis_format_utc_date(uint32_t day, char out[32])
{
    int64_t y;
    unsigned m, d;
    tamis_civil_from_days(day, &y, &m, &d);
    snprintf(out, 32, "%04lld-%02u-%02u", (long long)y, m, d);
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return (m == 2 && leap) ? 29 : days[m - 1];
}

/* Unix seconds (integer or decimal) or integer milliseconds. Returns NULL or a reason. */
static const char *ts_unix(const char *s, size_t len, int64_t *ts_ms)
{
    size_t i = 0;
    int64_t v = 0;
    while (i < len && is_digit(s[i])) {
        if (v > TS_MAX_MS)
            return "after year 9999";
        v = v * 10 + (s[i] - '0');
        i++;
    }
    if (i == 0)
        return "not a unix time or an ISO-8601 date";
    int64_t ms;
    if (i == len) {
        ms = v >= TS_MS_THRESHOLD ? v : v * 1000;
    } else {
        if (s[i] != '.' || i + 1 == len)
            return "not a unix time or an ISO-8601 date";
        if (v >= TS_MS_THRESHOLD)
            return "milliseconds must be an integer";
        int frac_ms = 0, scale = 100;
        for (i++; i < len; i++) {
            if (!is_digit(s[i]))
                return "not a unix time or an ISO-8601 date";
            frac_ms += (s[i] - '0') * scale;
            scale /= 10;
        }
        ms = v * 1000 + frac_ms;
    }
    if (ms > TS_MAX_MS)
        return "after year 9999";
    *ts_ms = ms;
    return NULL;
}

/* The zone at s[0..len): "Z", "z", "+hh", "+hhmm", "+hh:mm" (or '-'). */
static const char *ts_zone(const char *s, size_t len, int *offset_minutes)
{
    int hh = 0, mm = 0;
    if (len == 0)
        return "missing time zone (add Z or an offset like +07:00)";
    if (s[0] == 'Z' || s[0] == 'z') {
        if (len != 1)
            return "unexpected bytes after the time zone";
        *offset_minutes = 0;
        return NULL;
    }
    if (s[0] != '+' && s[0] != '-')
        return "bad time zone (expected Z or +hh:mm, +hhmm, +hh)";
    bool ok;
    if (len == 3)
        ok = digits_n(s + 1, 2, &hh);
    else if (len == 5)
        ok = digits_n(s + 1, 2, &hh) && digits_n(s + 3, 2, &mm);
    else if (len == 6)
        ok = s[3] == ':' && digits_n(s + 1, 2, &hh) && digits_n(s + 4, 2, &mm);
    else
        ok = false;
    if (!ok)
        return "bad time zone (expected Z or +hh:mm, +hhmm, +hh)";
    if (hh > 23 || mm > 59)
        return "time zone offset out of range";
    *offset_minutes = (s[0] == '-' ? -1 : 1) * (hh * 60 + mm);
    return NULL;
}

/* "YYYY-MM-DD[T ]hh:mm[:ss[.fff]]" and a zone. Returns NULL or a reason. */
static const char *ts_iso(const char *s, size_t len, int64_t *ts_ms)
{
    int y, mo, d, h, mi, sec = 0, frac_ms = 0, off = 0;
    if (len == 10 && digits_n(s, 4, &y) && s[7] == '-')
        return "missing time (expected YYYY-MM-DDThh:mm[:ss[.fff]] and a zone)";
    if (len < 16 || !digits_n(s, 4, &y) || s[4] != '-' || !digits_n(s + 5, 2, &mo) ||
        s[7] != '-' || !digits_n(s + 8, 2, &d))
        return "not an ISO-8601 date (expected YYYY-MM-DDThh:mm:ssZ)";
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        return "expected 'T' or ' ' between date and time";
    if (!digits_n(s + 11, 2, &h) || s[13] != ':' || !digits_n(s + 14, 2, &mi))
        return "bad time (expected hh:mm[:ss[.fff]])";
    size_t i = 16;
    if (i < len && s[i] == ':') {
        if (len - i < 3 || !digits_n(s + i + 1, 2, &sec))
            return "bad seconds";
        i += 3;
        if (i < len && s[i] == '.') {
            size_t start = ++i;
            int scale = 100;
            for (; i < len && is_digit(s[i]); i++) {
                frac_ms += (s[i] - '0') * scale;
                scale /= 10;
            }
            if (i == start)
                return "bad fraction of a second";
        }
    }
    if (mo < 1 || mo > 12)
        return "month out of range";
    if (d < 1 || d > days_in_month(y, mo))
        return "day out of range";
    if (h > 23)
        return "hour out of range";
    if (mi > 59)
        return "minute out of range";
    if (sec > 59)
        return "second out of range (leap second 60 is not accepted)";
    const char *why = ts_zone(s + i, len - i, &off);
    if (why)
        return why;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    int64_t ms = (secs - (int64_t)off * 60) * 1000 + frac_ms;
    if (ms < 0)
        return "before 1970-01-01";
    if (ms > TS_MAX_MS)
        return "after year 9999";
    *ts_ms = ms;
    return NULL;
}

static const char *ts_reason(const char *s, size_t len, int64_t *ts_ms)
{
    if (len == 0)
        return "empty";
    if (s[0] == '-')
        return "negative";
    /* Fast path: ten digits of unix seconds, the overwhelmingly common form. */
    if (len == 10) {
        int64_t v = 0;
        size_t i = 0;
        for (; i < 10 && is_digit(s[i]); i++)
            v = v * 10 + (s[i] - '0');
        if (i == 10) {
            *ts_ms = v * 1000;
            return NULL;
        }
    }
    if (len >= 5 && s[4] == '-')
        return ts_iso(s, len, ts_ms);
    return ts_unix(s, len, ts_ms);
}

int tamis_parse_ts(const char *s, size_t len, int64_t *ts_ms, tamis_error *err)
{
    const char *why = ts_reason(s, len, ts_ms);
    if (!why)
        return TAMIS_OK;
    char q[TAMIS_EV_QUOTE_BUF];
    return tamis_error_set(err, TAMIS_EINPUT, "bad ts '%s': %s", tamis_ev_quote(q, s, len),
                           why);
}

/* ------------------------------------------------------------------------------------
 * Numbers
 * ---------------------------------------------------------------------------------- */

/* Exact powers of ten as doubles (10^22 is the largest exactly representable). */
static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The slow path for numbers the fast path cannot convert exactly: strtod on a
 * NUL-terminated copy, with '.' replaced by the locale's decimal point so that a
 * program that called setlocale() still reads "1.5" as one and a half. */
static const char *number_slow(const char *s, size_t len, double *out)
{
    char buf[TAMIS_MAX_FIELD_BYTES + 16];
    const char *dp = localeconv()->decimal_point;
    size_t dp_len = (dp && dp[0]) ? strlen(dp) : 1;
    size_t n = 0;
    if (len > TAMIS_MAX_FIELD_BYTES || dp_len > 8)
        return "too long";
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.' && dp && dp[0]) {
            memcpy(buf + n, dp, dp_len);
            n += dp_len;
        } else {
            buf[n++] = s[i];
        }
    }
    buf[n] = '\0';
    char *end;
    double v = strtod(buf, &end);
    if (end != buf + n)
        return "not a number";
    if (!isfinite(v))
        return "out of range";
    *out = v;
    return NULL;
}

/* Grammar [+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?. Values with at most 19 significant
 * digits whose mantissa and power of ten are exact in a double are converted here
 * (Clinger's fast path: one correctly rounded multiply or divide); the rest by strtod. */
const char *tamis_ev_number_reason(const char *s, size_t len, double *out)
{
    size_t i = 0;
    bool neg = false;
    uint64_t mant = 0;
    int digits = 0, exp10 = 0;
    if (len == 0)
        return "empty";
    if (s[0] == '+' || s[0] == '-')
        neg = s[i++] == '-';
    size_t int_start = i;
    for (; i < len && is_digit(s[i]); i++) {
        if (digits < 19) {
            mant = mant * 10 + (uint64_t)(s[i] - '0');
            digits += mant != 0;
        } else {
            exp10++;
        }
    }
    if (i == int_start)
        return "not a number";
    if (i < len && s[i] == '.') {
        size_t frac_start = ++i;
        for (; i < len && is_digit(s[i]); i++) {
            if (digits < 19) {
                mant = mant * 10 + (uint64_t)(s[i] - '0');
                digits += mant != 0;
                exp10--;
            }
        }
        if (i == frac_start)
            return "not a number (no digit after '.')";
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        bool eneg = false;
        int e = 0;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        size_t exp_start = i;
        for (; i < len && is_digit(s[i]); i++) {
            if (e < 100000)
                e = e * 10 + (s[i] - '0');
        }
        if (i == exp_start)
            return "not a number (no digit in the exponent)";
        exp10 += eneg ? -e : e;
    }
    if (i != len)
        return "not a number";
    if (mant == 0) {
        *out = neg ? -0.0 : 0.0;
        return NULL;
    }
    if (mant <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
        double v = (double)mant;
        v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
        *out = neg ? -v : v;
        return NULL;
    }
    return number_slow(s, len, out);
}

int tamis_parse_number(const char *s, size_t len, double *out, tamis_error *err)
{
    const char *why = tamis_ev_number_reason(s, len, out);
    if (!why)
        return TAMIS_OK;
    char q[TAMIS_EV_QUOTE_BUF];
    return tamis_error_set(err, TAMIS_EINPUT, "bad number '%s': %s",
                           tamis_ev_quote(q, s, len), why);
}

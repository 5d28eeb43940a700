/* tz.c — time zones and countries through ICU's C API (see include/tamis/tz.h).
 *
 * The contacts importer normalises each contact's `tz` and `country` here, and the
 * scorer asks for a zone's offset at an instant to place events in the user's local
 * day (rhythm, best hour, quiet hours). Zone names are whatever ICU's time-zone data
 * knows as a system zone; fixed offsets are parsed and formatted by hand ("+hh:mm"),
 * since they need no database. Nothing is cached here: ICU keeps its own caches. */
#include "tamis/tz.h"

#include <stdio.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/uenum.h>
#include <unicode/uloc.h>
#include <unicode/utypes.h>

#define TZ_MAX_OFFSET_MINUTES (14 * 60) /* UTC-14:00 .. UTC+14:00, as in tz.h */
#define TZ_QUOTE_BYTES 40               /* input shown in error messages */
#define TZ_UNKNOWN_ID "Etc/Unknown"     /* ICU's name for "no such zone" */

/* ------------------------------------------------------------------------------------
 * Small ASCII helpers
 * ---------------------------------------------------------------------------------- */

static int quote_len(size_t len)
{
    return len < TZ_QUOTE_BYTES ? (int)len : TZ_QUOTE_BYTES;
}

static char ascii_upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Drops spaces and tabs around text: operators' spreadsheets are full of them. */
static void trim(const char **text, size_t *len)
{
    while (*len && (**text == ' ' || **text == '\t')) {
        (*text)++;
        (*len)--;
    }
    while (*len && ((*text)[*len - 1] == ' ' || (*text)[*len - 1] == '\t'))
        (*len)--;
}

/* Case-insensitive comparison of text[0..len) with a lower-case ASCII word. */
static int ascii_ieq(const char *text, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (ascii_lower(text[i]) != word[i])
            return 0;
    return 1;
}

/* ------------------------------------------------------------------------------------
 * Fixed UTC offsets
 * ---------------------------------------------------------------------------------- */

typedef enum offset_shape {
    OFFSET_NOT,   /* not an offset: try it as a zone name */
    OFFSET_OK,    /* *minutes filled */
    OFFSET_BAD,   /* looks like an offset but is malformed */
    OFFSET_RANGE, /* well formed but beyond +-14:00 */
} offset_shape;

/* Parses "Z", "UTC", "GMT" (any case), "+hh", "+hhmm", "+hh:mm" (sign '+' or '-'), the
 * latter three optionally after "UTC" / "GMT" ("UTC+07:00"). */
static offset_shape parse_offset(const char *s, size_t n, int *minutes)
{
    int sign, hours, mins = 0;

    if (ascii_ieq(s, n, "z") || ascii_ieq(s, n, "utc") || ascii_ieq(s, n, "gmt")) {
        *minutes = 0;
        return OFFSET_OK;
    }
    if (n > 3 && (s[3] == '+' || s[3] == '-') &&
        (ascii_ieq(s, 3, "utc") || ascii_ieq(s, 3, "gmt"))) {
        s += 3;
        n -= 3;
    }
    if (n == 0 || (s[0] != '+' && s[0] != '-'))
        return OFFSET_NOT;
    sign = s[0] == '-' ? -1 : 1;
    if (n < 3 || !is_digit(s[1]) || !is_digit(s[2]))
        return OFFSET_BAD;
    hours = (s[1] - '0') * 10 + (s[2] - '0');
    if (n == 5 || n == 6) {
        const char *m = s + n - 2;
        if ((n == 6 && s[3] != ':') || !is_digit(m[0]) || !is_digit(m[1]))
            return OFFSET_BAD;
        mins = (m[0] - '0') * 10 + (m[1] - '0');
        if (mins >= 60)
            return OFFSET_BAD;
    } else if (n != 3) {
        return OFFSET_BAD;
    }
    *minutes = sign * (hours * 60 + mins);
    if (*minutes > TZ_MAX_OFFSET_MINUTES || *minutes < -TZ_MAX_OFFSET_MINUTES)
        return OFFSET_RANGE;
    return OFFSET_OK;
}

/* "+hh:mm"; zero is "+00:00". */
static void format_offset(int minutes, char out[TAMIS_TZ_NAME_MAX])
{
    char sign = minutes < 0 ? '-' : '+';
    int a = minutes < 0 ? -minutes : minutes;
    snprintf(out, TAMIS_TZ_NAME_MAX, "%c%02d:%02d", sign, a / 60, a % 60);
}

/* ------------------------------------------------------------------------------------
 * Zone names
 * ---------------------------------------------------------------------------------- */

/* Widens an ASCII zone name for ICU. Zone names are ASCII letters, digits and "/_+-";
 * anything else is rejected here, before ICU sees it. */
static int widen_zone(const char *s, size_t n, UChar out[TAMIS_TZ_NAME_MAX])
{
    if (n == 0 || n >= TAMIS_TZ_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!is_alpha(c) && !is_digit(c) && c != '/' && c != '_' && c != '+' && c != '-')
            return 0;
        out[i] = (UChar)c;
    }
    out[n] = 0;
    return 1;
}

/* True when ICU knows s as a system zone (not a custom "GMT+7" id, not Etc/Unknown).
 * ICU matches names case-sensitively, so "asia/tokyo" is unknown. */
static int zone_is_known(const char *s, size_t n)
{
    UChar id[TAMIS_TZ_NAME_MAX], canonical[TAMIS_TZ_NAME_MAX];
    UBool is_system = 0;
    UErrorCode st = U_ZERO_ERROR;

    if (!widen_zone(s, n, id))
        return 0;
    if (n == strlen(TZ_UNKNOWN_ID) && memcmp(s, TZ_UNKNOWN_ID, n) == 0)
        return 0;
    ucal_getCanonicalTimeZoneID(id, (int32_t)n, canonical, TAMIS_TZ_NAME_MAX, &is_system, &st);
    return U_SUCCESS(st) && is_system;
}

int tamis_tz_normalize(const char *text, size_t len, char out[TAMIS_TZ_NAME_MAX],
                       tamis_error *err)
{
    int minutes = 0;

    out[0] = '\0';
    trim(&text, &len);
    if (len == 0)
        return tamis_error_set(err, TAMIS_EINPUT, "time zone is empty");
    switch (parse_offset(text, len, &minutes)) {
    case OFFSET_OK:
        format_offset(minutes, out);
        return TAMIS_OK;
    case OFFSET_BAD:
        return tamis_error_set(err, TAMIS_EINPUT,
                               "time zone \"%.*s\": bad UTC offset (use +hh:mm, +hhmm or +hh)",
                               quote_len(len), text);
    case OFFSET_RANGE:
        return tamis_error_set(err, TAMIS_EINPUT,
                               "time zone \"%.*s\": UTC offset outside -14:00..+14:00",
                               quote_len(len), text);
    case OFFSET_NOT:
        break;
    }
    if (!zone_is_known(text, len))
        return tamis_error_set(err, TAMIS_EINPUT,
                               "time zone \"%.*s\": unknown zone name (want an IANA name "
                               "such as Asia/Ho_Chi_Minh, exact case, or a UTC offset)",
                               quote_len(len), text);
    memcpy(out, text, len);
    out[len] = '\0';
    return TAMIS_OK;
}

/* Offsets of a known zone at n instants: raw offset plus daylight saving, from one
 * Gregorian calendar opened on that zone. Whole minutes (historic LMT seconds are
 * dropped). */
static int zone_offsets_at(const char *tz, size_t n, const int64_t *utc_ms, size_t count,
                           int *offset_minutes, tamis_error *err)
{
    UChar id[TAMIS_TZ_NAME_MAX];
    UErrorCode st = U_ZERO_ERROR;
    UCalendar *cal;
    int rc = TAMIS_OK;

    if (!widen_zone(tz, n, id))
        return tamis_error_set(err, TAMIS_EINPUT, "time zone \"%.*s\": unknown zone name",
                               quote_len(n), tz);
    cal = ucal_open(id, (int32_t)n, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st)) {
        rc = tamis_error_set(err, TAMIS_EINTERNAL, "time zone \"%.*s\": ICU ucal_open: %s",
                             quote_len(n), tz, u_errorName(st));
        goto done;
    }
    /* a lenient calendar would clamp instants beyond its range instead of failing */
    ucal_setAttribute(cal, UCAL_LENIENT, 0);
    for (size_t i = 0; i < count; i++) {
        int32_t zone_ms, dst_ms;
        ucal_setMillis(cal, (UDate)utc_ms[i], &st);
        zone_ms = ucal_get(cal, UCAL_ZONE_OFFSET, &st);
        dst_ms = ucal_get(cal, UCAL_DST_OFFSET, &st);
        if (U_FAILURE(st)) {
            rc = tamis_error_set(err, TAMIS_EINPUT,
                                 "time zone \"%.*s\": instant %lld ms outside ICU's range (%s)",
                                 quote_len(n), tz, (long long)utc_ms[i], u_errorName(st));
            goto done;
        }
        offset_minutes[i] = (int)((zone_ms + (int64_t)dst_ms) / 60000);
    }
done:
    if (cal)
        ucal_close(cal);
    return rc;
}

int tamis_tz_offsets_minutes(const char *tz, const int64_t *utc_ms, size_t count,
                             int *offset_minutes, tamis_error *err)
{
    size_t n = strlen(tz);
    int minutes = 0;

    switch (parse_offset(tz, n, &minutes)) {
    case OFFSET_OK:
        for (size_t i = 0; i < count; i++)
            offset_minutes[i] = minutes;
        return TAMIS_OK;
    case OFFSET_BAD:
    case OFFSET_RANGE:
        return tamis_error_set(err, TAMIS_EINPUT, "time zone \"%.*s\": bad UTC offset",
                               quote_len(n), tz);
    case OFFSET_NOT:
        break;
    }
    /* ucal_open silently falls back to GMT for a name it does not know. */
    if (!zone_is_known(tz, n))
        return tamis_error_set(err, TAMIS_EINPUT, "time zone \"%.*s\": unknown zone name",
                               quote_len(n), tz);
    return zone_offsets_at(tz, n, utc_ms, count, offset_minutes, err);
}

int tamis_tz_offset_minutes(const char *tz, int64_t utc_ms, int *offset_minutes,
                            tamis_error *err)
{
    *offset_minutes = 0;
    return tamis_tz_offsets_minutes(tz, &utc_ms, 1, offset_minutes, err);
}

/* ------------------------------------------------------------------------------------
 * Countries
 * ---------------------------------------------------------------------------------- */

/* Writes the upper-cased code into out if text is two ASCII letters. */
static int country_shape(const char *text, size_t len, char out[3])
{
    if (len != 2 || !is_alpha(text[0]) || !is_alpha(text[1]))
        return 0;
    out[0] = ascii_upper(text[0]);
    out[1] = ascii_upper(text[1]);
    out[2] = '\0';
    return 1;
}

int tamis_country_normalize(const char *text, size_t len, char out[3], tamis_error *err)
{
    char code[3];
    const char *const *list = uloc_getISOCountries();

    out[0] = '\0';
    trim(&text, &len);
    if (!country_shape(text, len, code))
        return tamis_error_set(err, TAMIS_EINPUT,
                               "country \"%.*s\": not an ISO 3166-1 alpha-2 code (two letters)",
                               quote_len(len), text);
    for (; *list; list++) {
        if ((*list)[0] == code[0] && (*list)[1] == code[1] && (*list)[2] == '\0') {
            memcpy(out, code, 3);
            return TAMIS_OK;
        }
    }
    return tamis_error_set(err, TAMIS_EINPUT, "country \"%s\": unknown ISO 3166-1 code", code);
}

/* ICU lists a region's zones in ID order, in which its legacy upper-case IDs ("AST",
 * "ACT", "GB", "PRC") come first; those are not IANA Area/Location names (ICU's "AST"
 * is Alaska time, which a reader takes for Atlantic), so the first ID with a '/' wins.
 * For a country with several zones this is the alphabetically first one, not the most
 * populous: "US" -> "America/Adak", "RU" -> "Asia/Anadyr" (see docs/IDENTITY.md). */
int tamis_country_default_tz(const char country[3], char out[TAMIS_TZ_NAME_MAX],
                             tamis_error *err)
{
    char code[3];
    UErrorCode st = U_ZERO_ERROR;
    UEnumeration *zones;
    const char *id;
    int32_t n = 0;
    int rc;

    out[0] = '\0';
    if (!country_shape(country, strnlen(country, 3), code))
        return tamis_error_set(err, TAMIS_EINPUT, "country \"%.*s\": not an ISO 3166-1 "
                               "alpha-2 code", (int)strnlen(country, 3), country);
    zones = ucal_openCountryTimeZones(code, &st);
    if (U_FAILURE(st))
        return tamis_error_set(err, TAMIS_EINTERNAL, "country \"%s\": ICU zones: %s", code,
                               u_errorName(st));
    while ((id = uenum_next(zones, &n, &st)) != NULL && U_SUCCESS(st)) {
        if (memchr(id, '/', (size_t)n) != NULL && n < TAMIS_TZ_NAME_MAX)
            break;
    }
    if (U_FAILURE(st)) {
        rc = tamis_error_set(err, TAMIS_EINTERNAL, "country \"%s\": ICU zones: %s", code,
                             u_errorName(st));
    } else if (id == NULL) {
        rc = tamis_error_set(err, TAMIS_ENOTFOUND, "country \"%s\": no time zone known", code);
    } else {
        memcpy(out, id, (size_t)n);
        out[n] = '\0';
        rc = TAMIS_OK;
    }
    uenum_close(zones);
    return rc;
}

/* event.h — bytes to events: the CSV and NDJSON event parsers.
 *
 * This is the first stage of the data flow (src/event): a parser turns one record (a
 * line of NDJSON, or a CSV record whose quoted fields may have spanned lines, already
 * joined by the reader) into a tamis_event. It knows nothing of users, the store or
 * files: the caller (src/store/ingest.c) splits lines, counts line numbers and adds
 * "file:line:" to error messages.
 *
 * Field names (CSV header columns / NDJSON keys): ts, user, platform, platform_id,
 * kind, value, group, campaign, campaign_type, device, country, field, reason, id.
 * Required: ts, kind, and either user or both platform and platform_id.
 *   ts    unix seconds (integer or decimal; values >= 1e11 are taken as unix
 *         milliseconds), or ISO-8601 "YYYY-MM-DD[T ]hh:mm[:ss[.fff]]" followed by "Z"
 *         or an offset "+hh:mm" / "+hhmm" / "+hh". A time without zone is rejected.
 *   kind  one of the wire names of kinds.h, exact.
 *   value a decimal number (finite).
 *   platform  open vocabulary, folded to ASCII lowercase by the parser; must match
 *         [a-z0-9_.-]{1,32}.
 * In NDJSON, ts and value may be JSON numbers or strings; other fields must be strings
 * (a number is accepted for user, platform_id, group, campaign, id and taken as its
 * literal text); null is the same as absent; an empty string is the same as absent.
 * Unknown CSV columns and unknown NDJSON keys are reported once each through the
 * warning callback, then ignored. */
#ifndef TAMIS_EVENT_H
#define TAMIS_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/kinds.h"

/* A borrowed byte range (not NUL-terminated). len == 0 means absent. */
typedef struct tamis_str {
    const char *ptr;
    uint32_t len;
} tamis_str;

typedef enum tamis_field {
    TAMIS_FIELD_TS,
    TAMIS_FIELD_USER,
    TAMIS_FIELD_PLATFORM,
    TAMIS_FIELD_PLATFORM_ID,
    TAMIS_FIELD_KIND,
    TAMIS_FIELD_VALUE,
    TAMIS_FIELD_GROUP,
    TAMIS_FIELD_CAMPAIGN,
    TAMIS_FIELD_CAMPAIGN_TYPE,
    TAMIS_FIELD_DEVICE,
    TAMIS_FIELD_COUNTRY,
    TAMIS_FIELD_FIELD,
    TAMIS_FIELD_REASON,
    TAMIS_FIELD_ID,
    TAMIS_FIELD__COUNT
} tamis_field;

/* The wire name of a field ("ts", "user", ...). */
const char *tamis_field_name(tamis_field f);

typedef struct tamis_event {
    int64_t ts_ms;   /* UTC, milliseconds since the epoch */
    uint8_t kind;    /* tamis_kind */
    bool has_value;
    double value;
    /* String fields indexed by tamis_field; the entries for TS, KIND and VALUE hold the
     * raw text. Borrowed: valid until the next call on the same parser or until the
     * caller's line buffer changes, whichever comes first. PLATFORM is lowercased. */
    tamis_str text[TAMIS_FIELD__COUNT];
} tamis_event;

typedef enum tamis_format {
    TAMIS_FORMAT_AUTO = 0, /* decided by the caller from the first non-blank byte */
    TAMIS_FORMAT_CSV,
    TAMIS_FORMAT_NDJSON
} tamis_format;

/* Called for each distinct unknown column or key, once per parser (NDJSON: for the
 * first 64 distinct keys; the 64th message says later ones go unreported). msg is valid
 * only during the call. */
typedef void (*tamis_warn_fn)(void *ctx, const char *msg);

typedef struct tamis_event_parser tamis_event_parser;

/* Creates a parser for fmt (CSV or NDJSON, not AUTO). warn may be NULL. The parser is
 * owned by the caller and released with tamis_event_parser_free(). */
tamis_event_parser *tamis_event_parser_new(tamis_format fmt, tamis_warn_fn warn, void *warn_ctx);
void tamis_event_parser_free(tamis_event_parser *p);

/* CSV only: reads the header record (without its line terminator). Fails with
 * TAMIS_EINPUT if a required column is missing, a column repeats, or a cap is hit. */
int tamis_event_parser_header(tamis_event_parser *p, const char *line, size_t len,
                              tamis_error *err) TAMIS_WUR;

/* Parses one record (without its line terminator; a trailing '\r' is ignored) into
 * *out. Returns TAMIS_OK, or TAMIS_EINPUT / TAMIS_ELIMIT with a reason in err (no file
 * or line prefix). Blank lines are the caller's business: do not pass them. */
int tamis_event_parse(tamis_event_parser *p, const char *line, size_t len, tamis_event *out,
                      tamis_error *err) TAMIS_WUR;

/* Timestamp parsing as described above; exposed for the contacts importer and tests.
 * Returns TAMIS_OK and *ts_ms, or TAMIS_EINPUT with a reason. */
int tamis_parse_ts(const char *s, size_t len, int64_t *ts_ms, tamis_error *err) TAMIS_WUR;

/* The proleptic Gregorian date of a day number (days since 1970-01-01). */
void tamis_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);
/* ts_ms as "YYYY-MM-DDTHH:MM:SS[.mmm]Z" (milliseconds always with with_ms, else only
 * when not zero); returns the length. Pure arithmetic: no libc time zone state, so it
 * is safe in any thread (gmtime_r takes glibc's time zone lock, which ICU also uses). */
size_t tamis_format_utc(int64_t ts_ms, bool with_ms, char out[32]);
/* A day number (days since 1970-01-01) as "YYYY-MM-DD". */
void tamis_format_utc_date(uint32_t day, char out[32]);

/* Strict decimal number (optional sign, digits, optional fraction, optional exponent);
 * rejects empty, NaN, infinities and trailing bytes. */
int tamis_parse_number(const char *s, size_t len, double *out, tamis_error *err) TAMIS_WUR;

#endif

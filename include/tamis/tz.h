/* tz.h — time zones and countries through ICU (src/identity/tz.c).
 *
 * A contact's zone is an IANA name ("Asia/Ho_Chi_Minh") or a fixed UTC offset
 * ("+07:00", "-0330", "UTC"). Names are checked against the system time-zone database
 * as ICU sees it; offsets are normalised to "+hh:mm". Offsets of a zone at a given
 * instant (DST included) come from ICU too, never from a hand-made table. */
#ifndef TAMIS_TZ_H
#define TAMIS_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"

#define TAMIS_TZ_NAME_MAX 64

/* Validates and normalises a zone: canonical IANA id (ICU's canonical form, e.g.
 * "Asia/Saigon" -> "Asia/Ho_Chi_Minh" is NOT done; the name is kept as given if ICU
 * knows it) or "+hh:mm" for offsets (range -14:00..+14:00). Writes a NUL-terminated
 * string into out (TAMIS_TZ_NAME_MAX bytes). TAMIS_EINPUT for unknown names. */
int tamis_tz_normalize(const char *text, size_t len, char out[TAMIS_TZ_NAME_MAX],
                       tamis_error *err) TAMIS_WUR;

/* Offset from UTC in minutes of zone tz (as normalised above) at instant utc_ms,
 * daylight saving included. TAMIS_EINPUT for an unknown zone. */
int tamis_tz_offset_minutes(const char *tz, int64_t utc_ms, int *offset_minutes,
                            tamis_error *err) TAMIS_WUR;

/* The same for n instants at once (one ICU calendar for all: much cheaper than n calls
 * of tamis_tz_offset_minutes). */
int tamis_tz_offsets_minutes(const char *tz, const int64_t *utc_ms, size_t n, int *offset_minutes,
                             tamis_error *err) TAMIS_WUR;

/* Validates an ISO 3166-1 alpha-2 code (any case) against ICU's list of countries and
 * writes it upper-cased into out. TAMIS_EINPUT when unknown. */
int tamis_country_normalize(const char *text, size_t len, char out[3], tamis_error *err) TAMIS_WUR;

/* The default zone of a country (ICU's first zone for the region, e.g. "VN" ->
 * "Asia/Ho_Chi_Minh", "US" -> "America/Adak"), written into out. TAMIS_ENOTFOUND
 * when the country has none. */
int tamis_country_default_tz(const char country[3], char out[TAMIS_TZ_NAME_MAX],
                             tamis_error *err) TAMIS_WUR;

#endif

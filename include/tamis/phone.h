/* phone.h — phone numbers through libphonenumber (src/identity/phone.cc, the only C++
 * in tamis: a small extern "C" shim over PhoneNumberUtil).
 *
 * Numbers are parsed in the region given (ISO 3166-1 alpha-2, from the contact's
 * country or --default-country) unless they carry a "+" country code, and stored as
 * E.164 with validity and number type. Parsing is pure: no network, no lookups beyond
 * the numbering plan metadata compiled into the library. */
#ifndef TAMIS_PHONE_H
#define TAMIS_PHONE_H

#include <stdbool.h>
#include <stddef.h>

#include "tamis/error.h"

typedef enum tamis_phone_type {
    TAMIS_PHONE_UNKNOWN = 0,
    TAMIS_PHONE_FIXED_LINE,
    TAMIS_PHONE_MOBILE,
    TAMIS_PHONE_FIXED_LINE_OR_MOBILE,
    TAMIS_PHONE_TOLL_FREE,
    TAMIS_PHONE_PREMIUM_RATE,
    TAMIS_PHONE_SHARED_COST,
    TAMIS_PHONE_VOIP,
    TAMIS_PHONE_PERSONAL_NUMBER,
    TAMIS_PHONE_PAGER,
    TAMIS_PHONE_UAN,
    TAMIS_PHONE_VOICEMAIL,
    TAMIS_PHONE_TYPE__COUNT
} tamis_phone_type;

typedef struct tamis_phone {
    char e164[20];      /* "+84912345678"; always filled when parsing succeeded */
    char region[3];     /* region the number belongs to ("VN"), "" if none */
    char national[20];  /* national significant number digits ("912345678") */
    bool valid;         /* libphonenumber IsValidNumber */
    tamis_phone_type type;
} tamis_phone;

/* Parses text (len bytes, not NUL-terminated) with default_region (may be NULL or "").
 * Returns TAMIS_OK with *out filled (valid may still be false: a number that parses
 * but is not valid in its plan), or TAMIS_EINPUT when the text is not a phone number
 * at all (libphonenumber's parse error named in err). Thread-safe. */
int tamis_phone_parse(const char *text, size_t len, const char *default_region,
                      tamis_phone *out, tamis_error *err) TAMIS_WUR;

/* "mobile", "fixed_line", "fixed_line_or_mobile", "toll_free", ..., "unknown". */
const char *tamis_phone_type_name(tamis_phone_type t);

#endif

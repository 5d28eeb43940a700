/* contacts.h — bytes to contact rows: the contacts CSV parser (src/event/contacts.c).
 *
 * A contacts file is CSV (RFC 4180: quoted fields, "" escapes, CRLF or LF) with a
 * header; columns are matched by name, case-insensitively:
 *   user      required, the operator's own key (1..TAMIS_MAX_USER_KEY_BYTES bytes)
 *   phone     free text as the operator has it ("+84 912 345 678", "0912345678")
 *   country   ISO 3166-1 alpha-2 (any case on input; upper-cased in the row)
 *   tz        IANA zone name or UTC offset, validated later by tz.h
 *   name      display name
 *   tags      ';'-separated; empty items are dropped, surrounding spaces trimmed
 *   <platform>_id   e.g. telegram_id: maps that platform identity to the user; the
 *             platform part is lower-cased and must match [a-z0-9_.-]{1,32}
 *   anything else   kept as a string attribute (key lower-cased)
 * Like event.h, the parser only parses: it does not validate phones or zones, does not
 * know the store, and reports errors without "file:line:" (the caller adds them). */
#ifndef TAMIS_CONTACTS_H
#define TAMIS_CONTACTS_H

#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/event.h"
#include "tamis/limits.h"

#define TAMIS_MAX_TAGS 64 /* tags per contact row */

typedef struct tamis_contact_pair {
    tamis_str key;   /* platform name (identities) or attribute name (attrs) */
    tamis_str value; /* platform user id / attribute value; never empty */
} tamis_contact_pair;

/* One parsed row. All tamis_str are borrowed: valid until the next call on the same
 * parser or until the caller's line buffer changes. Absent or empty fields have len 0.
 * Identities and attributes appear in header column order; empty cells are skipped. */
typedef struct tamis_contact_row {
    tamis_str user, phone, country, tz, name;
    size_t n_tags;
    tamis_str tags[TAMIS_MAX_TAGS];
    size_t n_ids;
    tamis_contact_pair ids[TAMIS_MAX_FIELDS];
    size_t n_attrs;
    tamis_contact_pair attrs[TAMIS_MAX_FIELDS];
} tamis_contact_row;

typedef struct tamis_contacts_parser tamis_contacts_parser;

/* Creates a parser; owned by the caller, released with tamis_contacts_parser_free(). */
tamis_contacts_parser *tamis_contacts_parser_new(void);
void tamis_contacts_parser_free(tamis_contacts_parser *p);

/* Reads the header record. TAMIS_EINPUT if `user` is missing, a column name repeats or
 * is empty; TAMIS_ELIMIT past TAMIS_MAX_FIELDS columns. */
int tamis_contacts_parser_header(tamis_contacts_parser *p, const char *line, size_t len,
                                 tamis_error *err) TAMIS_WUR;

/* Parses one record (no line terminator; a trailing '\r' is ignored). TAMIS_EINPUT for
 * a missing user, a field count different from the header's, bad quoting, a bad
 * country code shape; TAMIS_ELIMIT for a field over TAMIS_MAX_FIELD_BYTES or more than
 * TAMIS_MAX_TAGS tags. */
int tamis_contacts_parse(tamis_contacts_parser *p, const char *line, size_t len,
                         tamis_contact_row *out, tamis_error *err) TAMIS_WUR;

#endif

/* event_int.h — private to src/event: the event parser object and the helpers that the
 * CSV parser (csv.c) and the NDJSON parser (ndjson.c) share.
 *
 * Where things live:
 *   timestamp.c  field values: tamis_parse_ts, tamis_parse_number, field names, and
 *                the quoting of offending values in messages;
 *   csv.c        the parser object (new/free/dispatch), the per-event checks both
 *                formats finish with, and the CSV tokenizer;
 *   ndjson.c     the flat JSON object parser.
 *
 * Memory: a parser owns one scratch buffer allocated once at creation. Every byte a
 * record needs rewritten (unescaped CSV quotes, decoded JSON escapes, lower-cased
 * platform) is written there, so parsing never allocates per record. Decoded text is
 * never longer than its encoded form, and encoded strings do not overlap, so one
 * record needs at most TAMIS_MAX_LINE_BYTES of scratch plus a lower-cased platform
 * copy; the record length is capped at TAMIS_MAX_LINE_BYTES before anything else. */
#ifndef TAMIS_EVENT_INT_H
#define TAMIS_EVENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tamis/error.h"
#include "tamis/event.h"
#include "tamis/limits.h"

/* Scratch bytes a parser owns: a whole decoded record plus a lower-cased platform. */
#define TAMIS_EV_SCRATCH_BYTES (TAMIS_MAX_LINE_BYTES + TAMIS_MAX_PLATFORM_BYTES)
/* Distinct unknown NDJSON keys remembered (and warned about) per parser. */
#define TAMIS_EV_MAX_WARNED_KEYS 64
/* Bytes of an offending value quoted in a message before it is cut with "...". */
#define TAMIS_EV_QUOTE_BYTES 40
/* Slots of a parser's name hash tables (kinds, NDJSON keys): a power of two, at least
 * twice the number of names. */
#define TAMIS_EV_NAME_SLOTS 64
/* Size of a buffer able to hold a quoted value: the cut bytes, "...", and the NUL. */
#define TAMIS_EV_QUOTE_BUF (TAMIS_EV_QUOTE_BYTES + 4)

struct tamis_event_parser {
    tamis_format fmt;
    tamis_warn_fn warn;
    void *warn_ctx;
    char *scratch;         /* TAMIS_EV_SCRATCH_BYTES, owned */
    uint32_t scratch_used; /* reset at the start of every record */

    /* Kind names and field names hashed with tamis_ev_name_hash, built from
     * tamis_kind_table and tamis_field_name() when the parser is made: one probe and one
     * compare per lookup instead of a scan of every name. Read-only afterwards. */
    int8_t kind_slot[TAMIS_EV_NAME_SLOTS]; /* kind id or -1 */
    uint8_t kind_len[TAMIS_KIND__COUNT];
    const char *kind_name[TAMIS_KIND__COUNT];
    int8_t field_slot[TAMIS_EV_NAME_SLOTS]; /* tamis_field or -1 */
    uint8_t field_len[TAMIS_FIELD__COUNT];
    const char *field_name[TAMIS_FIELD__COUNT];

    /* CSV: column index -> tamis_field, or -1 for an ignored column. */
    bool have_header;
    uint32_t n_cols;
    int8_t col_field[TAMIS_MAX_FIELDS];
    uint8_t n_absent;                        /* fields with no column: zeroed per record */
    uint8_t absent_field[TAMIS_FIELD__COUNT];
    bool csv_general_only; /* tests and fuzzing: skip the SSE2 fast path of csv.c */

    /* NDJSON: unknown keys already warned about (heap copies, owned). */
    uint32_t n_warned;
    bool warned_full; /* TAMIS_EV_MAX_WARNED_KEYS reached: no more tracking */
    char *warned_key[TAMIS_EV_MAX_WARNED_KEYS];
    uint32_t warned_len[TAMIS_EV_MAX_WARNED_KEYS];
};

/* a[0..len) == b[0..len) for short names (len >= 1) without a call: two overlapping
 * word compares for 4..16 bytes, memcmp above that. Called per key and per kind. */
static inline bool tamis_ev_same_bytes(const char *a, const char *b, size_t len)
{
    if (len >= 8) {
        if (len > 16)
            return memcmp(a, b, len) == 0;
        uint64_t a1, b1, a2, b2;
        memcpy(&a1, a, 8);
        memcpy(&b1, b, 8);
        memcpy(&a2, a + len - 8, 8);
        memcpy(&b2, b + len - 8, 8);
        return ((a1 ^ b1) | (a2 ^ b2)) == 0;
    }
    if (len >= 4) {
        uint32_t a1, b1, a2, b2;
        memcpy(&a1, a, 4);
        memcpy(&b1, b, 4);
        memcpy(&a2, a + len - 4, 4);
        memcpy(&b2, b + len - 4, 4);
        return ((a1 ^ b1) | (a2 ^ b2)) == 0;
    }
    return a[0] == b[0] && a[len / 2] == b[len / 2] && a[len - 1] == b[len - 1];
}

/* Hash of a name of len >= 1 bytes for the tables above: length, first and last byte. */
static inline unsigned tamis_ev_name_hash(const char *s, size_t len)
{
    return ((unsigned)len * 7u ^ (unsigned char)s[0] ^
            ((unsigned)(unsigned char)s[len - 1] << 2)) &
           (TAMIS_EV_NAME_SLOTS - 1);
}

/* Copies s[0..len) into dst (TAMIS_EV_QUOTE_BUF bytes) for a message: at most
 * TAMIS_EV_QUOTE_BYTES bytes, cut on a UTF-8 boundary and followed by "..." when cut,
 * control bytes shown as '?'. Always NUL-terminates. Returns dst. */
char *tamis_ev_quote(char *dst, const char *s, size_t len);

/* timestamp.c: the number grammar of tamis_parse_number without the message: NULL and
 * *out on success, else a static reason ("not a number", "out of range", ...). */
const char *tamis_ev_number_reason(const char *s, size_t len, double *out);

/* The field whose wire name is s[0..len) in any ASCII case (CSV headers), or -1. */
int tamis_ev_field_lookup_fold(const char *s, size_t len);

/* The checks both formats share once the fields of a record are in ev->text: parses
 * ts, kind and value, folds and checks platform, caps user, and requires user or
 * platform + platform_id. Lower-cased platform goes to p's scratch. */
int tamis_ev_finish(tamis_event_parser *p, tamis_event *ev, tamis_error *err) TAMIS_WUR;

/* ndjson.c: parses one NDJSON line (length already capped, '\r' already dropped). */
int tamis_ev_ndjson_parse(tamis_event_parser *p, const char *line, size_t len,
                          tamis_event *ev, tamis_error *err) TAMIS_WUR;

/* ndjson.c: frees the remembered unknown keys. */
void tamis_ev_ndjson_release(tamis_event_parser *p);

/* The exact field (NDJSON key) named s[0..len) through p's table, or -1. */
static inline int tamis_ev_field_lookup_exact(const tamis_event_parser *p, const char *s,
                                              size_t len)
{
    if (len == 0 || len > UINT8_MAX)
        return -1;
    for (unsigned h = tamis_ev_name_hash(s, len);; h = (h + 1) & (TAMIS_EV_NAME_SLOTS - 1)) {
        int f = p->field_slot[h];
        if (f < 0)
            return -1;
        if (p->field_len[f] == len && tamis_ev_same_bytes(p->field_name[f], s, len))
            return f;
    }
}

/* For tests and fuzz targets: checks a successfully parsed event against the contract
 * of event.h (kind in range, ts within 1970..9999, required fields present, platform
 * folded and well-formed, every string inside the record line or p's scratch and within
 * TAMIS_MAX_FIELD_BYTES, ...). Returns NULL, or the name of the first broken rule. */
const char *tamis_ev_check_event(const tamis_event_parser *p, const char *line, size_t len,
                                 const tamis_event *ev);

/* For tests and fuzz targets: does [ptr, ptr+len) lie inside p's scratch buffer?
 * Compares addresses as integers, since the range may belong to another object. */
static inline bool tamis_ev_in_scratch(const tamis_event_parser *p, const char *ptr,
                                       size_t len)
{
    uintptr_t a = (uintptr_t)ptr, lo = (uintptr_t)p->scratch;
    return a >= lo && a <= lo + TAMIS_EV_SCRATCH_BYTES && len <= lo + TAMIS_EV_SCRATCH_BYTES - a;
}

#endif

/* fuzz_contacts.c — libFuzzer target for the contacts import path: the CSV parser
 * (src/event/contacts.c), then the phone, zone and country checks the importer runs on
 * each row (src/identity/phone.cc, src/identity/tz.c).
 *
 * The input is a contacts file: its first line is the header, the rest are records.
 * Physical lines are joined while a quoted field is open, as the importer's reader
 * does, and each record is copied into an allocation of exactly its size so that
 * AddressSanitizer catches any borrowed pointer that strays outside it. Besides
 * crashes, the target aborts when a row or a normalised value breaks the contracts of
 * contacts.h, phone.h or tz.h. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/contacts.h"
#include "tamis/phone.h"
#include "tamis/tz.h"

#define FUZZ_DEFAULT_REGION "VN"          /* stands in for --default-country */
#define FUZZ_INSTANT_MS INT64_C(1705320000000) /* 2024-01-15T12:00:00Z */

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_contacts: invariant failed: %s (line %d)\n", #cond,      \
                    __LINE__);                                                             \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

/* Reads every byte, so ASan reports a dangling or out-of-range tamis_str. */
static unsigned touch(tamis_str s)
{
    unsigned sum = 0;
    CHECK(s.len == 0 || s.ptr != NULL);
    CHECK(s.len <= TAMIS_MAX_FIELD_BYTES);
    for (uint32_t i = 0; i < s.len; i++)
        sum += (unsigned char)s.ptr[i];
    return sum;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static void check_failure(int rc, const tamis_error *err)
{
    CHECK(rc == TAMIS_EINPUT || rc == TAMIS_ELIMIT);
    CHECK(err->code == rc);
    CHECK(err->msg[0] != '\0');
    CHECK(memchr(err->msg, '\0', sizeof err->msg) != NULL);
}

static void check_row(const tamis_contact_row *row)
{
    unsigned sum = touch(row->user) + touch(row->phone) + touch(row->country) +
                   touch(row->tz) + touch(row->name);

    CHECK(row->user.len >= 1 && row->user.len <= TAMIS_MAX_USER_KEY_BYTES);
    CHECK(row->country.len == 0 || row->country.len == 2);
    for (uint32_t i = 0; i < row->country.len; i++)
        CHECK(row->country.ptr[i] >= 'A' && row->country.ptr[i] <= 'Z');
    CHECK(row->n_tags <= TAMIS_MAX_TAGS);
    for (size_t i = 0; i < row->n_tags; i++) {
        tamis_str t = row->tags[i];
        sum += touch(t);
        CHECK(t.len > 0 && !is_space(t.ptr[0]) && !is_space(t.ptr[t.len - 1]));
        CHECK(memchr(t.ptr, ';', t.len) == NULL);
    }
    CHECK(row->n_ids + row->n_attrs <= TAMIS_MAX_FIELDS);
    for (size_t i = 0; i < row->n_ids; i++) {
        tamis_str k = row->ids[i].key;
        CHECK(k.len >= 1 && k.len <= TAMIS_MAX_PLATFORM_BYTES && row->ids[i].value.len > 0);
        for (uint32_t j = 0; j < k.len; j++)
            CHECK((k.ptr[j] >= 'a' && k.ptr[j] <= 'z') || (k.ptr[j] >= '0' && k.ptr[j] <= '9') ||
                  k.ptr[j] == '_' || k.ptr[j] == '.' || k.ptr[j] == '-');
        sum += touch(row->ids[i].value);
    }
    for (size_t i = 0; i < row->n_attrs; i++) {
        tamis_str k = row->attrs[i].key;
        CHECK(k.len >= 1 && row->attrs[i].value.len > 0);
        for (uint32_t j = 0; j < k.len; j++)
            CHECK(!(k.ptr[j] >= 'A' && k.ptr[j] <= 'Z'));
        sum += touch(k) + touch(row->attrs[i].value);
    }
    (void)sum;
}

static void check_phone(const tamis_contact_row *row)
{
    char region[3] = FUZZ_DEFAULT_REGION;
    tamis_phone ph;
    tamis_error err;
    size_t n;
    int rc;

    if (row->phone.len == 0)
        return;
    if (row->country.len == 2) {
        memcpy(region, row->country.ptr, 2);
        region[2] = '\0';
    }
    rc = tamis_phone_parse(row->phone.ptr, row->phone.len, region, &ph, &err);
    if (rc != TAMIS_OK) {
        CHECK(rc == TAMIS_EINPUT && err.code == rc && err.msg[0]);
        return;
    }
    n = strnlen(ph.e164, sizeof ph.e164);
    CHECK(n >= 2 && n < sizeof ph.e164 && ph.e164[0] == '+');
    for (size_t i = 1; i < n; i++)
        CHECK(ph.e164[i] >= '0' && ph.e164[i] <= '9');
    n = strnlen(ph.national, sizeof ph.national);
    CHECK(n < sizeof ph.national);
    for (size_t i = 0; i < n; i++)
        CHECK(ph.national[i] >= '0' && ph.national[i] <= '9');
    n = strnlen(ph.region, sizeof ph.region);
    CHECK(n == 0 || (n == 2 && ph.region[0] >= 'A' && ph.region[0] <= 'Z'));
    CHECK(ph.type >= TAMIS_PHONE_UNKNOWN && ph.type < TAMIS_PHONE_TYPE__COUNT);
    CHECK(tamis_phone_type_name(ph.type) != NULL);
}

/* A normalised zone is accepted again unchanged and has an offset at any instant ICU
 * can represent. */
static void check_zone_name(const char *zone, int64_t instant_ms)
{
    char again[TAMIS_TZ_NAME_MAX];
    tamis_error err;
    int minutes = 0, rc;
    size_t n = strnlen(zone, TAMIS_TZ_NAME_MAX);

    CHECK(n > 0 && n < TAMIS_TZ_NAME_MAX);
    CHECK(tamis_tz_normalize(zone, n, again, &err) == TAMIS_OK);
    CHECK(strcmp(again, zone) == 0);
    CHECK(tamis_tz_offset_minutes(zone, FUZZ_INSTANT_MS, &minutes, &err) == TAMIS_OK);
    CHECK(minutes >= -14 * 60 && minutes <= 14 * 60);
    rc = tamis_tz_offset_minutes(zone, instant_ms, &minutes, &err);
    CHECK(rc == TAMIS_OK || rc == TAMIS_EINPUT);
}

static void check_zone_and_country(const tamis_contact_row *row, int64_t instant_ms)
{
    char zone[TAMIS_TZ_NAME_MAX], country[3];
    tamis_error err;
    int rc;

    if (row->tz.len) {
        rc = tamis_tz_normalize(row->tz.ptr, row->tz.len, zone, &err);
        if (rc == TAMIS_OK)
            check_zone_name(zone, instant_ms);
        else
            CHECK(rc == TAMIS_EINPUT && zone[0] == '\0');
    }
    if (row->country.len) {
        rc = tamis_country_normalize(row->country.ptr, row->country.len, country, &err);
        if (rc != TAMIS_OK) {
            CHECK(rc == TAMIS_EINPUT && country[0] == '\0');
            return;
        }
        CHECK(memcmp(country, row->country.ptr, 2) == 0 && country[2] == '\0');
        rc = tamis_country_default_tz(country, zone, &err);
        CHECK(rc == TAMIS_OK || rc == TAMIS_ENOTFOUND);
        if (rc == TAMIS_OK)
            check_zone_name(zone, instant_ms);
    }
}

/* Odd number of '"' so far: a quoted field is still open and the record continues on
 * the next physical line. */
static bool quote_open(const char *s, size_t n, bool open)
{
    for (const char *q = s; (q = memchr(q, '"', n - (size_t)(q - s))) != NULL; q++)
        open = !open;
    return open;
}

/* Parses one complete record, copied to an allocation of exactly its length. */
static void feed_record(tamis_contacts_parser *p, tamis_contact_row *row, const char *rec,
                        size_t len, int64_t instant_ms)
{
    char *copy = tamis_malloc(len ? len : 1);
    tamis_error err;
    int rc;

    if (len)
        memcpy(copy, rec, len);
    rc = tamis_contacts_parse(p, copy, len, row, &err);
    if (rc != TAMIS_OK) {
        check_failure(rc, &err);
    } else {
        check_row(row);
        check_phone(row);
        check_zone_and_country(row, instant_ms);
    }
    tamis_free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data, *end = s + size;
    const char *nl = size ? memchr(s, '\n', size) : NULL;
    size_t hlen = nl ? (size_t)(nl - s) : size;
    tamis_contacts_parser *p = tamis_contacts_parser_new();
    tamis_contact_row *row = tamis_malloc(sizeof *row);
    char *joined = tamis_malloc(size + 1);
    int64_t instant_ms = 0;
    tamis_error err;
    int rc;

    /* A varying instant for offset look-ups, taken from the input bytes. */
    if (size)
        memcpy(&instant_ms, data, size < sizeof instant_ms ? size : sizeof instant_ms);
    rc = tamis_contacts_parser_header(p, s, hlen, &err);
    if (rc != TAMIS_OK) {
        CHECK(rc == TAMIS_EINPUT || rc == TAMIS_ELIMIT);
        CHECK(err.code == rc && err.msg[0]);
        CHECK(tamis_contacts_parse(p, "x", 1, row, &err) == TAMIS_EINTERNAL);
        goto done;
    }
    s = nl ? nl + 1 : end;
    while (s < end) {
        size_t jlen = 0;
        bool open = false;
        /* join physical lines while a quote is open, like the importer's reader */
        do {
            const char *e = memchr(s, '\n', (size_t)(end - s));
            size_t n = e ? (size_t)(e - s) : (size_t)(end - s);
            if (jlen)
                joined[jlen++] = '\n';
            memcpy(joined + jlen, s, n);
            jlen += n;
            open = quote_open(s, n, open);
            s = e ? e + 1 : end;
        } while (open && s < end);
        if (jlen <= TAMIS_MAX_LINE_BYTES)
            feed_record(p, row, joined, jlen, instant_ms);
    }
done:
    tamis_free(joined);
    tamis_free(row);
    tamis_contacts_parser_free(p);
    return 0;
}

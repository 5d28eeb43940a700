/* contacts_batch.h — private to src/store/contacts_import.c: rows of a contacts file
 * read ahead in batches, with their phone numbers parsed on a work pool
 * (src/store/contacts_batch.c).
 *
 * Parsing a phone number (libphonenumber) is most of an import's time, and it depends
 * only on the text and a region; applying a row needs the store and must stay in file
 * order. So the importer reads batch N+1 and has the pool parse its phones while it
 * applies batch N. The region a phone was parsed with is the row's own country, else
 * the default country; a row whose stored contact supplies another country is parsed
 * again when applied (contacts_pending_phone says which).
 *
 * Ownership: a batch owns copies of its records; zero-initialise it, reuse it for
 * every gather, free it with contacts_batch_free. */
#ifndef TAMIS_CONTACTS_BATCH_H
#define TAMIS_CONTACTS_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/contacts.h"
#include "tamis/error.h"
#include "tamis/phone.h"
#include "tamis/reader.h"
#include "util/workpool.h"

#define CONTACTS_BATCH_ROWS 2048

typedef struct contacts_pending {
    uint64_t line;           /* physical line of the record's start */
    size_t off, len;         /* the record, in the batch's raw bytes */
    bool too_long;           /* the reader cut it short: reject with err */
    bool phone_job;          /* has a phone parsed ahead */
    bool phone_default;      /* ... with the default country (else with region) */
    char region[3];
    size_t phone_off, phone_len;
    int phone_rc;            /* tamis_phone_parse's result */
    tamis_phone phone;
    tamis_error err;         /* too_long: the reader's; else the phone parse's */
} contacts_pending;

typedef struct contacts_batch {
    contacts_pending *rows;
    size_t n, cap;
    char *raw;
    size_t raw_len, raw_cap;
    bool eof;                /* the file ended in this batch */
    const char *default_country; /* borrowed; may be NULL */
} contacts_batch;

/* Reads up to CONTACTS_BATCH_ROWS records into b (emptied first); the first non-empty
 * record of the file goes to the parser as the header (*have_header tracks it). A
 * header error or a read error fails the gather (message prefixed with path:line). */
int contacts_batch_gather(contacts_batch *b, tamis_reader *rd, tamis_contacts_parser *parser,
                          bool *have_header, const char *path, const char *default_country,
                          tamis_error *err) TAMIS_WUR;

/* Starts parsing the batch's phones on pool (wait with tamis_workpool_wait). */
void contacts_batch_parse_phones(contacts_batch *b, tamis_workpool *pool);

/* The record bytes of row i. */
static inline const char *contacts_pending_record(const contacts_batch *b, const contacts_pending *p)
{
    return b->raw + p->off;
}

/* Whether p's phone was parsed with the region an import of it would use now: the
 * contact's country (country, "" when none) or else the default country. */
bool contacts_pending_phone_fits(const contacts_pending *p, const char *country);

void contacts_batch_free(contacts_batch *b);

#endif

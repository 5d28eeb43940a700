/* contacts_import.h — contact rows into the store (src/store/contacts_import.c).
 *
 * Each row of a contacts CSV (contacts.h) is validated and merged into the user's
 * stored contact: the phone is normalised with libphonenumber (phone.h) in the row's
 * country, else the default country; country and zone are checked with ICU (tz.h);
 * tags are added, attributes set, and each <platform>_id column maps that identity to
 * the user. Rows with the same user key merge (later non-empty fields win). Two users
 * holding the same valid E.164 number are both kept and reported as duplicates in the
 * summary and the warnings file, never merged. An identity already mapped to another
 * real user is reported as a conflict and left alone; one mapped to a user that ingest
 * created from an unknown platform id ("telegram:123") is taken over: that user's
 * activity is merged into this one and the placeholder user removed.
 *
 * Import is idempotent: importing the same file again changes nothing. Rows are
 * committed in batches; rejected rows go to the rejects file like ingest's. */
#ifndef TAMIS_CONTACTS_IMPORT_H
#define TAMIS_CONTACTS_IMPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tamis/error.h"
#include "tamis/store.h"

#define TAMIS_CONTACT_BATCH_ROWS 100000

typedef struct tamis_import_options {
    const char *default_country; /* ISO alpha-2 for phones without country; may be NULL */
    const char *rejects_path;    /* NULL: <data>/rejects.log */
    const char *warnings_path;   /* NULL: <data>/warnings.log */
    uint64_t max_errors;         /* stop with TAMIS_ELIMIT once rejected > this */
    bool progress;
    FILE *messages;              /* echoes of warnings/rejects (stderr); NULL: silent */
    const void *data;            /* non-NULL: read data_len bytes here; path names them */
    size_t data_len;
    /* Called per rejected row (line, reason), besides the rejects file. */
    void (*on_reject)(void *ctx, uint64_t line, const char *reason);
    void *hook_ctx;
} tamis_import_options;

typedef struct tamis_import_summary {
    uint64_t rows, new_users, updated_users, rejected;
    uint64_t phones_valid, phones_invalid, phones_unparsable, duplicate_phones;
    uint64_t identities_added, identity_conflicts, placeholders_merged;
    uint64_t warnings;
    double seconds;
} tamis_import_summary;

/* Imports one file ("-" for stdin). TAMIS_OK (rejected rows included), TAMIS_ELIMIT
 * past max_errors (rows before are committed), or a fatal error. */
int tamis_import_contacts(tamis_store *store, const char *path, const tamis_import_options *opts,
                          tamis_import_summary *sum, tamis_error *err) TAMIS_WUR;

#endif

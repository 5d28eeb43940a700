/* erase.h — forgetting users (src/store/erase.c).
 *
 * tamis_store_forget removes each user's key, contact record, activity, score, its
 * entries in every daily snapshot and saved segment, identities and phone index entries in one
 * transaction, then scrubs what LMDB and the text files of
 * the data directory might still hold:
 *   - the environment is rewritten with live records only (store.h), because LMDB
 *     leaves freed pages' bytes in place;
 *   - rejects.log, warnings.log and every file under raw/ are rewritten without the
 *     lines that mention the user: its key or one of its platform ids as a whole token
 *     (bounded by characters other than [A-Za-z0-9_.:@+-]), or the digits of its
 *     phone number (national significant number) anywhere.
 * Afterwards no byte sequence equal to the key or the E.164 number remains in the data
 * directory, except inside other users' keys that contain it as a substring. */
#ifndef TAMIS_ERASE_H
#define TAMIS_ERASE_H

#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/store.h"

typedef struct tamis_forget_summary {
    uint64_t users_forgotten;
    uint64_t users_not_found;
    uint64_t identities_removed;
    uint64_t lines_scrubbed;   /* lines removed from rejects/warnings/raw files */
} tamis_forget_summary;

/* Forgets the users named by keys[0..n). Unknown keys are counted in users_not_found
 * (the others are still forgotten). Returns TAMIS_OK, or a fatal error. */
int tamis_store_forget(tamis_store *s, const char *const *keys, size_t n, tamis_forget_summary *sum,
                       tamis_error *err) TAMIS_WUR;

#endif

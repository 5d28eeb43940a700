/* ingest_session.h — private to src/store/ingest*.c: the in-memory side of an ingest
 * session. Users touched by the session get an entry holding their decoded state;
 * three maps find entries by user key, by platform identity and by uid, so each user
 * is looked up in LMDB at most once per session. */
#ifndef TAMIS_INGEST_SESSION_H
#define TAMIS_INGEST_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "tamis/ingest.h"
#include "tamis/store.h"
#include "tamis/user_state.h"
#include "util/bytes.h"
#include "util/strmap.h"

typedef struct ingest_entry {
    uint32_t uid;
    bool loaded;  /* st holds the stored state (plus this session's events) */
    bool dirty;   /* st changed since the last commit */
    bool is_new;  /* created by this session: nothing stored yet */
    tamis_user_state st;
} ingest_entry;

struct tamis_ingest {
    tamis_store *store;
    tamis_ingest_options opts;
    char *rejects_path;
    FILE *rejects;
    uint64_t rejects_path_hash;

    ingest_entry *entries;
    size_t n_entries, cap_entries;
    tamis_strmap *by_key;      /* user key -> entry index */
    tamis_strmap *by_identity; /* platform byte + platform id -> entry index */
    tamis_strmap *by_uid;      /* uid (4 bytes) -> entry index */
    tamis_strmap *platforms;   /* platform name -> id */

    uint32_t *dirty;           /* entry indices touched in the current batch */
    size_t n_dirty, cap_dirty;
    tamis_wbuf encode_buf;     /* scratch for encoding states */
    tamis_wbuf reject_buf;     /* rejects of the current batch, written at commit */
    tamis_wbuf raw_buf;        /* accepted raw records of the current batch */
    uint64_t session_rejected;
    uint64_t rejects_shown;
};

/* Finds or creates the entry of a user key (creating the user in the store if new).
 * *created tells whether the store had no such user. */
int ingest_entry_for_key(tamis_ingest *ing, tamis_txn *txn, const char *key, size_t len,
                         uint32_t *idx, bool *created, tamis_error *err) TAMIS_WUR;

/* Finds or creates the entry for platform + platform id: through the identity map, or
 * a new user "<platform>:<id>" with that identity. */
int ingest_entry_for_identity(tamis_ingest *ing, tamis_txn *txn, uint8_t platform, const char *pid,
                              size_t len, uint32_t *idx, tamis_error *err) TAMIS_WUR;

/* Records that platform + pid belongs to the user of entry idx, if that identity is not
 * mapped yet (an event named both). An identity mapped to someone else is left alone. */
int ingest_learn_identity(tamis_ingest *ing, tamis_txn *txn, uint32_t idx, uint8_t platform,
                          const char *pid, size_t len, tamis_error *err) TAMIS_WUR;

/* Loads the stored state of an entry on first use. */
int ingest_entry_load(tamis_ingest *ing, tamis_txn *txn, ingest_entry *e, tamis_error *err) TAMIS_WUR;

/* Interns a platform name through the session's map and the store. */
int ingest_platform(tamis_ingest *ing, tamis_txn *txn, const char *name, size_t len, uint8_t *id,
                    tamis_error *err) TAMIS_WUR;

/* Encodes and writes every dirty entry (ascending uid), then clears the dirty list. */
int ingest_flush_states(tamis_ingest *ing, tamis_txn *txn, tamis_error *err) TAMIS_WUR;

/* Drops cached states (not the maps) when more than TAMIS_INGEST_CACHE_USERS are held. */
void ingest_trim_cache(tamis_ingest *ing);

#endif

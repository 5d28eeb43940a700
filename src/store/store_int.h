/* store_int.h — private to src/store/store*.c: the layout of the store and the
 * transaction handle, and helpers shared by the files that implement store.h
 * (store.c: environment, transactions, meta, users; store_index.c: platforms,
 * identities, phones, ledger; store_maint.c: counts and the live-records rewrite). */
#ifndef TAMIS_STORE_INT_H
#define TAMIS_STORE_INT_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tamis/error.h"
#include "tamis/store.h"

#define STORE_FORMAT "1"

enum { DB_META, DB_KEYS, DB_USERS, DB_ACTIVITY, DB_IDENTITIES, DB_PHONES, DB_PLATFORMS, DB_LEDGER, DB_SCORES, DB_MARKS,
       DB_SNAPSHOTS, DB_APIKEYS, DB_SEGMENTS, DB__COUNT };

struct tamis_store {
    char *dir;
    char *env_dir;
    MDB_env *env;
    MDB_dbi dbi[DB__COUNT];
    int lock_fd;
    bool read_only;
    uint64_t map_size;
    uint32_t retention_days;
    char *_Atomic platform_names[256]; /* atomic: request threads read while a writer adds */
    uint32_t n_platforms;
    /* Opened read-only, a store written by an older build may lack the databases added
     * since (DB_SCORES and later): they read as empty (store_db_missing). */
    bool missing[DB__COUNT];
};

/* Whether db is absent (a read-only open of an older store): reads find nothing. */
static inline bool store_db_missing(const tamis_store *s, int db)
{
    return s->missing[db];
}

struct tamis_txn {
    tamis_store *s;
    MDB_txn *txn;
    bool write;
    uint32_t platforms_at_begin; /* to forget names interned by an aborted txn */
    struct roaring_bitmap_s *changed; /* uids whose contact or activity this txn wrote */
    struct roaring_bitmap_s *removed; /* uids this txn deleted */
    bool results_touched; /* wrote a score record or a contact: bump the results generation */
};

/* Notes that uid's contact or activity changed (or that uid was deleted) in t; the
 * marks reach the `marks` database when t commits (store_scores.c). */
void store_mark_changed(tamis_txn *t, uint32_t uid);
void store_mark_removed(tamis_txn *t, uint32_t uid);
/* Writes t's marks into the stored set of users changed since the last score. */
int store_flush_marks(tamis_txn *t, tamis_error *err);
/* Frees t's marks. */
void store_free_marks(tamis_txn *t);

extern const char *const store_db_names[DB__COUNT];
/* LMDB flags of a named database. */
unsigned store_db_flags(int db);
/* Fills err from an LMDB return code; MDB_MAP_FULL becomes TAMIS_EFULL. */
int store_lmdb_error(tamis_error *err, int rc, const char *what);
/* "a/b", allocated; the caller frees it. */
char *store_path_join(const char *a, const char *b);
/* An LMDB value over a NUL-terminated string (borrowed). */
static inline MDB_val store_str_val(const char *text)
{
    MDB_val v = {strlen(text), (void *)text};
    return v;
}
/* Opens s->env and the named databases, loads platforms and retention. */
int store_open_env(tamis_store *s, tamis_error *err);

#endif

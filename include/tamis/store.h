/* store.h — the LMDB-backed state store (src/store/store.c).
 *
 * One data directory holds:
 *   store/data.mdb, store/lock.mdb   the LMDB environment (layout in docs/STATE.md)
 *   LOCK                             flock()ed by every tamis process using the dir
 *   rejects.log, warnings.log        default reject / warning files (text)
 *   raw/                             optional compressed raw-event archives (--keep-raw)
 *
 * Named databases inside the environment:
 *   meta        text key -> value: format version, counters, retention, next uid
 *   keys        user key bytes -> uid (u32)
 *   users       uid (u32, MDB_INTEGERKEY) -> encoded contact record (tamis_contact)
 *   activity    uid (u32, MDB_INTEGERKEY) -> encoded tamis_user_state
 *   identities  platform id (u8) + platform user id bytes -> uid (u32)
 *   phones      E.164 bytes -> uid (u32), MDB_DUPSORT: every user holding the number
 *   platforms   platform name -> id (u8)
 *   ledger      XXH3-128 of a file's bytes -> tamis_ledger_entry
 *   scores      uid (u32, MDB_INTEGERKEY) -> encoded score record (src/model/record.c)
 *   marks       text key -> bytes: "changed" = users whose contact or activity was
 *               written since the last score (a portable CRoaring bitmap)
 *
 * Transactions: at most one write transaction at a time (LMDB's rule); read
 * transactions may run alongside, also in another thread (each thread its own). Only
 * the thread holding the write transaction may intern platforms. A failed write transaction is unusable: abort it.
 * Anything borrowed from a transaction (an LMDB value) is valid only until that
 * transaction ends or the next write in it. */
#ifndef TAMIS_STORE_H
#define TAMIS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/user_state.h"

#define TAMIS_DEFAULT_RETENTION_DAYS 400
#define TAMIS_DEFAULT_MAP_SIZE (64ULL << 30) /* 64 GiB of address space, sparse on disk */

typedef struct tamis_store tamis_store;
typedef struct tamis_txn tamis_txn;

typedef struct tamis_store_options {
    bool read_only;          /* shared lock, read-only environment */
    uint64_t map_size_bytes; /* 0: TAMIS_DEFAULT_MAP_SIZE */
} tamis_store_options;

/* Opens (creating if needed, unless read_only) the data directory dir and takes its
 * lock: exclusive for writers, shared for readers; TAMIS_EBUSY if another process holds
 * it incompatibly. A read-only open of a directory that has no store yet fails with
 * TAMIS_ENOTFOUND. The store is owned by the caller; close it with tamis_store_close(). */
int tamis_store_open(const char *dir, const tamis_store_options *opts, tamis_store **out,
                     tamis_error *err) TAMIS_WUR;
void tamis_store_close(tamis_store *s);

/* The columnar copy of results for segments, in the data directory
 * (include/tamis/segment_columns.h); `tamis forget` removes it. */
#define TAMIS_STORE_COLUMNS_FILE "segment-columns"

/* The data directory path given at open (borrowed, valid while the store is open). */
const char *tamis_store_dir(const tamis_store *s);

/* Retention in days (meta "retention_days", default 400). */
uint32_t tamis_store_retention_days(const tamis_store *s);

/* Begins a transaction; TAMIS_ESTORE on failure. Owned by the caller until commit or
 * abort, both of which free it. commit may fail with TAMIS_EFULL. */
int tamis_txn_begin(tamis_store *s, bool write, tamis_txn **out, tamis_error *err) TAMIS_WUR;
int tamis_txn_commit(tamis_txn *t, tamis_error *err) TAMIS_WUR;
void tamis_txn_abort(tamis_txn *t);
/* The id of the committed state t reads (LMDB's transaction id): two read
 * transactions with the same id see the same data. */
uint64_t tamis_txn_snapshot(const tamis_txn *t);

/* ---- meta counters -------------------------------------------------------------- */

/* Reads a u64 counter (0 when absent). */
uint64_t tamis_meta_get_u64(tamis_txn *t, const char *name);
int tamis_meta_put_u64(tamis_txn *t, const char *name, uint64_t value, tamis_error *err) TAMIS_WUR;
/* A counter every commit that writes or drops score records, or writes or deletes a
 * user's contact record, increments: what segment expressions read (stored results
 * and contacts) is unchanged while it is. Copies derived from them (the segment
 * columns, src/segment/columns_*.c) keep the value they were built at. */
uint64_t tamis_results_generation(tamis_txn *t);
/* Adds delta to a counter. */
int tamis_meta_add_u64(tamis_txn *t, const char *name, uint64_t delta, tamis_error *err) TAMIS_WUR;
/* Signed values (e.g. time range bounds); absent -> *present = false. */
int64_t tamis_meta_get_i64(tamis_txn *t, const char *name, bool *present);
int tamis_meta_put_i64(tamis_txn *t, const char *name, int64_t value, tamis_error *err) TAMIS_WUR;

/* ---- users ---------------------------------------------------------------------- */

/* Finds a user key. TAMIS_ENOTFOUND if absent. */
int tamis_user_lookup(tamis_txn *t, const char *key, size_t len, uint32_t *uid, tamis_error *err) TAMIS_WUR;

/* Creates a user with a fresh uid and an empty contact record holding only its key.
 * The key must not exist yet (check with lookup). */
int tamis_user_create(tamis_txn *t, const char *key, size_t len, uint32_t *uid, tamis_error *err) TAMIS_WUR;

/* Removes a user's key, contact record and activity (identities and phones are the
 * caller's: see tamis_store_forget in erase.h). TAMIS_ENOTFOUND if the uid has no record. */
int tamis_user_delete(tamis_txn *t, uint32_t uid, tamis_error *err) TAMIS_WUR;

/* Reads the raw encoded contact record of uid (borrowed, see the top comment). */
int tamis_user_record_get(tamis_txn *t, uint32_t uid, const void **data, size_t *len,
                          tamis_error *err) TAMIS_WUR;
int tamis_user_record_put(tamis_txn *t, uint32_t uid, const void *data, size_t len,
                          tamis_error *err) TAMIS_WUR;

/* Loads the activity state of uid into st (initialised by the call; empty if the user
 * has none yet). */
int tamis_activity_get(tamis_txn *t, uint32_t uid, tamis_user_state *st, tamis_error *err) TAMIS_WUR;
/* The same into an initialised st whose contents it replaces, reusing its arrays. */
int tamis_activity_get_reuse(tamis_txn *t, uint32_t uid, tamis_user_state *st, tamis_error *err) TAMIS_WUR;
/* Stores pre-encoded activity bytes for uid (append is faster for ascending new uids). */
int tamis_activity_put(tamis_txn *t, uint32_t uid, const void *data, size_t len, bool append,
                       tamis_error *err) TAMIS_WUR;

/* A cursor over the activity database for long runs of gets and puts in ascending
 * uid order (ingest): LMDB skips the B-tree descent when the next key lies on the
 * page the cursor is on. Valid until its transaction ends; close it before that. */
typedef struct tamis_activity_cursor tamis_activity_cursor;
/* cursor_get replaces the contents of st, which must be initialised, reusing its
 * arrays (empty if the user has no activity yet). */
int tamis_activity_cursor_open(tamis_txn *t, tamis_activity_cursor **out, tamis_error *err) TAMIS_WUR;
int tamis_activity_cursor_get(tamis_activity_cursor *c, uint32_t uid, tamis_user_state *st,
                              tamis_error *err) TAMIS_WUR;
int tamis_activity_cursor_put(tamis_activity_cursor *c, uint32_t uid, const void *data, size_t len,
                              tamis_error *err) TAMIS_WUR;
/* The encoded state of uid, borrowed (see the top comment); TAMIS_ENOTFOUND if none. */
int tamis_activity_cursor_bytes(tamis_activity_cursor *c, uint32_t uid, const void **data, size_t *len,
                                tamis_error *err) TAMIS_WUR;
void tamis_activity_cursor_close(tamis_activity_cursor *c);

/* Iterates every uid in ascending order: calls fn(ctx, uid, key, key_len) until it
 * returns non-zero (which is then returned). key is borrowed for the call. */
typedef int (*tamis_user_visit_fn)(void *ctx, uint32_t uid, const char *key, size_t key_len);
int tamis_users_foreach(tamis_txn *t, tamis_user_visit_fn fn, void *ctx, tamis_error *err) TAMIS_WUR;
/* The same over the key index, in key order, without decoding contact records: the
 * cheap way to read every (key, uid) pair. */
int tamis_user_keys_foreach(tamis_txn *t, tamis_user_visit_fn fn, void *ctx, tamis_error *err) TAMIS_WUR;
/* The same from the first key >= from (from_len bytes) on, in key order: a prefix
 * search starts at the prefix and stops (fn returns non-zero) at the first key without it. */
int tamis_user_keys_from(tamis_txn *t, const char *from, size_t from_len, tamis_user_visit_fn fn, void *ctx,
                         tamis_error *err) TAMIS_WUR;

/* ---- platforms and identities --------------------------------------------------- */

/* Interns a platform name (already lower-case and validated) to its id, creating it in
 * write transactions. TAMIS_ELIMIT past TAMIS_MAX_PLATFORMS, TAMIS_ENOTFOUND in a read
 * transaction for an unknown name. */
int tamis_platform_intern(tamis_txn *t, const char *name, size_t len, uint8_t *id,
                          tamis_error *err) TAMIS_WUR;
/* Name of a platform id, or NULL. Borrowed from the store; valid until close. */
const char *tamis_platform_name(const tamis_store *s, uint8_t id);

int tamis_identity_lookup(tamis_txn *t, uint8_t platform, const char *pid, size_t len,
                          uint32_t *uid, tamis_error *err) TAMIS_WUR;
int tamis_identity_put(tamis_txn *t, uint8_t platform, const char *pid, size_t len, uint32_t uid,
                       tamis_error *err) TAMIS_WUR;
int tamis_identity_delete(tamis_txn *t, uint8_t platform, const char *pid, size_t len,
                          tamis_error *err) TAMIS_WUR;

/* ---- phones --------------------------------------------------------------------- */

/* Adds uid to the holders of e164. *other_uid receives another holder (or UINT32_MAX
 * when uid is the only one), so the caller can report a duplicate. */
int tamis_phone_index_add(tamis_txn *t, const char *e164, uint32_t uid, uint32_t *other_uid,
                          tamis_error *err) TAMIS_WUR;
int tamis_phone_index_remove(tamis_txn *t, const char *e164, uint32_t uid, tamis_error *err) TAMIS_WUR;
/* The users holding e164 (at most cap, in uid order) into uids; *n = 0 when none. */
int tamis_phone_holders(tamis_txn *t, const char *e164, uint32_t *uids, size_t cap, size_t *n,
                        tamis_error *err) TAMIS_WUR;

/* ---- ledger --------------------------------------------------------------------- */

typedef struct tamis_ledger_entry {
    uint64_t size_bytes;        /* size of the file (compressed bytes as given) */
    uint64_t committed_offset;  /* decompressed byte offset after the last committed batch */
    uint64_t committed_line;    /* physical line number at that offset */
    uint64_t accepted, rejected, duplicates;
    uint64_t rejects_size;      /* size of the rejects file after the last commit */
    uint64_t rejects_path_hash; /* XXH3-64 of the rejects file's path */
    uint64_t raw_size;          /* size of the raw archive after the last commit */
    uint8_t complete;           /* 1 once the whole file was applied */
} tamis_ledger_entry;

/* TAMIS_ENOTFOUND when the hash is new. */
int tamis_ledger_get(tamis_txn *t, const uint8_t hash[16], tamis_ledger_entry *e, tamis_error *err) TAMIS_WUR;
int tamis_ledger_put(tamis_txn *t, const uint8_t hash[16], const tamis_ledger_entry *e,
                     tamis_error *err) TAMIS_WUR;

/* ---- scores and change marks ----------------------------------------------------- */

/* Every write of a contact record or an activity state marks its uid as changed, and
 * every deleted user is unmarked, when the write transaction commits; the score run
 * reads the set, rescores those users and clears it in its own transaction. */

/* The uids changed since the last clear, ascending, in a new array (*uids, caller
 * frees with tamis_free; NULL when *n is 0). */
int tamis_changed_users_get(tamis_txn *t, uint32_t **uids, size_t *n, tamis_error *err) TAMIS_WUR;
int tamis_changed_users_clear(tamis_txn *t, tamis_error *err) TAMIS_WUR;

/* Score records (format owned by src/model/record.c). get: TAMIS_ENOTFOUND if none;
 * the bytes are borrowed (see the top comment). */
int tamis_score_record_get(tamis_txn *t, uint32_t uid, const void **data, size_t *len,
                           tamis_error *err) TAMIS_WUR;
/* append: uid is above every stored score's (faster; falls back to a plain put). */
int tamis_score_record_put(tamis_txn *t, uint32_t uid, const void *data, size_t len, bool append,
                           tamis_error *err) TAMIS_WUR;
/* Deletes every score record. */
int tamis_score_records_clear(tamis_txn *t, tamis_error *err) TAMIS_WUR;
/* Calls fn for every score record in ascending uid order until it returns non-zero. */
typedef int (*tamis_record_visit_fn)(void *ctx, uint32_t uid, const void *data, size_t len);
/* Which database a range walk reads. */
typedef enum tamis_record_db {
    TAMIS_RECORDS_USERS,    /* encoded contact records */
    TAMIS_RECORDS_ACTIVITY, /* encoded states */
    TAMIS_RECORDS_SCORES    /* score records */
} tamis_record_db;
/* Calls fn for every record of db with lo <= uid < hi, ascending, until it returns
 * non-zero (which is then returned). Readers in several threads split the uid space
 * this way, each in its own read transaction. */
int tamis_records_foreach_range(tamis_txn *t, tamis_record_db db, uint32_t lo, uint32_t hi,
                                tamis_record_visit_fn fn, void *ctx, tamis_error *err) TAMIS_WUR;
/* One more than the highest uid with a contact record (0 when there is none). */
int tamis_user_uid_end(tamis_txn *t, uint32_t *end, tamis_error *err) TAMIS_WUR;
/* The same in a read transaction of its own; *snapshot (may be NULL) gets the id of
 * the state it read (tamis_txn_snapshot), for readers that split work over threads. */
int tamis_store_uid_end(tamis_store *s, uint32_t *end, uint64_t *snapshot, tamis_error *err) TAMIS_WUR;
int tamis_score_records_foreach(tamis_txn *t, tamis_record_visit_fn fn, void *ctx,
                                tamis_error *err) TAMIS_WUR;
/* The same over the users database (encoded contact records). */
int tamis_user_records_foreach(tamis_txn *t, tamis_record_visit_fn fn, void *ctx,
                               tamis_error *err) TAMIS_WUR;
/* The same over the activity database (encoded states). */
int tamis_activity_foreach(tamis_txn *t, tamis_record_visit_fn fn, void *ctx,
                           tamis_error *err) TAMIS_WUR;

/* ---- whole-store facts ---------------------------------------------------------- */

/* ---- snapshots -------------------------------------------------------------------- */

/* A day's snapshot is stored as parts keyed (day, part): part 0 is its header, parts
 * 1.. its chunks of users (formats owned by src/model/snapshot.c). day is days since
 * 1970-01-01. Bytes returned by get are borrowed (see the top comment). */
int tamis_snapshot_part_put(tamis_txn *t, uint32_t day, uint32_t part, const void *data, size_t len,
                            tamis_error *err) TAMIS_WUR;
/* TAMIS_ENOTFOUND when the part does not exist. */
int tamis_snapshot_part_get(tamis_txn *t, uint32_t day, uint32_t part, const void **data, size_t *len,
                            tamis_error *err) TAMIS_WUR;
/* Deletes every part of a day (nothing when there is none). */
int tamis_snapshot_day_delete(tamis_txn *t, uint32_t day, tamis_error *err) TAMIS_WUR;
/* The days that have a snapshot, ascending, in a new array (caller frees; NULL when
 * *n is 0). */
int tamis_snapshot_days(tamis_txn *t, uint32_t **days, size_t *n, tamis_error *err) TAMIS_WUR;

/* ---- API keys ----------------------------------------------------------------------- */

/* Records of API keys by key id (format owned by src/serve/apikeys.c). get:
 * TAMIS_ENOTFOUND if absent; bytes borrowed (see the top comment). */
int tamis_apikey_record_put(tamis_txn *t, const char *id, const void *data, size_t len,
                            tamis_error *err) TAMIS_WUR;
int tamis_apikey_record_get(tamis_txn *t, const char *id, const void **data, size_t *len,
                            tamis_error *err) TAMIS_WUR;
/* Calls fn(ctx, id, id_len, data, len) for every record in id order until non-zero. */
/* Saved segments by name: kind 'd' is the definition record (format owned by
 * src/segment/), 'm' and 'p' the membership bitmaps of the last evaluation and the one
 * before (CRoaring portable serialisation over uids). get: TAMIS_ENOTFOUND when
 * absent; foreach visits one kind in name order. */
int tamis_segment_record_put(tamis_txn *t, char kind, const char *name, const void *data, size_t len,
                             tamis_error *err) TAMIS_WUR;
int tamis_segment_record_get(tamis_txn *t, char kind, const char *name, const void **data, size_t *len,
                             tamis_error *err) TAMIS_WUR;
int tamis_segment_record_del(tamis_txn *t, char kind, const char *name, tamis_error *err) TAMIS_WUR;
int tamis_segment_records_foreach(tamis_txn *t, char kind,
                                  int (*fn)(void *ctx, const char *name, size_t name_len, const void *data, size_t len),
                                  void *ctx, tamis_error *err) TAMIS_WUR;
/* Takes uid out of every segment's membership (erasure). */
int tamis_segments_forget_uid(tamis_txn *t, uint32_t uid, tamis_error *err) TAMIS_WUR;
int tamis_apikey_records_foreach(tamis_txn *t,
                                 int (*fn)(void *ctx, const char *id, size_t id_len, const void *data, size_t len),
                                 void *ctx, tamis_error *err) TAMIS_WUR;

typedef struct tamis_store_counts {
    uint64_t users, identities, phones, ledger_files;
    uint64_t file_bytes;   /* bytes of data.mdb on disk */
    uint64_t used_bytes;   /* pages in use (last page number x page size) */
    uint64_t activity_bytes; /* pages of the activity database */
    uint64_t contact_bytes;  /* pages of the users (contact records) database */
    uint64_t index_bytes;    /* pages of keys, identities and phones */
    uint64_t scores;         /* users with a score record */
    uint64_t score_bytes;    /* pages of the scores database */
    uint64_t snapshot_bytes; /* pages of the snapshots database */
} tamis_store_counts;

int tamis_store_counts_get(tamis_txn *t, tamis_store_counts *c, tamis_error *err) TAMIS_WUR;

/* Rewrites the environment into a fresh file holding only live records, then replaces
 * the old one. LMDB reuses freed pages but never zeroes them, so after erasure the
 * deleted bytes could otherwise survive on disk. Needs no open transaction. */
int tamis_store_rewrite(tamis_store *s, tamis_error *err) TAMIS_WUR;

#endif

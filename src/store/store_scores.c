/* store_scores.c — the `scores` and `marks` databases (see include/tamis/store.h):
 * score records keyed by uid, and the set of users changed since the last score.
 *
 * A write transaction collects the uids it wrote (store_mark_changed, called by the
 * contact and activity writers in store.c) and the uids it deleted in two CRoaring
 * bitmaps; tamis_txn_commit merges them into the stored set just before the LMDB
 * commit, so the marks are exactly as durable as the writes they describe. */
#include <roaring/roaring.h>

#include "store/store_int.h"
#include "tamis/alloc.h"

#define MARK_CHANGED "changed"

void store_mark_changed(tamis_txn *t, uint32_t uid)
{
    if (!t->changed)
        t->changed = roaring_bitmap_create();
    roaring_bitmap_add(t->changed, uid);
}

void store_mark_removed(tamis_txn *t, uint32_t uid)
{
    if (!t->removed)
        t->removed = roaring_bitmap_create();
    roaring_bitmap_add(t->removed, uid);
    if (t->changed)
        roaring_bitmap_remove(t->changed, uid);
}

void store_free_marks(tamis_txn *t)
{
    if (t->changed)
        roaring_bitmap_free(t->changed);
    if (t->removed)
        roaring_bitmap_free(t->removed);
    t->changed = t->removed = NULL;
}

/* The stored set (a new bitmap, empty when absent). */
static int load_changed(tamis_txn *t, roaring_bitmap_t **out, tamis_error *err)
{
    MDB_val k = store_str_val(MARK_CHANGED), v;
    int rc = store_db_missing(t->s, DB_MARKS) ? MDB_NOTFOUND : mdb_get(t->txn, t->s->dbi[DB_MARKS], &k, &v);
    *out = NULL;
    if (rc == MDB_NOTFOUND) {
        *out = roaring_bitmap_create();
        return TAMIS_OK;
    }
    if (rc)
        return store_lmdb_error(err, rc, "read change marks");
    *out = roaring_bitmap_portable_deserialize_safe(v.mv_data, v.mv_size);
    if (!*out)
        return tamis_error_set(err, TAMIS_ECORRUPT, "change marks: corrupt bitmap (%zu bytes)", v.mv_size);
    return TAMIS_OK;
}

static int save_changed(tamis_txn *t, roaring_bitmap_t *b, tamis_error *err)
{
    MDB_val k = store_str_val(MARK_CHANGED), v;
    size_t n;
    char *buf;
    int rc;

    roaring_bitmap_run_optimize(b);
    n = roaring_bitmap_portable_size_in_bytes(b);
    buf = tamis_malloc(n ? n : 1);
    roaring_bitmap_portable_serialize(b, buf);
    v.mv_size = n;
    v.mv_data = buf;
    rc = mdb_put(t->txn, t->s->dbi[DB_MARKS], &k, &v, 0);
    tamis_free(buf);
    return rc ? store_lmdb_error(err, rc, "write change marks") : TAMIS_OK;
}

/* The stored set with this transaction's marks applied (a new bitmap). */
static int merged_changed(tamis_txn *t, roaring_bitmap_t **out, tamis_error *err)
{
    int rc = load_changed(t, out, err);
    if (rc)
        return rc;
    if (t->changed)
        roaring_bitmap_or_inplace(*out, t->changed);
    if (t->removed)
        roaring_bitmap_andnot_inplace(*out, t->removed);
    return TAMIS_OK;
}

int store_flush_marks(tamis_txn *t, tamis_error *err)
{
    roaring_bitmap_t *stored;
    int rc;

    if (!t->write || (!t->changed && !t->removed))
        return TAMIS_OK;
    if ((rc = merged_changed(t, &stored, err)) != 0)
        return rc;
    rc = save_changed(t, stored, err);
    roaring_bitmap_free(stored);
    return rc;
}

int tamis_changed_users_get(tamis_txn *t, uint32_t **uids, size_t *n, tamis_error *err)
{
    roaring_bitmap_t *stored;
    int rc;

    *uids = NULL;
    *n = 0;
    if ((rc = merged_changed(t, &stored, err)) != 0) /* this transaction's own writes count too */
        return rc;
    *n = (size_t)roaring_bitmap_get_cardinality(stored);
    if (*n) {
        *uids = tamis_malloc(*n * sizeof **uids);
        roaring_bitmap_to_uint32_array(stored, *uids);
    }
    roaring_bitmap_free(stored);
    return TAMIS_OK;
}

int tamis_changed_users_clear(tamis_txn *t, tamis_error *err)
{
    MDB_val k = store_str_val(MARK_CHANGED);
    int rc = mdb_del(t->txn, t->s->dbi[DB_MARKS], &k, NULL);
    store_free_marks(t);
    return rc && rc != MDB_NOTFOUND ? store_lmdb_error(err, rc, "clear change marks") : TAMIS_OK;
}

int tamis_score_record_get(tamis_txn *t, uint32_t uid, const void **data, size_t *len, tamis_error *err)
{
    MDB_val k = {4, &uid}, v;
    int rc = store_db_missing(t->s, DB_SCORES) ? MDB_NOTFOUND : mdb_get(t->txn, t->s->dbi[DB_SCORES], &k, &v);
    if (rc == MDB_NOTFOUND)
        return tamis_error_set(err, TAMIS_ENOTFOUND, "no score record for uid %u", uid);
    if (rc)
        return store_lmdb_error(err, rc, "read score");
    *data = v.mv_data;
    *len = v.mv_size;
    return TAMIS_OK;
}

int tamis_score_record_put(tamis_txn *t, uint32_t uid, const void *data, size_t len, bool append, tamis_error *err)
{
    MDB_val k = {4, &uid}, v = {len, (void *)data};
    int rc = mdb_put(t->txn, t->s->dbi[DB_SCORES], &k, &v, append ? MDB_APPEND : 0);
    if (rc == MDB_KEYEXIST && append)
        rc = mdb_put(t->txn, t->s->dbi[DB_SCORES], &k, &v, 0);
    t->results_touched = true;
    return rc ? store_lmdb_error(err, rc, "write score") : TAMIS_OK;
}

int tamis_score_records_clear(tamis_txn *t, tamis_error *err)
{
    int rc = mdb_drop(t->txn, t->s->dbi[DB_SCORES], 0);
    t->results_touched = true;
    return rc ? store_lmdb_error(err, rc, "clear scores") : TAMIS_OK;
}

static const int record_dbs[] = {[TAMIS_RECORDS_USERS] = DB_USERS,
                                  [TAMIS_RECORDS_ACTIVITY] = DB_ACTIVITY,
                                  [TAMIS_RECORDS_SCORES] = DB_SCORES};

int tamis_records_foreach_range(tamis_txn *t, tamis_record_db which, uint32_t lo, uint32_t hi,
                                tamis_record_visit_fn fn, void *ctx, tamis_error *err)
{
    int db = record_dbs[which], stop = 0;
    MDB_cursor *cur;
    MDB_val k = {4, &lo}, v;
    int rc;

    if (store_db_missing(t->s, db))
        return TAMIS_OK;
    rc = mdb_cursor_open(t->txn, t->s->dbi[db], &cur);

    if (rc)
        return store_lmdb_error(err, rc, "open cursor");
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && !stop;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint32_t uid;
        if (k.mv_size != 4) {
            mdb_cursor_close(cur);
            return tamis_error_set(err, TAMIS_ECORRUPT, "%s: key of %zu bytes", store_db_names[db], k.mv_size);
        }
        memcpy(&uid, k.mv_data, 4);
        if (uid >= hi)
            break;
        stop = fn(ctx, uid, v.mv_data, v.mv_size);
    }
    mdb_cursor_close(cur);
    if (stop)
        return stop;
    return rc == 0 || rc == MDB_NOTFOUND ? TAMIS_OK : store_lmdb_error(err, rc, "iterate");
}

int tamis_score_records_foreach(tamis_txn *t, tamis_record_visit_fn fn, void *ctx, tamis_error *err)
{
    return tamis_records_foreach_range(t, TAMIS_RECORDS_SCORES, 0, UINT32_MAX, fn, ctx, err);
}

int tamis_activity_foreach(tamis_txn *t, tamis_record_visit_fn fn, void *ctx, tamis_error *err)
{
    return tamis_records_foreach_range(t, TAMIS_RECORDS_ACTIVITY, 0, UINT32_MAX, fn, ctx, err);
}

int tamis_user_records_foreach(tamis_txn *t, tamis_record_visit_fn fn, void *ctx, tamis_error *err)
{
    return tamis_records_foreach_range(t, TAMIS_RECORDS_USERS, 0, UINT32_MAX, fn, ctx, err);
}

int tamis_user_uid_end(tamis_txn *t, uint32_t *end, tamis_error *err)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_USERS], &cur);
    uint32_t uid;

    *end = 0;
    if (rc)
        return store_lmdb_error(err, rc, "open cursor");
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND)
        return TAMIS_OK;
    if (rc)
        return store_lmdb_error(err, rc, "read the last user");
    if (k.mv_size != 4)
        return tamis_error_set(err, TAMIS_ECORRUPT, "users: key of %zu bytes", k.mv_size);
    memcpy(&uid, k.mv_data, 4);
    *end = uid + 1;
    return TAMIS_OK;
}

int tamis_store_uid_end(tamis_store *s, uint32_t *end, uint64_t *snapshot, tamis_error *err)
{
    tamis_txn *t;
    int rc = tamis_txn_begin(s, false, &t, err);
    *end = 0;
    if (rc)
        return rc;
    rc = tamis_user_uid_end(t, end, err);
    if (snapshot)
        *snapshot = tamis_txn_snapshot(t);
    tamis_txn_abort(t);
    return rc;
}

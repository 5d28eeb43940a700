/* store_segments.c — the `segments` database (see include/tamis/store.h): per saved
 * segment, its definition record ("d" + name; format owned by src/segment/) and its
 * membership bitmaps over uids ("m" + name: the last evaluation, "p" + name: the one
 * before), stored as CRoaring portable serialisations so that erasure can take a
 * user out of every segment (tamis_segments_forget_uid) without knowing segments. */
#include <roaring/roaring.h>
#include <string.h>

#include "store/store_int.h"
#include "tamis/alloc.h"

#define SEG_KEY_MAX 80

static MDB_val seg_key(char buf[SEG_KEY_MAX], char kind, const char *name)
{
    MDB_val k;
    size_t n = strlen(name);
    if (n > SEG_KEY_MAX - 2)
        n = SEG_KEY_MAX - 2;
    buf[0] = kind;
    memcpy(buf + 1, name, n);
    k.mv_data = buf;
    k.mv_size = n + 1;
    return k;
}

int tamis_segment_record_put(tamis_txn *t, char kind, const char *name, const void *data, size_t len,
                             tamis_error *err)
{
    char buf[SEG_KEY_MAX];
    MDB_val k = seg_key(buf, kind, name), v = {len, (void *)data};
    int rc = mdb_put(t->txn, t->s->dbi[DB_SEGMENTS], &k, &v, 0);
    return rc ? store_lmdb_error(err, rc, "write segment") : TAMIS_OK;
}

int tamis_segment_record_get(tamis_txn *t, char kind, const char *name, const void **data, size_t *len,
                             tamis_error *err)
{
    char buf[SEG_KEY_MAX];
    MDB_val k = seg_key(buf, kind, name), v;
    int rc = store_db_missing(t->s, DB_SEGMENTS) ? MDB_NOTFOUND : mdb_get(t->txn, t->s->dbi[DB_SEGMENTS], &k, &v);
    if (rc == MDB_NOTFOUND)
        return tamis_error_set(err, TAMIS_ENOTFOUND, "no segment named '%s'", name);
    if (rc)
        return store_lmdb_error(err, rc, "read segment");
    *data = v.mv_data;
    *len = v.mv_size;
    return TAMIS_OK;
}

int tamis_segment_record_del(tamis_txn *t, char kind, const char *name, tamis_error *err)
{
    char buf[SEG_KEY_MAX];
    MDB_val k = seg_key(buf, kind, name);
    int rc = mdb_del(t->txn, t->s->dbi[DB_SEGMENTS], &k, NULL);
    return rc && rc != MDB_NOTFOUND ? store_lmdb_error(err, rc, "delete segment") : TAMIS_OK;
}

int tamis_segment_records_foreach(tamis_txn *t, char kind,
                                  int (*fn)(void *ctx, const char *name, size_t name_len, const void *data, size_t len),
                                  void *ctx, tamis_error *err)
{
    MDB_cursor *cur;
    MDB_val k = {1, &kind}, v;
    int rc, stop = 0;
    if (store_db_missing(t->s, DB_SEGMENTS))
        return TAMIS_OK;
    if ((rc = mdb_cursor_open(t->txn, t->s->dbi[DB_SEGMENTS], &cur)) != 0)
        return store_lmdb_error(err, rc, "open segments");
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (!stop && rc == 0 && ((const char *)k.mv_data)[0] == kind) {
        stop = fn(ctx, (const char *)k.mv_data + 1, k.mv_size - 1, v.mv_data, v.mv_size);
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (stop)
        return stop;
    return rc == 0 || rc == MDB_NOTFOUND ? TAMIS_OK : store_lmdb_error(err, rc, "read segments");
}

/* Removes uid from one stored bitmap entry (k, v); rewritten only when it held it. */
static int forget_in(tamis_txn *t, MDB_val *k, MDB_val *v, uint32_t uid, tamis_error *err)
{
    roaring_bitmap_t *b = roaring_bitmap_portable_deserialize_safe(v->mv_data, v->mv_size);
    int rc = TAMIS_OK;
    if (!b)
        return tamis_error_set(err, TAMIS_ECORRUPT, "segment membership of '%.*s' is corrupt", (int)k->mv_size - 1,
                               (const char *)k->mv_data + 1);
    if (roaring_bitmap_contains(b, uid)) {
        size_t n;
        char *buf;
        MDB_val nv;
        roaring_bitmap_remove(b, uid);
        n = roaring_bitmap_portable_size_in_bytes(b);
        buf = tamis_malloc(n);
        roaring_bitmap_portable_serialize(b, buf);
        nv.mv_size = n;
        nv.mv_data = buf;
        if ((rc = mdb_put(t->txn, t->s->dbi[DB_SEGMENTS], k, &nv, 0)) != 0)
            rc = store_lmdb_error(err, rc, "write segment");
        tamis_free(buf);
    }
    roaring_bitmap_free(b);
    return rc;
}

int tamis_segments_forget_uid(tamis_txn *t, uint32_t uid, tamis_error *err)
{
    MDB_cursor *cur;
    MDB_val k, v;
    char keys[2] = {'m', 'p'};
    int rc = 0;
    if (store_db_missing(t->s, DB_SEGMENTS))
        return TAMIS_OK;
    for (int i = 0; i < 2 && rc == 0; i++) {
        /* Collect the keys first: writing while a cursor walks would move it. */
        char (*names)[SEG_KEY_MAX] = NULL;
        size_t n = 0, cap = 0;
        k.mv_size = 1;
        k.mv_data = &keys[i];
        if ((rc = mdb_cursor_open(t->txn, t->s->dbi[DB_SEGMENTS], &cur)) != 0)
            return store_lmdb_error(err, rc, "open segments");
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        while (rc == 0 && ((const char *)k.mv_data)[0] == keys[i] && k.mv_size < SEG_KEY_MAX) {
            names = tamis_grow(names, sizeof *names, &cap, n + 1);
            memcpy(names[n], k.mv_data, k.mv_size);
            names[n][k.mv_size] = '\0';
            n++;
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        }
        mdb_cursor_close(cur);
        rc = rc == MDB_NOTFOUND ? 0 : rc;
        for (size_t j = 0; j < n && rc == 0; j++) {
            k.mv_data = names[j];
            k.mv_size = strlen(names[j]);
            if ((rc = mdb_get(t->txn, t->s->dbi[DB_SEGMENTS], &k, &v)) == 0)
                rc = forget_in(t, &k, &v, uid, err);
            else if (rc == MDB_NOTFOUND)
                rc = 0;
            else
                rc = store_lmdb_error(err, rc, "read segment");
        }
        tamis_free(names);
        if (rc && err->code == 0)
            rc = store_lmdb_error(err, rc, "read segments");
    }
    return rc;
}

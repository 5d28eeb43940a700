/* store_snapshots.c — the `snapshots` database (see include/tamis/store.h): parts of
 * daily snapshots keyed by (day, part), both big-endian so that a cursor walks a day's
 * parts in order and days in date order. What the parts hold is src/model/snapshot.c's
 * business. */
#include "store/store_int.h"
#include "tamis/alloc.h"

#define NO_DAY UINT32_MAX

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void make_key(uint8_t key[8], uint32_t day, uint32_t part)
{
    put_be32(key, day);
    put_be32(key + 4, part);
}

int tamis_snapshot_part_put(tamis_txn *t, uint32_t day, uint32_t part, const void *data, size_t len,
                            tamis_error *err)
{
    uint8_t key[8];
    MDB_val k = {8, key}, v = {len, (void *)data};
    int rc;
    make_key(key, day, part);
    rc = mdb_put(t->txn, t->s->dbi[DB_SNAPSHOTS], &k, &v, 0);
    return rc ? store_lmdb_error(err, rc, "write snapshot") : TAMIS_OK;
}

int tamis_snapshot_part_get(tamis_txn *t, uint32_t day, uint32_t part, const void **data, size_t *len,
                            tamis_error *err)
{
    uint8_t key[8];
    MDB_val k = {8, key}, v;
    int rc;
    make_key(key, day, part);
    rc = store_db_missing(t->s, DB_SNAPSHOTS) ? MDB_NOTFOUND : mdb_get(t->txn, t->s->dbi[DB_SNAPSHOTS], &k, &v);
    if (rc == MDB_NOTFOUND)
        return tamis_error_set(err, TAMIS_ENOTFOUND, "no snapshot part %u of day %u", part, day);
    if (rc)
        return store_lmdb_error(err, rc, "read snapshot");
    *data = v.mv_data;
    *len = v.mv_size;
    return TAMIS_OK;
}

/* The day of the first key at or after (day, 0); NO_DAY at the end. */
static int first_day_from(MDB_cursor *cur, uint32_t day, uint32_t *found, bool *at_key, tamis_error *err)
{
    uint8_t key[8];
    MDB_val k = {8, key}, v;
    int rc;
    make_key(key, day, 0);
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    *found = NO_DAY;
    *at_key = false;
    if (rc == MDB_NOTFOUND)
        return TAMIS_OK;
    if (rc)
        return store_lmdb_error(err, rc, "read snapshots");
    if (k.mv_size != 8)
        return tamis_error_set(err, TAMIS_ECORRUPT, "snapshots: key of %zu bytes", k.mv_size);
    *found = get_be32(k.mv_data);
    *at_key = true;
    return TAMIS_OK;
}

int tamis_snapshot_day_delete(tamis_txn *t, uint32_t day, tamis_error *err)
{
    MDB_cursor *cur;
    uint32_t found;
    bool at;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_SNAPSHOTS], &cur);
    if (rc)
        return store_lmdb_error(err, rc, "open snapshots");
    while ((rc = first_day_from(cur, day, &found, &at, err)) == 0 && at && found == day) {
        if ((rc = mdb_cursor_del(cur, 0)) != 0) {
            rc = store_lmdb_error(err, rc, "delete snapshot");
            break;
        }
    }
    mdb_cursor_close(cur);
    return rc;
}

int tamis_snapshot_days(tamis_txn *t, uint32_t **days, size_t *n, tamis_error *err)
{
    MDB_cursor *cur;
    size_t cap = 0;
    uint32_t day = 0, found;
    bool at;
    int rc;

    *days = NULL;
    *n = 0;
    if (store_db_missing(t->s, DB_SNAPSHOTS))
        return TAMIS_OK;
    rc = mdb_cursor_open(t->txn, t->s->dbi[DB_SNAPSHOTS], &cur);
    if (rc)
        return store_lmdb_error(err, rc, "open snapshots");
    while ((rc = first_day_from(cur, day, &found, &at, err)) == 0 && at) {
        *days = tamis_grow(*days, sizeof **days, &cap, *n + 1);
        (*days)[(*n)++] = found;
        if (found == NO_DAY - 1)
            break;
        day = found + 1; /* jump over the day's other parts */
    }
    mdb_cursor_close(cur);
    if (rc) {
        tamis_free(*days);
        *days = NULL;
        *n = 0;
    }
    return rc;
}

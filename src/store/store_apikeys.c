/* store_apikeys.c — the `apikeys` database (see include/tamis/store.h): API key
 * records by key id. Only hashes of the secrets are ever stored (src/serve/apikeys.c). */
#include "store/store_int.h"

int tamis_apikey_record_put(tamis_txn *t, const char *id, const void *data, size_t len, tamis_error *err)
{
    MDB_val k = store_str_val(id), v = {len, (void *)data};
    int rc = mdb_put(t->txn, t->s->dbi[DB_APIKEYS], &k, &v, 0);
    return rc ? store_lmdb_error(err, rc, "write API key") : TAMIS_OK;
}

int tamis_apikey_record_get(tamis_txn *t, const char *id, const void **data, size_t *len, tamis_error *err)
{
    MDB_val k = store_str_val(id), v;
    int rc = store_db_missing(t->s, DB_APIKEYS) ? MDB_NOTFOUND : mdb_get(t->txn, t->s->dbi[DB_APIKEYS], &k, &v);
    if (rc == MDB_NOTFOUND)
        return tamis_error_set(err, TAMIS_ENOTFOUND, "no API key %s", id);
    if (rc)
        return store_lmdb_error(err, rc, "read API key");
    *data = v.mv_data;
    *len = v.mv_size;
    return TAMIS_OK;
}

int tamis_apikey_records_foreach(tamis_txn *t,
                                 int (*fn)(void *ctx, const char *id, size_t id_len, const void *data, size_t len),
                                 void *ctx, tamis_error *err)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc, stop = 0;
    if (store_db_missing(t->s, DB_APIKEYS))
        return TAMIS_OK;
    if ((rc = mdb_cursor_open(t->txn, t->s->dbi[DB_APIKEYS], &cur)) != 0)
        return store_lmdb_error(err, rc, "open API keys");
    while (!stop && (rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0)
        stop = fn(ctx, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
    mdb_cursor_close(cur);
    if (stop)
        return stop;
    return rc == MDB_NOTFOUND ? TAMIS_OK : store_lmdb_error(err, rc, "read API keys");
}

/* store_index.c — the store's lookup tables: interned platforms, the identity map,
 * the phone index and the ingest ledger (see include/tamis/store.h). */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "tamis/alloc.h"
#include "tamis/limits.h"

/* ------------------------------------------------------------------------------------
 * Platforms and identities
 * ------------------------------------------------------------------------------------ */

int tamis_platform_intern(tamis_txn *t, const char *name, size_t len, uint8_t *id, tamis_error *err)
{
    tamis_store *s = t->s;
    MDB_val k = {len, (void *)name}, v;
    uint8_t new_id;
    int rc;

    for (uint32_t i = 0; i < 256; i++) {
        const char *n = s->platform_names[i];
        if (n && strlen(n) == len && memcmp(n, name, len) == 0) {
            *id = (uint8_t)i;
            return TAMIS_OK;
        }
    }
    if (!t->write)
        return tamis_error_set(err, TAMIS_ENOTFOUND, "unknown platform '%.*s'", (int)len, name);
    if (s->n_platforms >= TAMIS_MAX_PLATFORMS)
        return tamis_error_set(err, TAMIS_ELIMIT, "too many distinct platforms (cap %d): '%.*s'",
                               TAMIS_MAX_PLATFORMS, (int)len, name);
    new_id = (uint8_t)s->n_platforms;
    v.mv_size = 1;
    v.mv_data = &new_id;
    rc = mdb_put(t->txn, s->dbi[DB_PLATFORMS], &k, &v, MDB_NOOVERWRITE);
    if (rc)
        return store_lmdb_error(err, rc, "intern platform");
    s->platform_names[new_id] = tamis_strndup(name, len);
    s->n_platforms++;
    *id = new_id;
    return TAMIS_OK;
}

const char *tamis_platform_name(const tamis_store *s, uint8_t id)
{
    return s->platform_names[id];
}

/* Identity keys are the platform id byte followed by the platform's user id. */
static MDB_val identity_key(uint8_t platform, const char *pid, size_t len, char *buf)
{
    MDB_val k = {len + 1, buf};
    buf[0] = (char)platform;
    memcpy(buf + 1, pid, len);
    return k;
}

int tamis_identity_lookup(tamis_txn *t, uint8_t platform, const char *pid, size_t len, uint32_t *uid,
                          tamis_error *err)
{
    char buf[TAMIS_MAX_FIELD_BYTES + 1];
    MDB_val k, v;
    int rc;
    if (len == 0 || len > TAMIS_MAX_FIELD_BYTES)
        return tamis_error_set(err, TAMIS_ENOTFOUND, "no such identity");
    k = identity_key(platform, pid, len, buf);
    rc = mdb_get(t->txn, t->s->dbi[DB_IDENTITIES], &k, &v);
    if (rc == MDB_NOTFOUND)
        return tamis_error_set(err, TAMIS_ENOTFOUND, "no such identity");
    if (rc)
        return store_lmdb_error(err, rc, "look up identity");
    if (v.mv_size != 4)
        return tamis_error_set(err, TAMIS_ECORRUPT, "identity index is corrupt");
    memcpy(uid, v.mv_data, 4);
    return TAMIS_OK;
}

int tamis_identity_put(tamis_txn *t, uint8_t platform, const char *pid, size_t len, uint32_t uid,
                       tamis_error *err)
{
    char buf[TAMIS_MAX_FIELD_BYTES + 1];
    MDB_val k, v = {4, &uid};
    int rc;
    if (len == 0 || len > TAMIS_MAX_FIELD_BYTES)
        return tamis_error_set(err, TAMIS_ELIMIT, "platform id longer than %d bytes", TAMIS_MAX_FIELD_BYTES);
    k = identity_key(platform, pid, len, buf);
    rc = mdb_put(t->txn, t->s->dbi[DB_IDENTITIES], &k, &v, 0);
    return rc ? store_lmdb_error(err, rc, "write identity") : TAMIS_OK;
}

int tamis_identity_delete(tamis_txn *t, uint8_t platform, const char *pid, size_t len, tamis_error *err)
{
    char buf[TAMIS_MAX_FIELD_BYTES + 1];
    MDB_val k;
    int rc;
    if (len == 0 || len > TAMIS_MAX_FIELD_BYTES)
        return TAMIS_OK;
    k = identity_key(platform, pid, len, buf);
    rc = mdb_del(t->txn, t->s->dbi[DB_IDENTITIES], &k, NULL);
    return rc && rc != MDB_NOTFOUND ? store_lmdb_error(err, rc, "delete identity") : TAMIS_OK;
}

/* ------------------------------------------------------------------------------------
 * Phones
 * ------------------------------------------------------------------------------------ */

int tamis_phone_index_add(tamis_txn *t, const char *e164, uint32_t uid, uint32_t *other_uid, tamis_error *err)
{
    MDB_val k = store_str_val(e164), v = {4, &uid};
    MDB_cursor *cur;
    int rc;

    *other_uid = UINT32_MAX;
    rc = mdb_put(t->txn, t->s->dbi[DB_PHONES], &k, &v, MDB_NODUPDATA);
    if (rc && rc != MDB_KEYEXIST)
        return store_lmdb_error(err, rc, "index phone");
    if ((rc = mdb_cursor_open(t->txn, t->s->dbi[DB_PHONES], &cur)) != 0)
        return store_lmdb_error(err, rc, "index phone");
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
    while (rc == 0) {
        uint32_t holder;
        memcpy(&holder, v.mv_data, 4);
        if (holder != uid) {
            *other_uid = holder;
            break;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP);
    }
    mdb_cursor_close(cur);
    return TAMIS_OK;
}

int tamis_phone_holders(tamis_txn *t, const char *e164, uint32_t *uids, size_t cap, size_t *n, tamis_error *err)
{
    MDB_val k = store_str_val(e164), v;
    MDB_cursor *cur;
    int rc;

    *n = 0;
    if ((rc = mdb_cursor_open(t->txn, t->s->dbi[DB_PHONES], &cur)) != 0)
        return store_lmdb_error(err, rc, "read phones");
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY); rc == 0 && *n < cap;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP))
        memcpy(&uids[(*n)++], v.mv_data, 4);
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? TAMIS_OK : store_lmdb_error(err, rc, "read phones");
}

int tamis_phone_index_remove(tamis_txn *t, const char *e164, uint32_t uid, tamis_error *err)
{
    MDB_val k = store_str_val(e164), v = {4, &uid};
    int rc = mdb_del(t->txn, t->s->dbi[DB_PHONES], &k, &v);
    return rc && rc != MDB_NOTFOUND ? store_lmdb_error(err, rc, "unindex phone") : TAMIS_OK;
}

/* ------------------------------------------------------------------------------------
 * Ledger
 * ------------------------------------------------------------------------------------ */

int tamis_ledger_get(tamis_txn *t, const uint8_t hash[16], tamis_ledger_entry *e, tamis_error *err)
{
    MDB_val k = {16, (void *)hash}, v;
    int rc = mdb_get(t->txn, t->s->dbi[DB_LEDGER], &k, &v);
    if (rc == MDB_NOTFOUND)
        return tamis_error_set(err, TAMIS_ENOTFOUND, "file not in ledger");
    if (rc)
        return store_lmdb_error(err, rc, "read ledger");
    if (v.mv_size != sizeof *e)
        return tamis_error_set(err, TAMIS_ECORRUPT, "ledger entry is corrupt");
    memcpy(e, v.mv_data, sizeof *e);
    return TAMIS_OK;
}

int tamis_ledger_put(tamis_txn *t, const uint8_t hash[16], const tamis_ledger_entry *e, tamis_error *err)
{
    MDB_val k = {16, (void *)hash}, v = {sizeof *e, (void *)e};
    int rc = mdb_put(t->txn, t->s->dbi[DB_LEDGER], &k, &v, 0);
    return rc ? store_lmdb_error(err, rc, "write ledger") : TAMIS_OK;
}

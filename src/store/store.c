/* store.c — the LMDB environment of a data directory: opening and locking, the named
 * databases, transactions, meta counters, users and their activity records (see
 * include/tamis/store.h for the layout and the contracts; store_index.c and
 * store_maint.c hold the rest).
 *
 * Every LMDB error is turned into a tamis_error naming the operation; MDB_MAP_FULL
 * becomes TAMIS_EFULL. A write transaction that failed is aborted by the caller. */
#include "tamis/store.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tamis/alloc.h"
#include "tamis/contact_record.h"
#include "tamis/limits.h"
#include "store_int.h"

#define RESULTS_GENERATION "results_generation" /* meta counter: tamis_results_generation */

const char *const store_db_names[DB__COUNT] = {
    "meta", "keys", "users", "activity", "identities", "phones", "platforms", "ledger", "scores", "marks", "snapshots",
    "apikeys", "segments",
};

unsigned store_db_flags(int db)
{
    switch (db) {
    case DB_USERS:
    case DB_ACTIVITY:
    case DB_SCORES: return MDB_INTEGERKEY;
    case DB_PHONES: return MDB_DUPSORT | MDB_DUPFIXED;
    default: return 0;
    }
}

int store_lmdb_error(tamis_error *err, int rc, const char *what)
{
    if (rc == MDB_MAP_FULL)
        return tamis_error_set(err, TAMIS_EFULL, "%s: the store's map is full (%s); reopen with a larger map size",
                               what, mdb_strerror(rc));
    return tamis_error_set(err, TAMIS_ESTORE, "%s: %s", what, mdb_strerror(rc));
}

char *store_path_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = tamis_malloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}
/* ------------------------------------------------------------------------------------
 * Open / close
 * ------------------------------------------------------------------------------------ */

static int make_dir(const char *path, tamis_error *err)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return tamis_error_set(err, TAMIS_EIO, "cannot create directory %s: %s", path, strerror(errno));
    return TAMIS_OK;
}

static int take_lock(tamis_store *s, tamis_error *err)
{
    char *path = store_path_join(s->dir, "LOCK");
    int rc = TAMIS_OK;

    s->lock_fd = open(path, s->read_only ? O_RDONLY : (O_RDWR | O_CREAT), 0644);
    if (s->lock_fd < 0) {
        rc = tamis_error_set(err, errno == ENOENT ? TAMIS_ENOTFOUND : TAMIS_EIO,
                             "cannot open %s: %s", path, strerror(errno));
    } else if (flock(s->lock_fd, (s->read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
        rc = tamis_error_set(err, TAMIS_EBUSY, "data directory %s is in use by another tamis process",
                             s->dir);
    }
    tamis_free(path);
    return rc;
}

static int load_platforms(tamis_store *s, MDB_txn *txn, tamis_error *err)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, s->dbi[DB_PLATFORMS], &cur);
    if (rc)
        return store_lmdb_error(err, rc, "open platforms");
    while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
        uint8_t id;
        if (v.mv_size != 1 || k.mv_size > TAMIS_MAX_PLATFORM_BYTES) {
            mdb_cursor_close(cur);
            return tamis_error_set(err, TAMIS_ECORRUPT, "platform table is corrupt");
        }
        id = *(const uint8_t *)v.mv_data;
        tamis_free(s->platform_names[id]);
        s->platform_names[id] = tamis_strndup(k.mv_data, k.mv_size);
        s->n_platforms++;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? TAMIS_OK : store_lmdb_error(err, rc, "read platforms");
}

int store_open_env(tamis_store *s, tamis_error *err)
{
    MDB_txn *txn = NULL;
    int rc;

    if ((rc = mdb_env_create(&s->env)) != 0)
        return store_lmdb_error(err, rc, "mdb_env_create");
    mdb_env_set_maxdbs(s->env, DB__COUNT + 2);
    mdb_env_set_mapsize(s->env, s->map_size);
    /* MDB_NOTLS: reader slots belong to transactions, not threads, so one thread may
     * hold several read snapshots (ingest keeps one for lookups). */
    rc = mdb_env_open(s->env, s->env_dir, MDB_NOTLS | (s->read_only ? MDB_RDONLY : 0), 0644);
    if (rc) {
        tamis_error_set(err, rc == ENOENT ? TAMIS_ENOTFOUND : TAMIS_ESTORE, "cannot open store in %s: %s",
                        s->env_dir, mdb_strerror(rc));
        return err ? err->code : TAMIS_ESTORE;
    }
    if ((rc = mdb_txn_begin(s->env, NULL, s->read_only ? MDB_RDONLY : 0, &txn)) != 0)
        return store_lmdb_error(err, rc, "begin");
    for (int d = 0; d < DB__COUNT; d++) {
        rc = mdb_dbi_open(txn, store_db_names[d], store_db_flags(d) | (s->read_only ? 0 : MDB_CREATE), &s->dbi[d]);
        if (rc == MDB_NOTFOUND && s->read_only && d >= DB_SCORES) {
            s->missing[d] = true; /* added after the store was written; read as empty */
            continue;
        }
        if (rc) {
            mdb_txn_abort(txn);
            if (rc == MDB_NOTFOUND)
                return tamis_error_set(err, TAMIS_ENOTFOUND, "no tamis store in %s", s->dir);
            return store_lmdb_error(err, rc, "open database");
        }
    }
    if ((rc = load_platforms(s, txn, err)) != 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    {
        MDB_val k = {strlen("retention_days"), (void *)"retention_days"}, v;
        uint64_t days = TAMIS_DEFAULT_RETENTION_DAYS;
        if (mdb_get(txn, s->dbi[DB_META], &k, &v) == 0 && v.mv_size == 8)
            memcpy(&days, v.mv_data, 8);
        s->retention_days = (uint32_t)days;
    }
    if (!s->read_only) {
        MDB_val k = {strlen("format"), (void *)"format"}, v = {strlen(STORE_FORMAT), (void *)STORE_FORMAT};
        rc = mdb_put(txn, s->dbi[DB_META], &k, &v, 0);
        if (rc) {
            mdb_txn_abort(txn);
            return store_lmdb_error(err, rc, "write format");
        }
    }
    rc = mdb_txn_commit(txn);
    return rc ? store_lmdb_error(err, rc, "commit") : TAMIS_OK;
}

int tamis_store_open(const char *dir, const tamis_store_options *opts, tamis_store **out, tamis_error *err)
{
    tamis_store *s = tamis_calloc(1, sizeof *s);
    struct stat sb;
    int rc;

    s->dir = tamis_strdup(dir);
    s->env_dir = store_path_join(dir, "store");
    s->lock_fd = -1;
    s->read_only = opts && opts->read_only;
    s->map_size = opts && opts->map_size_bytes ? opts->map_size_bytes : TAMIS_DEFAULT_MAP_SIZE;
    if (s->read_only) {
        if (stat(s->env_dir, &sb) != 0) {
            rc = tamis_error_set(err, TAMIS_ENOTFOUND, "no tamis store in %s (run import-contacts or ingest first)",
                                 dir);
            goto fail;
        }
    } else if ((rc = make_dir(dir, err)) != 0 || (rc = make_dir(s->env_dir, err)) != 0) {
        goto fail;
    }
    if ((rc = take_lock(s, err)) != 0)
        goto fail;
    if ((rc = store_open_env(s, err)) != 0)
        goto fail;
    *out = s;
    return TAMIS_OK;
fail:
    tamis_store_close(s);
    *out = NULL;
    return rc;
}

void tamis_store_close(tamis_store *s)
{
    if (!s)
        return;
    if (s->env)
        mdb_env_close(s->env);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    for (int i = 0; i < 256; i++)
        tamis_free(s->platform_names[i]);
    tamis_free(s->dir);
    tamis_free(s->env_dir);
    tamis_free(s);
}

const char *tamis_store_dir(const tamis_store *s) { return s->dir; }
uint32_t tamis_store_retention_days(const tamis_store *s) { return s->retention_days; }

/* ------------------------------------------------------------------------------------
 * Transactions
 * ------------------------------------------------------------------------------------ */

int tamis_txn_begin(tamis_store *s, bool write, tamis_txn **out, tamis_error *err)
{
    tamis_txn *t;
    MDB_txn *txn;
    int rc;

    if (write && s->read_only)
        return tamis_error_set(err, TAMIS_EINTERNAL, "write transaction on a read-only store");
    rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &txn);
    if (rc)
        return store_lmdb_error(err, rc, "begin transaction");
    t = tamis_calloc(1, sizeof *t);
    t->s = s;
    t->txn = txn;
    t->write = write;
    t->platforms_at_begin = write ? s->n_platforms : 0; /* readers may run beside the writer */
    *out = t;
    return TAMIS_OK;
}

static void forget_new_platforms(tamis_txn *t)
{
    for (int id = 0; id < 256; id++) {
        if (t->s->platform_names[id] && (uint32_t)id >= t->platforms_at_begin) {
            tamis_free(t->s->platform_names[id]);
            t->s->platform_names[id] = NULL;
        }
    }
    t->s->n_platforms = t->platforms_at_begin;
}

uint64_t tamis_txn_snapshot(const tamis_txn *t)
{
    return (uint64_t)mdb_txn_id(t->txn);
}

int tamis_txn_commit(tamis_txn *t, tamis_error *err)
{
    int rc = TAMIS_OK;
    if (t->results_touched)
        rc = tamis_meta_put_u64(t, RESULTS_GENERATION, tamis_results_generation(t) + 1, err);
    if (rc || (rc = store_flush_marks(t, err)) != 0) {
        tamis_txn_abort(t);
        return rc;
    }
    rc = mdb_txn_commit(t->txn);
    if (rc)
        forget_new_platforms(t);
    store_free_marks(t);
    tamis_free(t);
    return rc ? store_lmdb_error(err, rc, "commit") : TAMIS_OK;
}

void tamis_txn_abort(tamis_txn *t)
{
    if (!t)
        return;
    mdb_txn_abort(t->txn);
    if (t->write) /* a reader never interned anything (and may run beside a writer) */
        forget_new_platforms(t);
    store_free_marks(t);
    tamis_free(t);
}

/* ------------------------------------------------------------------------------------
 * Meta
 * ------------------------------------------------------------------------------------ */


uint64_t tamis_results_generation(tamis_txn *t)
{
    return tamis_meta_get_u64(t, RESULTS_GENERATION);
}

uint64_t tamis_meta_get_u64(tamis_txn *t, const char *name)
{
    MDB_val k = store_str_val(name), v;
    uint64_t x = 0;
    if (mdb_get(t->txn, t->s->dbi[DB_META], &k, &v) == 0 && v.mv_size == 8)
        memcpy(&x, v.mv_data, 8);
    return x;
}

int tamis_meta_put_u64(tamis_txn *t, const char *name, uint64_t value, tamis_error *err)
{
    MDB_val k = store_str_val(name), v = {8, &value};
    int rc = mdb_put(t->txn, t->s->dbi[DB_META], &k, &v, 0);
    if (rc)
        return store_lmdb_error(err, rc, "write meta");
    if (!strcmp(name, "retention_days"))
        t->s->retention_days = (uint32_t)value;
    return TAMIS_OK;
}

int tamis_meta_add_u64(tamis_txn *t, const char *name, uint64_t delta, tamis_error *err)
{
    if (delta == 0)
        return TAMIS_OK;
    return tamis_meta_put_u64(t, name, tamis_meta_get_u64(t, name) + delta, err);
}

int64_t tamis_meta_get_i64(tamis_txn *t, const char *name, bool *present)
{
    MDB_val k = store_str_val(name), v;
    int64_t x = 0;
    *present = false;
    if (mdb_get(t->txn, t->s->dbi[DB_META], &k, &v) == 0 && v.mv_size == 8) {
        memcpy(&x, v.mv_data, 8);
        *present = true;
    }
    return x;
}

int tamis_meta_put_i64(tamis_txn *t, const char *name, int64_t value, tamis_error *err)
{
    MDB_val k = store_str_val(name), v = {8, &value};
    int rc = mdb_put(t->txn, t->s->dbi[DB_META], &k, &v, 0);
    return rc ? store_lmdb_error(err, rc, "write meta") : TAMIS_OK;
}

/* ------------------------------------------------------------------------------------
 * Users
 * ------------------------------------------------------------------------------------ */

int tamis_user_lookup(tamis_txn *t, const char *key, size_t len, uint32_t *uid, tamis_error *err)
{
    MDB_val k = {len, (void *)key}, v;
    int rc;
    if (len == 0 || len > TAMIS_MAX_USER_KEY_BYTES)
        return tamis_error_set(err, TAMIS_ENOTFOUND, "no such user");
    rc = mdb_get(t->txn, t->s->dbi[DB_KEYS], &k, &v);
    if (rc == MDB_NOTFOUND)
        return tamis_error_set(err, TAMIS_ENOTFOUND, "no such user '%.*s'", (int)(len > 64 ? 64 : len), key);
    if (rc)
        return store_lmdb_error(err, rc, "look up user");
    if (v.mv_size != 4)
        return tamis_error_set(err, TAMIS_ECORRUPT, "user key index is corrupt");
    memcpy(uid, v.mv_data, 4);
    return TAMIS_OK;
}

int tamis_user_create(tamis_txn *t, const char *key, size_t len, uint32_t *uid, tamis_error *err)
{
    uint64_t next = tamis_meta_get_u64(t, "next_uid");
    MDB_val k = {len, (void *)key}, v;
    tamis_contact c;
    uint8_t *buf = NULL;
    size_t cap = 0, n;
    uint32_t id;
    int rc;

    if (next >= UINT32_MAX)
        return tamis_error_set(err, TAMIS_ELIMIT, "the store holds the maximum number of users");
    id = (uint32_t)next;
    v.mv_size = 4;
    v.mv_data = &id;
    rc = mdb_put(t->txn, t->s->dbi[DB_KEYS], &k, &v, MDB_NOOVERWRITE);
    if (rc)
        return store_lmdb_error(err, rc, "create user");
    tamis_contact_init(&c);
    c.key = tamis_strndup(key, len);
    tamis_contact_encode(&c, &buf, &cap, &n);
    tamis_contact_free(&c);
    rc = tamis_user_record_put(t, id, buf, n, err);
    tamis_free(buf);
    if (rc)
        return rc;
    *uid = id;
    return tamis_meta_put_u64(t, "next_uid", next + 1, err);
}

int tamis_user_record_get(tamis_txn *t, uint32_t uid, const void **data, size_t *len, tamis_error *err)
{
    MDB_val k = {4, &uid}, v;
    int rc = mdb_get(t->txn, t->s->dbi[DB_USERS], &k, &v);
    if (rc == MDB_NOTFOUND)
        return tamis_error_set(err, TAMIS_ENOTFOUND, "no user record for uid %u", uid);
    if (rc)
        return store_lmdb_error(err, rc, "read user");
    *data = v.mv_data;
    *len = v.mv_size;
    return TAMIS_OK;
}

int tamis_user_record_put(tamis_txn *t, uint32_t uid, const void *data, size_t len, tamis_error *err)
{
    MDB_val k = {4, &uid}, v = {len, (void *)data};
    int rc = mdb_put(t->txn, t->s->dbi[DB_USERS], &k, &v, 0);
    if (rc == 0) {
        store_mark_changed(t, uid);
        t->results_touched = true;
    }
    return rc ? store_lmdb_error(err, rc, "write user") : TAMIS_OK;
}

int tamis_user_delete(tamis_txn *t, uint32_t uid, tamis_error *err)
{
    const void *data;
    size_t len;
    tamis_contact c;
    MDB_val k = {4, &uid}, kk;
    int rc;

    if ((rc = tamis_user_record_get(t, uid, &data, &len, err)) != 0)
        return rc;
    if ((rc = tamis_contact_decode(&c, data, len, err)) != 0)
        return rc;
    kk.mv_size = strlen(c.key);
    kk.mv_data = c.key;
    rc = mdb_del(t->txn, t->s->dbi[DB_KEYS], &kk, NULL);
    tamis_contact_free(&c);
    if (rc && rc != MDB_NOTFOUND)
        return store_lmdb_error(err, rc, "delete user key");
    rc = mdb_del(t->txn, t->s->dbi[DB_USERS], &k, NULL);
    if (rc)
        return store_lmdb_error(err, rc, "delete user");
    rc = mdb_del(t->txn, t->s->dbi[DB_ACTIVITY], &k, NULL);
    if (rc && rc != MDB_NOTFOUND)
        return store_lmdb_error(err, rc, "delete activity");
    rc = mdb_del(t->txn, t->s->dbi[DB_SCORES], &k, NULL);
    if (rc && rc != MDB_NOTFOUND)
        return store_lmdb_error(err, rc, "delete scores");
    store_mark_removed(t, uid);
    t->results_touched = true;
    return TAMIS_OK;
}

/* Decodes the result of an activity lookup into st: absent means an empty state. A
 * fresh st is initialised first; a reused one keeps its arrays. */
static int decode_activity(int rc, const MDB_val *v, tamis_user_state *st, bool reuse, tamis_error *err)
{
    if (!reuse)
        tamis_user_state_init(st);
    if (rc == MDB_NOTFOUND) {
        tamis_user_state_clear(st);
        return TAMIS_OK;
    }
    if (rc)
        return store_lmdb_error(err, rc, "read activity");
    if (!reuse)
        return tamis_user_state_decode(st, v->mv_data, v->mv_size, err);
    return tamis_user_state_decode_reuse(st, v->mv_data, v->mv_size, err);
}

int tamis_activity_get(tamis_txn *t, uint32_t uid, tamis_user_state *st, tamis_error *err)
{
    MDB_val k = {4, &uid}, v;
    return decode_activity(mdb_get(t->txn, t->s->dbi[DB_ACTIVITY], &k, &v), &v, st, false, err);
}

int tamis_activity_get_reuse(tamis_txn *t, uint32_t uid, tamis_user_state *st, tamis_error *err)
{
    MDB_val k = {4, &uid}, v;
    return decode_activity(mdb_get(t->txn, t->s->dbi[DB_ACTIVITY], &k, &v), &v, st, true, err);
}

int tamis_activity_put(tamis_txn *t, uint32_t uid, const void *data, size_t len, bool append, tamis_error *err)
{
    MDB_val k = {4, &uid}, v = {len, (void *)data};
    int rc = mdb_put(t->txn, t->s->dbi[DB_ACTIVITY], &k, &v, append ? MDB_APPEND : 0);
    if (rc == MDB_KEYEXIST && append)
        rc = mdb_put(t->txn, t->s->dbi[DB_ACTIVITY], &k, &v, 0);
    if (rc == 0)
        store_mark_changed(t, uid);
    return rc ? store_lmdb_error(err, rc, "write activity") : TAMIS_OK;
}

struct tamis_activity_cursor {
    MDB_cursor *cur;
    tamis_txn *t;
};

int tamis_activity_cursor_open(tamis_txn *t, tamis_activity_cursor **out, tamis_error *err)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_ACTIVITY], &cur);
    if (rc)
        return store_lmdb_error(err, rc, "open activity cursor");
    *out = tamis_malloc(sizeof **out);
    (*out)->cur = cur;
    (*out)->t = t;
    return TAMIS_OK;
}

int tamis_activity_cursor_get(tamis_activity_cursor *c, uint32_t uid, tamis_user_state *st, tamis_error *err)
{
    MDB_val k = {4, &uid}, v;
    return decode_activity(mdb_cursor_get(c->cur, &k, &v, MDB_SET_KEY), &v, st, true, err);
}

int tamis_activity_cursor_bytes(tamis_activity_cursor *c, uint32_t uid, const void **data, size_t *len,
                                tamis_error *err)
{
    MDB_val k = {4, &uid}, v;
    int rc = mdb_cursor_get(c->cur, &k, &v, MDB_SET_KEY);
    if (rc == MDB_NOTFOUND)
        return tamis_error_set(err, TAMIS_ENOTFOUND, "no activity for uid %u", uid);
    if (rc)
        return store_lmdb_error(err, rc, "read activity");
    *data = v.mv_data;
    *len = v.mv_size;
    return TAMIS_OK;
}

int tamis_activity_cursor_put(tamis_activity_cursor *c, uint32_t uid, const void *data, size_t len, tamis_error *err)
{
    MDB_val k = {4, &uid}, v = {len, (void *)data};
    int rc = mdb_cursor_put(c->cur, &k, &v, 0);
    if (rc == 0)
        store_mark_changed(c->t, uid);
    return rc ? store_lmdb_error(err, rc, "write activity") : TAMIS_OK;
}

void tamis_activity_cursor_close(tamis_activity_cursor *c)
{
    if (c) {
        mdb_cursor_close(c->cur);
        tamis_free(c);
    }
}

int tamis_users_foreach(tamis_txn *t, tamis_user_visit_fn fn, void *ctx, tamis_error *err)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_USERS], &cur);
    if (rc)
        return store_lmdb_error(err, rc, "open users");
    while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
        tamis_contact c;
        uint32_t uid;
        int stop;
        memcpy(&uid, k.mv_data, 4);
        if ((rc = tamis_contact_decode(&c, v.mv_data, v.mv_size, err)) != 0) {
            mdb_cursor_close(cur);
            return rc;
        }
        stop = fn(ctx, uid, c.key, strlen(c.key));
        tamis_contact_free(&c);
        if (stop) {
            mdb_cursor_close(cur);
            return stop;
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? TAMIS_OK : store_lmdb_error(err, rc, "iterate users");
}

/* Visits (uid, key) pairs of the key index from the first key >= from (every key
 * when from is NULL), in key order, until fn returns non-zero. */
static int user_keys_walk(tamis_txn *t, const char *from, size_t from_len, tamis_user_visit_fn fn, void *ctx,
                          tamis_error *err)
{
    MDB_cursor *cur;
    MDB_val k, v;
    MDB_cursor_op op = MDB_NEXT;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_KEYS], &cur);
    if (rc)
        return store_lmdb_error(err, rc, "open user keys");
    if (from) {
        k.mv_data = (void *)from;
        k.mv_size = from_len;
        op = MDB_SET_RANGE;
    }
    while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
        uint32_t uid;
        int stop;
        op = MDB_NEXT;
        if (v.mv_size != 4) {
            mdb_cursor_close(cur);
            return tamis_error_set(err, TAMIS_ECORRUPT, "user key index is corrupt");
        }
        memcpy(&uid, v.mv_data, 4);
        if ((stop = fn(ctx, uid, k.mv_data, k.mv_size)) != 0) {
            mdb_cursor_close(cur);
            return stop;
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? TAMIS_OK : store_lmdb_error(err, rc, "iterate user keys");
}

int tamis_user_keys_foreach(tamis_txn *t, tamis_user_visit_fn fn, void *ctx, tamis_error *err)
{
    return user_keys_walk(t, NULL, 0, fn, ctx, err);
}

int tamis_user_keys_from(tamis_txn *t, const char *from, size_t from_len, tamis_user_visit_fn fn, void *ctx,
                         tamis_error *err)
{
    if (from_len == 0) /* LMDB refuses an empty key: start at the first one */
        return user_keys_walk(t, NULL, 0, fn, ctx, err);
    return user_keys_walk(t, from, from_len, fn, ctx, err);
}


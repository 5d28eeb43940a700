/* ingest_users.c — resolving the user of an event during ingest, and writing the
 * touched users' states back at each commit (see ingest_session.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_session.h"
#include "tamis/alloc.h"
#include "tamis/contact_record.h"
#include "tamis/limits.h"

static uint32_t entry_for_uid(tamis_ingest *ing, uint32_t uid, bool is_new)
{
    uint32_t idx;
    ingest_entry *e;
    if (tamis_strmap_get(ing->by_uid, &uid, sizeof uid, &idx))
        return idx;
    ing->entries = tamis_grow(ing->entries, sizeof *ing->entries, &ing->cap_entries, ing->n_entries + 1);
    idx = (uint32_t)ing->n_entries++;
    e = &ing->entries[idx];
    memset(e, 0, sizeof *e);
    e->uid = uid;
    e->is_new = is_new;
    tamis_user_state_init(&e->st);
    tamis_strmap_put(ing->by_uid, &uid, sizeof uid, idx);
    return idx;
}

int ingest_entry_for_key(tamis_ingest *ing, tamis_txn *txn, const char *key, size_t len, uint32_t *idx,
                         bool *created, tamis_error *err)
{
    uint32_t uid;
    int rc;

    *created = false;
    if (tamis_strmap_get(ing->by_key, key, len, idx))
        return TAMIS_OK;
    rc = tamis_user_lookup(txn, key, len, &uid, err);
    if (rc == TAMIS_ENOTFOUND) {
        if ((rc = tamis_user_create(txn, key, len, &uid, err)) != 0)
            return rc;
        *created = true;
    } else if (rc) {
        return rc;
    }
    *idx = entry_for_uid(ing, uid, *created);
    tamis_strmap_put(ing->by_key, key, len, *idx);
    return TAMIS_OK;
}

/* Adds an identity to the stored contact of uid (and marks it auto-created if asked). */
static int contact_add_identity(tamis_ingest *ing, tamis_txn *txn, uint32_t uid, uint8_t platform,
                                const char *pid, size_t len, bool auto_created, tamis_error *err)
{
    const void *data;
    size_t n;
    tamis_contact c;
    int rc;

    if ((rc = tamis_user_record_get(txn, uid, &data, &n, err)) != 0)
        return rc;
    if ((rc = tamis_contact_decode(&c, data, n, err)) != 0)
        return rc;
    tamis_contact_add_identity(&c, platform, pid, len);
    if (auto_created)
        c.auto_created = true;
    tamis_contact_encode(&c, &ing->encode_buf.buf, &ing->encode_buf.cap, &n);
    tamis_contact_free(&c);
    if ((rc = tamis_user_record_put(txn, uid, ing->encode_buf.buf, n, err)) != 0)
        return rc;
    return tamis_identity_put(txn, platform, pid, len, uid, err);
}

static size_t identity_map_key(uint8_t platform, const char *pid, size_t len, char *buf)
{
    buf[0] = (char)platform;
    memcpy(buf + 1, pid, len);
    return len + 1;
}

int ingest_entry_for_identity(tamis_ingest *ing, tamis_txn *txn, uint8_t platform, const char *pid, size_t len,
                              uint32_t *idx, tamis_error *err)
{
    char mkey[TAMIS_MAX_FIELD_BYTES + 1];
    char auto_key[TAMIS_MAX_PLATFORM_BYTES + 1 + TAMIS_MAX_FIELD_BYTES + 1];
    size_t mlen, alen;
    uint32_t uid;
    bool created;
    int rc;

    if (len > TAMIS_MAX_FIELD_BYTES)
        return tamis_error_set(err, TAMIS_ELIMIT, "platform_id longer than %d bytes", TAMIS_MAX_FIELD_BYTES);
    mlen = identity_map_key(platform, pid, len, mkey);
    if (tamis_strmap_get(ing->by_identity, mkey, mlen, idx))
        return TAMIS_OK;
    rc = tamis_identity_lookup(txn, platform, pid, len, &uid, err);
    if (rc == TAMIS_OK) {
        *idx = entry_for_uid(ing, uid, false);
    } else if (rc == TAMIS_ENOTFOUND) {
        const char *pname = tamis_platform_name(ing->store, platform);
        alen = (size_t)snprintf(auto_key, sizeof auto_key, "%s:%.*s", pname ? pname : "?", (int)len, pid);
        if (alen > TAMIS_MAX_USER_KEY_BYTES)
            return tamis_error_set(err, TAMIS_ELIMIT, "user key '%s:<id>' would exceed %d bytes",
                                   pname ? pname : "?", TAMIS_MAX_USER_KEY_BYTES);
        if ((rc = ingest_entry_for_key(ing, txn, auto_key, alen, idx, &created, err)) != 0)
            return rc;
        rc = contact_add_identity(ing, txn, ing->entries[*idx].uid, platform, pid, len, created, err);
        if (rc)
            return rc;
    } else {
        return rc;
    }
    tamis_strmap_put(ing->by_identity, mkey, mlen, *idx);
    return TAMIS_OK;
}

int ingest_learn_identity(tamis_ingest *ing, tamis_txn *txn, uint32_t idx, uint8_t platform, const char *pid,
                          size_t len, tamis_error *err)
{
    char mkey[TAMIS_MAX_FIELD_BYTES + 1];
    size_t mlen;
    uint32_t known, uid;
    int rc;

    if (len > TAMIS_MAX_FIELD_BYTES)
        return tamis_error_set(err, TAMIS_ELIMIT, "platform_id longer than %d bytes", TAMIS_MAX_FIELD_BYTES);
    mlen = identity_map_key(platform, pid, len, mkey);
    if (tamis_strmap_get(ing->by_identity, mkey, mlen, &known))
        return TAMIS_OK;
    rc = tamis_identity_lookup(txn, platform, pid, len, &uid, err);
    if (rc == TAMIS_OK) {
        known = entry_for_uid(ing, uid, false);
    } else if (rc == TAMIS_ENOTFOUND) {
        if ((rc = contact_add_identity(ing, txn, ing->entries[idx].uid, platform, pid, len, false, err)) != 0)
            return rc;
        known = idx;
    } else {
        return rc;
    }
    tamis_strmap_put(ing->by_identity, mkey, mlen, known);
    return TAMIS_OK;
}

int ingest_entry_load(tamis_ingest *ing, tamis_txn *txn, ingest_entry *e, tamis_error *err)
{
    (void)ing;
    if (e->loaded)
        return TAMIS_OK;
    if (!e->is_new) {
        int rc = tamis_activity_get(txn, e->uid, &e->st, err);
        if (rc)
            return rc;
    }
    e->loaded = true;
    return TAMIS_OK;
}

int ingest_platform(tamis_ingest *ing, tamis_txn *txn, const char *name, size_t len, uint8_t *id,
                    tamis_error *err)
{
    uint32_t v;
    int rc;
    if (tamis_strmap_get(ing->platforms, name, len, &v)) {
        *id = (uint8_t)v;
        return TAMIS_OK;
    }
    if ((rc = tamis_platform_intern(txn, name, len, id, err)) != 0)
        return rc;
    tamis_strmap_put(ing->platforms, name, len, *id);
    return TAMIS_OK;
}

static int cmp_entry_uid(const void *a, const void *b, void *ctx)
{
    const ingest_entry *entries = ctx;
    uint32_t x = entries[*(const uint32_t *)a].uid, y = entries[*(const uint32_t *)b].uid;
    return x < y ? -1 : (x > y);
}

/* qsort_r is a GNU/BSD extension with differing signatures; a small merge sort over
 * uids keeps this portable. Sorting makes the puts sequential in the B-tree. */
static void sort_dirty(tamis_ingest *ing)
{
    size_t n = ing->n_dirty;
    uint32_t *a = ing->dirty, *tmp;
    if (n < 2)
        return;
    tmp = tamis_malloc(n * sizeof *tmp);
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = cmp_entry_uid(&a[j], &a[i], ing->entries) < 0 ? a[j++] : a[i++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        memcpy(a, tmp, n * sizeof *a);
    }
    tamis_free(tmp);
}

int ingest_flush_states(tamis_ingest *ing, tamis_txn *txn, tamis_error *err)
{
    uint32_t retention = tamis_store_retention_days(ing->store);
    sort_dirty(ing);
    for (size_t i = 0; i < ing->n_dirty; i++) {
        ingest_entry *e = &ing->entries[ing->dirty[i]];
        size_t len;
        int rc;
        tamis_user_state_encode(&e->st, retention, &ing->encode_buf.buf, &ing->encode_buf.cap, &len);
        rc = tamis_activity_put(txn, e->uid, ing->encode_buf.buf, len, e->is_new, err);
        if (rc)
            return rc;
        e->dirty = false;
        e->is_new = false;
    }
    ing->n_dirty = 0;
    return TAMIS_OK;
}

void ingest_trim_cache(tamis_ingest *ing)
{
    if (ing->n_entries <= TAMIS_INGEST_CACHE_USERS)
        return;
    for (size_t i = 0; i < ing->n_entries; i++) {
        tamis_user_state_free(&ing->entries[i].st);
        ing->entries[i].loaded = false;
    }
}

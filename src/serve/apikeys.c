/* apikeys.c — creating, listing, revoking and checking API keys (see
 * include/tamis/apikeys.h).
 *
 * Record (value of the `apikeys` database, key = id): u8 version, u8 scope, u8 revoked,
 * svarint created_ms, str label, 32 bytes SHA-256(secret bytes). */
#include "tamis/apikeys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tamis/alloc.h"
#include "util/bytes.h"

#define RECORD_VERSION 1
#define SECRET_BYTES 32
#define PREFIX "tms_"
#define KEY_LEN (4 + 8 + 1 + 2 * SECRET_BYTES)

static const char *const scope_names[] = {"none", "read", "write", "admin"};

const char *tamis_scope_name(tamis_scope s)
{
    return s <= TAMIS_SCOPE_ADMIN ? scope_names[s] : "?";
}

tamis_scope tamis_scope_from_name(const char *s)
{
    for (int i = TAMIS_SCOPE_READ; i <= TAMIS_SCOPE_ADMIN; i++)
        if (strcmp(s, scope_names[i]) == 0)
            return (tamis_scope)i;
    return TAMIS_SCOPE_NONE;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static int unhex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32;
}

static void encode(const tamis_apikey_info *info, const uint8_t hash[32], tamis_wbuf *w)
{
    tamis_put_u8(w, RECORD_VERSION);
    tamis_put_u8(w, (uint8_t)info->scope);
    tamis_put_u8(w, info->revoked);
    tamis_put_svarint(w, info->created_ms);
    tamis_put_str(w, info->label, strlen(info->label));
    tamis_put_bytes(w, hash, 32);
}

static bool decode(const char *id, size_t id_len, const void *data, size_t len, tamis_apikey_info *info,
                   uint8_t hash[32])
{
    tamis_rbuf r = tamis_rbuf_make(data, len);
    const char *label;
    size_t label_len;
    memset(info, 0, sizeof *info);
    if (id_len != 8 || tamis_get_u8(&r) != RECORD_VERSION)
        return false;
    memcpy(info->id, id, 8);
    info->scope = (tamis_scope)tamis_get_u8(&r);
    info->revoked = tamis_get_u8(&r) != 0;
    info->created_ms = tamis_get_svarint(&r);
    label = tamis_get_str(&r, &label_len, TAMIS_APIKEY_LABEL_MAX - 1);
    memcpy(info->label, label, label_len);
    if (!r.ok || r.end - r.p != 32 || info->scope < TAMIS_SCOPE_READ || info->scope > TAMIS_SCOPE_ADMIN)
        return false;
    memcpy(hash, r.p, 32);
    return true;
}

int tamis_apikey_create(tamis_store *store, tamis_scope scope, const char *label, char key_out[TAMIS_APIKEY_MAX],
                        tamis_apikey_info *info, tamis_error *err)
{
    uint8_t id_bytes[4], secret[SECRET_BYTES], hash[32];
    char secret_hex[2 * SECRET_BYTES + 1];
    tamis_wbuf w = {0};
    struct timespec now;
    tamis_txn *t;
    const void *old;
    size_t old_len;
    int rc;

    if (scope < TAMIS_SCOPE_READ || scope > TAMIS_SCOPE_ADMIN)
        return tamis_error_set(err, TAMIS_EUSAGE, "scope must be read, write or admin");
    if (label && strlen(label) >= TAMIS_APIKEY_LABEL_MAX)
        return tamis_error_set(err, TAMIS_EUSAGE, "label longer than %d bytes", TAMIS_APIKEY_LABEL_MAX - 1);
    memset(info, 0, sizeof *info);
    if ((rc = tamis_txn_begin(store, true, &t, err)) != 0)
        return rc;
    do { /* a fresh id */
        if (RAND_bytes(id_bytes, sizeof id_bytes) != 1) {
            tamis_txn_abort(t);
            return tamis_error_set(err, TAMIS_EINTERNAL, "no random bytes from OpenSSL");
        }
        hex(id_bytes, sizeof id_bytes, info->id);
    } while ((rc = tamis_apikey_record_get(t, info->id, &old, &old_len, err)) == TAMIS_OK);
    if (rc != TAMIS_ENOTFOUND || RAND_bytes(secret, sizeof secret) != 1 || !sha256(secret, sizeof secret, hash)) {
        tamis_txn_abort(t);
        return rc != TAMIS_ENOTFOUND ? rc : tamis_error_set(err, TAMIS_EINTERNAL, "OpenSSL failed");
    }
    clock_gettime(CLOCK_REALTIME, &now);
    info->scope = scope;
    info->created_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    snprintf(info->label, sizeof info->label, "%s", label ? label : "");
    encode(info, hash, &w);
    rc = tamis_apikey_record_put(t, info->id, w.buf, w.len, err);
    tamis_free(w.buf);
    if (rc) {
        tamis_txn_abort(t);
        return rc;
    }
    if ((rc = tamis_txn_commit(t, err)) != 0)
        return rc;
    hex(secret, sizeof secret, secret_hex);
    snprintf(key_out, TAMIS_APIKEY_MAX, PREFIX "%s_%s", info->id, secret_hex);
    OPENSSL_cleanse(secret, sizeof secret);
    OPENSSL_cleanse(secret_hex, sizeof secret_hex);
    return TAMIS_OK;
}

int tamis_apikey_revoke(tamis_store *store, const char *id, tamis_error *err)
{
    tamis_apikey_info info;
    uint8_t hash[32];
    tamis_wbuf w = {0};
    const void *data;
    size_t len;
    tamis_txn *t;
    int rc;

    if ((rc = tamis_txn_begin(store, true, &t, err)) != 0)
        return rc;
    if ((rc = tamis_apikey_record_get(t, id, &data, &len, err)) != 0) {
        tamis_txn_abort(t);
        return rc;
    }
    if (!decode(id, strlen(id), data, len, &info, hash)) {
        tamis_txn_abort(t);
        return tamis_error_set(err, TAMIS_ECORRUPT, "API key %s: corrupt record", id);
    }
    info.revoked = true;
    encode(&info, hash, &w);
    rc = tamis_apikey_record_put(t, id, w.buf, w.len, err);
    tamis_free(w.buf);
    if (rc) {
        tamis_txn_abort(t);
        return rc;
    }
    return tamis_txn_commit(t, err);
}

typedef struct list_ctx {
    tamis_apikey_info *keys;
    size_t n, cap;
} list_ctx;

static int list_one(void *vctx, const char *id, size_t id_len, const void *data, size_t len)
{
    list_ctx *x = vctx;
    uint8_t hash[32];
    x->keys = tamis_grow(x->keys, sizeof *x->keys, &x->cap, x->n + 1);
    if (!decode(id, id_len, data, len, &x->keys[x->n], hash))
        return TAMIS_ECORRUPT;
    x->n++;
    return 0;
}

int tamis_apikey_list(tamis_store *store, tamis_apikey_info **keys, size_t *n, tamis_error *err)
{
    list_ctx x = {0};
    tamis_txn *t;
    int rc = tamis_txn_begin(store, false, &t, err);
    if (rc)
        return rc;
    rc = tamis_apikey_records_foreach(t, list_one, &x, err);
    tamis_txn_abort(t);
    if (rc == TAMIS_ECORRUPT)
        tamis_error_set(err, TAMIS_ECORRUPT, "an API key record is corrupt");
    if (rc) {
        tamis_free(x.keys);
        return rc;
    }
    *keys = x.keys;
    *n = x.n;
    return TAMIS_OK;
}

tamis_scope tamis_apikey_check(tamis_txn *t, const char *key, size_t len, tamis_apikey_info *info)
{
    static const uint8_t dummy[32] = {0};
    uint8_t secret[SECRET_BYTES], presented[32], stored[32];
    char id[9];
    const void *data;
    size_t data_len;
    tamis_error err;
    bool ok = len == KEY_LEN && memcmp(key, PREFIX, 4) == 0 && key[12] == '_';
    tamis_apikey_info local;

    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    for (size_t i = 0; i < SECRET_BYTES; i++) { /* a malformed secret still costs a hash */
        int hi = ok ? unhex_digit(key[13 + 2 * i]) : 0, lo = ok ? unhex_digit(key[14 + 2 * i]) : 0;
        ok = ok && hi >= 0 && lo >= 0;
        secret[i] = (uint8_t)(ok ? hi << 4 | lo : 0);
    }
    memcpy(id, ok ? key + 4 : "00000000", 8);
    id[8] = '\0';
    if (!sha256(secret, sizeof secret, presented))
        ok = false;
    OPENSSL_cleanse(secret, sizeof secret);
    if (!ok || tamis_apikey_record_get(t, id, &data, &data_len, &err) != 0 ||
        !decode(id, 8, data, data_len, info, stored)) {
        (void)CRYPTO_memcmp(presented, dummy, 32); /* the same work as a real check */
        memset(info, 0, sizeof *info);
        return TAMIS_SCOPE_NONE;
    }
    if (CRYPTO_memcmp(presented, stored, 32) != 0 || info->revoked)
        return TAMIS_SCOPE_NONE;
    return info->scope;
}

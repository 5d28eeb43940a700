/* apikeys.h — API keys for `tamis serve` (src/serve/apikeys.c).
 *
 * A key reads "tms_<id>_<secret>": id is 8 hex digits (public, names the key in lists
 * and logs), secret 64 hex digits from the system's CSPRNG (OpenSSL RAND_bytes). Only
 * SHA-256 of the secret is stored, with the scope, a label, the creation time and a
 * revoked flag; the key itself is shown once, at creation. Checking a presented key
 * hashes its secret and compares in constant time (CRYPTO_memcmp), and takes the same
 * work whether or not the id exists. Scopes nest: admin includes write includes read. */
#ifndef TAMIS_APIKEYS_H
#define TAMIS_APIKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/store.h"

#define TAMIS_APIKEY_MAX 96      /* a key's length with its NUL, with room to spare */
#define TAMIS_APIKEY_LABEL_MAX 64

typedef enum tamis_scope { TAMIS_SCOPE_NONE = 0, TAMIS_SCOPE_READ, TAMIS_SCOPE_WRITE, TAMIS_SCOPE_ADMIN } tamis_scope;

typedef struct tamis_apikey_info {
    char id[9];
    tamis_scope scope;
    int64_t created_ms;
    bool revoked;
    char label[TAMIS_APIKEY_LABEL_MAX];
} tamis_apikey_info;

const char *tamis_scope_name(tamis_scope s);      /* "read", "write", "admin" */
tamis_scope tamis_scope_from_name(const char *s); /* TAMIS_SCOPE_NONE if unknown */

/* Creates a key in a write transaction of its own; key_out gets the full key (show it
 * once: it cannot be recovered). label may be NULL. */
int tamis_apikey_create(tamis_store *store, tamis_scope scope, const char *label, char key_out[TAMIS_APIKEY_MAX],
                        tamis_apikey_info *info, tamis_error *err) TAMIS_WUR;
/* Marks a key revoked; TAMIS_ENOTFOUND for an unknown id. */
int tamis_apikey_revoke(tamis_store *store, const char *id, tamis_error *err) TAMIS_WUR;
/* Every key (revoked ones too), by id, in a new array (caller frees with tamis_free). */
int tamis_apikey_list(tamis_store *store, tamis_apikey_info **keys, size_t *n, tamis_error *err) TAMIS_WUR;
/* The scope a presented key grants (len bytes, not NUL-terminated), in t:
 * TAMIS_SCOPE_NONE for a malformed, unknown, wrong or revoked key. */
tamis_scope tamis_apikey_check(tamis_txn *t, const char *key, size_t len, tamis_apikey_info *info);

#endif

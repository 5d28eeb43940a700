/* pg_known.c — the rows tamis_users holds when an export begins (see pg_int.h): every
 * user key, and the row's fingerprint (row_hash) when the row can be trusted to be as
 * a tamis export wrote it. The users' COPY (pg_rows.c) skips a user whose trusted
 * fingerprint equals the new one and marks every key it meets; the keys it never met
 * are the users to delete.
 *
 * Trust. A row version's xmin is the transaction that wrote it. Every export records
 * its transaction id in tamis_exports (xid) in the same transaction, so the record
 * exists only if the export committed, and the record's own xmin is that id. A row
 * whose xmin is such an export's was written by that export, values and row_hash
 * together; anything else — a row inserted, updated or restored by anyone else, even
 * to the same values — has another xmin, is untrusted, and is sent and compared value
 * by value. xmin is 32 bits: only exports of the last 2^31 transactions are trusted,
 * within which a 32-bit id is unambiguous, and every export leaves each row either
 * trusted or rewritten by itself, so no older row version can carry a colliding id.
 * (A dump restored in one transaction whose id happens to equal a recorded export's
 * would pass: docs/EXPORT_POSTGRES.md says to clear tamis_exports.xid after a
 * restore.) */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segment/pg_int.h"
#include "tamis/alloc.h"

/* A row's row_hash when its xmin is the transaction of a committed export that is
 * recent, earlier than this one, and whose own record it wrote (so a record restored
 * from a dump, which some other transaction wrote, vouches for nothing). */
#define KNOWN_SQL                                                                                                      \
    "COPY (SELECT u.user_key, CASE WHEN x.xid32 IS NOT NULL THEN u." PG_ROW_HASH " END FROM " PG_USERS " u"            \
    " LEFT JOIN (SELECT DISTINCT e.xid % 4294967296 AS xid32 FROM " PG_EXPORTS " e, pg_current_xact_id() AS now(x)"    \
    " WHERE e.xid > now.x::text::bigint - 2147483648 AND e.xid < now.x::text::bigint"                                  \
    " AND e.xmin::text::bigint = e.xid % 4294967296) x ON x.xid32 = u.xmin::text::bigint) TO STDOUT " PG_COPY_BINARY

static int known_row(void *ctx, int n, const char *const *data, const int32_t *len, tamis_error *err)
{
    static const char step[] = "reading the rows of " PG_USERS;
    pg_known *k = ctx;
    size_t need;

    if (n != 2 || !data[0] || (data[1] && len[1] != 8))
        return tamis_error_set(err, TAMIS_EDB, "%s: an unexpected row (%d fields)", step, n);
    if (len[0] > PG_KEY_MAX)
        return tamis_error_set(err, TAMIS_ELIMIT, "%s: a user_key of %d bytes (at most %d)", step, len[0], PG_KEY_MAX);
    if (k->n >= PG_KNOWN_MAX)
        return tamis_error_set(err, TAMIS_ELIMIT, "%s: more than %u rows", step, PG_KNOWN_MAX);
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 4096;
        k->key_at = tamis_realloc(k->key_at, k->cap * sizeof *k->key_at);
        k->hash = tamis_realloc(k->hash, k->cap * sizeof *k->hash);
        k->trusted = tamis_realloc(k->trusted, k->cap * sizeof *k->trusted);
    }
    need = k->keys_len + (size_t)len[0] + 1;
    if (need > k->keys_cap)
        k->keys = tamis_grow(k->keys, 1, &k->keys_cap, need);
    memcpy(k->keys + k->keys_len, data[0], (size_t)len[0]);
    k->keys[k->keys_len + (size_t)len[0]] = '\0';
    k->key_at[k->n] = k->keys_len;
    k->hash[k->n] = 0;
    k->trusted[k->n] = data[1] != NULL;
    for (int i = 0; data[1] && i < 8; i++)
        k->hash[k->n] = k->hash[k->n] << 8 | (unsigned char)data[1][i];
    tamis_strmap_put(k->index, data[0], (size_t)len[0], (uint32_t)k->n);
    k->keys_len = need;
    k->n++;
    return 0;
}

int pg_known_read(PGconn *conn, pg_known *k, tamis_error *err)
{
    int rc;

    memset(k, 0, sizeof *k);
    k->index = tamis_strmap_new();
    rc = pg_copy_out(conn, KNOWN_SQL, "reading the rows of " PG_USERS, 2, known_row, k, err);
    k->seen = tamis_calloc(k->n ? k->n : 1, sizeof *k->seen);
    for (size_t i = 0; i < k->n; i++)
        atomic_init(&k->seen[i], false);
    return rc;
}

void pg_known_free(pg_known *k)
{
    if (k->index)
        tamis_strmap_free(k->index);
    tamis_free(k->keys);
    tamis_free(k->key_at);
    tamis_free(k->hash);
    tamis_free(k->trusted);
    tamis_free(k->seen);
    memset(k, 0, sizeof *k);
}

int64_t pg_known_find(const pg_known *k, const char *key)
{
    uint32_t i;
    return tamis_strmap_get(k->index, key, strlen(key), &i) ? (int64_t)i : -1;
}

int pg_known_delete_unseen(PGconn *conn, const pg_known *k, uint64_t *deleted, tamis_error *err)
{
    static const char step[] = "copying the users to delete";
    static const unsigned char one_field[2] = {0, 1};
    PGresult *res;
    pg_copy_in cs;
    size_t unseen = 0;
    int rc;

    *deleted = 0;
    for (size_t i = 0; i < k->n; i++)
        unseen += !atomic_load_explicit(&k->seen[i], memory_order_relaxed);
    if (unseen == 0)
        return 0;
    rc = pg_exec(conn, "CREATE TEMP TABLE " PG_GONE_STAGE " (user_key text NOT NULL) ON COMMIT DROP",
                 "creating the table of users to delete", NULL, err);
    if (rc == 0)
        rc = pg_copy_in_begin(conn, "COPY " PG_GONE_STAGE " (user_key) FROM STDIN " PG_COPY_BINARY, true, step, &cs,
                              err);
    if (rc)
        return rc;
    for (size_t i = 0; i < k->n && rc == 0; i++) {
        const char *key = k->keys + k->key_at[i];
        uint32_t len = (uint32_t)strlen(key), be = htonl(len);
        if (atomic_load_explicit(&k->seen[i], memory_order_relaxed))
            continue;
        if (fwrite(one_field, 1, 2, cs.f) != 2 || fwrite(&be, 1, 4, cs.f) != 4 || fwrite(key, 1, len, cs.f) != len)
            rc = pg_copy_in_write_error(&cs, step, err);
    }
    if ((rc = pg_copy_in_end(&cs, true, step, rc, err)) != 0)
        return rc;
    rc = pg_exec(conn, "DELETE FROM " PG_USERS " t USING " PG_GONE_STAGE " g WHERE t.user_key = g.user_key",
                 "deleting users no longer exported", &res, err);
    if (rc == 0) {
        *deleted = strtoull(PQcmdTuples(res), NULL, 10);
        PQclear(res);
    }
    return rc;
}

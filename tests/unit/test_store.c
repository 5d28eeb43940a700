/* test_store.c — unit tests of the LMDB store: locking, users, platforms, identities,
 * the phone index, the ledger, contact records, and the live-records rewrite. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tamis/alloc.h"
#include "tamis/contact_record.h"
#include "tamis/snapshot_store.h"
#include "tamis/store.h"

#include <lmdb.h>

static char *temp_dir(void)
{
    char *d = tamis_strdup("/tmp/tamis_store_XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void remove_dir(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
}

static void test_lock_and_readonly(void **unused)
{
    char *d = temp_dir();
    tamis_store *s, *s2;
    tamis_store_options ro = {.read_only = true};
    tamis_error err;
    char missing[600];
    (void)unused;

    snprintf(missing, sizeof missing, "%s/none", d);
    assert_int_equal(tamis_store_open(missing, &ro, &s2, &err), TAMIS_ENOTFOUND);
    assert_int_equal(tamis_store_open(d, NULL, &s, &err), TAMIS_OK);
    assert_int_equal(tamis_store_open(d, NULL, &s2, &err), TAMIS_EBUSY);
    assert_int_equal(tamis_store_open(d, &ro, &s2, &err), TAMIS_EBUSY);
    tamis_store_close(s);
    assert_int_equal(tamis_store_open(d, &ro, &s, &err), TAMIS_OK);
    assert_int_equal(tamis_store_open(d, &ro, &s2, &err), TAMIS_OK); /* readers share */
    tamis_store_close(s2);
    tamis_store_close(s);
    remove_dir(d);
    tamis_free(d);
}

static void test_users_identities_phones(void **unused)
{
    char *d = temp_dir();
    tamis_store *s;
    tamis_txn *t;
    tamis_error err;
    uint32_t a, b, got, other;
    uint8_t tg, tg2, wa;
    (void)unused;

    assert_int_equal(tamis_store_open(d, NULL, &s, &err), TAMIS_OK);
    assert_int_equal(tamis_txn_begin(s, true, &t, &err), TAMIS_OK);
    assert_int_equal(tamis_user_lookup(t, "alice", 5, &got, &err), TAMIS_ENOTFOUND);
    assert_int_equal(tamis_user_create(t, "alice", 5, &a, &err), TAMIS_OK);
    assert_int_equal(tamis_user_create(t, "bob", 3, &b, &err), TAMIS_OK);
    assert_int_not_equal(a, b);
    assert_int_equal(tamis_user_lookup(t, "alice", 5, &got, &err), TAMIS_OK);
    assert_int_equal(got, a);

    assert_int_equal(tamis_platform_intern(t, "telegram", 8, &tg, &err), TAMIS_OK);
    assert_int_equal(tamis_platform_intern(t, "whatsapp", 8, &wa, &err), TAMIS_OK);
    assert_int_equal(tamis_platform_intern(t, "telegram", 8, &tg2, &err), TAMIS_OK);
    assert_int_equal(tg, tg2);
    assert_int_not_equal(tg, wa);
    assert_string_equal(tamis_platform_name(s, wa), "whatsapp");

    assert_int_equal(tamis_identity_put(t, tg, "42", 2, a, &err), TAMIS_OK);
    assert_int_equal(tamis_identity_lookup(t, tg, "42", 2, &got, &err), TAMIS_OK);
    assert_int_equal(got, a);
    assert_int_equal(tamis_identity_lookup(t, wa, "42", 2, &got, &err), TAMIS_ENOTFOUND);

    assert_int_equal(tamis_phone_index_add(t, "+84912345678", a, &other, &err), TAMIS_OK);
    assert_int_equal(other, UINT32_MAX);
    assert_int_equal(tamis_phone_index_add(t, "+84912345678", b, &other, &err), TAMIS_OK);
    assert_int_equal(other, a);
    assert_int_equal(tamis_phone_index_remove(t, "+84912345678", a, &err), TAMIS_OK);
    assert_int_equal(tamis_phone_index_add(t, "+84912345678", b, &other, &err), TAMIS_OK);
    assert_int_equal(other, UINT32_MAX);

    assert_int_equal(tamis_meta_add_u64(t, "events_applied", 5, &err), TAMIS_OK);
    assert_int_equal(tamis_meta_add_u64(t, "events_applied", 2, &err), TAMIS_OK);
    assert_int_equal(tamis_meta_get_u64(t, "events_applied"), 7);
    assert_int_equal(tamis_txn_commit(t, &err), TAMIS_OK);

    /* an aborted transaction forgets platforms it interned */
    assert_int_equal(tamis_txn_begin(s, true, &t, &err), TAMIS_OK);
    assert_int_equal(tamis_platform_intern(t, "line", 4, &tg2, &err), TAMIS_OK);
    tamis_txn_abort(t);
    assert_null(tamis_platform_name(s, tg2));

    /* delete removes key, record and activity */
    assert_int_equal(tamis_txn_begin(s, true, &t, &err), TAMIS_OK);
    assert_int_equal(tamis_user_delete(t, a, &err), TAMIS_OK);
    assert_int_equal(tamis_user_lookup(t, "alice", 5, &got, &err), TAMIS_ENOTFOUND);
    assert_int_equal(tamis_user_delete(t, a, &err), TAMIS_ENOTFOUND);
    assert_int_equal(tamis_txn_commit(t, &err), TAMIS_OK);
    tamis_store_close(s);
    remove_dir(d);
    tamis_free(d);
}

static void test_ledger_and_rewrite(void **unused)
{
    char *d = temp_dir();
    tamis_store *s;
    tamis_txn *t;
    tamis_error err;
    tamis_ledger_entry e = {0}, back;
    uint8_t h[16] = {1, 2, 3};
    tamis_store_counts c;
    uint32_t uid;
    (void)unused;

    assert_int_equal(tamis_store_open(d, NULL, &s, &err), TAMIS_OK);
    assert_int_equal(tamis_txn_begin(s, true, &t, &err), TAMIS_OK);
    assert_int_equal(tamis_ledger_get(t, h, &back, &err), TAMIS_ENOTFOUND);
    e.committed_offset = 1234;
    e.committed_line = 56;
    e.complete = 1;
    assert_int_equal(tamis_ledger_put(t, h, &e, &err), TAMIS_OK);
    for (int i = 0; i < 500; i++) {
        char key[32];
        int n = snprintf(key, sizeof key, "user-%d", i);
        assert_int_equal(tamis_user_create(t, key, (size_t)n, &uid, &err), TAMIS_OK);
    }
    assert_int_equal(tamis_txn_commit(t, &err), TAMIS_OK);

    assert_int_equal(tamis_store_rewrite(s, &err), TAMIS_OK);
    assert_int_equal(tamis_txn_begin(s, false, &t, &err), TAMIS_OK);
    assert_int_equal(tamis_ledger_get(t, h, &back, &err), TAMIS_OK);
    assert_int_equal(back.committed_offset, 1234);
    assert_int_equal(back.committed_line, 56);
    assert_int_equal(tamis_store_counts_get(t, &c, &err), TAMIS_OK);
    assert_int_equal(c.users, 500);
    assert_int_equal(c.ledger_files, 1);
    assert_int_equal(tamis_user_lookup(t, "user-499", 8, &uid, &err), TAMIS_OK);
    tamis_txn_abort(t);
    tamis_store_close(s);
    remove_dir(d);
    tamis_free(d);
}

static void test_contact_record_roundtrip(void **unused)
{
    tamis_contact c, back;
    tamis_error err;
    uint8_t *buf = NULL;
    size_t cap = 0, len;
    (void)unused;

    tamis_contact_init(&c);
    tamis_contact_set_str(&c.key, "k1", 2);
    tamis_contact_set_str(&c.phone_e164, "+4420", 5);
    c.phone_valid = true;
    c.phone_type = 2;
    memcpy(c.country, "GB", 3);
    tamis_contact_add_tag(&c, "vip", 3);
    tamis_contact_add_tag(&c, "a", 1);
    tamis_contact_add_tag(&c, "vip", 3);
    tamis_contact_set_attr(&c, "city", 4, "London", 6);
    tamis_contact_set_attr(&c, "city", 4, "Leeds", 5);
    assert_true(tamis_contact_add_identity(&c, 3, "x", 1, false));
    assert_false(tamis_contact_add_identity(&c, 3, "x", 1, true)); /* imported stays imported */
    assert_true(tamis_contact_add_identity(&c, 4, "y", 1, true));
    assert_true(c.ids[1].learned);
    assert_true(tamis_contact_add_identity(&c, 5, "z", 1, true));
    assert_false(tamis_contact_add_identity(&c, 5, "z", 1, false)); /* a contacts file makes it imported */
    assert_false(c.ids[2].learned);
    assert_int_equal(c.n_tags, 2);
    assert_string_equal(c.tags[0], "a");
    assert_string_equal(c.attrs[0].value, "Leeds");
    tamis_contact_encode(&c, &buf, &cap, &len);
    assert_int_equal(tamis_contact_decode(&back, buf, len, &err), TAMIS_OK);
    assert_string_equal(back.key, "k1");
    assert_string_equal(back.phone_e164, "+4420");
    assert_true(back.phone_valid);
    assert_string_equal(back.country, "GB");
    assert_int_equal(back.n_ids, 3);
    assert_false(back.ids[0].learned);
    assert_true(back.ids[1].learned);
    assert_false(back.ids[2].learned);
    assert_null(back.tz);
    for (size_t cut = 0; cut < len; cut++) {
        tamis_contact bad;
        assert_int_equal(tamis_contact_decode(&bad, buf, cut, &err), TAMIS_ECORRUPT);
    }
    tamis_contact_free(&c);
    tamis_contact_free(&back);
    tamis_free(buf);
}

/* A store written before the scores, marks and snapshots databases existed, opened
 * read-only: those read as empty instead of "no tamis store". */
static void test_readonly_older_store(void **unused)
{
    char *d = temp_dir(), env_dir[512];
    tamis_store *s;
    tamis_txn *t;
    tamis_error err;
    tamis_store_options ro = {.read_only = true};
    tamis_store_counts counts;
    MDB_env *env;
    MDB_txn *txn;
    uint32_t *days, uid, *changed;
    size_t n;
    const void *data;
    size_t len;
    (void)unused;

    assert_int_equal(tamis_store_open(d, NULL, &s, &err), TAMIS_OK);
    assert_int_equal(tamis_txn_begin(s, true, &t, &err), TAMIS_OK);
    assert_int_equal(tamis_user_create(t, "old", 3, &uid, &err), TAMIS_OK);
    assert_int_equal(tamis_txn_commit(t, &err), TAMIS_OK);
    tamis_store_close(s);

    /* what an older build left: no scores, marks or snapshots database */
    snprintf(env_dir, sizeof env_dir, "%s/store", d);
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, env_dir, 0, 0644), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    for (const char *const *name = (const char *const[]){"scores", "marks", "snapshots", NULL}; *name; name++) {
        MDB_dbi dbi;
        assert_int_equal(mdb_dbi_open(txn, *name, 0, &dbi), 0);
        assert_int_equal(mdb_drop(txn, dbi, 1), 0);
    }
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    assert_int_equal(tamis_store_open(d, &ro, &s, &err), TAMIS_OK);
    assert_int_equal(tamis_txn_begin(s, false, &t, &err), TAMIS_OK);
    assert_int_equal(tamis_store_counts_get(t, &counts, &err), TAMIS_OK);
    assert_int_equal(counts.users, 1);
    assert_int_equal(counts.scores, 0);
    assert_int_equal(tamis_score_record_get(t, uid, &data, &len, &err), TAMIS_ENOTFOUND);
    assert_int_equal(tamis_snapshot_days(t, &days, &n, &err), TAMIS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(tamis_changed_users_get(t, &changed, &n, &err), TAMIS_OK);
    assert_int_equal(n, 0);
    tamis_txn_abort(t);
    tamis_store_close(s);

    /* a writer creates them */
    assert_int_equal(tamis_store_open(d, NULL, &s, &err), TAMIS_OK);
    tamis_store_close(s);
    remove_dir(d);
    tamis_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_and_readonly),
        cmocka_unit_test(test_users_identities_phones),
        cmocka_unit_test(test_ledger_and_rewrite),
        cmocka_unit_test(test_contact_record_roundtrip),
        cmocka_unit_test(test_readonly_older_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

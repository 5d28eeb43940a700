/* test_apikeys.c — API keys (src/serve/apikeys.c): a created key grants its scope; a
 * changed secret, a malformed key, an unknown id or a revoked key grant nothing; the
 * store keeps no copy of the key. */
#define _GNU_SOURCE /* memmem */
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
#include "tamis/apikeys.h"
#include "tamis/store.h"

static tamis_scope check(tamis_store *s, const char *key)
{
    tamis_txn *t;
    tamis_error err;
    tamis_scope scope;
    assert_int_equal(tamis_txn_begin(s, false, &t, &err), TAMIS_OK);
    scope = tamis_apikey_check(t, key, strlen(key), NULL);
    tamis_txn_abort(t);
    return scope;
}

static void test_create_check_revoke(void **unused)
{
    char dir[] = "/tmp/tamis_apikeys_XXXXXX", key[TAMIS_APIKEY_MAX], bad[TAMIS_APIKEY_MAX], cmd[128];
    char path[256], *file;
    tamis_store *s;
    tamis_error err;
    tamis_apikey_info info, *list;
    size_t n;
    FILE *f;
    long size;
    (void)unused;

    assert_non_null(mkdtemp(dir));
    assert_int_equal(tamis_store_open(dir, NULL, &s, &err), TAMIS_OK);
    assert_int_equal(tamis_apikey_create(s, TAMIS_SCOPE_WRITE, "crm", key, &info, &err), TAMIS_OK);
    assert_int_equal(strlen(key), 4 + 8 + 1 + 64);
    assert_memory_equal(key, "tms_", 4);
    assert_memory_equal(key + 4, info.id, 8);
    assert_int_equal(check(s, key), TAMIS_SCOPE_WRITE);

    strcpy(bad, key);
    bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0'; /* one secret digit */
    assert_int_equal(check(s, bad), TAMIS_SCOPE_NONE);
    bad[strlen(bad) - 1] = 'x'; /* not hex */
    assert_int_equal(check(s, bad), TAMIS_SCOPE_NONE);
    strcpy(bad, key);
    memcpy(bad + 4, info.id[0] == 'a' ? "b" : "a", 1); /* another id */
    assert_int_equal(check(s, bad), TAMIS_SCOPE_NONE);
    assert_int_equal(check(s, ""), TAMIS_SCOPE_NONE);
    assert_int_equal(check(s, "tms_"), TAMIS_SCOPE_NONE);
    strcpy(bad, key);
    bad[strlen(bad) - 1] = '\0'; /* too short */
    assert_int_equal(check(s, bad), TAMIS_SCOPE_NONE);

    assert_int_equal(tamis_apikey_list(s, &list, &n, &err), TAMIS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].label, "crm");
    assert_false(list[0].revoked);
    tamis_free(list);
    assert_int_equal(tamis_apikey_revoke(s, info.id, &err), TAMIS_OK);
    assert_int_equal(tamis_apikey_revoke(s, "00000000", &err), TAMIS_ENOTFOUND);
    assert_int_equal(tamis_apikey_create(s, TAMIS_SCOPE_READ, NULL, key, &info, &err), TAMIS_OK);
    assert_int_equal(check(s, key), TAMIS_SCOPE_READ);
    assert_int_equal(tamis_apikey_create(s, TAMIS_SCOPE_NONE, NULL, bad, &info, &err), TAMIS_EUSAGE);
    tamis_store_close(s);

    /* the store file does not hold the key's secret */
    snprintf(path, sizeof path, "%s/store/data.mdb", dir);
    assert_non_null(f = fopen(path, "rb"));
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    file = tamis_malloc((size_t)size + 1);
    assert_int_equal(fread(file, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    file[size] = '\0';
    assert_null(memmem(file, (size_t)size, key + 13, 64));
    tamis_free(file);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_check_revoke),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_strmap.c — unit tests of the string hash map used by ingest: short (inline)
 * and long keys, replacement, deletion with tombstones, growth and reserve. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "util/strmap.h"

static void test_put_get_replace(void **unused)
{
    tamis_strmap *m = tamis_strmap_new();
    const char *long_key = "a key that is clearly longer than sixteen bytes";
    uint32_t v = 0;
    (void)unused;
    assert_false(tamis_strmap_get(m, "u1", 2, &v));
    tamis_strmap_put(m, "u1", 2, 7);
    tamis_strmap_put(m, long_key, strlen(long_key), 9);
    tamis_strmap_put(m, "", 0, 3);
    assert_true(tamis_strmap_get(m, "u1", 2, &v));
    assert_int_equal(v, 7);
    assert_true(tamis_strmap_get(m, long_key, strlen(long_key), &v));
    assert_int_equal(v, 9);
    assert_true(tamis_strmap_get(m, "", 0, &v));
    assert_int_equal(v, 3);
    assert_false(tamis_strmap_get(m, "u", 1, &v));   /* prefix is not a match */
    assert_false(tamis_strmap_get(m, "u10", 3, &v)); /* nor an extension */
    assert_true(tamis_strmap_get(m, "u1", 2, NULL));
    tamis_strmap_put(m, "u1", 2, 8);
    assert_true(tamis_strmap_get(m, "u1", 2, &v));
    assert_int_equal(v, 8);
    assert_int_equal(tamis_strmap_count(m), 3);
    tamis_strmap_free(m);
}

static void test_many_keys_delete_and_reserve(void **unused)
{
    enum { N = 200000 };
    tamis_strmap *m = tamis_strmap_new();
    char key[64];
    uint32_t v;
    (void)unused;
    tamis_strmap_reserve(m, N / 2); /* then grows past the reservation */
    for (uint32_t i = 0; i < N; i++) {
        int n = snprintf(key, sizeof key, i % 3 ? "user-%u" : "a-much-longer-user-key-number-%u", i);
        tamis_strmap_put(m, key, (size_t)n, i);
    }
    assert_int_equal(tamis_strmap_count(m), N);
    for (uint32_t i = 0; i < N; i += 2) {
        int n = snprintf(key, sizeof key, i % 3 ? "user-%u" : "a-much-longer-user-key-number-%u", i);
        tamis_strmap_del(m, key, (size_t)n);
    }
    assert_int_equal(tamis_strmap_count(m), N / 2);
    for (uint32_t i = 0; i < N; i++) {
        int n = snprintf(key, sizeof key, i % 3 ? "user-%u" : "a-much-longer-user-key-number-%u", i);
        bool found = tamis_strmap_get(m, key, (size_t)n, &v);
        assert_int_equal(found, i % 2 == 1);
        if (found)
            assert_int_equal(v, i);
    }
    /* deleted slots are reused */
    for (uint32_t i = 0; i < N; i += 2) {
        int n = snprintf(key, sizeof key, "again-%u", i);
        tamis_strmap_put(m, key, (size_t)n, i);
    }
    assert_int_equal(tamis_strmap_count(m), N);
    tamis_strmap_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_replace),
        cmocka_unit_test(test_many_keys_delete_and_reserve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_user_state.c — unit tests of the per-user activity state: order independence,
 * duplicates, retention pruning, failures, merge and the encoding. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/kinds.h"
#include "tamis/user_state.h"

#define DAY_MS 86400000LL
#define T0 1761955200000LL /* 2025-11-01T00:00:00Z */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static const char *const groups[] = {"g1", "g2", "g3"};
static const char *const reasons[] = {"invalid_number", "rate_limited", "blocked"};

/* A random but valid event; ids unique per i unless dup. */
static tamis_state_event make_event(uint64_t *rng, int i)
{
    tamis_state_event e;
    memset(&e, 0, sizeof e);
    e.ts_ms = T0 + (int64_t)(rng_next(rng) % (120 * DAY_MS));
    e.platform = (uint8_t)(rng_next(rng) % 3);
    e.kind = (uint8_t)(rng_next(rng) % TAMIS_KIND__COUNT);
    if (e.kind == TAMIS_KIND_PURCHASE) {
        e.has_value = true;
        e.value_micros = (int64_t)(rng_next(rng) % 10000) * 10000;
    }
    if (i % 3 == 0) {
        e.has_id = true;
        e.id_hash = 0x1000 + (uint64_t)i;
    }
    if (e.kind == TAMIS_KIND_GROUP_JOIN || e.kind == TAMIS_KIND_GROUP_LEAVE) {
        e.group = groups[i % 3];
        e.group_len = 2;
    }
    if (e.kind == TAMIS_KIND_FAILED) {
        e.reason = reasons[i % 3];
        e.reason_len = (uint32_t)strlen(e.reason);
    }
    if (i % 5 == 0) {
        e.device = "dev-A";
        e.device_len = 5;
    }
    return e;
}

static void encode_copy(tamis_user_state *st, uint32_t retention, uint8_t **out, size_t *out_len)
{
    uint8_t *buf = NULL;
    size_t cap = 0;
    tamis_user_state_encode(st, retention, &buf, &cap, out_len);
    *out = buf;
}

static void test_order_independent(void **unused)
{
    enum { N = 600 };
    tamis_state_event ev[N];
    uint64_t rng = 42;
    uint8_t *ref = NULL;
    size_t ref_len = 0;
    (void)unused;

    for (int i = 0; i < N; i++)
        ev[i] = make_event(&rng, i);
    for (int round = 0; round < 6; round++) {
        tamis_user_state st;
        uint8_t *enc;
        size_t len;
        tamis_user_state_init(&st);
        /* round 0: as generated; later rounds: shuffled, and committed (encoded) in
         * chunks, as batches would be */
        if (round > 0)
            for (int i = N - 1; i > 0; i--) {
                int j = (int)(rng_next(&rng) % (uint64_t)(i + 1));
                tamis_state_event t = ev[i];
                ev[i] = ev[j];
                ev[j] = t;
            }
        for (int i = 0; i < N; i++) {
            tamis_user_state_apply(&st, &ev[i], 30);
            if (round % 2 == 1 && i % 97 == 0) {
                encode_copy(&st, 30, &enc, &len);
                tamis_free(enc);
            }
        }
        encode_copy(&st, 30, &enc, &len);
        if (round == 0) {
            ref = enc;
            ref_len = len;
        } else {
            assert_int_equal(len, ref_len);
            assert_memory_equal(enc, ref, len);
            tamis_free(enc);
        }
        tamis_user_state_free(&st);
    }
    tamis_free(ref);
}

static void test_duplicates_and_roundtrip(void **unused)
{
    tamis_user_state st, back;
    tamis_state_event e;
    tamis_error err;
    uint8_t *enc = NULL, *enc2 = NULL;
    size_t len, len2;
    (void)unused;

    tamis_user_state_init(&st);
    memset(&e, 0, sizeof e);
    e.ts_ms = T0;
    e.kind = TAMIS_KIND_PURCHASE;
    e.has_value = true;
    e.value_micros = 12500000;
    e.has_id = true;
    e.id_hash = 77;
    assert_int_equal(tamis_user_state_apply(&st, &e, 400), TAMIS_APPLIED);
    assert_int_equal(tamis_user_state_apply(&st, &e, 400), TAMIS_DUPLICATE);
    e.id_hash = 78;
    assert_int_equal(tamis_user_state_apply(&st, &e, 400), TAMIS_APPLIED);
    assert_int_equal(st.n_hours, 1);
    assert_int_equal(st.hours[0].count, 2);
    assert_int_equal(st.hours[0].value_micros, 25000000);
    const tamis_facet *f = tamis_user_state_facet(&st, TAMIS_FACET_KIND, 0, TAMIS_KIND_PURCHASE, "", 0);
    assert_non_null(f);
    assert_int_equal(f->count, 2);

    encode_copy(&st, 400, &enc, &len);
    assert_int_equal(tamis_user_state_decode(&back, enc, len, &err), TAMIS_OK);
    encode_copy(&back, 400, &enc2, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(enc, enc2, len);
    /* every truncation of a valid encoding is rejected, never crashes */
    for (size_t cut = 0; cut < len; cut++) {
        tamis_user_state bad;
        assert_int_equal(tamis_user_state_decode(&bad, enc, cut, &err), TAMIS_ECORRUPT);
    }
    tamis_free(enc);
    tamis_free(enc2);
    tamis_user_state_free(&st);
    tamis_user_state_free(&back);
}

static void test_retention_prunes_old_hours(void **unused)
{
    tamis_user_state st;
    tamis_state_event e;
    uint8_t *enc;
    size_t len;
    (void)unused;

    tamis_user_state_init(&st);
    memset(&e, 0, sizeof e);
    e.kind = TAMIS_KIND_ONLINE;
    e.ts_ms = T0;
    e.has_id = true;
    e.id_hash = 1;
    tamis_user_state_apply(&st, &e, 10);
    e.ts_ms = T0 + 20 * DAY_MS;
    e.id_hash = 2;
    tamis_user_state_apply(&st, &e, 10);
    encode_copy(&st, 10, &enc, &len);
    tamis_free(enc);
    assert_int_equal(st.n_hours, 1);             /* the old hour is gone */
    assert_int_equal(st.n_ids, 1);               /* and its id */
    assert_int_equal(st.n_recent, 1);
    /* lifetime facts stay */
    assert_int_equal(st.first_ms, T0);
    assert_int_equal(tamis_user_state_facet(&st, TAMIS_FACET_KIND, 0, TAMIS_KIND_ONLINE, "", 0)->count, 2);
    tamis_user_state_free(&st);
}

static void test_consecutive_failures(void **unused)
{
    tamis_user_state st;
    tamis_state_event e;
    const char *reason;
    (void)unused;

    tamis_user_state_init(&st);
    memset(&e, 0, sizeof e);
    e.platform = 1;
    e.kind = TAMIS_KIND_FAILED;
    e.reason = "invalid_number";
    e.reason_len = 14;
    for (int i = 0; i < 3; i++) {
        e.ts_ms = T0 + i * 1000;
        tamis_user_state_apply(&st, &e, 400);
    }
    assert_int_equal(tamis_user_state_consecutive_failures(&st, 1, &reason), 3);
    assert_string_equal(reason, "invalid_number");
    e.kind = TAMIS_KIND_DELIVERED;
    e.reason_len = 0;
    e.ts_ms = T0 + 1500;
    tamis_user_state_apply(&st, &e, 400);
    assert_int_equal(tamis_user_state_consecutive_failures(&st, 1, &reason), 1);
    assert_int_equal(tamis_user_state_consecutive_failures(&st, 2, &reason), 0);
    assert_null(reason);
    /* only the newest TAMIS_FAILURES_PER_PLATFORM are kept */
    e.kind = TAMIS_KIND_FAILED;
    e.reason = "x";
    e.reason_len = 1;
    for (int i = 0; i < 40; i++) {
        e.ts_ms = T0 + 10000 + i;
        tamis_user_state_apply(&st, &e, 400);
    }
    assert_int_equal(st.n_failures, TAMIS_FAILURES_PER_PLATFORM);
    assert_int_equal(st.failures[0].ts_ms, T0 + 10000 + 39);
    tamis_user_state_free(&st);
}

static void test_merge_equals_single_stream(void **unused)
{
    enum { N = 200 };
    tamis_user_state a, b, all;
    uint64_t rng = 7;
    uint8_t *e1, *e2;
    size_t l1, l2;
    (void)unused;

    tamis_user_state_init(&a);
    tamis_user_state_init(&b);
    tamis_user_state_init(&all);
    for (int i = 0; i < N; i++) {
        tamis_state_event e = make_event(&rng, i);
        tamis_user_state_apply(i % 2 ? &a : &b, &e, 400);
        tamis_user_state_apply(&all, &e, 400);
    }
    tamis_user_state_merge(&a, &b, 400);
    encode_copy(&a, 400, &e1, &l1);
    encode_copy(&all, 400, &e2, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(e1, e2, l1);
    tamis_free(e1);
    tamis_free(e2);
    tamis_user_state_free(&a);
    tamis_user_state_free(&b);
    tamis_user_state_free(&all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_independent),
        cmocka_unit_test(test_duplicates_and_roundtrip),
        cmocka_unit_test(test_retention_prunes_old_hours),
        cmocka_unit_test(test_consecutive_failures),
        cmocka_unit_test(test_merge_equals_single_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

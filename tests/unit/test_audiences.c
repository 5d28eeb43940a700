/* test_audiences.c — unit tests of the audience tools (docs/AUDIENCES.md): RFM measures
 * from a user state, quintile scores against a brute-force rank with heavy ties, every
 * cell of the segment grid, the label-cross grouping rule on hand-made cells, and
 * frequent tag sets against brute-force subset counting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/cross.h"
#include "tamis/kinds.h"
#include "tamis/rfm.h"
#include "tamis/tag_groups.h"
#include "tamis/user_state.h"

#define HOUR_MS 3600000LL
#define T0 1793491200000LL /* 2026-11-01T00:00:00Z */

static void apply(tamis_user_state *st, int64_t ts_ms, uint8_t kind, int64_t value_micros)
{
    tamis_state_event ev;
    memset(&ev, 0, sizeof ev);
    ev.ts_ms = ts_ms;
    ev.kind = kind;
    ev.has_value = value_micros != 0;
    ev.value_micros = value_micros;
    (void)tamis_user_state_apply(st, &ev, 400);
}

static void test_measure(void **unused)
{
    tamis_user_state st;
    tamis_rfm_raw raw;
    (void)unused;
    tamis_user_state_init(&st);
    assert_false(tamis_rfm_measure(&st, T0, 365, &raw));
    apply(&st, T0 - 10 * 24 * HOUR_MS, TAMIS_KIND_PURCHASE, 5000000);
    apply(&st, T0 - 30 * 24 * HOUR_MS, TAMIS_KIND_PURCHASE, 2500000);
    apply(&st, T0 - 30 * 24 * HOUR_MS + 60000, TAMIS_KIND_PURCHASE, 500000); /* same hour */
    apply(&st, T0 - 2 * HOUR_MS, TAMIS_KIND_MESSAGE_SENT, 0);                /* not a purchase */
    apply(&st, T0, TAMIS_KIND_PURCHASE, 9000000);                            /* at Tc: after */
    apply(&st, T0 - 100 * 24 * HOUR_MS, TAMIS_KIND_PURCHASE, 1000000);       /* before 90 d */
    assert_true(tamis_rfm_measure(&st, T0, 90, &raw));
    assert_int_equal(raw.recency_hours, 10 * 24 - 1);
    assert_int_equal(raw.frequency, 3);
    assert_int_equal(raw.monetary_micros, 8000000);
    assert_true(tamis_rfm_measure(&st, T0, 365, &raw));
    assert_int_equal(raw.frequency, 4);
    assert_int_equal(raw.monetary_micros, 9000000);
    /* T inside an hour: Tc rounds up, so the purchase at T0 counts, 0 hours ago */
    assert_true(tamis_rfm_measure(&st, T0 + 1000, 365, &raw));
    assert_int_equal(raw.recency_hours, 0);
    assert_int_equal(raw.frequency, 5);
    /* a window that holds none of them */
    assert_false(tamis_rfm_measure(&st, T0 - 11 * 24 * HOUR_MS, 5, &raw));
    tamis_user_state_free(&st);
}

/* The definition, by brute force: 1 + floor(5 * strictly-worse / n). */
static unsigned naive_score(const tamis_rfm_table *t, size_t i, int dim)
{
    size_t below = 0;
    for (size_t j = 0; j < t->n; j++) {
        const tamis_rfm_raw *a = &t->rows[j].raw, *b = &t->rows[i].raw;
        below += dim == 0   ? a->recency_hours > b->recency_hours
                 : dim == 1 ? a->frequency < b->frequency
                            : a->monetary_micros < b->monetary_micros;
    }
    return (unsigned)(1 + 5 * below / t->n);
}

static void fill(tamis_rfm_table *t, size_t n, uint64_t seed, uint32_t spread)
{
    tamis_rfm_table_init(t);
    t->rows = tamis_calloc(n, sizeof *t->rows);
    t->n = t->purchasers = n;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        t->rows[i].uid = (uint32_t)i;
        t->rows[i].raw.recency_hours = (uint32_t)(seed >> 33) % spread;
        t->rows[i].raw.frequency = 1 + (uint32_t)(seed >> 40) % (spread / 4 + 1);
        t->rows[i].raw.monetary_micros = ((int64_t)(seed >> 20) % (spread * 3)) * 1000000 - 2000000;
    }
}

static void test_quintiles_with_ties(void **unused)
{
    static const uint32_t spreads[] = {1, 2, 5, 7, 40, 100000};
    (void)unused;
    for (size_t n = 1; n <= 64; n += 7)
        for (size_t s = 0; s < sizeof spreads / sizeof *spreads; s++) {
            tamis_rfm_table t;
            uint64_t total = 0;
            fill(&t, n, n * 31 + s, spreads[s]);
            tamis_rfm_score(&t);
            for (size_t i = 0; i < n; i++) {
                const tamis_rfm_user *u = &t.rows[i];
                assert_int_equal(u->r, naive_score(&t, i, 0));
                assert_int_equal(u->f, naive_score(&t, i, 1));
                assert_int_equal(u->m, naive_score(&t, i, 2));
                assert_int_equal(u->fm, (u->f + u->m + 1) / 2);
                assert_int_equal(u->segment, tamis_rfm_segment_of(u->r, u->fm));
                for (size_t j = 0; j < n; j++) /* equal values, equal scores */
                    if (t.rows[j].raw.frequency == u->raw.frequency)
                        assert_int_equal(t.rows[j].f, u->f);
            }
            for (int g = 0; g < TAMIS_RFM__COUNT; g++)
                total += t.segments[g];
            assert_int_equal(total, n);
            tamis_rfm_table_free(&t);
        }
}

static void test_quintiles_distinct(void **unused)
{
    tamis_rfm_table t;
    static const uint8_t want[10] = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5};
    (void)unused;
    fill(&t, 10, 1, 10);
    for (size_t i = 0; i < 10; i++) {
        t.rows[i].raw.frequency = (uint32_t)(i + 1);
        t.rows[i].raw.recency_hours = (uint32_t)(100 - i); /* later rows more recent */
    }
    tamis_rfm_score(&t);
    for (size_t i = 0; i < 10; i++) {
        assert_int_equal(t.rows[i].f, want[i]);
        assert_int_equal(t.rows[i].r, want[i]);
    }
    assert_int_equal(t.bands[1][4].users, 2);
    assert_int_equal(t.bands[1][4].lo, 9);
    assert_int_equal(t.bands[1][4].hi, 10);
    assert_non_null(tamis_rfm_find(&t, 7));
    assert_null(tamis_rfm_find(&t, 10));
    tamis_rfm_table_free(&t);
}

static void test_segment_grid(void **unused)
{
    /* rows R = 5 .. 1, columns FM = 1 .. 5, as docs/AUDIENCES.md prints them */
    static const char *const grid[5][5] = {
        {"new", "potential_loyalist", "potential_loyalist", "champions", "champions"},
        {"promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"},
        {"about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"},
        {"hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"},
        {"lost", "hibernating", "at_risk", "at_risk", "cant_lose"},
    };
    bool seen[TAMIS_RFM__COUNT] = {0};
    (void)unused;
    for (unsigned r = 1; r <= 5; r++)
        for (unsigned fm = 1; fm <= 5; fm++) {
            tamis_rfm_segment s = tamis_rfm_segment_of(r, fm);
            assert_string_equal(tamis_rfm_segment_name(s), grid[5 - r][fm - 1]);
            seen[s] = true;
        }
    for (int g = 0; g < TAMIS_RFM__COUNT; g++) {
        const char *name = tamis_rfm_segment_name((unsigned)g);
        assert_true(seen[g]); /* every segment has a cell */
        assert_int_equal(tamis_rfm_segment_find(name, strlen(name)), g);
    }
    assert_string_equal(tamis_rfm_segment_name(TAMIS_RFM_NONE), "none");
    assert_string_equal(tamis_rfm_segment_title(TAMIS_RFM_CANT_LOSE), "Can't lose");
    assert_int_equal(tamis_rfm_segment_find("vip", 3), -1);
}

static void add_cell(tamis_cross *x, const char *a, const char *b, uint64_t users)
{
    const char *values[2] = {a, b};
    tamis_error err = {0};
    assert_int_equal(tamis_cross_count(x, values, users, NULL, &err), 0);
}

static void group_names(const tamis_cross *x, char names[][128])
{
    for (size_t g = 0; g < x->n_groups; g++)
        tamis_cross_group_name(x, g, names[g], 128);
}

static void test_cross_rule(void **unused)
{
    tamis_cross x;
    tamis_error err = {0};
    char names[8][128];
    uint64_t sum = 0;
    (void)unused;
    tamis_cross_init(&x);
    assert_int_equal(tamis_cross_add_label(&x, "tier", &err), 0);
    assert_int_equal(tamis_cross_add_label(&x, "country", &err), 0);
    assert_int_equal(tamis_cross_add_label(&x, "tier", &err), TAMIS_EUSAGE);
    assert_int_equal(tamis_cross_add_label(&x, "colour", &err), TAMIS_EUSAGE);
    add_cell(&x, "a", "X", 50);
    add_cell(&x, "a", "Y", 30);
    add_cell(&x, "b", "X", 10);
    add_cell(&x, "b", "Y", 5);
    add_cell(&x, "c", "Z", 5);
    /* min size 8: (b,Y) and (c,Z) lose their country, then their tier */
    tamis_cross_make_groups(&x, 8, 8);
    assert_int_equal(x.n_groups, 4);
    group_names(&x, names);
    assert_string_equal(names[0], "tier=a, country=X");
    assert_string_equal(names[1], "tier=a, country=Y");
    assert_string_equal(names[2], "tier=b, country=X");
    assert_string_equal(names[3], "everyone else");
    assert_int_equal(x.groups[3].users, 10);
    assert_int_equal(x.groups[3].cells, 2);
    /* at most 3: the smallest of the most specific level are generalised first */
    tamis_cross_make_groups(&x, 3, 8);
    assert_int_equal(x.n_groups, 3);
    group_names(&x, names);
    assert_string_equal(names[0], "tier=a, country=(other)");
    assert_int_equal(x.groups[0].users, 80);
    assert_string_equal(names[1], "tier=b, country=(other)");
    assert_int_equal(x.groups[1].users, 10);
    assert_string_equal(names[2], "everyone else");
    for (size_t c = 0; c < x.n_cells; c++) {
        assert_true(x.cells[c].group < x.n_groups);
        sum += x.cells[c].users;
    }
    assert_int_equal(sum, 100);
    /* one group: everyone */
    tamis_cross_make_groups(&x, 1, 1);
    assert_int_equal(x.n_groups, 1);
    assert_int_equal(x.groups[0].users, 100);
    tamis_cross_free(&x);
}

/* Brute force: every subset of the 4-tag vocabulary counted over the users. */
static void test_tag_sets(void **unused)
{
    static const char *const vocab[4] = {"a", "b", "c", "d"};
    static const char *const users[][4] = {{"a", "b", "c", NULL}, {"c", "b", "a", NULL}, {"a", "b", "c", NULL},
                                           {"b", "a", NULL},      {"a", "b", NULL},      {"a", NULL},
                                           {"c", "b", NULL},      {NULL},                {NULL},
                                           {"c", "a", "a", NULL}, {"d", NULL}};
    size_t n_users = sizeof users / sizeof *users;
    (void)unused;
    for (uint32_t min_users = 1; min_users <= 4; min_users++)
        for (uint32_t min_tags = 1; min_tags <= 3; min_tags++) {
            tamis_tag_groups g;
            tamis_error err = {0};
            size_t expected = 0;
            tamis_tag_groups_init(&g);
            for (size_t u = 0; u < n_users; u++) {
                size_t n = 0;
                while (users[u][n])
                    n++;
                assert_int_equal(tamis_tag_groups_add_user(&g, users[u], n, &err), 0);
            }
            assert_int_equal(tamis_tag_groups_mine(&g, min_users, min_tags, &err), 0);
            assert_int_equal(g.users, n_users);
            assert_int_equal(g.users_with_tags, n_users - 2);
            for (unsigned mask = 1; mask < 16; mask++) {
                uint64_t support = 0;
                unsigned size = (unsigned)__builtin_popcount(mask);
                for (size_t u = 0; u < n_users; u++) {
                    unsigned have = 0;
                    for (size_t k = 0; users[u][k]; k++)
                        for (unsigned v = 0; v < 4; v++)
                            if (!strcmp(users[u][k], vocab[v]))
                                have |= 1u << v;
                    support += (have & mask) == mask;
                }
                if (support < min_users || size < min_tags)
                    continue;
                expected++;
                for (size_t s = 0; s < g.n_sets; s++) { /* found once, with its support */
                    unsigned m = 0;
                    for (uint32_t k = 0; k < g.sets[s].n; k++)
                        m |= 1u << (g.names[g.sets[s].tags[k]][0] - 'a');
                    if (m == mask)
                        assert_int_equal(g.sets[s].users, support);
                }
            }
            assert_int_equal(g.n_sets, expected);
            for (size_t s = 1; s < g.n_sets; s++) /* most users first, then larger */
                assert_true(g.sets[s - 1].users > g.sets[s].users ||
                            (g.sets[s - 1].users == g.sets[s].users && g.sets[s - 1].n >= g.sets[s].n));
            tamis_tag_groups_free(&g);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_measure),         cmocka_unit_test(test_quintiles_with_ties),
        cmocka_unit_test(test_quintiles_distinct), cmocka_unit_test(test_segment_grid),
        cmocka_unit_test(test_cross_rule),      cmocka_unit_test(test_tag_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

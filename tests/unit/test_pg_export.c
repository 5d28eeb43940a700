/* test_pg_export.c — tamis_pg_export (include/tamis/pg_export.h) with segments, against
 * a real PostgreSQL server: the path `tamis export --to` does not take yet (the CLI
 * passes no segments until saved segments are wired in).
 *
 * It needs a server and a scored store, so it runs inside tests/e2e/t_pg_export.sh,
 * which starts PostgreSQL 15, builds the store and runs this binary with
 * TAMIS_PG_CONNINFO (a database it may write) and TAMIS_PG_DATA (the data directory)
 * set. Under plain ctest neither is set and every test is skipped, saying so. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tamis/model_config.h"
#include "tamis/pg_export.h"
#include "tamis/store.h"

typedef struct fixture {
    const char *conninfo;
    tamis_store *store;
    tamis_model_config *cfg;
    PGconn *check;    /* a second connection to look at the tables */
    char keys[3][64]; /* three exported users */
} fixture;

static int setup(void **state)
{
    static fixture fx;
    tamis_store_options ro = {.read_only = true};
    tamis_error err = {0};
    const char *data = getenv("TAMIS_PG_DATA");

    memset(&fx, 0, sizeof fx);
    *state = &fx;
    fx.conninfo = getenv("TAMIS_PG_CONNINFO");
    if (!fx.conninfo || !data) {
        fprintf(stderr, "test_pg_export: TAMIS_PG_CONNINFO and TAMIS_PG_DATA are not set: skipped "
                        "(tests/e2e/t_pg_export.sh runs this with a PostgreSQL server)\n");
        fx.conninfo = NULL;
        return 0;
    }
    if (tamis_store_open(data, &ro, &fx.store, &err) != 0) {
        fprintf(stderr, "test_pg_export: %s\n", err.msg);
        return -1;
    }
    fx.cfg = tamis_model_config_new();
    fx.check = PQconnectdb(fx.conninfo);
    return PQstatus(fx.check) == CONNECTION_OK ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    if (fx->check)
        PQfinish(fx->check);
    tamis_model_config_free(fx->cfg);
    tamis_store_close(fx->store);
    return 0;
}

/* The first column of the first row of sql, as text ("" when NULL or no row). */
static void query1(fixture *fx, const char *sql, char *out, size_t cap)
{
    PGresult *res = PQexec(fx->check, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(res));
    snprintf(out, cap, "%s", PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
}

static void expect(fixture *fx, const char *sql, const char *want)
{
    char got[512];
    query1(fx, sql, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("%s: got '%s', want '%s'", sql, got, want);
}

static void export_segments(fixture *fx, const tamis_pg_segment *segs, size_t n, bool prune, tamis_pg_export_stats *st)
{
    tamis_pg_export_options opt = {.threads = 2, .segments = segs, .n_segments = n, .prune_segments = prune};
    tamis_error err = {0};
    if (tamis_pg_export(fx->conninfo, fx->store, fx->cfg, &opt, st, &err) != 0)
        fail_msg("tamis_pg_export: %s", err.msg);
}

static void test_segments_converge(void **state)
{
    fixture *fx = *state;
    tamis_pg_export_stats st;
    char sql[256], users[160];

    if (!fx->conninfo)
        skip();
    export_segments(fx, NULL, 0, false, &st); /* the users first: keys to use */
    for (int i = 0; i < 3; i++) {
        snprintf(sql, sizeof sql, "SELECT user_key FROM tamis_users ORDER BY user_key OFFSET %d LIMIT 1", i);
        query1(fx, sql, fx->keys[i], sizeof fx->keys[i]);
        assert_true(fx->keys[i][0] != '\0');
    }
    {
        const char *vip[] = {fx->keys[0], fx->keys[1], "no-such-user", fx->keys[1]};
        tamis_pg_segment segs[] = {{"vip", "score >= 80", 1793448000000LL, vip, 4},
                                   {"empty", "score > 100", 0, NULL, 0}};
        export_segments(fx, segs, 2, false, &st);
        assert_int_equal(st.segments, 2);
        assert_int_equal(st.members_added, 2);
        assert_int_equal(st.members_skipped, 1);
        assert_int_equal(st.unchanged, st.rows); /* the users did not change */
    }
    expect(fx, "SELECT string_agg(name || ':' || size || ':' || definition, ',' ORDER BY name) FROM tamis_segments",
           "empty:0:score > 100,vip:2:score >= 80");
    expect(fx, "SELECT evaluated_at = '2026-10-31T12:00:00Z' FROM tamis_segments WHERE name = 'vip'", "t");
    expect(fx, "SELECT evaluated_at IS NULL FROM tamis_segments WHERE name = 'empty'", "t");
    snprintf(sql, sizeof sql, "SELECT string_agg(user_key, ',' ORDER BY user_key) FROM tamis_segment_members");
    snprintf(users, sizeof users, "%s,%s", fx->keys[0], fx->keys[1]);
    expect(fx, sql, users);

    /* vip replaced whole; "empty" not given: kept, then dropped by prune */
    {
        const char *vip[] = {fx->keys[1], fx->keys[2]};
        tamis_pg_segment segs[] = {{"vip", "score >= 70", 1793448000000LL, vip, 2}};
        export_segments(fx, segs, 1, false, &st);
        assert_int_equal(st.members_added, 1);
        assert_int_equal(st.members_removed, 1);
        assert_int_equal(st.segments_dropped, 0);
        expect(fx, "SELECT count(*) FROM tamis_segments", "2");
        export_segments(fx, segs, 1, true, &st);
        assert_int_equal(st.members_added, 0);
        assert_int_equal(st.members_removed, 0);
        assert_int_equal(st.segments_dropped, 1);
    }
    expect(fx, "SELECT string_agg(name || ':' || size || ':' || definition, ',') FROM tamis_segments",
           "vip:2:score >= 70");
    snprintf(users, sizeof users, "%s,%s", fx->keys[1], fx->keys[2]);
    expect(fx, sql, users);
}

/* Bad segments are refused before the database is touched. */
static void test_bad_segments(void **state)
{
    fixture *fx = *state;
    tamis_pg_export_stats st;
    tamis_error err = {0};
    const char *k[] = {"a"};
    tamis_pg_segment twice[] = {{"x", "true", 0, k, 1}, {"x", "true", 0, k, 1}};
    tamis_pg_segment unnamed[] = {{"", "true", 0, k, 1}};
    tamis_pg_export_options opt = {.threads = 1, .segments = twice, .n_segments = 2};

    if (!fx->conninfo)
        skip();
    assert_int_equal(tamis_pg_export(fx->conninfo, fx->store, fx->cfg, &opt, &st, &err), TAMIS_EUSAGE);
    assert_non_null(strstr(err.msg, "given twice"));
    opt.segments = unnamed;
    opt.n_segments = 1;
    assert_int_equal(tamis_pg_export(fx->conninfo, fx->store, fx->cfg, &opt, &st, &err), TAMIS_EUSAGE);
    expect(fx, "SELECT string_agg(name, ',') FROM tamis_segments", "vip");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_segments_converge),
        cmocka_unit_test(test_bad_segments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

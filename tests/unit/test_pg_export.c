/* test_pg_export.c — the PostgreSQL export (include/tamis/pg_export.h).
 *
 * Without a server: the users' rows in COPY's binary format and their fingerprints
 * (src/segment/pg_rows.c) — every value as PostgreSQL reads it, JSON values as
 * `export --format ndjson` writes them, a value of the wrong type and rows over the
 * cap refused.
 *
 * With a server: tamis_pg_export with segments, the library path beside the CLI's.
 * It needs a server and a scored store, so it runs inside tests/e2e/t_pg_export.sh,
 * which starts PostgreSQL 15, builds the store and runs this binary with
 * TAMIS_PG_CONNINFO (a database it may write) and TAMIS_PG_DATA (the data directory)
 * set. Under plain ctest neither is set and those tests are skipped, saying so. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/render.h"
#include "segment/pg_int.h"
#include "tamis/alloc.h"
#include "tamis/columns.h"
#include "tamis/model_config.h"
#include "tamis/pg_export.h"
#include "tamis/store.h"

/* ---- rows in COPY's binary format (no server) ------------------------------------ */

typedef struct row_fixture {
    tamis_result r;
    tamis_features f;
    tamis_platform_names names;
    tamis_export_row row;
    pg_coltype types[256];
    size_t cols[256];
    pg_columns pc;
    pg_row_scratch s;
} row_fixture;

/* A user with values of every kind: numbers, a null, a time, text and JSON. */
static row_fixture *row_fixture_new(void)
{
    row_fixture *x = tamis_calloc(1, sizeof *x);
    tamis_error err = {0};

    assert_true(tamis_column_count() <= 256);
    assert_int_equal(pg_column_types(x->types, &err), 0);
    for (size_t c = 0; c < tamis_column_count(); c++)
        x->cols[c] = c;
    x->pc = (pg_columns){x->cols, tamis_column_count(), x->types};
    x->r.score = 42;
    snprintf(x->r.best_channel, sizeof x->r.best_channel, "telegram");
    x->f.last_seen_ms = 1793448000123LL; /* 2026-10-31T12:00:00.123Z */
    x->f.days_since_seen = TAMIS_NULL_I32;
    x->f.depth_ratio = 0.1;
    x->f.timing_cv = NAN;
    x->f.has_avatar = true;
    x->f.peak_hour = -1;
    x->f.n_platforms = 1;
    x->f.platforms[0].platform = 3;
    x->f.platforms[0].reply_rate_30 = NAN;
    x->f.platforms[0].activity_30 = 7;
    x->names.name[3] = "telegram";
    x->row = (tamis_export_row){"u\"1\x01", "Asia/Ho_Chi_Minh", &x->r, &x->f, &x->names};
    assert_int_equal(pg_row_scratch_init(&x->s, &err), 0);
    return x;
}

static void row_fixture_free(row_fixture *x)
{
    pg_row_scratch_free(&x->s);
    tamis_free(x);
}

static uint64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static int32_t be32(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

/* The JSON text `export --format ndjson` writes for v. */
static char *json_text(const tamis_value *v, const tamis_export_row *row)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    if (v->type == TAMIS_V_PLATFORMS)
        tamis_render_platforms_json(f, row, true); /* null members left out */
    else
        tamis_render_json(f, v, row);
    fclose(f);
    return text;
}

/* Every field of the encoded row against the column table's value. */
static void test_row_fields(void **state)
{
    row_fixture *x = row_fixture_new();
    tamis_error err = {0};
    uint64_t fp;
    const unsigned char *p, *end;
    int nulls = 0, json = 0;

    (void)state;
    assert_int_equal(pg_row_encode(&x->s, &x->pc, pg_row_seed(&x->pc), &x->row, &fp, &err), 0);
    p = x->s.row.p;
    end = p + x->s.row.len;
    assert_int_equal(p[0] << 8 | p[1], (int)tamis_column_count() + 2); /* row_hash and one more follow */
    p += 2;
    for (size_t c = 0; c < tamis_column_count(); c++) {
        tamis_value v;
        int32_t len;
        assert_true(end - p >= 4);
        len = be32(p);
        p += 4;
        tamis_column_value(c, &x->row, &v);
        if (v.type == TAMIS_V_NULL) {
            assert_int_equal(len, -1);
            nulls++;
            continue;
        }
        assert_true(len >= 0 && end - p >= len);
        switch (v.type) {
        case TAMIS_V_BOOL:
            assert_int_equal(len, 1);
            assert_int_equal(p[0], v.b);
            break;
        case TAMIS_V_INT:
            assert_int_equal(len, 8);
            assert_true((int64_t)be64(p) == v.i);
            break;
        case TAMIS_V_DOUBLE: {
            uint64_t bits;
            memcpy(&bits, &v.d, 8);
            assert_int_equal(len, 8);
            assert_true(be64(p) == bits);
            break;
        }
        case TAMIS_V_TIME: /* microseconds since 2000-01-01 */
            assert_int_equal(len, 8);
            assert_true((int64_t)be64(p) == (1793448000123LL - 946684800000LL) * 1000);
            break;
        case TAMIS_V_STRING:
            assert_int_equal(len, (int32_t)strlen(v.s));
            assert_memory_equal(p, v.s, (size_t)len);
            break;
        default: { /* JSON: the text ndjson has (platforms without null members) */
            char *want = json_text(&v, &x->row);
            assert_int_equal(len, (int32_t)strlen(want));
            assert_memory_equal(p, want, (size_t)len);
            free(want); /* open_memstream's buffer */
            json++;
        }
        }
        p += len;
    }
    assert_ptr_equal(p, end);
    assert_true(nulls >= 3); /* days_since_seen, timing_cv, peak_hour */
    assert_int_equal(json, 3);
    row_fixture_free(x);
}

/* Same values, same fingerprint; one value or the column list changed, another. */
static void test_row_fingerprint(void **state)
{
    row_fixture *x = row_fixture_new();
    tamis_error err = {0};
    uint64_t seed = pg_row_seed(&x->pc), a, b, c;
    pg_columns fewer = x->pc;

    (void)state;
    assert_int_equal(pg_row_encode(&x->s, &x->pc, seed, &x->row, &a, &err), 0);
    assert_int_equal(pg_row_encode(&x->s, &x->pc, seed, &x->row, &b, &err), 0);
    assert_true(a == b);
    x->f.platforms[0].activity_30 = 8; /* deep in the platforms JSON */
    assert_int_equal(pg_row_encode(&x->s, &x->pc, seed, &x->row, &c, &err), 0);
    assert_true(c != a);
    fewer.n--;
    assert_true(pg_row_seed(&fewer) != seed);
    assert_true(pg_row_seed(&fewer) == pg_row_seed(&fewer));
    row_fixture_free(x);
}

/* A value whose type is not its column's is a bug, not bad data; rows over the cap
 * and instants PostgreSQL cannot hold are refused, naming the user. */
static void test_row_refused(void **state)
{
    row_fixture *x = row_fixture_new();
    tamis_error err = {0};
    size_t score = (size_t)tamis_column_find("score", 5);
    char *huge;
    uint64_t fp;

    (void)state;
    x->types[score].value = TAMIS_V_DOUBLE;
    assert_int_equal(pg_row_encode(&x->s, &x->pc, 1, &x->row, &fp, &err), TAMIS_EINTERNAL);
    assert_non_null(strstr(err.msg, "column score"));
    x->types[score].value = TAMIS_V_INT;

    x->f.last_seen_ms = INT64_MAX / 2;
    assert_int_equal(pg_row_encode(&x->s, &x->pc, 1, &x->row, &fp, &err), TAMIS_ELIMIT);
    assert_non_null(strstr(err.msg, "last_seen"));
    x->f.last_seen_ms = 0;

    huge = tamis_malloc(PG_ROW_MAX + 2);
    memset(huge, 'k', PG_ROW_MAX + 1);
    huge[PG_ROW_MAX + 1] = '\0';
    x->row.user = huge;
    assert_int_equal(pg_row_encode(&x->s, &x->pc, 1, &x->row, &fp, &err), TAMIS_ELIMIT);
    tamis_free(huge);
    row_fixture_free(x);
}

/* ---- with a server ------------------------------------------------------------------ */

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
    const struct CMUnitTest rows[] = {
        cmocka_unit_test(test_row_fields),
        cmocka_unit_test(test_row_fingerprint),
        cmocka_unit_test(test_row_refused),
    };
    const struct CMUnitTest server[] = {
        cmocka_unit_test(test_segments_converge),
        cmocka_unit_test(test_bad_segments),
    };
    int failed = cmocka_run_group_tests(rows, NULL, NULL);
    return failed + cmocka_run_group_tests(server, setup, teardown);
}

/* pg_schema.c — the SQL of the PostgreSQL export (see pg_int.h): the SQL type of each
 * export column, the tables created when missing or brought to the current schema
 * version, the users' staging table and the statements that merge it into
 * tamis_users. Table and column names come from the one column table
 * (include/tamis/columns.h), so a new export column becomes a new table column without
 * an edit here. docs/EXPORT_POSTGRES.md documents the result. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segment/pg_int.h"
#include "tamis/alloc.h"
#include "tamis/columns.h"

/* ---- SQL text and statements ---------------------------------------------------- */

void pg_sql_add(pg_sql *s, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (s->len + (size_t)n + 1 > s->cap)
        s->buf = tamis_grow(s->buf, 1, &s->cap, s->len + (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s->buf + s->len, s->cap - s->len, fmt, ap);
    va_end(ap);
    s->len += (size_t)n;
}

void pg_sql_free(pg_sql *s)
{
    tamis_free(s->buf);
    memset(s, 0, sizeof *s);
}

/* PostgreSQL's messages span lines (ERROR, DETAIL, CONTEXT): joined with "; ". */
int pg_fail(PGconn *conn, const PGresult *res, const char *step, tamis_error *err)
{
    const char *msg = res ? PQresultErrorMessage(res) : "";
    char line[TAMIS_ERROR_MSG_MAX];
    size_t o = 0;

    if (!msg[0])
        msg = conn ? PQerrorMessage(conn) : "";
    if (!msg[0])
        msg = "unknown error";
    for (const char *p = msg; *p && o + 3 < sizeof line; p++) {
        if (*p == '\n') {
            if (p[1])
                line[o++] = ';', line[o++] = ' ';
        } else if (*p != '\r') {
            line[o++] = *p;
        }
    }
    line[o] = '\0';
    return tamis_error_set(err, TAMIS_EDB, "%s: %s", step, line);
}

int pg_exec(PGconn *conn, const char *sql, const char *step, PGresult **out, tamis_error *err)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = 0;

    if (out)
        *out = NULL;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = pg_fail(conn, res, step, err);
    if (rc == 0 && out)
        *out = res;
    else
        PQclear(res);
    return rc;
}

uint64_t pg_count(const PGresult *res, int c)
{
    const char *v;
    if (!res || PQntuples(res) < 1 || c >= PQnfields(res) || PQgetisnull(res, 0, c))
        return 0;
    v = PQgetvalue(res, 0, c);
    return strtoull(v, NULL, 10);
}

/* ---- column types ----------------------------------------------------------------- */

/* The names are format_type's, so that a table's columns compare with them. JSON
 * values are `json`, not `jsonb`: PostgreSQL only checks json text, where it parses
 * jsonb into its binary form — 3 of the 4 seconds a million users' JSON took there
 * (bench/RESULTS.md). */
static const char *sql_type_of(tamis_value_type t)
{
    switch (t) {
    case TAMIS_V_BOOL: return "boolean";
    case TAMIS_V_INT: return "bigint";
    case TAMIS_V_DOUBLE: return "double precision";
    case TAMIS_V_STRING: return "text";
    case TAMIS_V_TIME: return "timestamp with time zone";
    case TAMIS_V_HIST:
    case TAMIS_V_REASONS:
    case TAMIS_V_PLATFORMS: return "json";
    case TAMIS_V_NULL: break;
    }
    return NULL;
}

bool pg_column_is_json(const pg_coltype *t)
{
    return t->value == TAMIS_V_HIST || t->value == TAMIS_V_REASONS || t->value == TAMIS_V_PLATFORMS;
}

/* The column table gives each column's value for a row, not a declared type: a row
 * in which nothing is null (zero counts, sub-scores and days; a channel; a zone)
 * shows every column's type. A column that is still null there has no type: a bug
 * of the column table, reported as such. */
int pg_column_types(pg_coltype *types, tamis_error *err)
{
    tamis_result *r = tamis_calloc(1, sizeof *r);
    tamis_features *f = tamis_calloc(1, sizeof *f);
    tamis_platform_names *names = tamis_calloc(1, sizeof *names);
    tamis_export_row row = {"probe", "UTC", r, f, names};
    int rc = 0;

    snprintf(r->best_channel, sizeof r->best_channel, "probe");
    for (size_t c = 0; c < tamis_column_count() && rc == 0; c++) {
        tamis_value v;
        tamis_column_value(c, &row, &v);
        types[c].value = v.type;
        if (!(types[c].sql = sql_type_of(v.type)))
            rc = tamis_error_set(err, TAMIS_EINTERNAL, "export column %s has no SQL type", tamis_column_name(c));
    }
    tamis_free(names);
    tamis_free(f);
    tamis_free(r);
    return rc;
}

const char *pg_column_sql_name(size_t col)
{
    const char *name = tamis_column_name(col);
    return strcmp(name, "user") == 0 ? "user_key" : name;
}

/* ---- schema ----------------------------------------------------------------------- */

static const char *const SEGMENT_AND_EXPORT_TABLES =
    "CREATE TABLE IF NOT EXISTS " PG_SEGMENTS " (name text PRIMARY KEY, definition text NOT NULL,"
    " size bigint NOT NULL, evaluated_at timestamptz, exported_at timestamptz NOT NULL);"
    "CREATE TABLE IF NOT EXISTS " PG_EXPORTS " (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " exported_at timestamptz NOT NULL, columns text NOT NULL, tiers text, users bigint NOT NULL,"
    " inserted bigint NOT NULL, updated bigint NOT NULL, unchanged bigint NOT NULL,"
    " deleted bigint NOT NULL, segments bigint NOT NULL, seconds double precision NOT NULL, xid bigint)";

/* References tamis_users (user_key): after its primary key. */
static const char *const MEMBERS_TABLE =
    "CREATE TABLE IF NOT EXISTS " PG_MEMBERS " ("
    " segment text NOT NULL REFERENCES " PG_SEGMENTS " (name) ON DELETE CASCADE ON UPDATE CASCADE,"
    " user_key text NOT NULL REFERENCES " PG_USERS " (user_key) ON DELETE CASCADE,"
    " PRIMARY KEY (segment, user_key));"
    "CREATE INDEX IF NOT EXISTS tamis_segment_members_user_key ON " PG_MEMBERS " (user_key)";

/* The columns tamis_users and tamis_exports have now: "table.column" -> type. */
typedef struct table_columns {
    PGresult *res;
    bool users, exports; /* the tables exist */
} table_columns;

static int read_columns(PGconn *conn, table_columns *tc, tamis_error *err)
{
    int rc = pg_exec(conn,
                     "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_class c"
                     " JOIN pg_attribute a ON a.attrelid = c.oid WHERE c.oid IN (to_regclass('" PG_USERS "'),"
                     " to_regclass('" PG_EXPORTS "')) AND a.attnum > 0 AND NOT a.attisdropped",
                     "reading the columns of " PG_USERS " and " PG_EXPORTS, &tc->res, err);
    for (int i = 0; rc == 0 && i < PQntuples(tc->res); i++) {
        tc->users |= strcmp(PQgetvalue(tc->res, i, 0), PG_USERS) == 0;
        tc->exports |= strcmp(PQgetvalue(tc->res, i, 0), PG_EXPORTS) == 0;
    }
    return rc;
}

/* The type of table.column, or NULL when it has no such column. */
static const char *column_type(const table_columns *tc, const char *table, const char *column)
{
    for (int i = 0; i < PQntuples(tc->res); i++)
        if (strcmp(PQgetvalue(tc->res, i, 1), column) == 0 && strcmp(PQgetvalue(tc->res, i, 0), table) == 0)
            return PQgetvalue(tc->res, i, 2);
    return NULL;
}

static int create_users(PGconn *conn, const pg_columns *pc, tamis_error *err)
{
    pg_sql sql = {0};
    int rc;

    pg_sql_add(&sql, "CREATE TABLE " PG_USERS " (user_key text NOT NULL");
    for (size_t c = 0; c < tamis_column_count(); c++)
        if (strcmp(pg_column_sql_name(c), "user_key") != 0)
            pg_sql_add(&sql, ", \"%s\" %s", pg_column_sql_name(c), pc->type[c].sql);
    pg_sql_add(&sql, ", " PG_EXPORTED_AT " timestamptz NOT NULL, " PG_ROW_HASH " bigint)");
    rc = pg_exec(conn, sql.buf, "creating " PG_USERS, NULL, err);
    pg_sql_free(&sql);
    return rc;
}

/* Version 1 wrote JSON values as jsonb; 2 as json. Any other difference between a
 * column's type and ours is the operator's choice: kept (values are cast on the way
 * in), at the price of the staging table. */
static bool is_v1_json(const char *have, const pg_coltype *want)
{
    return pg_column_is_json(want) && strcmp(have, "jsonb") == 0;
}

/* The export columns tamis_users lacks (catalog-only: the new columns are NULL),
 * row_hash when it lacks it, and version 1's jsonb columns converted to json (which
 * rewrites the table once). ALTER TABLE locks out readers even when it changes
 * nothing: it runs only when something is to change. */
static int upgrade_users(PGconn *conn, const pg_columns *pc, const table_columns *tc, pg_schema_state *st,
                         tamis_error *err)
{
    pg_sql sql = {0};
    size_t n = 0;
    int rc = 0;

    for (size_t c = 0; c < tamis_column_count(); c++) {
        const char *name = pg_column_sql_name(c), *have = column_type(tc, PG_USERS, name);
        if (!have) {
            pg_sql_add(&sql, "%s ADD COLUMN \"%s\" %s", n++ ? "," : "", name, pc->type[c].sql);
        } else if (is_v1_json(have, &pc->type[c])) {
            pg_sql_add(&sql, "%s ALTER COLUMN \"%s\" TYPE json USING \"%s\"::json", n++ ? "," : "", name, name);
            st->migrated = true;
        }
    }
    if (!column_type(tc, PG_USERS, PG_ROW_HASH))
        pg_sql_add(&sql, "%s ADD COLUMN " PG_ROW_HASH " bigint", n++ ? "," : "");
    if (n) {
        pg_sql full = {0};
        pg_sql_add(&full, "ALTER TABLE " PG_USERS "%s", sql.buf);
        rc = pg_exec(conn, full.buf,
                     st->migrated ? "converting " PG_USERS " to schema version 2 (its jsonb columns to json;"
                                    " see docs/EXPORT_POSTGRES.md, \"Schema versions\")"
                                  : "adding columns to " PG_USERS,
                     NULL, err);
        pg_sql_free(&full);
    }
    pg_sql_free(&sql);
    return rc;
}

/* Whether every column the export writes has exactly the type the binary rows carry
 * (columns tamis_users lacked were just added with it; migrated ones converted). */
static bool types_match(const pg_columns *pc, const table_columns *tc)
{
    const char *h = column_type(tc, PG_USERS, PG_ROW_HASH), *e = column_type(tc, PG_USERS, PG_EXPORTED_AT);
    if ((h && strcmp(h, "bigint") != 0) || !e || strcmp(e, "timestamp with time zone") != 0)
        return false;
    for (size_t i = 0; i < pc->n; i++) {
        const pg_coltype *want = &pc->type[pc->cols[i]];
        const char *have = column_type(tc, PG_USERS, pg_column_sql_name(pc->cols[i]));
        if (have && strcmp(have, want->sql) != 0 && !is_v1_json(have, want))
            return false;
    }
    return true;
}

int pg_prepare_schema(PGconn *conn, const pg_columns *pc, pg_schema_state *st, tamis_error *err)
{
    table_columns tc = {0};
    int rc = read_columns(conn, &tc, err);

    memset(st, 0, sizeof *st);
    if (rc == 0 && !tc.users) {
        st->users_created = st->types_match = true;
        rc = create_users(conn, pc, err);
    } else if (rc == 0) {
        st->types_match = types_match(pc, &tc);
        rc = upgrade_users(conn, pc, &tc, st, err);
    }
    if (rc == 0)
        rc = pg_exec(conn, SEGMENT_AND_EXPORT_TABLES, "creating the segment and export tables", NULL, err);
    if (rc == 0 && tc.exports && !column_type(&tc, PG_EXPORTS, "xid"))
        rc = pg_exec(conn, "ALTER TABLE " PG_EXPORTS " ADD COLUMN xid bigint", "adding columns to " PG_EXPORTS, NULL,
                     err);
    if (rc == 0 && !st->users_created)
        rc = pg_exec(conn, MEMBERS_TABLE, "creating the segment members table", NULL, err);
    /* other writers wait for the export, readers do not: the rows read next are the
       rows the merge finds */
    if (rc == 0 && !st->users_created)
        rc = pg_exec(conn, "LOCK TABLE " PG_USERS " IN SHARE ROW EXCLUSIVE MODE", "locking " PG_USERS, NULL, err);
    PQclear(tc.res);
    return rc;
}

int pg_finish_new_users(PGconn *conn, tamis_error *err)
{
    int rc = pg_exec(conn, "ALTER TABLE " PG_USERS " ADD PRIMARY KEY (user_key)", "indexing " PG_USERS, NULL, err);
    if (rc == 0)
        rc = pg_exec(conn, MEMBERS_TABLE, "creating the segment members table", NULL, err);
    return rc;
}

/* ---- the users' staging table and the merge ------------------------------------- */

int pg_create_users_stage(PGconn *conn, const pg_columns *pc, tamis_error *err)
{
    pg_sql sql = {0};
    int rc;

    pg_sql_add(&sql, "CREATE TEMP TABLE " PG_USERS_STAGE " (");
    for (size_t i = 0; i < pc->n; i++)
        pg_sql_add(&sql, "\"%s\" %s, ", pg_column_sql_name(pc->cols[i]), pc->type[pc->cols[i]].sql);
    pg_sql_add(&sql, PG_ROW_HASH " bigint NOT NULL, is_new boolean NOT NULL) ON COMMIT DROP");
    rc = pg_exec(conn, sql.buf, "creating the staging table", NULL, err);
    pg_sql_free(&sql);
    return rc;
}

void pg_copy_column_list(pg_sql *sql, const pg_columns *pc, bool direct)
{
    for (size_t i = 0; i < pc->n; i++)
        pg_sql_add(sql, "\"%s\", ", pg_column_sql_name(pc->cols[i]));
    pg_sql_add(sql, PG_ROW_HASH ", %s", direct ? PG_EXPORTED_AT : "is_new");
}

/* Writes `PREFIX"a"SUFFIX SEP PREFIX"b"SUFFIX ...` for the staged columns other than
 * user_key; JSON columns with suffix json_suffix (json has no equality: compared as
 * text, which is what tamis wrote). */
static void add_value_columns(pg_sql *sql, const pg_columns *pc, const char *prefix, const char *json_suffix,
                              const char *sep)
{
    size_t k = 0;
    for (size_t i = 0; i < pc->n; i++) {
        const char *name = pg_column_sql_name(pc->cols[i]);
        if (strcmp(name, "user_key") != 0)
            pg_sql_add(sql, "%s%s\"%s\"%s", k++ ? sep : "", prefix, name,
                       pg_column_is_json(&pc->type[pc->cols[i]]) ? json_suffix : "");
    }
}

/* Every staged row of an existing user is written: it differs from the stored row or
 * the stored row is not trusted (pg_known.c), and the write makes it trusted.
 * exported_at moves only when a value changed, and tells the two apart afterwards:
 * an unchanged row keeps the exported_at of an earlier transaction, earlier than
 * this one's now(). */
static void update_sql(pg_sql *sql, const pg_columns *pc)
{
    bool values = false;

    pg_sql_add(sql, "WITH up AS (UPDATE " PG_USERS " AS t SET ");
    for (size_t i = 0; i < pc->n; i++) {
        const char *name = pg_column_sql_name(pc->cols[i]);
        if (strcmp(name, "user_key") != 0) {
            pg_sql_add(sql, "\"%s\" = s.\"%s\", ", name, name);
            values = true;
        }
    }
    pg_sql_add(sql, PG_ROW_HASH " = s." PG_ROW_HASH ", " PG_EXPORTED_AT " = CASE WHEN ");
    if (!values) {
        pg_sql_add(sql, "false");
    } else {
        pg_sql_add(sql, "ROW(");
        add_value_columns(sql, pc, "t.", "::text", ", ");
        pg_sql_add(sql, ") IS DISTINCT FROM ROW(");
        add_value_columns(sql, pc, "s.", "::text", ", ");
        pg_sql_add(sql, ")");
    }
    pg_sql_add(sql, " THEN now() ELSE t." PG_EXPORTED_AT " END FROM " PG_USERS_STAGE " s"
                    " WHERE t.user_key = s.user_key AND NOT s.is_new RETURNING t." PG_EXPORTED_AT " = now() AS changed)"
                    " SELECT count(*) FILTER (WHERE changed), count(*) FILTER (WHERE NOT changed) FROM up");
}

static void insert_sql(pg_sql *sql, const pg_columns *pc)
{
    pg_sql_add(sql, "INSERT INTO " PG_USERS " (");
    pg_copy_column_list(sql, pc, true);
    pg_sql_add(sql, ") SELECT ");
    for (size_t i = 0; i < pc->n; i++)
        pg_sql_add(sql, "\"%s\", ", pg_column_sql_name(pc->cols[i]));
    pg_sql_add(sql, PG_ROW_HASH ", now() FROM " PG_USERS_STAGE " WHERE is_new");
}

int pg_merge_users(PGconn *conn, const pg_columns *pc, uint64_t staged_existing, uint64_t staged_new,
                   tamis_pg_export_stats *st, tamis_error *err)
{
    pg_sql sql = {0};
    PGresult *res = NULL;
    int rc = 0;

    if (staged_existing) {
        update_sql(&sql, pc);
        /* one index probe per staged row: the planner would rather hash tamis_users'
           rows — whole, every column being compared — and spill them to disk, 26 s
           instead of 19 for a million rows (bench/RESULTS.md) */
        rc = pg_exec(conn, "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off", "planning the update",
                     NULL, err);
        if (rc == 0)
            rc = pg_exec(conn, sql.buf, "updating " PG_USERS, &res, err);
        if (rc == 0) {
            st->updated += pg_count(res, 0);
            st->unchanged += pg_count(res, 1);
            PQclear(res);
            rc = pg_exec(conn, "RESET enable_hashjoin; RESET enable_mergejoin", "planning the update", NULL, err);
        }
        pg_sql_free(&sql);
    }
    if (rc == 0 && staged_new) {
        insert_sql(&sql, pc);
        rc = pg_exec(conn, sql.buf, "inserting into " PG_USERS, &res, err);
        if (rc == 0) {
            st->inserted += strtoull(PQcmdTuples(res), NULL, 10);
            PQclear(res);
        }
        pg_sql_free(&sql);
    }
    return rc;
}

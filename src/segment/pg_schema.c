/* pg_schema.c — the SQL of the PostgreSQL export (see pg_int.h): the SQL type of each
 * export column, the tables created when missing, the users' staging table and the
 * statements that merge it into tamis_users. Table and column names come from the one
 * column table (include/tamis/columns.h), so a new export column becomes a new table
 * column without an edit here. docs/EXPORT_POSTGRES.md documents the result. */
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

static const char *sql_type_of(tamis_value_type t)
{
    switch (t) {
    case TAMIS_V_BOOL: return "boolean";
    case TAMIS_V_INT: return "bigint";
    case TAMIS_V_DOUBLE: return "double precision";
    case TAMIS_V_STRING: return "text";
    case TAMIS_V_TIME: return "timestamptz";
    case TAMIS_V_HIST:
    case TAMIS_V_REASONS:
    case TAMIS_V_PLATFORMS: return "jsonb";
    case TAMIS_V_NULL: break;
    }
    return NULL;
}

/* The column table gives each column's value for a row, not a declared type: a row
 * in which nothing is null (zero counts, sub-scores and days; a channel; a zone)
 * shows every column's type. A column that is still null there has no type: a bug
 * of the column table, reported as such. */
int pg_column_types(const char **types, tamis_error *err)
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
        if (!(types[c] = sql_type_of(v.type)))
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

static const char *const FIXED_TABLES =
    "CREATE TABLE IF NOT EXISTS " PG_SEGMENTS " (name text PRIMARY KEY, definition text NOT NULL,"
    " size bigint NOT NULL, evaluated_at timestamptz, exported_at timestamptz NOT NULL);"
    "CREATE TABLE IF NOT EXISTS " PG_MEMBERS " ("
    " segment text NOT NULL REFERENCES " PG_SEGMENTS " (name) ON DELETE CASCADE ON UPDATE CASCADE,"
    " user_key text NOT NULL REFERENCES " PG_USERS " (user_key) ON DELETE CASCADE,"
    " PRIMARY KEY (segment, user_key));"
    "CREATE INDEX IF NOT EXISTS tamis_segment_members_user_key ON " PG_MEMBERS " (user_key);"
    "CREATE TABLE IF NOT EXISTS " PG_EXPORTS " (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " exported_at timestamptz NOT NULL, columns text NOT NULL, tiers text, users bigint NOT NULL,"
    " inserted bigint NOT NULL, updated bigint NOT NULL, unchanged bigint NOT NULL,"
    " deleted bigint NOT NULL, segments bigint NOT NULL, seconds double precision NOT NULL)";

/* Adds the export columns tamis_users lacks (catalog-only: the new columns are NULL).
 * Looked up first, because ALTER TABLE locks out readers even when it adds nothing. */
static int add_missing_columns(PGconn *conn, const char *const *types, tamis_error *err)
{
    PGresult *res = NULL;
    pg_sql sql = {0};
    size_t added = 0;
    int rc = pg_exec(conn,
                     "SELECT attname FROM pg_attribute WHERE attrelid = '" PG_USERS "'::regclass"
                     " AND attnum > 0 AND NOT attisdropped",
                     "reading the columns of " PG_USERS, &res, err);

    for (size_t c = 0; rc == 0 && c < tamis_column_count(); c++) {
        const char *name = pg_column_sql_name(c);
        bool found = false;
        for (int i = 0; i < PQntuples(res) && !found; i++)
            found = strcmp(PQgetvalue(res, i, 0), name) == 0;
        if (!found)
            pg_sql_add(&sql, "%s ADD COLUMN \"%s\" %s", added++ ? "," : "ALTER TABLE " PG_USERS, name, types[c]);
    }
    if (rc == 0 && added)
        rc = pg_exec(conn, sql.buf, "adding columns to " PG_USERS, NULL, err);
    PQclear(res);
    pg_sql_free(&sql);
    return rc;
}

int pg_ensure_schema(PGconn *conn, const char *const *types, tamis_error *err)
{
    pg_sql sql = {0};
    int rc;

    pg_sql_add(&sql, "CREATE TABLE IF NOT EXISTS " PG_USERS " (user_key text PRIMARY KEY");
    for (size_t c = 0; c < tamis_column_count(); c++)
        if (strcmp(pg_column_sql_name(c), "user_key") != 0)
            pg_sql_add(&sql, ", \"%s\" %s", pg_column_sql_name(c), types[c]);
    pg_sql_add(&sql, ", exported_at timestamptz NOT NULL)");
    rc = pg_exec(conn, sql.buf, "creating " PG_USERS, NULL, err);
    if (rc == 0)
        rc = pg_exec(conn, FIXED_TABLES, "creating the segment and export tables", NULL, err);
    if (rc == 0)
        rc = add_missing_columns(conn, types, err);
    pg_sql_free(&sql);
    return rc;
}

/* ---- the users' staging table and the merge ------------------------------------- */

int pg_create_users_stage(PGconn *conn, const pg_columns *pc, tamis_error *err)
{
    pg_sql sql = {0};
    int rc;

    pg_sql_add(&sql, "CREATE TEMP TABLE " PG_USERS_STAGE " (");
    for (size_t i = 0; i < pc->n; i++)
        pg_sql_add(&sql, "%s\"%s\" %s", i ? ", " : "", pg_column_sql_name(pc->cols[i]), pc->sql_type[pc->cols[i]]);
    pg_sql_add(&sql, ") ON COMMIT DROP");
    rc = pg_exec(conn, sql.buf, "creating the staging table", NULL, err);
    pg_sql_free(&sql);
    return rc;
}

/* Writes `PREFIX"a"SEP PREFIX"b"...` for the staged columns other than user_key. */
static size_t add_value_columns(pg_sql *sql, const pg_columns *pc, const char *prefix, const char *sep)
{
    size_t k = 0;
    for (size_t i = 0; i < pc->n; i++) {
        const char *name = pg_column_sql_name(pc->cols[i]);
        if (strcmp(name, "user_key") != 0)
            pg_sql_add(sql, "%s%s\"%s\"", k++ ? sep : "", prefix, name);
    }
    return k;
}

/* The upsert rewrites a row only when one of its staged values differs, so a re-export
 * of unchanged scores writes nothing, and exported_at says when a row last changed.
 * (xmax = 0) tells the rows it inserted from those it updated. */
static void upsert_sql(pg_sql *sql, const pg_columns *pc)
{
    size_t values;

    pg_sql_add(sql, "WITH up AS (INSERT INTO " PG_USERS " AS t (user_key");
    add_value_columns(sql, pc, ", ", "");
    pg_sql_add(sql, ", exported_at) SELECT user_key");
    values = add_value_columns(sql, pc, ", ", "");
    pg_sql_add(sql, ", now() FROM " PG_USERS_STAGE " ON CONFLICT (user_key) DO ");
    if (values == 0) {
        pg_sql_add(sql, "NOTHING");
    } else {
        pg_sql_add(sql, "UPDATE SET ");
        for (size_t i = 0; i < pc->n; i++) {
            const char *name = pg_column_sql_name(pc->cols[i]);
            if (strcmp(name, "user_key") != 0)
                pg_sql_add(sql, "\"%s\" = EXCLUDED.\"%s\", ", name, name);
        }
        pg_sql_add(sql, "exported_at = EXCLUDED.exported_at WHERE ROW(");
        add_value_columns(sql, pc, "t.", ", ");
        pg_sql_add(sql, ") IS DISTINCT FROM ROW(");
        add_value_columns(sql, pc, "EXCLUDED.", ", ");
        pg_sql_add(sql, ")");
    }
    pg_sql_add(sql, " RETURNING (xmax = 0) AS inserted)"
                    " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up");
}

int pg_merge_users(PGconn *conn, const pg_columns *pc, tamis_pg_export_stats *st, tamis_error *err)
{
    pg_sql sql = {0};
    PGresult *res = NULL;
    int rc = pg_exec(conn, "ANALYZE " PG_USERS_STAGE, "analyzing the staging table", NULL, err);

    if (rc == 0) {
        upsert_sql(&sql, pc);
        rc = pg_exec(conn, sql.buf, "upserting into " PG_USERS, &res, err);
    }
    if (rc == 0) {
        st->inserted = pg_count(res, 0);
        st->updated = pg_count(res, 1);
        st->unchanged = st->rows >= st->inserted + st->updated ? st->rows - st->inserted - st->updated : 0;
        PQclear(res);
        rc = pg_exec(conn,
                     "DELETE FROM " PG_USERS " t WHERE NOT EXISTS"
                     " (SELECT 1 FROM " PG_USERS_STAGE " s WHERE s.user_key = t.user_key)",
                     "deleting users no longer exported", &res, err);
    }
    if (rc == 0) {
        st->deleted = strtoull(PQcmdTuples(res), NULL, 10);
        PQclear(res);
    }
    pg_sql_free(&sql);
    return rc;
}

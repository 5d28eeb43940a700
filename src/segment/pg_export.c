/* pg_export.c — `tamis export --to postgresql://…` (include/tamis/pg_export.h): one
 * connection, one transaction. In order: an advisory lock (concurrent exports into
 * one database take turns), the tables created or brought to the current schema
 * version and tamis_users locked against other writers (pg_schema.c), the keys and
 * fingerprints of the rows tamis_users holds read back (pg_known.c), the users COPYed
 * in binary (pg_rows.c) — straight into tamis_users when it is empty, else into a
 * TEMP staging table, skipping users whose stored row is trusted and unchanged —
 * users no longer exported deleted, the staged rows merged (update, insert), the
 * given segments merged likewise, the export recorded in tamis_exports, COMMIT. The
 * first failure rolls everything back — DDL included, PostgreSQL's DDL being
 * transactional — so the tables keep what the previous export wrote. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "segment/pg_int.h"
#include "tamis/alloc.h"
#include "tamis/columns.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- options -------------------------------------------------------------------- */

static int check_columns(const pg_columns *pc, tamis_error *err)
{
    bool has_user = false;
    for (size_t i = 0; i < pc->n; i++) {
        if (pc->cols[i] >= tamis_column_count())
            return tamis_error_set(err, TAMIS_EUSAGE, "export column %zu does not exist", pc->cols[i]);
        for (size_t k = 0; k < i; k++)
            if (pc->cols[k] == pc->cols[i])
                return tamis_error_set(err, TAMIS_EUSAGE, "column %s is listed twice", tamis_column_name(pc->cols[i]));
        has_user |= strcmp(pg_column_sql_name(pc->cols[i]), "user_key") == 0;
    }
    if (!has_user)
        return tamis_error_set(err, TAMIS_EUSAGE, "the columns must include 'user' (the table's key)");
    return 0;
}

static int check_segments(const tamis_pg_export_options *opt, tamis_error *err)
{
    for (size_t i = 0; i < opt->n_segments; i++) {
        const tamis_pg_segment *s = &opt->segments[i];
        size_t len = s->name ? strlen(s->name) : 0;
        if (len == 0 || len > TAMIS_PG_SEGMENT_NAME_MAX)
            return tamis_error_set(err, TAMIS_EUSAGE, "segment %zu: a name of 1 to %d bytes is needed", i,
                                   TAMIS_PG_SEGMENT_NAME_MAX);
        if (!s->definition || strlen(s->definition) > TAMIS_PG_SEGMENT_DEFINITION_MAX)
            return tamis_error_set(err, TAMIS_EUSAGE, "segment %s: a definition of at most %d bytes is needed", s->name,
                                   TAMIS_PG_SEGMENT_DEFINITION_MAX);
        if (s->n_users && !s->user_keys)
            return tamis_error_set(err, TAMIS_EUSAGE, "segment %s: no member keys", s->name);
        for (size_t k = 0; k < i; k++)
            if (strcmp(opt->segments[k].name, s->name) == 0)
                return tamis_error_set(err, TAMIS_EUSAGE, "segment %s is given twice", s->name);
    }
    return 0;
}

/* ---- connection ----------------------------------------------------------------- */

/* Settings of the export's session, which any user may make. CREATE ... IF NOT EXISTS
 * says NOTICE when a table exists: not news. No JIT: compiling the merge's comparison
 * of some 70 columns takes longer than running it. Memory for the merge's joins, for
 * the sort that builds a new table's primary key, and for the TEMP staging table's
 * pages (temp_buffers counts only before the session's first TEMP table). */
#define SESSION_SETTINGS                                                                                               \
    "SET client_min_messages = warning; SET jit = off; SET work_mem = '64MB';"                                         \
    " SET maintenance_work_mem = '256MB'; SET temp_buffers = '128MB'"

/* conninfo goes last as dbname (expanded when a URL or key=value string), so what it
 * sets overrides the defaults before it. */
static int pg_connect(const char *conninfo, PGconn **out, tamis_error *err)
{
    char timeout[16];
    const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
    const char *vals[] = {timeout, "tamis", conninfo, NULL};
    PGconn *conn;
    int rc = 0;

    *out = NULL;
    snprintf(timeout, sizeof timeout, "%d", TAMIS_PG_CONNECT_TIMEOUT_S);
    if (!(conn = PQconnectdbParams(keys, vals, 1)))
        return tamis_error_set(err, TAMIS_EDB, "connecting: libpq could not allocate a connection");
    if (PQstatus(conn) != CONNECTION_OK)
        rc = pg_fail(conn, NULL, "connecting", err);
    else if (PQsetClientEncoding(conn, "UTF8") != 0)
        rc = pg_fail(conn, NULL, "setting the client encoding to UTF8", err);
    else
        rc = pg_exec(conn, SESSION_SETTINGS, "configuring the session", NULL, err);
    if (rc)
        PQfinish(conn);
    else
        *out = conn;
    return rc;
}

/* ---- segments ------------------------------------------------------------------- */

static int stage_segments(PGconn *conn, const tamis_pg_export_options *opt, tamis_error *err)
{
    int rc = pg_exec(conn,
                     "CREATE TEMP TABLE " PG_SEGMENTS_STAGE " (name text PRIMARY KEY, definition text NOT NULL,"
                     " evaluated_at timestamptz) ON COMMIT DROP;"
                     "CREATE TEMP TABLE " PG_MEMBERS_STAGE " (segment text NOT NULL, user_key text NOT NULL)"
                     " ON COMMIT DROP",
                     "creating the segment staging tables", NULL, err);

    for (size_t i = 0; rc == 0 && i < opt->n_segments; i++) {
        const tamis_pg_segment *s = &opt->segments[i];
        char ms[24];
        const char *vals[3] = {s->name, s->definition, s->evaluated_at_ms ? ms : NULL};
        PGresult *res;
        snprintf(ms, sizeof ms, "%lld", (long long)s->evaluated_at_ms);
        res = PQexecParams(conn, "INSERT INTO " PG_SEGMENTS_STAGE " VALUES ($1, $2, to_timestamp($3::bigint / 1000.0))",
                           3, NULL, vals, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = pg_fail(conn, res, "staging a segment", err);
        PQclear(res);
    }
    if (rc == 0)
        rc = pg_copy_members(conn, opt->segments, opt->n_segments, err);
    if (rc == 0)
        rc = pg_exec(conn, "ANALYZE " PG_MEMBERS_STAGE, "analyzing the segment staging table", NULL, err);
    return rc;
}

/* Runs sql and adds the number of rows it affected to *count. */
static int exec_count(PGconn *conn, const char *sql, const char *step, uint64_t *count, tamis_error *err)
{
    PGresult *res;
    int rc = pg_exec(conn, sql, step, &res, err);
    if (rc == 0) {
        *count += PQresultStatus(res) == PGRES_TUPLES_OK && PQnfields(res) == 1 && PQntuples(res) == 1
                      ? pg_count(res, 0)
                      : strtoull(PQcmdTuples(res), NULL, 10);
        PQclear(res);
    }
    return rc;
}

/* The given segments are replaced whole: definition and time upserted, members not
 * given removed, new ones added (only users in tamis_users: the members' foreign
 * key); with prune, the others dropped. */
static int merge_given(PGconn *conn, const tamis_pg_export_options *opt, tamis_pg_export_stats *st, tamis_error *err)
{
    int rc = stage_segments(conn, opt, err);

    if (rc == 0)
        rc = exec_count(conn,
                        "INSERT INTO " PG_SEGMENTS " (name, definition, size, evaluated_at, exported_at)"
                        " SELECT name, definition, 0, evaluated_at, now() FROM " PG_SEGMENTS_STAGE
                        " ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition,"
                        " evaluated_at = EXCLUDED.evaluated_at, exported_at = EXCLUDED.exported_at",
                        "upserting segments", &st->segments, err);
    if (rc == 0 && opt->prune_segments)
        rc = exec_count(conn,
                        "DELETE FROM " PG_SEGMENTS " g WHERE NOT EXISTS"
                        " (SELECT 1 FROM " PG_SEGMENTS_STAGE " s WHERE s.name = g.name)",
                        "dropping segments no longer given", &st->segments_dropped, err);
    if (rc == 0)
        rc = exec_count(conn,
                        "DELETE FROM " PG_MEMBERS " m USING " PG_SEGMENTS_STAGE " g WHERE m.segment = g.name"
                        " AND NOT EXISTS (SELECT 1 FROM " PG_MEMBERS_STAGE " s"
                        " WHERE s.segment = m.segment AND s.user_key = m.user_key)",
                        "removing segment members", &st->members_removed, err);
    if (rc == 0)
        rc = exec_count(conn,
                        "SELECT count(*) FROM " PG_MEMBERS_STAGE " s WHERE NOT EXISTS"
                        " (SELECT 1 FROM " PG_USERS " u WHERE u.user_key = s.user_key)",
                        "counting members that are not exported users", &st->members_skipped, err);
    if (rc == 0)
        rc = exec_count(conn,
                        "INSERT INTO " PG_MEMBERS " (segment, user_key) SELECT DISTINCT s.segment, s.user_key"
                        " FROM " PG_MEMBERS_STAGE " s JOIN " PG_USERS " u ON u.user_key = s.user_key"
                        " ON CONFLICT DO NOTHING",
                        "adding segment members", &st->members_added, err);
    return rc;
}

/* Sizes are counted from what is stored, after the merge. */
int pg_merge_segments(PGconn *conn, const tamis_pg_export_options *opt, tamis_pg_export_stats *st, tamis_error *err)
{
    uint64_t ignored = 0;
    int rc = 0;

    if (opt->n_segments > 0 || opt->prune_segments)
        rc = merge_given(conn, opt, st, err);
    /* every segment: users deleted above took their memberships with them */
    if (rc == 0)
        rc = exec_count(conn,
                        "UPDATE " PG_SEGMENTS " g SET size = c.n FROM (SELECT s.name, count(m.user_key) AS n"
                        " FROM " PG_SEGMENTS " s LEFT JOIN " PG_MEMBERS " m ON m.segment = s.name"
                        " GROUP BY s.name) c WHERE g.name = c.name AND g.size <> c.n",
                        "counting segment sizes", &ignored, err);
    return rc;
}

/* ---- the export ----------------------------------------------------------------- */

/* The row of tamis_exports, with the transaction's id: the rows this transaction
 * writes are trusted by the next export only if this row is committed with them. */
static int record_export(PGconn *conn, const pg_columns *pc, const tamis_pg_export_options *opt,
                         const tamis_pg_export_stats *st, tamis_error *err)
{
    pg_sql cols = {0}, tiers = {0};
    char num[7][32];
    const char *vals[9];
    PGresult *res;
    int rc = 0;

    for (size_t i = 0; i < pc->n; i++)
        pg_sql_add(&cols, "%s%s", i ? "," : "", tamis_column_name(pc->cols[i]));
    for (int t = 0; opt->tiers && t < TAMIS_TIER__COUNT; t++)
        if (opt->tiers[t])
            pg_sql_add(&tiers, "%s%s", tiers.len ? "," : "", tamis_tier_name(t));
    snprintf(num[0], sizeof num[0], "%llu", (unsigned long long)st->rows);
    snprintf(num[1], sizeof num[1], "%llu", (unsigned long long)st->inserted);
    snprintf(num[2], sizeof num[2], "%llu", (unsigned long long)st->updated);
    snprintf(num[3], sizeof num[3], "%llu", (unsigned long long)st->unchanged);
    snprintf(num[4], sizeof num[4], "%llu", (unsigned long long)st->deleted);
    snprintf(num[5], sizeof num[5], "%llu", (unsigned long long)st->segments);
    snprintf(num[6], sizeof num[6], "%.3f", st->seconds);
    vals[0] = cols.buf;
    vals[1] = opt->tiers ? (tiers.buf ? tiers.buf : "") : NULL;
    for (int i = 0; i < 7; i++)
        vals[2 + i] = num[i];
    res = PQexecParams(conn,
                       "INSERT INTO " PG_EXPORTS " (exported_at, columns, tiers, users, inserted, updated,"
                       " unchanged, deleted, segments, seconds, xid) VALUES (now(), $1, $2, $3, $4, $5, $6, $7, $8,"
                       " $9, pg_current_xact_id()::text::bigint)",
                       9, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pg_fail(conn, res, "recording the export", err);
    PQclear(res);
    pg_sql_free(&cols);
    pg_sql_free(&tiers);
    return rc;
}

/* COMMIT of a transaction that failed answers "ROLLBACK" without an error: check. */
static int commit(PGconn *conn, tamis_error *err)
{
    PGresult *res = PQexec(conn, "COMMIT");
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pg_fail(conn, res, "committing", err);
    else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
        rc = tamis_error_set(err, TAMIS_EDB, "committing: the server answered %s", PQcmdStatus(res));
    PQclear(res);
    return rc;
}

/* The transaction's now() in PostgreSQL's binary form (microseconds since 2000), the
 * exported_at of rows COPYed straight into tamis_users. */
static int transaction_now(PGconn *conn, int64_t *out, tamis_error *err)
{
    PGresult *res = PQexecParams(conn, "SELECT now()", 0, NULL, NULL, NULL, NULL, 1);
    int rc = 0;

    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = pg_fail(conn, res, "reading the time", err);
    else if (PQntuples(res) != 1 || PQgetlength(res, 0, 0) != 8)
        rc = tamis_error_set(err, TAMIS_EDB, "reading the time: an unexpected answer");
    else {
        uint32_t hi, lo;
        memcpy(&hi, PQgetvalue(res, 0, 0), 4);
        memcpy(&lo, PQgetvalue(res, 0, 0) + 4, 4);
        *out = (int64_t)((uint64_t)ntohl(hi) << 32 | ntohl(lo));
    }
    PQclear(res);
    return rc;
}

/* Seconds since *t, and *t moved to now: the phases of stats. */
static double lap(double *t)
{
    double t1 = now_s(), d = t1 - *t;
    *t = t1;
    return d;
}

/* The users: read what tamis_users holds, send what differs, delete what is gone. */
static int export_users(PGconn *conn, tamis_store *store, const tamis_model_config *cfg, const pg_columns *pc,
                        const tamis_pg_export_options *opt, const pg_schema_state *ss, tamis_pg_export_stats *st,
                        double *t, tamis_error *err)
{
    pg_known known;
    pg_users_copy uc = {0};
    int rc = 0;

    memset(&known, 0, sizeof known);
    if (!ss->users_created)
        rc = pg_known_read(conn, &known, err);
    st->read_seconds = lap(t);
    if (rc == 0)
        rc = transaction_now(conn, &uc.now_pg_us, err);
    /* straight into the table when it is empty and its columns have the rows' types */
    uc.direct = ss->users_created || (known.n == 0 && ss->types_match);
    uc.freeze = ss->users_created;
    uc.known = known.n ? &known : NULL;
    if (rc == 0 && !uc.direct)
        rc = pg_create_users_stage(conn, pc, err);
    if (rc == 0)
        rc = pg_copy_users(conn, store, cfg, pc, opt, &uc, err);
    st->rows = uc.sent + uc.skipped;
    st->sent = uc.sent;
    st->unchanged = uc.skipped;
    st->copy_seconds = lap(t);
    if (rc == 0 && uc.direct)
        st->inserted = uc.sent;
    if (rc == 0 && ss->users_created)
        rc = pg_finish_new_users(conn, err);
    if (rc == 0 && known.n)
        rc = pg_known_delete_unseen(conn, &known, &st->deleted, err);
    if (rc == 0 && !uc.direct)
        rc = pg_merge_users(conn, pc, uc.sent - uc.sent_new, uc.sent_new, st, err);
    st->merge_seconds = lap(t);
    pg_known_free(&known);
    return rc;
}

static int export_in_txn(PGconn *conn, tamis_store *store, const tamis_model_config *cfg, const pg_columns *pc,
                         const tamis_pg_export_options *opt, tamis_pg_export_stats *st, double t0, tamis_error *err)
{
    pg_schema_state ss;
    double t = t0;
    int rc = pg_exec(conn, "SELECT pg_advisory_xact_lock(hashtext('tamis export'))",
                     "waiting for another tamis export into this database", NULL, err);

    if (rc == 0)
        rc = pg_prepare_schema(conn, pc, &ss, err);
    st->schema_seconds = lap(&t);
    if (rc == 0)
        rc = export_users(conn, store, cfg, pc, opt, &ss, st, &t, err);
    if (rc == 0)
        rc = pg_merge_segments(conn, opt, st, err);
    st->segments_seconds = lap(&t);
    st->seconds = now_s() - t0;
    if (rc == 0)
        rc = record_export(conn, pc, opt, st, err);
    return rc;
}

int tamis_pg_export(const char *conninfo, tamis_store *store, const tamis_model_config *cfg,
                    const tamis_pg_export_options *opt, tamis_pg_export_stats *stats, tamis_error *err)
{
    double t0 = now_s(), t;
    pg_coltype *types = tamis_calloc(tamis_column_count(), sizeof *types);
    size_t *all = NULL;
    pg_columns pc = {opt->cols, opt->n_cols, types};
    PGconn *conn = NULL;
    int rc;

    memset(stats, 0, sizeof *stats);
    rc = pg_column_types(types, err);
    if (rc == 0 && !opt->cols) {
        all = tamis_calloc(tamis_column_count(), sizeof *all);
        for (size_t i = 0; i < tamis_column_count(); i++)
            all[i] = i;
        pc.cols = all;
        pc.n = tamis_column_count();
    }
    if (rc == 0)
        rc = check_columns(&pc, err);
    if (rc == 0)
        rc = check_segments(opt, err);
    if (rc == 0)
        rc = pg_connect(conninfo, &conn, err);
    if (rc == 0 && (rc = pg_exec(conn, "BEGIN", "beginning a transaction", NULL, err)) == 0) {
        rc = export_in_txn(conn, store, cfg, &pc, opt, stats, t0, err);
        t = now_s();
        if (rc == 0)
            rc = commit(conn, err);
        else if (PQstatus(conn) == CONNECTION_OK)
            PQclear(PQexec(conn, "ROLLBACK")); /* best effort: closing the connection rolls back too */
        stats->commit_seconds = lap(&t);
    }
    PQfinish(conn);
    tamis_free(all);
    tamis_free(types);
    stats->seconds = now_s() - t0;
    return rc;
}

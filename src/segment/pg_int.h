/* pg_int.h — private to the PostgreSQL export (include/tamis/pg_export.h): the SQL it
 * generates from the column table (pg_schema.c), the COPY streams that feed the
 * staging tables (pg_copy.c), and the statement helpers both use. pg_export.c drives
 * them in one transaction. No other module includes this header. */
#ifndef TAMIS_PG_INT_H
#define TAMIS_PG_INT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/model_config.h"
#include "tamis/pg_export.h"
#include "tamis/store.h"

/* Names of the tables (docs/EXPORT_POSTGRES.md); the staging tables are TEMP tables
 * dropped at commit, private to the export's session. */
#define PG_USERS "tamis_users"
#define PG_SEGMENTS "tamis_segments"
#define PG_MEMBERS "tamis_segment_members"
#define PG_EXPORTS "tamis_exports"
#define PG_USERS_STAGE "tamis_users_stage"
#define PG_SEGMENTS_STAGE "tamis_segments_stage"
#define PG_MEMBERS_STAGE "tamis_segment_members_stage"

/* COPY streams are CSV whose quote character is \x01 instead of '"' (see pg_copy.c):
 * JSON values then go into the stream as they are rendered. */
#define PG_COPY_OPTIONS "(FORMAT csv, QUOTE E'\\x01')"
#define PG_COPY_QUOTE '\x01'

/* A growing SQL text (tamis_grow); buf is NUL-terminated once anything was added. */
typedef struct pg_sql {
    char *buf;
    size_t len, cap;
} pg_sql;

void pg_sql_add(pg_sql *s, const char *fmt, ...) TAMIS_PRINTF(2, 3);
void pg_sql_free(pg_sql *s);

/* The columns one export writes: export column indexes (columns.h), and the SQL
 * type of every export column (indexed by column, not by position in cols). */
typedef struct pg_columns {
    const size_t *cols;
    size_t n;
    const char *const *sql_type;
} pg_columns;

/* The SQL type of every export column into types[tamis_column_count()] (static
 * strings). TAMIS_EINTERNAL if a column has no type (a column table bug). */
int pg_column_types(const char **types, tamis_error *err) TAMIS_WUR;
/* The table column of an export column: "user_key" for "user", else its name. */
const char *pg_column_sql_name(size_t col);

/* Runs sql; PGRES_COMMAND_OK or PGRES_TUPLES_OK is success. With out, the result is
 * handed to the caller (PQclear), else cleared. On failure err says "STEP: message"
 * (TAMIS_EDB) and *out is NULL. */
int pg_exec(PGconn *conn, const char *sql, const char *step, PGresult **out, tamis_error *err) TAMIS_WUR;
/* The message of a failed result or connection on one line into err (TAMIS_EDB). */
int pg_fail(PGconn *conn, const PGresult *res, const char *step, tamis_error *err);
/* A count from row 0, column c of res (0 when NULL or not a number). */
uint64_t pg_count(const PGresult *res, int c);

/* Creates the four tables and their index when missing, and adds to tamis_users the
 * export columns it lacks (a newer tamis may have more columns). */
int pg_ensure_schema(PGconn *conn, const char *const *types, tamis_error *err) TAMIS_WUR;
/* Creates the staging table of the users (the columns of pc). */
int pg_create_users_stage(PGconn *conn, const pg_columns *pc, tamis_error *err) TAMIS_WUR;
/* Merges the staging table into tamis_users: upsert, then deletion of users no
 * longer staged; fills inserted, updated, unchanged (from rows) and deleted. */
int pg_merge_users(PGconn *conn, const pg_columns *pc, tamis_pg_export_stats *st, tamis_error *err) TAMIS_WUR;
/* Writes the segments of opt after the users were merged (pg_export.c's last step
 * before recording the export); fills the segment counts of st. */
int pg_merge_segments(PGconn *conn, const tamis_pg_export_options *opt, tamis_pg_export_stats *st,
                      tamis_error *err) TAMIS_WUR;

/* COPYs every scored user of store (filtered by opt->tiers) into the users' staging
 * table, rendering rows on opt->threads threads; *rows counts them. */
int pg_copy_users(PGconn *conn, tamis_store *store, const tamis_model_config *cfg, const pg_columns *pc,
                  const tamis_pg_export_options *opt, uint64_t *rows, tamis_error *err) TAMIS_WUR;
/* COPYs (segment, user_key) pairs of the segments into the members' staging table. */
int pg_copy_members(PGconn *conn, const tamis_pg_segment *segs, size_t n, tamis_error *err) TAMIS_WUR;

#endif

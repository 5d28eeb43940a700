/* pg_int.h — private to the PostgreSQL export (include/tamis/pg_export.h): the SQL it
 * generates from the column table (pg_schema.c), the rows it encodes in COPY's binary
 * format with their fingerprints (pg_rows.c), the rows the table already holds
 * (pg_known.c), the COPY streams (pg_copy.c) and the statement helpers all use.
 * pg_export.c drives them in one transaction. No other module includes this header
 * (the unit test of the encoder aside). */
#ifndef TAMIS_PG_INT_H
#define TAMIS_PG_INT_H

#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tamis/columns.h"
#include "tamis/error.h"
#include "tamis/model_config.h"
#include "tamis/pg_export.h"
#include "tamis/store.h"
#include "util/strmap.h"

/* Names of the tables (docs/EXPORT_POSTGRES.md); the staging tables are TEMP tables
 * dropped at commit, private to the export's session. */
#define PG_USERS "tamis_users"
#define PG_SEGMENTS "tamis_segments"
#define PG_MEMBERS "tamis_segment_members"
#define PG_EXPORTS "tamis_exports"
#define PG_USERS_STAGE "tamis_users_stage"
#define PG_GONE_STAGE "tamis_users_gone"
#define PG_SEGMENTS_STAGE "tamis_segments_stage"
#define PG_MEMBERS_STAGE "tamis_segment_members_stage"
/* The columns tamis keeps in tamis_users besides the export columns. */
#define PG_ROW_HASH "row_hash"
#define PG_EXPORTED_AT "exported_at"

/* The segment members' COPY stream is CSV whose quote character is \x01 instead of
 * '"' (pg_copy.c). The users' rows go in COPY's binary format (pg_rows.c). */
#define PG_COPY_OPTIONS "(FORMAT csv, QUOTE E'\\x01')"
#define PG_COPY_QUOTE '\x01'
#define PG_COPY_BINARY "(FORMAT binary)"

/* Longest user key read back from tamis_users (bytes); a longer one is an error. */
#define PG_KEY_MAX 65536
/* Most rows tamis_users may hold when an export starts (the map of known rows is
 * indexed by uint32). */
#define PG_KNOWN_MAX 0xFFFFFFF0u
/* Largest binary row of one user (bytes): hitting it is an error naming the user. */
#define PG_ROW_MAX (16u << 20)

/* A growing SQL text (tamis_grow); buf is NUL-terminated once anything was added. */
typedef struct pg_sql {
    char *buf;
    size_t len, cap;
} pg_sql;

void pg_sql_add(pg_sql *s, const char *fmt, ...) TAMIS_PRINTF(2, 3);
void pg_sql_free(pg_sql *s);

/* The SQL type of an export column and the kind of value the column table gives for
 * it (a column gives one kind of value, or null). */
typedef struct pg_coltype {
    const char *sql; /* static string */
    tamis_value_type value;
} pg_coltype;

/* The columns one export writes: export column indexes (columns.h), and the type of
 * every export column (indexed by column, not by position in cols). */
typedef struct pg_columns {
    const size_t *cols;
    size_t n;
    const pg_coltype *type;
} pg_columns;

/* The type of every export column into types[tamis_column_count()]. TAMIS_EINTERNAL if
 * a column has no type (a column table bug). */
int pg_column_types(pg_coltype *types, tamis_error *err) TAMIS_WUR;
/* The table column of an export column: "user_key" for "user", else its name. */
const char *pg_column_sql_name(size_t col);
/* Whether export column col holds JSON (hour histogram, reasons, platforms). */
bool pg_column_is_json(const pg_coltype *t);

/* Runs sql; PGRES_COMMAND_OK or PGRES_TUPLES_OK is success. With out, the result is
 * handed to the caller (PQclear), else cleared. On failure err says "STEP: message"
 * (TAMIS_EDB) and *out is NULL. */
int pg_exec(PGconn *conn, const char *sql, const char *step, PGresult **out, tamis_error *err) TAMIS_WUR;
/* The message of a failed result or connection on one line into err (TAMIS_EDB). */
int pg_fail(PGconn *conn, const PGresult *res, const char *step, tamis_error *err);
/* A count from row 0, column c of res (0 when NULL or not a number). */
uint64_t pg_count(const PGresult *res, int c);

/* ---- schema (pg_schema.c) ------------------------------------------------------- */

/* What pg_prepare_schema found and did. */
typedef struct pg_schema_state {
    bool users_created; /* tamis_users was created by this transaction: empty, no key yet */
    bool types_match;   /* every column of the export has exactly its SQL type, so rows
                           can be COPYed in binary straight into tamis_users */
    bool migrated;      /* a version 1 table was converted (jsonb columns to json) */
} pg_schema_state;

/* Brings the schema to version 2 (docs/EXPORT_POSTGRES.md, "Schema versions"): creates
 * the tables when missing — tamis_users without its primary key when it is created
 * now, pg_finish_new_users adds it after the rows are in — adds the export columns and
 * tamis columns a table lacks, converts version 1's jsonb columns to json, and locks
 * tamis_users against other writers until the transaction ends. */
int pg_prepare_schema(PGconn *conn, const pg_columns *pc, pg_schema_state *st, tamis_error *err) TAMIS_WUR;
/* After the first rows went into a tamis_users created by this transaction: its
 * primary key, then the tables that reference it. */
int pg_finish_new_users(PGconn *conn, tamis_error *err) TAMIS_WUR;
/* Creates the users' staging table: the columns of pc, row_hash, is_new. */
int pg_create_users_stage(PGconn *conn, const pg_columns *pc, tamis_error *err) TAMIS_WUR;
/* The column list of the users' COPY: pc's columns, row_hash, then exported_at
 * (direct: into tamis_users) or is_new (into the staging table). */
void pg_copy_column_list(pg_sql *sql, const pg_columns *pc, bool direct);
/* Merges the staging table into tamis_users: rows of existing users rewritten (their
 * exported_at moved only where a value changed), new users inserted. Adds to
 * st->updated and st->unchanged; st->inserted counts the rows inserted. */
int pg_merge_users(PGconn *conn, const pg_columns *pc, uint64_t staged_existing, uint64_t staged_new,
                   tamis_pg_export_stats *st, tamis_error *err) TAMIS_WUR;

/* Writes the segments of opt after the users were merged (pg_export.c's last step
 * before recording the export); fills the segment counts of st. */
int pg_merge_segments(PGconn *conn, const tamis_pg_export_options *opt, tamis_pg_export_stats *st,
                      tamis_error *err) TAMIS_WUR;

/* ---- COPY streams (pg_copy.c) ----------------------------------------------------- */

/* A stdio stream over COPY ... FROM STDIN: writes go to PQputCopyData. */
typedef struct pg_copy_in {
    PGconn *conn;
    FILE *f;
    char *buf;
    bool failed; /* PQputCopyData failed: the connection's message says why */
} pg_copy_in;

/* Sends sql (a COPY FROM STDIN) and opens the stream over it; with binary, writes
 * the binary format's header. On failure no COPY is left in progress. */
int pg_copy_in_begin(PGconn *conn, const char *sql, bool binary, const char *step, pg_copy_in *cs,
                     tamis_error *err) TAMIS_WUR;
/* Ends the COPY: with binary, the trailer; flushes and closes the stream, aborts the
 * COPY when rc says we failed, and collects the server's answer. Returns the first
 * failure (the server's reason when it refused the data). */
int pg_copy_in_end(pg_copy_in *cs, bool binary, const char *step, int rc, tamis_error *err) TAMIS_WUR;
/* The error of a failed write on cs: the server's message when sending failed. */
int pg_copy_in_write_error(pg_copy_in *cs, const char *step, tamis_error *err);

/* Called per row of a binary COPY TO: n fields, each data[i] of len[i] bytes or
 * NULL (len -1). Non-zero stops the COPY and is returned. */
typedef int (*pg_copy_row_fn)(void *ctx, int n, const char *const *data, const int32_t *len, tamis_error *err);
/* Runs sql (COPY (...) TO STDOUT (FORMAT binary)) and hands every row of at most
 * max_fields fields to fn. */
int pg_copy_out(PGconn *conn, const char *sql, const char *step, int max_fields, pg_copy_row_fn fn, void *ctx,
                tamis_error *err) TAMIS_WUR;

/* COPYs (segment, user_key) pairs of the segments into the members' staging table. */
int pg_copy_members(PGconn *conn, const tamis_pg_segment *segs, size_t n, tamis_error *err) TAMIS_WUR;

/* ---- rows tamis_users holds (pg_known.c) ---------------------------------------- */

/* Every row of tamis_users when the export began: its key, and its fingerprint when
 * the row is as a committed tamis export wrote it (trusted). Read by the calling
 * thread; during the COPY, workers look keys up and mark them seen (atomically). */
typedef struct pg_known {
    tamis_strmap *index; /* key -> entry */
    char *keys;          /* the keys, NUL-terminated, back to back */
    size_t keys_len, keys_cap;
    size_t *key_at;    /* entry -> offset in keys */
    uint64_t *hash;    /* entry -> row_hash, when trusted */
    bool *trusted;     /* entry -> row_hash describes the row */
    atomic_bool *seen; /* entry -> exported this time (allocated when reading ends) */
    size_t n, cap;
} pg_known;

/* Reads tamis_users (locked by pg_prepare_schema) into k. */
int pg_known_read(PGconn *conn, pg_known *k, tamis_error *err) TAMIS_WUR;
void pg_known_free(pg_known *k);
/* The entry of key, or -1; thread-safe once reading ended. */
int64_t pg_known_find(const pg_known *k, const char *key);
/* COPYs the keys never marked seen into a TEMP table and deletes those users from
 * tamis_users (their segment memberships go by cascade); *deleted counts them. */
int pg_known_delete_unseen(PGconn *conn, const pg_known *k, uint64_t *deleted, tamis_error *err) TAMIS_WUR;

/* ---- users' rows in COPY's binary format (pg_rows.c) ----------------------------- */

/* A growing byte buffer (tamis_grow). */
typedef struct pg_buf {
    unsigned char *p;
    size_t len, cap;
} pg_buf;

/* Buffers one thread reuses from row to row: the row being encoded, and a memory
 * stream the JSON values are rendered into. */
typedef struct pg_row_scratch {
    pg_buf row;
    tamis_value *values; /* the row's columns (tamis_column_values) */
    FILE *json;
    char *json_text; /* open_memstream's buffer */
    size_t json_size;
} pg_row_scratch;

int pg_row_scratch_init(pg_row_scratch *s, tamis_error *err) TAMIS_WUR;
void pg_row_scratch_free(pg_row_scratch *s);

/* The seed of the fingerprints of an export writing pc's columns: fingerprints of
 * exports writing other columns, or of another encoding version, differ. */
uint64_t pg_row_seed(const pg_columns *pc);
/* Encodes row's values of pc's columns into s->row as one tuple of the binary COPY
 * format, leaving room for the two fields pg_copy_users appends (the field count
 * says pc->n + 2), and sets *fingerprint to the hash of the values (seeded with seed).
 * TAMIS_EINTERNAL when a value does not have its column's type; TAMIS_ELIMIT when the
 * row exceeds PG_ROW_MAX. */
int pg_row_encode(pg_row_scratch *s, const pg_columns *pc, uint64_t seed, const tamis_export_row *row,
                  uint64_t *fingerprint, tamis_error *err) TAMIS_WUR;

/* How the users' rows go in. */
typedef struct pg_users_copy {
    bool direct;           /* into tamis_users itself (it was empty): exported_at appended */
    bool freeze;           /* COPY ... FREEZE (tamis_users was created by this transaction) */
    int64_t now_pg_us;     /* exported_at of direct rows: the transaction's now() (PostgreSQL
                              microseconds since 2000-01-01) */
    const pg_known *known; /* the table's rows; NULL when it had none */
    /* filled: */
    uint64_t sent, sent_new, skipped; /* rows written to the stream; of them, new users;
                                          rows whose trusted fingerprint matched */
} pg_users_copy;

/* COPYs every scored user of store (filtered by opt->tiers) into tamis_users or its
 * staging table (uc->direct), rendering rows on opt->threads threads. A user whose
 * row in tamis_users is trusted and has the same fingerprint is skipped. */
int pg_copy_users(PGconn *conn, tamis_store *store, const tamis_model_config *cfg, const pg_columns *pc,
                  const tamis_pg_export_options *opt, pg_users_copy *uc, tamis_error *err) TAMIS_WUR;

#endif

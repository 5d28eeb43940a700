/* pg_export.h — writing every scored user's results, and segment memberships, into
 * PostgreSQL tables (src/segment/pg_export.c, pg_schema.c, pg_known.c, pg_rows.c,
 * pg_copy.c; libpq).
 *
 * `tamis export --to postgresql://…` calls tamis_pg_export. The schema (tables
 * tamis_users, tamis_segments, tamis_segment_members, tamis_exports; version 2) is
 * created when missing, a version 1 schema converted, as docs/EXPORT_POSTGRES.md
 * documents; tamis_users has one column per export column of include/tamis/columns.h.
 * One export is one PostgreSQL transaction: the rows go in with COPY's binary format —
 * straight into tamis_users when it is empty, else into a temporary staging table that
 * is merged into it (only rows whose values changed get a new exported_at) — users no
 * longer exported are deleted, so repeated exports converge to exactly the exported
 * users, and a failed export is rolled back whole: the tables keep what the previous
 * export wrote. Each row carries a fingerprint of its values (row_hash); a user whose
 * stored row is as a committed export wrote it and has the same fingerprint is not
 * sent again.
 *
 * Segments (saved audiences, src/segment/) are written through tamis_pg_segment:
 * a name, the definition text and the member user keys. Members reference
 * tamis_users (ON DELETE CASCADE), so an erased user leaves every segment at the next
 * export. Nothing is kept between calls; the connection is closed before returning.
 * Needs PostgreSQL 13 or later (pg_current_xact_id). */
#ifndef TAMIS_PG_EXPORT_H
#define TAMIS_PG_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/model_config.h"
#include "tamis/store.h"

/* Seconds libpq waits for a connection when the URL sets no connect_timeout. */
#define TAMIS_PG_CONNECT_TIMEOUT_S 10
/* Longest segment name and definition written (bytes). */
#define TAMIS_PG_SEGMENT_NAME_MAX 256
#define TAMIS_PG_SEGMENT_DEFINITION_MAX 65536

/* One segment as evaluated: everything is borrowed for the duration of the call. */
typedef struct tamis_pg_segment {
    const char *name;             /* unique among the segments given; 1..NAME_MAX bytes */
    const char *definition;       /* the expression text as saved */
    int64_t evaluated_at_ms;      /* when membership was computed (UTC ms) */
    const char *const *user_keys; /* the members' keys (the operator's user keys) */
    size_t n_users;
} tamis_pg_segment;

typedef struct tamis_pg_export_options {
    /* Export columns to write (indexes into columns.h), which must include "user";
     * NULL: every column. On rows that already exist, columns not listed keep their
     * values; on new rows they are NULL. */
    const size_t *cols;
    size_t n_cols;
    /* NULL: every scored user; else tiers[t] says whether tier t is exported (the
     * table then converges to the users of those tiers). */
    const bool *tiers;
    unsigned threads; /* rendering threads, 1..8 (0: 1) */
    /* Segments written in the same transaction (after the users); may be 0. Given
     * segments are replaced whole; segments not given are left as they are unless
     * prune_segments, which drops them (with their members). Member keys that are
     * not among the exported users are skipped and counted. */
    const tamis_pg_segment *segments;
    size_t n_segments;
    bool prune_segments;
} tamis_pg_export_options;

typedef struct tamis_pg_export_stats {
    uint64_t rows;      /* users exported */
    uint64_t sent;      /* of them, rows sent to the server (the others were unchanged) */
    uint64_t inserted;  /* new in tamis_users */
    uint64_t updated;   /* existing rows whose values changed */
    uint64_t unchanged; /* existing rows whose values did not change */
    uint64_t deleted;   /* rows of users no longer exported */
    uint64_t segments;  /* segments written */
    uint64_t members_added, members_removed, members_skipped;
    uint64_t segments_dropped; /* by prune_segments */
    double seconds;            /* wall time of the whole export */
    /* where the wall time went: tables created, upgraded and locked; keys and
     * fingerprints of the stored rows read; rows rendered and COPYed; the merge (a
     * new table's primary key, deletions, update, insert); segments; COMMIT */
    double schema_seconds, read_seconds, copy_seconds, merge_seconds, segments_seconds, commit_seconds;
} tamis_pg_export_stats;

/* Exports every scored user of store (scores as stored by `tamis score`, rendered
 * with cfg for zone names) and opt's segments to the database of conninfo (a
 * postgresql:// or postgres:// URL, or a libpq "key=value" string). On success the
 * transaction is committed and *stats filled. On failure nothing was changed in the
 * database (the transaction is rolled back, or was never begun), *stats holds what
 * was counted so far, and err names the step and carries PostgreSQL's message:
 * TAMIS_EDB for connection and SQL errors, TAMIS_EUSAGE for bad options (no "user"
 * column, a bad segment), or the store's error code. The store is only read. */
int tamis_pg_export(const char *conninfo, tamis_store *store, const tamis_model_config *cfg,
                    const tamis_pg_export_options *opt, tamis_pg_export_stats *stats, tamis_error *err) TAMIS_WUR;

#endif

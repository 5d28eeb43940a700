/* pg_copy.c — the COPY streams of the PostgreSQL export (see pg_int.h): every scored
 * user's row into the users' staging table, and segment memberships into theirs.
 *
 * Rows are rendered by the threaded results renderer (src/model/results.h) into a
 * stdio stream whose writes go to PQputCopyData (fopencookie), so rendering runs on
 * several cores while the calling thread alone talks to the server.
 *
 * The format is COPY's CSV with \x01 as the quote character (PG_COPY_OPTIONS): text
 * values are quoted with it (a \x01 inside doubled, so an empty string is not NULL);
 * an empty field is NULL; numbers, booleans and times are written bare; JSON values
 * (hour histogram, reasons, platforms) are written as tamis_render_json renders them,
 * quoted. Valid JSON never holds a raw control character (RFC 8259 escapes them), so
 * it needs no second escaping pass — the reason for \x01 instead of '"'. */
#define _GNU_SOURCE /* fopencookie; the *_unlocked stdio calls: one thread per stream */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "model/render.h"
#include "model/results.h"
#include "segment/pg_int.h"
#include "tamis/alloc.h"
#include "tamis/columns.h"

#define fputc(c, f) fputc_unlocked((c), (f))

/* Bytes handed to PQputCopyData at once (it takes an int), and the stream's buffer. */
#define PG_COPY_PIECE (1u << 20)
#define PG_COPY_BUFFER (1u << 20)

/* ---- a stdio stream over COPY FROM STDIN ---------------------------------------- */

typedef struct copy_sink {
    PGconn *conn;
    bool failed; /* PQputCopyData failed: the connection's message says why */
} copy_sink;

static ssize_t sink_write(void *cookie, const char *buf, size_t size)
{
    copy_sink *s = cookie;
    for (size_t done = 0; done < size;) {
        size_t n = size - done < PG_COPY_PIECE ? size - done : PG_COPY_PIECE;
        if (PQputCopyData(s->conn, buf + done, (int)n) != 1) {
            s->failed = true;
            return 0; /* fopencookie: 0 is a write error */
        }
        done += n;
    }
    return (ssize_t)size;
}

typedef struct copy_stream {
    copy_sink sink;
    FILE *f;
    char *buf;
} copy_stream;

/* Sends `COPY table (columns) FROM STDIN` (sql) and opens the stream over it. On
 * failure no COPY is left in progress. */
static int copy_begin(PGconn *conn, const char *sql, const char *step, copy_stream *cs, tamis_error *err)
{
    static const cookie_io_functions_t io = {.write = sink_write};
    PGresult *res = PQexec(conn, sql);
    int rc = 0;

    memset(cs, 0, sizeof *cs);
    cs->sink.conn = conn;
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        rc = pg_fail(conn, res, step, err);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    if (!(cs->f = fopencookie(&cs->sink, "w", io))) {
        PQputCopyEnd(conn, "tamis: could not open a stream");
        while ((res = PQgetResult(conn)))
            PQclear(res);
        return tamis_error_set(err, TAMIS_EIO, "%s: cannot open a stream", step);
    }
    cs->buf = tamis_malloc(PG_COPY_BUFFER);
    setvbuf(cs->f, cs->buf, _IOFBF, PG_COPY_BUFFER);
    return 0;
}

/* Flushes and closes the stream, ends the COPY — aborted with our message when rc
 * says we failed — and collects the server's answer. Returns the first failure; when
 * sending failed because the server had refused the data (it stops reading the
 * stream and answers with an error), the server's error is the one reported. */
static int copy_end(PGconn *conn, copy_stream *cs, const char *step, int rc, tamis_error *err)
{
    PGresult *res;

    if (cs->f && fclose(cs->f) != 0 && rc == 0)
        rc = cs->sink.failed ? pg_fail(conn, NULL, step, err)
                             : tamis_error_set(err, TAMIS_EIO, "%s: write failed", step);
    cs->f = NULL;
    tamis_free(cs->buf);
    cs->buf = NULL;
    if (PQputCopyEnd(conn, rc ? "tamis: export aborted" : NULL) != 1 && rc == 0)
        rc = pg_fail(conn, NULL, step, err);
    while ((res = PQgetResult(conn))) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && (rc == 0 || cs->sink.failed)) {
            rc = pg_fail(conn, res, step, err);
            cs->sink.failed = false; /* the first server error is the reason */
        }
        PQclear(res);
    }
    return rc;
}

/* ---- values ----------------------------------------------------------------------- */

static void put_quoted(FILE *out, const char *s)
{
    fputc(PG_COPY_QUOTE, out);
    for (; *s; s++) {
        if (*s == PG_COPY_QUOTE)
            fputc(PG_COPY_QUOTE, out);
        fputc(*s, out);
    }
    fputc(PG_COPY_QUOTE, out);
}

static void put_value(FILE *out, const tamis_value *v, const tamis_export_row *row)
{
    switch (v->type) {
    case TAMIS_V_NULL: break;
    case TAMIS_V_STRING: put_quoted(out, v->s); break;
    case TAMIS_V_HIST:
    case TAMIS_V_REASONS:
    case TAMIS_V_PLATFORMS:
        fputc(PG_COPY_QUOTE, out);
        tamis_render_json(out, v, row);
        fputc(PG_COPY_QUOTE, out);
        break;
    default: tamis_render_csv(out, v, row); break; /* bool, number, time: bare */
    }
}

typedef struct copy_users_ctx {
    const pg_columns *pc;
    const bool *tiers;
} copy_users_ctx;

/* One user's line (a tamis_result_render_fn: runs in worker threads, reads ctx only). */
static int copy_row(const void *vctx, tamis_results_reader *rd, FILE *out, uint64_t *rows)
{
    const copy_users_ctx *x = vctx;
    if (x->tiers && !x->tiers[rd->result.tier])
        return 0;
    for (size_t i = 0; i < x->pc->n; i++) {
        tamis_value v;
        tamis_column_value(x->pc->cols[i], &rd->row, &v);
        if (i)
            fputc(',', out);
        put_value(out, &v, &rd->row);
    }
    fputc('\n', out);
    (*rows)++;
    return ferror(out) ? TAMIS_EIO : 0;
}

/* ---- the two COPYs ---------------------------------------------------------------- */

int pg_copy_users(PGconn *conn, tamis_store *store, const tamis_model_config *cfg, const pg_columns *pc,
                  const tamis_pg_export_options *opt, uint64_t *rows, tamis_error *err)
{
    static const char step[] = "copying users into the staging table";
    copy_users_ctx x = {pc, opt->tiers};
    copy_stream cs;
    pg_sql sql = {0};
    int rc;

    *rows = 0;
    pg_sql_add(&sql, "COPY " PG_USERS_STAGE " (");
    for (size_t i = 0; i < pc->n; i++)
        pg_sql_add(&sql, "%s\"%s\"", i ? ", " : "", pg_column_sql_name(pc->cols[i]));
    pg_sql_add(&sql, ") FROM STDIN WITH " PG_COPY_OPTIONS);
    rc = copy_begin(conn, sql.buf, step, &cs, err);
    pg_sql_free(&sql);
    if (rc)
        return rc;
    rc = tamis_results_render(store, cfg, opt->threads ? opt->threads : 1, copy_row, &x, cs.f, rows, err);
    if (rc && cs.sink.failed)
        rc = pg_fail(conn, NULL, step, err); /* the server's reason, not "write failed" */
    return copy_end(conn, &cs, step, rc, err);
}

int pg_copy_members(PGconn *conn, const tamis_pg_segment *segs, size_t n, tamis_error *err)
{
    static const char step[] = "copying segment members into the staging table";
    copy_stream cs;
    int rc = copy_begin(conn, "COPY " PG_MEMBERS_STAGE " (segment, user_key) FROM STDIN WITH " PG_COPY_OPTIONS, step,
                        &cs, err);

    for (size_t i = 0; rc == 0 && i < n; i++) {
        for (size_t k = 0; rc == 0 && k < segs[i].n_users; k++) {
            if (!segs[i].user_keys[k]) {
                rc = tamis_error_set(err, TAMIS_EUSAGE, "segment %s: member %zu has no key", segs[i].name, k);
                break;
            }
            put_quoted(cs.f, segs[i].name);
            fputc(',', cs.f);
            put_quoted(cs.f, segs[i].user_keys[k]);
            fputc('\n', cs.f);
            if (ferror(cs.f))
                rc = cs.sink.failed ? pg_fail(conn, NULL, step, err)
                                    : tamis_error_set(err, TAMIS_EIO, "%s: write failed", step);
        }
    }
    return cs.f ? copy_end(conn, &cs, step, rc, err) : rc;
}

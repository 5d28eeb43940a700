/* pg_copy.c — the COPY streams of the PostgreSQL export (see pg_int.h): a stdio
 * stream over COPY FROM STDIN (the users' rows in binary, pg_rows.c; the keys of
 * users to delete, pg_known.c; segment memberships, here), and a reader of COPY TO
 * STDOUT in binary (the rows tamis_users holds, pg_known.c).
 *
 * The stream is a fopencookie whose writes go to PQputCopyData, so the rows rendered
 * in worker threads reach the server from the calling thread alone.
 *
 * Segment memberships go as COPY's CSV with \x01 as the quote character
 * (PG_COPY_OPTIONS): text values are quoted with it (a \x01 inside doubled, so an
 * empty string is not NULL). */
#define _GNU_SOURCE /* fopencookie; the *_unlocked stdio calls: one thread per stream */
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "segment/pg_int.h"
#include "tamis/alloc.h"

#define fputc(c, f) fputc_unlocked((c), (f))
#define fwrite(p, n, m, f) fwrite_unlocked((p), (n), (m), (f))

/* Bytes handed to PQputCopyData at once (it takes an int), and the stream's buffer. */
#define PG_COPY_PIECE (1u << 20)
#define PG_COPY_BUFFER (1u << 20)

/* The binary format's header: signature, flags (none), header extension length (0);
 * and its trailer, a field count of -1. */
static const char BINARY_SIGNATURE[11] = "PGCOPY\n\377\r\n";
#define BINARY_HEADER_LEN 19
/* Most fields of a row read from COPY TO. */
#define COPY_OUT_FIELDS_MAX 8

/* ---- COPY FROM STDIN ---------------------------------------------------------------- */

static ssize_t sink_write(void *cookie, const char *buf, size_t size)
{
    pg_copy_in *cs = cookie;
    for (size_t done = 0; done < size;) {
        size_t n = size - done < PG_COPY_PIECE ? size - done : PG_COPY_PIECE;
        if (PQputCopyData(cs->conn, buf + done, (int)n) != 1) {
            cs->failed = true;
            return 0; /* fopencookie: 0 is a write error */
        }
        done += n;
    }
    return (ssize_t)size;
}

int pg_copy_in_begin(PGconn *conn, const char *sql, bool binary, const char *step, pg_copy_in *cs, tamis_error *err)
{
    static const cookie_io_functions_t io = {.write = sink_write};
    static const unsigned char header[BINARY_HEADER_LEN - sizeof BINARY_SIGNATURE] = {0};
    PGresult *res = PQexec(conn, sql);
    int rc = 0;

    memset(cs, 0, sizeof *cs);
    cs->conn = conn;
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        rc = pg_fail(conn, res, step, err);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    if (!(cs->f = fopencookie(cs, "w", io))) {
        PQputCopyEnd(conn, "tamis: could not open a stream");
        while ((res = PQgetResult(conn)))
            PQclear(res);
        return tamis_error_set(err, TAMIS_EIO, "%s: cannot open a stream", step);
    }
    cs->buf = tamis_malloc(PG_COPY_BUFFER);
    setvbuf(cs->f, cs->buf, _IOFBF, PG_COPY_BUFFER);
    if (binary) {
        fwrite(BINARY_SIGNATURE, 1, sizeof BINARY_SIGNATURE, cs->f);
        fwrite(header, 1, sizeof header, cs->f);
    }
    return 0;
}

int pg_copy_in_write_error(pg_copy_in *cs, const char *step, tamis_error *err)
{
    return cs->failed ? pg_fail(cs->conn, NULL, step, err) : tamis_error_set(err, TAMIS_EIO, "%s: write failed", step);
}

int pg_copy_in_end(pg_copy_in *cs, bool binary, const char *step, int rc, tamis_error *err)
{
    static const unsigned char trailer[2] = {0xFF, 0xFF};
    PGresult *res;

    if (rc == 0 && binary && fwrite(trailer, 1, sizeof trailer, cs->f) != sizeof trailer)
        rc = pg_copy_in_write_error(cs, step, err);
    if (cs->f && fclose(cs->f) != 0 && rc == 0)
        rc = pg_copy_in_write_error(cs, step, err);
    cs->f = NULL;
    tamis_free(cs->buf);
    cs->buf = NULL;
    if (PQputCopyEnd(cs->conn, rc ? "tamis: export aborted" : NULL) != 1 && rc == 0)
        rc = pg_fail(cs->conn, NULL, step, err);
    while ((res = PQgetResult(cs->conn))) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && (rc == 0 || cs->failed)) {
            rc = pg_fail(cs->conn, res, step, err);
            cs->failed = false; /* the first server error is the reason */
        }
        PQclear(res);
    }
    return rc;
}

/* ---- COPY TO STDOUT, binary ------------------------------------------------------- */

static uint32_t get_u32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return ntohl(v);
}

/* One message of the stream: a tuple (after the header, on the first message), or
 * the trailer. *done when the trailer was read. */
static int copy_out_message(const char *msg, int len, bool first, int max_fields, pg_copy_row_fn fn, void *ctx,
                            bool *done, const char *step, tamis_error *err)
{
    const char *data[COPY_OUT_FIELDS_MAX];
    int32_t flen[COPY_OUT_FIELDS_MAX];
    const char *p = msg, *end = msg + len;
    int16_t n;

    if (first) {
        if (len < BINARY_HEADER_LEN || memcmp(p, BINARY_SIGNATURE, sizeof BINARY_SIGNATURE) != 0)
            return tamis_error_set(err, TAMIS_EDB, "%s: the server did not send COPY's binary header", step);
        uint32_t ext = get_u32(p + 15);
        if (ext > (uint32_t)(len - BINARY_HEADER_LEN))
            return tamis_error_set(err, TAMIS_EDB, "%s: a COPY header extension of %u bytes", step, ext);
        p += BINARY_HEADER_LEN + ext;
    }
    if (end - p < 2)
        return tamis_error_set(err, TAMIS_EDB, "%s: a COPY message of %d bytes", step, len);
    n = (int16_t)(((unsigned char)p[0] << 8) | (unsigned char)p[1]);
    p += 2;
    if (n == -1) {
        *done = true;
        return 0;
    }
    if (n < 0 || n > max_fields || n > COPY_OUT_FIELDS_MAX)
        return tamis_error_set(err, TAMIS_EDB, "%s: a row of %d fields (at most %d expected)", step, n, max_fields);
    for (int i = 0; i < n; i++) {
        if (end - p < 4)
            return tamis_error_set(err, TAMIS_EDB, "%s: a row cut short", step);
        flen[i] = (int32_t)get_u32(p);
        p += 4;
        if (flen[i] < -1 || (flen[i] > 0 && end - p < flen[i]))
            return tamis_error_set(err, TAMIS_EDB, "%s: a field of %d bytes in a row cut short", step, flen[i]);
        data[i] = flen[i] < 0 ? NULL : p;
        p += flen[i] > 0 ? flen[i] : 0;
    }
    return fn(ctx, n, data, flen, err);
}

int pg_copy_out(PGconn *conn, const char *sql, const char *step, int max_fields, pg_copy_row_fn fn, void *ctx,
                tamis_error *err)
{
    PGresult *res = PQexec(conn, sql);
    bool first = true, done = false;
    int rc = 0, len;
    char *msg;

    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        rc = pg_fail(conn, res, step, err);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    /* every message is read, even after a failure: the connection must leave COPY */
    while ((len = PQgetCopyData(conn, &msg, 0)) > 0) {
        if (rc == 0 && !done)
            rc = copy_out_message(msg, len, first, max_fields, fn, ctx, &done, step, err);
        first = false;
        PQfreemem(msg);
    }
    if (len == -2 && rc == 0)
        rc = pg_fail(conn, NULL, step, err);
    while ((res = PQgetResult(conn))) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0)
            rc = pg_fail(conn, res, step, err);
        PQclear(res);
    }
    if (rc == 0 && !done)
        rc = tamis_error_set(err, TAMIS_EDB, "%s: the COPY ended without its trailer", step);
    return rc;
}

/* ---- segment memberships ---------------------------------------------------------- */

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

int pg_copy_members(PGconn *conn, const tamis_pg_segment *segs, size_t n, tamis_error *err)
{
    static const char step[] = "copying segment members into the staging table";
    pg_copy_in cs;
    int rc = pg_copy_in_begin(conn, "COPY " PG_MEMBERS_STAGE " (segment, user_key) FROM STDIN WITH " PG_COPY_OPTIONS,
                              false, step, &cs, err);

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
                rc = pg_copy_in_write_error(&cs, step, err);
        }
    }
    return cs.f ? pg_copy_in_end(&cs, false, step, rc, err) : rc;
}

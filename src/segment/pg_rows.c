/* pg_rows.c — the users' rows of the PostgreSQL export (see pg_int.h): each scored
 * user's values encoded as one tuple of COPY's binary format, its fingerprint, and
 * the COPY that sends the rows tamis_users does not already hold.
 *
 * Binary, because PostgreSQL then parses nothing but the JSON values: integers,
 * doubles, booleans and instants arrive as the bytes it stores (timestamptz is
 * microseconds since 2000-01-01 UTC), and tamis formats no numbers. JSON values are
 * rendered by tamis_render_json (src/model/render.c), the text `export --format
 * ndjson` writes; a json value's binary form is its text.
 *
 * The fingerprint is XXH3 of the encoded values, seeded with the column list and
 * types: two rows with the same fingerprint hold the same values. It is stored in
 * tamis_users.row_hash; a user whose row is trusted (pg_known.c) and carries the
 * fingerprint of this export's row is not sent at all.
 *
 * Rows are encoded in the worker threads of tamis_results_render; each worker keeps
 * its buffers (pg_row_scratch) with its results reader, freed with it. */
#define _GNU_SOURCE /* open_memstream; the *_unlocked stdio calls: one thread per stream */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "model/render.h"
#include "model/results.h"
#include "segment/pg_int.h"
#include "tamis/alloc.h"

#define fwrite(p, n, m, f) fwrite_unlocked((p), (n), (m), (f))

/* Changes when the encoding of a value changes: every stored fingerprint then
 * differs, and the next export compares every row. */
#define ROW_ENCODING_VERSION "tamis-pg-row-3"
/* 1970-01-01 minus 2000-01-01, PostgreSQL's epoch, in milliseconds. */
#define PG_EPOCH_MS 946684800000LL

/* ---- bytes ------------------------------------------------------------------------ */

static unsigned char *buf_room(pg_buf *b, size_t n)
{
    if (b->len + n > b->cap)
        b->p = tamis_grow(b->p, 1, &b->cap, b->len + n);
    b->len += n;
    return b->p + b->len - n;
}

static void put_be16(pg_buf *b, uint16_t v)
{
    uint16_t be = htons(v);
    memcpy(buf_room(b, 2), &be, 2);
}

static void put_be32(pg_buf *b, uint32_t v)
{
    uint32_t be = htonl(v);
    memcpy(buf_room(b, 4), &be, 4);
}

static void put_be64(pg_buf *b, uint64_t v)
{
    put_be32(b, (uint32_t)(v >> 32));
    put_be32(b, (uint32_t)v);
}

/* A field of 8 bytes: its length, then v big-endian. */
static void put_field64(pg_buf *b, uint64_t v)
{
    put_be32(b, 8);
    put_be64(b, v);
}

static void put_field_bytes(pg_buf *b, const void *p, size_t n)
{
    put_be32(b, (uint32_t)n);
    if (n)
        memcpy(buf_room(b, n), p, n);
}

/* ---- scratch buffers ---------------------------------------------------------------- */

int pg_row_scratch_init(pg_row_scratch *s, tamis_error *err)
{
    memset(s, 0, sizeof *s);
    s->values = tamis_calloc(tamis_column_count(), sizeof *s->values);
    if (!(s->json = open_memstream(&s->json_text, &s->json_size)))
        return tamis_error_set(err, TAMIS_EIO, "cannot open a memory stream for JSON values");
    return 0;
}

void pg_row_scratch_free(pg_row_scratch *s)
{
    if (s->json)
        fclose(s->json);
    free(s->json_text); /* open_memstream's buffer, from libc */
    tamis_free(s->row.p);
    tamis_free(s->values);
    memset(s, 0, sizeof *s);
}

/* ---- one row ---------------------------------------------------------------------- */

uint64_t pg_row_seed(const pg_columns *pc)
{
    pg_sql text = {0};
    uint64_t seed;

    pg_sql_add(&text, "%s", ROW_ENCODING_VERSION);
    for (size_t i = 0; i < pc->n; i++)
        pg_sql_add(&text, ",%s:%s", pg_column_sql_name(pc->cols[i]), pc->type[pc->cols[i]].sql);
    seed = XXH3_64bits(text.buf, text.len);
    pg_sql_free(&text);
    return seed;
}

static int put_json(pg_row_scratch *s, const tamis_value *v, const tamis_export_row *row, tamis_error *err)
{
    off_t n;

    rewind(s->json);
    if (v->type == TAMIS_V_PLATFORMS)
        tamis_render_platforms_json(s->json, row, true); /* null members left out */
    else
        tamis_render_json(s->json, v, row);
    if (fflush(s->json) != 0 || ferror(s->json) || (n = ftello(s->json)) < 0)
        return tamis_error_set(err, TAMIS_EIO, "user %s: cannot render a JSON value", row->user);
    if ((uint64_t)n > PG_ROW_MAX)
        return tamis_error_set(err, TAMIS_ELIMIT, "user %s: a JSON value of more than %u bytes", row->user, PG_ROW_MAX);
    put_field_bytes(&s->row, s->json_text, (size_t)n);
    return 0;
}

static int put_time(pg_buf *b, int64_t ms, const tamis_export_row *row, size_t col, tamis_error *err)
{
    /* microseconds since 2000 must fit in int64: ±292,000 years, far beyond any event */
    if (ms < INT64_MIN / 1000 + PG_EPOCH_MS || ms > INT64_MAX / 1000 + PG_EPOCH_MS)
        return tamis_error_set(err, TAMIS_ELIMIT, "user %s: %s of %lld ms is out of range", row->user,
                               tamis_column_name(col), (long long)ms);
    put_field64(b, (uint64_t)((ms - PG_EPOCH_MS) * 1000));
    return 0;
}

/* The value of column col (s->values), which the column table gives as type t (or
 * null). */
static int put_value(pg_row_scratch *s, size_t col, const pg_coltype *t, const tamis_export_row *row, tamis_error *err)
{
    tamis_value v = s->values[col];
    uint64_t bits;

    if (v.type == TAMIS_V_STRING && !v.s)
        v.type = TAMIS_V_NULL;
    if (v.type == TAMIS_V_NULL) {
        put_be32(&s->row, UINT32_MAX); /* -1: NULL */
        return 0;
    }
    if (v.type != t->value)
        return tamis_error_set(err, TAMIS_EINTERNAL, "user %s: column %s gave a value of type %d, not %d", row->user,
                               tamis_column_name(col), (int)v.type, (int)t->value);
    switch (v.type) {
    case TAMIS_V_BOOL: put_field_bytes(&s->row, v.b ? "\1" : "\0", 1); return 0;
    case TAMIS_V_INT: put_field64(&s->row, (uint64_t)v.i); return 0;
    case TAMIS_V_DOUBLE:
        memcpy(&bits, &v.d, sizeof bits);
        put_field64(&s->row, bits);
        return 0;
    case TAMIS_V_STRING:
        if (strlen(v.s) > PG_ROW_MAX)
            return tamis_error_set(err, TAMIS_ELIMIT, "user %s: %s is longer than %u bytes", row->user,
                                   tamis_column_name(col), PG_ROW_MAX);
        put_field_bytes(&s->row, v.s, strlen(v.s));
        return 0;
    case TAMIS_V_TIME: return put_time(&s->row, v.i, row, col, err);
    case TAMIS_V_HIST:
    case TAMIS_V_REASONS:
    case TAMIS_V_PLATFORMS: return put_json(s, &v, row, err);
    case TAMIS_V_NULL: break;
    }
    return tamis_error_set(err, TAMIS_EINTERNAL, "column %s: no binary encoding", tamis_column_name(col));
}

int pg_row_encode(pg_row_scratch *s, const pg_columns *pc, uint64_t seed, const tamis_export_row *row,
                  uint64_t *fingerprint, tamis_error *err)
{
    int rc = 0;

    s->row.len = 0;
    tamis_column_values(row, s->values);
    put_be16(&s->row, (uint16_t)(pc->n + 2));
    for (size_t i = 0; i < pc->n && rc == 0; i++) {
        rc = put_value(s, pc->cols[i], &pc->type[pc->cols[i]], row, err);
        if (rc == 0 && s->row.len > PG_ROW_MAX)
            rc = tamis_error_set(err, TAMIS_ELIMIT, "user %s: a row of more than %u bytes", row->user, PG_ROW_MAX);
    }
    if (rc == 0)
        *fingerprint = XXH3_64bits_withSeed(s->row.p + 2, s->row.len - 2, seed);
    return rc;
}

/* ---- the users' COPY ---------------------------------------------------------------- */

static void scratch_destroy(void *p)
{
    pg_row_scratch_free(p);
    tamis_free(p);
}

/* The worker's scratch, kept with its results reader (made on first use); NULL when
 * it cannot be made. */
static pg_row_scratch *scratch_of(tamis_results_reader *rd)
{
    pg_row_scratch *s = rd->worker_data;
    tamis_error ignored;

    if (s)
        return s;
    s = tamis_calloc(1, sizeof *s);
    if (pg_row_scratch_init(s, &ignored) != 0) {
        scratch_destroy(s);
        return NULL;
    }
    rd->worker_data = s;
    rd->worker_data_free = scratch_destroy;
    return s;
}

typedef struct users_ctx {
    const pg_columns *pc;
    const bool *tiers;
    const pg_known *known;
    uint64_t seed;
    bool direct;
    int64_t now_pg_us;
    /* written by the workers */
    atomic_uint_fast64_t *sent_new, *skipped;
    atomic_flag *err_taken; /* the first worker to fail leaves its message in err */
    tamis_error *err;
} users_ctx;

static int worker_fail(const users_ctx *x, int rc, const tamis_error *e)
{
    if (!atomic_flag_test_and_set(x->err_taken))
        *x->err = *e;
    return rc;
}

/* One user's row (a tamis_result_render_fn: runs in worker threads). */
static int users_row(const void *vctx, tamis_results_reader *rd, FILE *out, uint64_t *rows)
{
    const users_ctx *x = vctx;
    pg_row_scratch *s = scratch_of(rd);
    tamis_error e = {0};
    uint64_t fp;
    int64_t k = -1;
    int rc;

    if (x->tiers && !x->tiers[rd->result.tier])
        return 0;
    if (!s)
        return worker_fail(x, tamis_error_set(&e, TAMIS_EIO, "cannot make a thread's row buffers"), &e);
    if ((rc = pg_row_encode(s, x->pc, x->seed, &rd->row, &fp, &e)) != 0)
        return worker_fail(x, rc, &e);
    if (x->known && (k = pg_known_find(x->known, rd->row.user)) >= 0) {
        atomic_store_explicit(&x->known->seen[k], true, memory_order_relaxed);
        if (x->known->trusted[k] && x->known->hash[k] == fp) {
            atomic_fetch_add_explicit(x->skipped, 1, memory_order_relaxed);
            return 0;
        }
    }
    put_field64(&s->row, fp); /* row_hash: the bits of the bigint */
    if (x->direct)
        put_field64(&s->row, (uint64_t)x->now_pg_us);
    else
        put_field_bytes(&s->row, k < 0 ? "\1" : "\0", 1);
    if (k < 0)
        atomic_fetch_add_explicit(x->sent_new, 1, memory_order_relaxed);
    (*rows)++;
    return fwrite(s->row.p, 1, s->row.len, out) == s->row.len ? 0 : TAMIS_EIO;
}

int pg_copy_users(PGconn *conn, tamis_store *store, const tamis_model_config *cfg, const pg_columns *pc,
                  const tamis_pg_export_options *opt, pg_users_copy *uc, tamis_error *err)
{
    const char *step = uc->direct ? "copying users into " PG_USERS : "copying users into the staging table";
    atomic_uint_fast64_t sent_new = 0, skipped = 0;
    atomic_flag err_taken = ATOMIC_FLAG_INIT;
    tamis_error worker_err = {0};
    users_ctx x = {pc,        opt->tiers, uc->known,  pg_row_seed(pc), uc->direct, uc->now_pg_us,
                   &sent_new, &skipped,   &err_taken, &worker_err};
    pg_copy_in cs;
    pg_sql sql = {0};
    int rc;

    uc->sent = uc->sent_new = uc->skipped = 0;
    pg_sql_add(&sql, "COPY %s (", uc->direct ? PG_USERS : PG_USERS_STAGE);
    pg_copy_column_list(&sql, pc, uc->direct);
    pg_sql_add(&sql, ") FROM STDIN WITH (FORMAT binary%s)", uc->freeze ? ", FREEZE" : "");
    rc = pg_copy_in_begin(conn, sql.buf, true, step, &cs, err);
    pg_sql_free(&sql);
    if (rc)
        return rc;
    rc = tamis_results_render(store, cfg, opt->threads ? opt->threads : 1, users_row, &x, cs.f, &uc->sent, err);
    if (rc && cs.failed)
        rc = pg_fail(conn, NULL, step, err); /* the server's reason, not "write failed" */
    else if (rc && atomic_flag_test_and_set(&err_taken))
        *err = worker_err;
    uc->sent_new = sent_new;
    uc->skipped = skipped;
    return pg_copy_in_end(&cs, true, step, rc, err);
}

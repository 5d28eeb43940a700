/* routes_read.c — the read routes of `tamis serve`: one user, tier counts, the
 * transition matrix and batch identification (see include/tamis/server.h). Each
 * answers from its own LMDB read transaction, so a writer never blocks it. */
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/render.h"
#include "model/results.h"
#include "model/tier_counts.h"
#include "model/transitions.h"
#include "server_int.h"
#include "tamis/alloc.h"
#include "tamis/event.h"
#include "tamis/phone.h"
#include "tamis/score_run.h"
#include "tamis/snapshot_store.h"

#define SCORE_MAX_INPUTS 100000 /* keys or phones per POST /v1/score (the body limit binds first) */
#define PHONE_HOLDERS_MAX 16

enum MHD_Result srv_get_user(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *key)
{
    tamis_results_reader *rd;
    tamis_txn *t;
    tamis_error err = {0};
    uint32_t uid;
    char *text = NULL;
    size_t len = 0;
    FILE *out;
    enum MHD_Result ok;
    int rc;

    if ((rc = tamis_txn_begin(s->store, false, &t, &err)) != 0)
        return srv_send_error(s, c, req, 500, "store", err.msg);
    rc = tamis_user_lookup(t, key, strlen(key), &uid, &err);
    if (rc == TAMIS_ENOTFOUND) {
        tamis_txn_abort(t);
        return srv_send_error(s, c, req, 404, "unknown_user", "no such user");
    }
    if (rc) {
        tamis_txn_abort(t);
        return srv_send_error(s, c, req, 500, "store", err.msg);
    }
    /* The hot route: a reader kept by this thread, the answer written as text. */
    rd = srv_thread_reader(s, t);
    rc = tamis_results_get(rd, uid, &err);
    if (rc && rc != TAMIS_ENOTFOUND) {
        tamis_txn_abort(t);
        return srv_send_error(s, c, req, 500, "store", err.msg);
    }
    if (!(out = open_memstream(&text, &len))) {
        tamis_txn_abort(t);
        return srv_send_error(s, c, req, 500, "internal", "out of memory");
    }
    fputs("{\"user\":", out);
    tamis_render_json_string(out, key);
    fputs(",\"result\":", out);
    if (rc == TAMIS_OK)
        tamis_render_row_json(out, &rd->row);
    else
        fputs("null", out); /* not scored yet */
    fputc('}', out);
    fclose(out);
    tamis_txn_abort(t);
    ok = srv_send_text(s, c, req, 200, "application/json", text, len);
    free(text); /* open_memstream's buffer, from libc */
    return ok;
}

enum MHD_Result srv_get_tiers(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest)
{
    const char *by_name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "by");
    int by = by_name ? tamis_tier_by_from_name(by_name) : TAMIS_BY_NONE;
    tamis_tier_counts counts;
    tamis_txn *t;
    tamis_error err = {0};
    int rc;

    if (by < 0)
        return srv_send_error(s, c, req, 400, "bad_request", "by must be country or platform");
    if ((rc = tamis_txn_begin(s->store, false, &t, &err)) == 0) {
        rc = tamis_tier_counts_compute(s->store, t, s->cfg, (tamis_tier_by)by, &counts, &err);
        tamis_txn_abort(t);
    }
    if (rc)
        return srv_send_error(s, c, req, 500, "store", err.msg);
    {
        json_t *doc = tamis_tier_counts_json(&counts);
        tamis_tier_counts_free(&counts);
        return srv_send_json(s, c, req, 200, doc);
    }
}

/* A date query argument (YYYY-MM-DD, or a time tamis reads): its UTC day. */
static bool query_day(struct MHD_Connection *c, const char *name, uint32_t *day)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    char buf[64];
    int64_t ms;
    tamis_error err;
    if (!v || !*v || strlen(v) > 40)
        return false;
    if (strlen(v) == 10 && v[4] == '-' && v[7] == '-') {
        snprintf(buf, sizeof buf, "%sT00:00:00Z", v);
        v = buf;
    }
    if (tamis_parse_ts(v, strlen(v), &ms, &err) != TAMIS_OK)
        return false;
    *day = tamis_snapshot_day_of(ms);
    return true;
}

enum MHD_Result srv_get_transitions(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest)
{
    const char *by_name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "by");
    int by = by_name ? tamis_tier_by_from_name(by_name) : TAMIS_BY_NONE;
    tamis_platform_names names;
    tamis_transitions matrix;
    uint32_t d1, d2;
    tamis_txn *t;
    tamis_error err = {0};
    json_t *doc = NULL;
    int rc;

    if (!query_day(c, "from", &d1) || !query_day(c, "to", &d2) || by < 0)
        return srv_send_error(s, c, req, 400, "bad_request",
                          "from and to must be dates (YYYY-MM-DD), by country or platform");
    tamis_score_platform_names(s->store, &names);
    if ((rc = tamis_txn_begin(s->store, false, &t, &err)) == 0) {
        if ((rc = tamis_transitions_compute(t, &names, d1, d2, (tamis_tier_by)by, &matrix, &err)) == 0) {
            doc = tamis_transitions_json(&matrix, d1, d2);
            tamis_transitions_free(&matrix);
        }
        tamis_txn_abort(t);
    }
    if (rc == TAMIS_ENOTFOUND)
        return srv_send_error(s, c, req, 404, "no_snapshot", err.msg);
    if (rc)
        return srv_send_error(s, c, req, 500, "store", err.msg);
    return srv_send_json(s, c, req, 200, doc);
}

/* The inputs of POST /v1/score: a JSON array of strings, or text with one per line
 * (a first line "user", "key" or "phone" is a header). NULL when malformed. */
static json_t *score_inputs(struct MHD_Connection *c, srv_request *req)
{
    const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    json_t *arr;
    size_t i;
    if (type && strncmp(type, "application/json", 16) == 0) {
        json_t *v;
        arr = json_loadb(req->body ? req->body : "", req->len, 0, NULL);
        if (!json_is_array(arr)) {
            json_decref(arr);
            return NULL;
        }
        json_array_foreach(arr, i, v) if (!json_is_string(v))
        {
            json_decref(arr);
            return NULL;
        }
        return arr;
    }
    arr = json_array();
    for (const char *p = req->body ? req->body : "", *end = p + req->len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *next = nl ? nl + 1 : end;
        size_t n = (size_t)((nl ? nl : end) - p);
        while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
            n--;
        if (n && !(json_array_size(arr) == 0 && p == req->body &&
                   ((n == 4 && memcmp(p, "user", 4) == 0) || (n == 3 && memcmp(p, "key", 3) == 0) ||
                    (n == 5 && memcmp(p, "phone", 5) == 0))))
            json_array_append_new(arr, json_stringn(p, n));
        p = next;
    }
    return arr;
}

/* One input's matches: the user with that key, or the holders of that phone number. */
static json_t *score_one(tamis_txn *t, tamis_results_reader *rd, const char *input, size_t len, tamis_error *err)
{
    json_t *matches = json_array();
    uint32_t uids[PHONE_HOLDERS_MAX], uid;
    size_t n = 0;
    tamis_phone ph;
    tamis_error ignored;

    if (tamis_user_lookup(t, input, len, &uid, &ignored) == TAMIS_OK) {
        uids[0] = uid;
        n = 1;
    } else if (len && input[0] == '+' && tamis_phone_parse(input, len, NULL, &ph, &ignored) == TAMIS_OK &&
               tamis_phone_holders(t, ph.e164, uids, PHONE_HOLDERS_MAX, &n, err) != TAMIS_OK) {
        json_decref(matches);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = tamis_results_get(rd, uids[i], err);
        char key[1024];
        tamis_results_user_key(t, uids[i], key, sizeof key);
        if (rc == TAMIS_OK)
            json_array_append_new(matches, json_pack("{s:s,s:o}", "user", key, "result", tamis_render_row_object(&rd->row)));
        else if (rc == TAMIS_ENOTFOUND)
            json_array_append_new(matches, json_pack("{s:s,s:n}", "user", key, "result"));
        else {
            json_decref(matches);
            return NULL;
        }
    }
    return matches;
}

/* POST /v1/score answers as a stream: small lists and large ones alike are rendered a
 * slice of inputs at a time from one read snapshot, so memory stays flat. */
#define SCORE_SLICE_INPUTS 64

typedef struct score_stream {
    srv_text_stream text;       /* first: score_refill gets it */
    tamis_server *s;
    tamis_txn *txn;
    tamis_results_reader rd;
    json_t *inputs;
    size_t next;
    uint64_t unknown;
} score_stream;

static int score_refill(srv_text_stream *st, FILE *out)
{
    score_stream *x = (score_stream *)st;
    tamis_error err = {0};
    size_t n = json_array_size(x->inputs);
    if (x->next == 0)
        fputs("{\"results\":[", out);
    for (size_t k = 0; k < SCORE_SLICE_INPUTS && x->next < n; k++, x->next++) {
        json_t *v = json_array_get(x->inputs, x->next), *m, *entry;
        char *text;
        if (!(m = score_one(x->txn, &x->rd, json_string_value(v), json_string_length(v), &err)))
            return err.code ? err.code : TAMIS_EINTERNAL;
        x->unknown += json_array_size(m) == 0;
        entry = json_pack("{s:O,s:b,s:o}", "input", v, "known", json_array_size(m) > 0, "matches", m);
        text = json_dumps(entry, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(entry);
        if (x->next)
            fputc(',', out);
        fputs(text ? text : "null", out);
        free(text); /* jansson's allocator */
    }
    if (x->next == n) {
        fprintf(out, "],\"unknown\":%llu}", (unsigned long long)x->unknown);
        st->finished = true;
    }
    return TAMIS_OK;
}

static void score_free(void *cls)
{
    score_stream *x = cls;
    tamis_results_reader_free(&x->rd);
    tamis_txn_abort(x->txn);
    srv_long_reader_end(x->s);
    json_decref(x->inputs);
    srv_text_stream_free(&x->text);
    tamis_free(x);
}

enum MHD_Result srv_post_score(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest)
{
    json_t *inputs = score_inputs(c, req);
    struct MHD_Response *resp;
    score_stream *x;
    tamis_error err = {0};
    int rc;

    if (!inputs)
        return srv_send_error(s, c, req, 400, "bad_request",
                              "send a JSON array of user keys or +phone numbers, or text with one per line");
    if (json_array_size(inputs) > SCORE_MAX_INPUTS) {
        json_decref(inputs);
        return srv_send_error(s, c, req, 413, "too_many", "at most 100000 keys or phones per request");
    }
    if (!srv_long_reader_begin(s)) {
        json_decref(inputs);
        return srv_send_error(s, c, req, 503, "erasing", "an erasure is in progress; retry in a few seconds");
    }
    x = tamis_calloc(1, sizeof *x);
    x->text.refill = score_refill;
    x->s = s;
    x->inputs = inputs;
    if ((rc = tamis_txn_begin(s->store, false, &x->txn, &err)) != 0) {
        srv_long_reader_end(s);
        json_decref(inputs);
        tamis_free(x);
        return srv_send_error(s, c, req, 500, "store", err.msg);
    }
    tamis_results_reader_init(&x->rd, s->store, x->txn, s->cfg);
    /* The first slice now: a store error still gets a proper error answer. */
    if ((rc = srv_text_stream_fill(&x->text)) != TAMIS_OK) {
        score_free(x);
        return srv_send_error(s, c, req, 500, "store", "cannot read the results");
    }
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, srv_text_stream_read, x, score_free);
    if (!resp) {
        score_free(x);
        return srv_send_error(s, c, req, 500, "internal", "cannot start the answer");
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    return srv_send_response(s, c, req, 200, resp);
}

/* ------------------------------------------------------------------------------------
 * GET /v1/export: streamed, users in uid order, rendered a slice at a time
 * ------------------------------------------------------------------------------------ */

#define EXPORT_SLICE_USERS 512 /* users rendered per refill of the stream's buffer */

typedef struct export_stream {
    srv_text_stream text;         /* first: export_refill gets it */
    tamis_server *s;
    tamis_txn *txn;               /* one snapshot for the whole answer */
    tamis_results_reader rd;
    uint32_t next_uid, end_uid;
    bool ndjson, tier_filter;
    bool tiers[TAMIS_TIER__COUNT];
    size_t *cols, n_cols;
} export_stream;

/* Renders the next slice of users. */
static int export_refill(srv_text_stream *text, FILE *out)
{
    export_stream *x = (export_stream *)text;
    tamis_error err;
    for (unsigned n = 0; n < EXPORT_SLICE_USERS && x->next_uid < x->end_uid; n++, x->next_uid++) {
        int rc = tamis_results_get(&x->rd, x->next_uid, &err);
        if (rc == TAMIS_ENOTFOUND)
            continue;
        if (rc)
            return rc;
        if (x->tier_filter && !x->tiers[x->rd.result.tier])
            continue;
        tamis_render_export_line(out, x->ndjson, x->cols, x->n_cols, &x->rd.row);
    }
    if (x->next_uid >= x->end_uid)
        text->finished = true;
    return TAMIS_OK;
}

static void export_free(void *cls)
{
    export_stream *x = cls;
    tamis_results_reader_free(&x->rd);
    tamis_txn_abort(x->txn);
    srv_long_reader_end(x->s);
    srv_text_stream_free(&x->text);
    tamis_free(x->cols);
    tamis_free(x);
}

/* Fills x's tier filter and columns from the query; false with why set when bad. */
static bool export_query(struct MHD_Connection *c, export_stream *x, char *why, size_t cap)
{
    const char *tiers = srv_query(c, "tier"), *cols = srv_query(c, "columns"), *fmt = srv_query(c, "format");
    if (fmt && strcmp(fmt, "csv") != 0 && strcmp(fmt, "ndjson") != 0) {
        snprintf(why, cap, "format must be csv or ndjson");
        return false;
    }
    x->ndjson = fmt && strcmp(fmt, "ndjson") == 0;
    for (const char *p = tiers; p && *p;) {
        size_t n = strcspn(p, ",");
        int t = tamis_tier_from_name(p, n);
        if (t < 0) {
            snprintf(why, cap, "unknown tier '%.*s'", (int)(n > 40 ? 40 : n), p);
            return false;
        }
        x->tiers[t] = x->tier_filter = true;
        p += n + (p[n] == ',');
    }
    x->cols = tamis_calloc(tamis_column_count(), sizeof *x->cols);
    if (!cols || !*cols) {
        for (size_t i = 0; i < tamis_column_count(); i++)
            x->cols[x->n_cols++] = i;
        return true;
    }
    for (const char *p = cols; *p;) {
        size_t n = strcspn(p, ",");
        int col = tamis_column_find(p, n);
        if (col < 0 || x->n_cols == tamis_column_count()) {
            snprintf(why, cap, "unknown column '%.*s' (see docs/MODEL.md)", (int)(n > 40 ? 40 : n), p);
            return false;
        }
        x->cols[x->n_cols++] = (size_t)col;
        p += n + (p[n] == ',');
    }
    return true;
}

enum MHD_Result srv_get_export(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest)
{
    export_stream *x = tamis_calloc(1, sizeof *x);
    struct MHD_Response *resp;
    x->text.refill = export_refill;
    tamis_error err = {0};
    char why[128];
    int rc;

    x->s = s;
    if (!export_query(c, x, why, sizeof why)) {
        tamis_free(x->cols);
        tamis_free(x);
        return srv_send_error(s, c, req, 400, "bad_request", why);
    }
    if (!srv_long_reader_begin(s)) {
        tamis_free(x->cols);
        tamis_free(x);
        return srv_send_error(s, c, req, 503, "erasing", "an erasure is in progress; retry in a few seconds");
    }
    if ((rc = tamis_txn_begin(s->store, false, &x->txn, &err)) != 0) {
        srv_long_reader_end(s);
        tamis_free(x->cols);
        tamis_free(x);
        return srv_send_error(s, c, req, 500, "store", err.msg);
    }
    tamis_results_reader_init(&x->rd, s->store, x->txn, s->cfg);
    if ((rc = tamis_user_uid_end(x->txn, &x->end_uid, &err)) != 0) {
        export_free(x);
        return srv_send_error(s, c, req, 500, "store", err.msg);
    }
    if (!x->ndjson) { /* the header goes first */
        FILE *out = open_memstream(&x->text.buf, &x->text.len);
        if (out) {
            tamis_render_export_header(out, x->cols, x->n_cols);
            fclose(out);
        }
    }
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, srv_text_stream_read, x, export_free);
    if (!resp) {
        export_free(x);
        return srv_send_error(s, c, req, 500, "internal", "cannot start the answer");
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            x->ndjson ? "application/x-ndjson" : "text/csv; charset=utf-8");
    MHD_add_response_header(resp, "Content-Disposition",
                            x->ndjson ? "attachment; filename=\"tamis-export.ndjson\""
                                      : "attachment; filename=\"tamis-export.csv\"");
    return srv_send_response(s, c, req, 200, resp);
}

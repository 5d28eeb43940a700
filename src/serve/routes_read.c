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

#define SCORE_MAX_INPUTS 10000 /* keys or phones per POST /v1/score */
#define PHONE_HOLDERS_MAX 16

enum MHD_Result srv_get_user(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *key)
{
    tamis_results_reader rd;
    tamis_txn *t;
    tamis_error err = {0};
    uint32_t uid;
    json_t *doc;
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
    tamis_results_reader_init(&rd, s->store, t, s->cfg);
    rc = tamis_results_get(&rd, uid, &err);
    doc = json_pack("{s:s}", "user", key);
    if (rc == 0)
        json_object_set_new(doc, "result", tamis_render_row_object(&rd.row));
    else if (rc == TAMIS_ENOTFOUND)
        json_object_set_new(doc, "result", json_null()); /* not scored yet */
    tamis_results_reader_free(&rd);
    tamis_txn_abort(t);
    if (rc && rc != TAMIS_ENOTFOUND) {
        json_decref(doc);
        return srv_send_error(s, c, req, 500, "store", err.msg);
    }
    return srv_send_json(s, c, req, 200, doc);
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

enum MHD_Result srv_post_score(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest)
{
    json_t *inputs = score_inputs(c, req), *results, *v;
    tamis_results_reader rd;
    tamis_txn *t;
    tamis_error err = {0};
    uint64_t unknown = 0;
    size_t i;
    int rc;

    if (!inputs)
        return srv_send_error(s, c, req, 400, "bad_request",
                          "send a JSON array of user keys or +phone numbers, or text with one per line");
    if (json_array_size(inputs) > SCORE_MAX_INPUTS) {
        json_decref(inputs);
        return srv_send_error(s, c, req, 413, "too_many", "at most 10000 keys or phones per request");
    }
    if ((rc = tamis_txn_begin(s->store, false, &t, &err)) != 0) {
        json_decref(inputs);
        return srv_send_error(s, c, req, 500, "store", err.msg);
    }
    tamis_results_reader_init(&rd, s->store, t, s->cfg);
    results = json_array();
    json_array_foreach(inputs, i, v)
    {
        json_t *m = score_one(t, &rd, json_string_value(v), json_string_length(v), &err);
        if (!m) {
            rc = err.code ? err.code : TAMIS_EINTERNAL;
            break;
        }
        unknown += json_array_size(m) == 0;
        json_array_append_new(results, json_pack("{s:O,s:b,s:o}", "input", v, "known", json_array_size(m) > 0,
                                                 "matches", m));
    }
    tamis_results_reader_free(&rd);
    tamis_txn_abort(t);
    json_decref(inputs);
    if (rc) {
        json_decref(results);
        return srv_send_error(s, c, req, 500, "store", err.msg);
    }
    return srv_send_json(s, c, req, 200,
                     json_pack("{s:o,s:I}", "results", results, "unknown", (json_int_t)unknown));
}


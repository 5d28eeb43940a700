/* routes_segments.c — saved segments over HTTP (include/tamis/segment.h): list and
 * read them (read scope), create and drop them (write scope), and fetch their members
 * (streamed, the rows of `tamis segment members`) or who entered and left at their
 * last evaluation — what an SCRM needs to keep an audience in sync.
 *
 *   GET    /v1/segments                      every segment
 *   POST   /v1/segments                      {"name": ..., "definition": ...}
 *   GET    /v1/segments/{name}               one segment
 *   GET    /v1/segments/{name}/members       ?format=csv|ndjson&columns=...
 *   GET    /v1/segments/{name}/diff          {"entered": [...], "left": [...]}
 *   DELETE /v1/segments/{name} */
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/render.h"
#include "model/results.h"
#include "server_int.h"
#include "tamis/alloc.h"
#include "tamis/event.h"
#include "tamis/segment.h"

#define MEMBERS_SLICE 512 /* members rendered per refill of the stream */

static json_t *info_object(const tamis_segment_info *info, uint64_t members, uint64_t before)
{
    char evaluated[32], as_of[32], created[32];
    tamis_format_utc(info->evaluated_ms, false, evaluated);
    tamis_format_utc(info->as_of_ms, false, as_of);
    tamis_format_utc(info->created_ms, false, created);
    return json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:s}", "name", info->name, "definition", info->definition, "size",
                     (json_int_t)members, "previous_size", (json_int_t)before, "as_of", as_of, "evaluated", evaluated,
                     "created", created);
}

/* An error of the segment layer as an answer: bad expressions and names are 400,
 * unknown segments 404, a taken name or a segment still referred to 409. */
static enum MHD_Result segment_error(tamis_server *s, struct MHD_Connection *c, srv_request *req, int rc,
                                     const tamis_error *err)
{
    if (rc == TAMIS_EINPUT || rc == TAMIS_ELIMIT)
        return srv_send_error(s, c, req, 400, "bad_expression", err->msg);
    if (rc == TAMIS_ENOTFOUND)
        return srv_send_error(s, c, req, 404, "unknown_segment", err->msg);
    if (rc == TAMIS_EUSAGE)
        return srv_send_error(s, c, req, strstr(err->msg, "segment names") ? 400 : 409,
                              strstr(err->msg, "segment names") ? "bad_name" : "conflict", err->msg);
    return srv_send_error(s, c, req, 500, "store", err->msg);
}

enum MHD_Result srv_get_segments(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest)
{
    tamis_segment_info *infos = NULL;
    size_t n = 0;
    tamis_error err = {0};
    json_t *list;
    int rc = tamis_segment_list(s->store, &infos, &n, &err);
    if (rc)
        return segment_error(s, c, req, rc, &err);
    list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, info_object(&infos[i], infos[i].size, infos[i].previous_size));
        tamis_segment_info_free(&infos[i]);
    }
    tamis_free(infos);
    return srv_send_json(s, c, req, 200, json_pack("{s:o}", "segments", list));
}

enum MHD_Result srv_post_segments(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest)
{
    json_t *body = json_loadb(req->body ? req->body : "", req->len, 0, NULL);
    const char *name = NULL, *definition = NULL;
    tamis_segment_info info;
    tamis_error err = {0};
    enum MHD_Result ok;
    int rc;
    if (!json_is_object(body) || json_unpack(body, "{s:s,s:s}", "name", &name, "definition", &definition) != 0) {
        json_decref(body);
        return srv_send_error(s, c, req, 400, "bad_request", "send {\"name\": \"...\", \"definition\": \"...\"}");
    }
    rc = tamis_segment_create(s->store, s->cfg, name, definition, &info, &err);
    json_decref(body);
    if (rc)
        return segment_error(s, c, req, rc, &err);
    ok = srv_send_json(s, c, req, 200, info_object(&info, info.size, 0));
    tamis_segment_info_free(&info);
    return ok;
}

/* ---- members, streamed ------------------------------------------------------------ */

typedef struct members_stream {
    srv_text_stream text;      /* first: members_refill gets it */
    tamis_server *s;
    tamis_txn *txn;
    tamis_results_reader rd;
    roaring_bitmap_t *members;
    roaring_uint32_iterator_t *it;
    size_t cols[128], n_cols;
    bool ndjson;
} members_stream;

static int members_refill(srv_text_stream *st, FILE *out)
{
    members_stream *x = (members_stream *)st;
    tamis_error err;
    for (int k = 0; k < MEMBERS_SLICE && x->it->has_value; k++, roaring_advance_uint32_iterator(x->it)) {
        int rc = tamis_results_get(&x->rd, x->it->current_value, &err);
        if (rc == TAMIS_ENOTFOUND) /* no longer scored */
            continue;
        if (rc)
            return rc;
        tamis_render_export_line(out, x->ndjson, x->cols, x->n_cols, &x->rd.row);
    }
    if (!x->it->has_value)
        st->finished = true;
    return TAMIS_OK;
}

static void members_free(void *cls)
{
    members_stream *x = cls;
    if (x->it)
        roaring_free_uint32_iterator(x->it);
    roaring_bitmap_free(x->members);
    tamis_results_reader_free(&x->rd);
    tamis_txn_abort(x->txn);
    srv_long_reader_end(x->s);
    srv_text_stream_free(&x->text);
    tamis_free(x);
}

static enum MHD_Result get_members(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *name)
{
    const char *fmt = srv_query(c, "format"), *cols = srv_query(c, "columns");
    members_stream *x;
    struct MHD_Response *resp;
    tamis_error err = {0};
    int rc;
    if (fmt && strcmp(fmt, "csv") != 0 && strcmp(fmt, "ndjson") != 0)
        return srv_send_error(s, c, req, 400, "bad_request", "format must be csv or ndjson");
    x = tamis_calloc(1, sizeof *x);
    x->s = s;
    x->text.refill = members_refill;
    x->ndjson = fmt && strcmp(fmt, "ndjson") == 0;
    for (const char *p = cols && *cols ? cols : "user,score,tier"; *p && x->n_cols < 128;) {
        size_t n = strcspn(p, ",");
        int col = tamis_column_find(p, n);
        if (col < 0) {
            char msg[96];
            snprintf(msg, sizeof msg, "unknown column '%.*s'", (int)(n > 40 ? 40 : n), p);
            tamis_free(x);
            return srv_send_error(s, c, req, 400, "bad_request", msg);
        }
        x->cols[x->n_cols++] = (size_t)col;
        p += n + (p[n] == ',');
    }
    if ((rc = tamis_segment_get(s->store, name, NULL, &x->members, NULL, &err)) != 0) {
        tamis_free(x);
        return segment_error(s, c, req, rc, &err);
    }
    if (!srv_long_reader_begin(s)) {
        roaring_bitmap_free(x->members);
        tamis_free(x);
        return srv_send_error(s, c, req, 503, "erasing", "an erasure is in progress; retry in a few seconds");
    }
    if ((rc = tamis_txn_begin(s->store, false, &x->txn, &err)) != 0) {
        srv_long_reader_end(s);
        roaring_bitmap_free(x->members);
        tamis_free(x);
        return srv_send_error(s, c, req, 500, "store", err.msg);
    }
    tamis_results_reader_init(&x->rd, s->store, x->txn, s->cfg);
    x->it = roaring_create_iterator(x->members);
    if (!x->ndjson) {
        FILE *out = open_memstream(&x->text.buf, &x->text.len);
        if (out) {
            tamis_render_export_header(out, x->cols, x->n_cols);
            fclose(out);
        }
    }
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, srv_text_stream_read, x, members_free);
    if (!resp) {
        members_free(x);
        return srv_send_error(s, c, req, 500, "internal", "cannot start the answer");
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            x->ndjson ? "application/x-ndjson" : "text/csv; charset=utf-8");
    return srv_send_response(s, c, req, 200, resp);
}

static json_t *keys_of(tamis_txn *t, const roaring_bitmap_t *b)
{
    json_t *list = json_array();
    roaring_uint32_iterator_t *it = roaring_create_iterator(b);
    char key[1024];
    for (; it->has_value; roaring_advance_uint32_iterator(it)) {
        tamis_results_user_key(t, it->current_value, key, sizeof key);
        if (key[0]) /* an erased user has no key any more */
            json_array_append_new(list, json_string(key));
    }
    roaring_free_uint32_iterator(it);
    return list;
}

enum MHD_Result srv_segment(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest)
{
    char name[TAMIS_SEGMENT_NAME_MAX + 16];
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    tamis_segment_info info;
    roaring_bitmap_t *now = NULL, *before = NULL;
    tamis_error err = {0};
    enum MHD_Result ok;
    tamis_txn *t;
    int rc;
    if (n == 0 || n >= TAMIS_SEGMENT_NAME_MAX)
        return srv_send_error(s, c, req, 404, "unknown_segment", "no such segment");
    memcpy(name, rest, n);
    name[n] = '\0';
    if (slash && strcmp(slash, "/members") == 0)
        return get_members(s, c, req, name);
    if (slash && strcmp(slash, "/diff") != 0)
        return srv_send_error(s, c, req, 404, "not_found", "no such route (see docs/openapi.yaml)");
    if ((rc = tamis_segment_get(s->store, name, &info, &now, &before, &err)) != 0)
        return segment_error(s, c, req, rc, &err);
    if (!slash) {
        ok = srv_send_json(s, c, req, 200,
                           info_object(&info, roaring_bitmap_get_cardinality(now), roaring_bitmap_get_cardinality(before)));
    } else if ((rc = tamis_txn_begin(s->store, false, &t, &err)) != 0) {
        ok = srv_send_error(s, c, req, 500, "store", err.msg);
    } else {
        roaring_bitmap_t *in = roaring_bitmap_andnot(now, before), *out = roaring_bitmap_andnot(before, now);
        ok = srv_send_json(s, c, req, 200,
                           json_pack("{s:s,s:o,s:o}", "name", info.name, "entered", keys_of(t, in), "left",
                                     keys_of(t, out)));
        tamis_txn_abort(t);
        roaring_bitmap_free(in);
        roaring_bitmap_free(out);
    }
    tamis_segment_info_free(&info);
    roaring_bitmap_free(now);
    roaring_bitmap_free(before);
    return ok;
}

enum MHD_Result srv_delete_segment(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *name)
{
    tamis_error err = {0};
    int rc = strchr(name, '/') ? tamis_error_set(&err, TAMIS_ENOTFOUND, "no such segment")
                               : tamis_segment_drop(s->store, s->cfg, name, &err);
    if (rc)
        return segment_error(s, c, req, rc, &err);
    return srv_send_json(s, c, req, 200, json_pack("{s:s,s:b}", "name", name, "dropped", 1));
}
